"""`screening sweep`, `alerts [--open]` and `alerts ack ID` as staff type them.

One invented scene on each backend: Östersund and Krokom children, some never notified, some
whose booking is late, one whose results are in (with a planted medical note) and nobody told
the family; the coordinator sweeps on Tuesday morning 2026-12-01.
"""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass

import pytest

import cli
from tests.e2e.conftest import snapshot
from tests.e2e.support import BACKENDS, assert_one_line_error, call, database

ALERT_KEYS = {"id", "case", "rule", "kind", "owner", "due", "raised_at", "acknowledged"}
COORDINATOR = "region-coordinator"
RECEPTION = "ostersund-reception"
HC = "hc-lugnvik"
SWEEP_AT = "2026-12-01T08:00"  # a Tuesday (+01:00)
MARKER = "MARKER-9c2e-sweep-quantiferon-positiv"  # lower case: never part of a case id
NOT_COORDINATORS = [RECEPTION, HC, "ostersund-school-norrby", "ostersund-preschool-solrosen",
                    "ostersund-school-health", "ostersund-bvc", "krokom-reception", "hc-krokom"]
DEMO_USERS = NOT_COORDINATORS + [COORDINATOR, "admin", "hc-odensala"]


@dataclass
class Scene:
    url: str
    cases: dict[str, str]  # name -> case id
    first_sweep: list[dict] | None = None

    def municipality(self, case_id: str) -> str:
        return "Krokom" if case_id in (self.cases["krokom"], self.cases["krokom_hc"]) else "Östersund"


def _register(url: str, now: str, *options: str, user: str = RECEPTION, municipality: str = "Östersund") -> str:
    return call(url, "case", "register", "--birth-date", "2019-04-02", "--municipality", municipality,
                *options, user=user, now=now)["id"]


def _event(url: str, case_id: str, name: str, now: str, user: str, *sets: str) -> None:
    call(url, "case", "event", case_id, name, *(arg for s in sets for arg in ("--set", s)), user=user, now=now)


def build(url: str) -> Scene:
    """The scene's cases, all events on time but the ones whose deadlines the sweep finds missed."""
    cases = {
        "lugnvik": _register(url, "2026-11-23T09:00"),  # booking due 11-30: missed
        "reminded": _register(url, "2026-11-24T09:00"),  # booking due 12-01: reminded
        "unnotified": _register(url, "2026-11-23T09:05"),  # notify_parties missed
        "odensala": _register(url, "2026-11-23T09:10", "--health-centre", "hc-odensala"),
        "krokom": _register(url, "2026-11-23T09:15", user="krokom-reception", municipality="Krokom"),
        "krokom_hc": _register(url, "2026-11-23T09:20", user="krokom-reception", municipality="Krokom"),
        "medical": _register(url, "2026-11-23T09:25"),
    }
    for name, now in [("lugnvik", "2026-11-23T09:30"), ("reminded", "2026-11-24T09:30"),
                      ("odensala", "2026-11-23T09:30"), ("medical", "2026-11-23T09:30")]:
        _event(url, cases[name], "notify_parties", now, RECEPTION)
    _event(url, cases["krokom_hc"], "notify_parties", "2026-11-23T09:30", "krokom-reception")
    medical = cases["medical"]
    _event(url, medical, "book_health_conversation", "2026-11-23T10:00", HC, "start=2026-11-23T13:00")
    _event(url, medical, "hold_health_conversation", "2026-11-23T14:00", HC)
    _event(url, medical, "record_results", "2026-11-24T10:00", HC, "obstacle=no", f"note={MARKER}")
    return Scene(url, cases)


EXPECTED = sorted([
    ("lugnvik", "book_health_conversation", "breach", "health_centre"),
    ("reminded", "book_health_conversation", "reminder", "health_centre"),
    ("unnotified", "notify_parties", "breach", "reception_unit"),
    ("odensala", "book_health_conversation", "breach", "health_centre"),
    ("krokom", "notify_parties", "breach", "reception_unit"),
    ("krokom_hc", "book_health_conversation", "breach", "health_centre"),
    ("medical", "inform_family", "breach", "health_centre"),
    ("medical", "inform_reception", "breach", "health_centre"),
    ("medical", "book_examination", "breach", "health_centre"),
])


def named(scene: Scene, alerts: list[dict]) -> list[tuple[str, str, str, str]]:
    names = {case_id: name for name, case_id in scene.cases.items()}
    return sorted((names[a["case"]], a["rule"], a["kind"], a["owner"]) for a in alerts)


def alerts(url: str, user: str, *options: str, now: str = SWEEP_AT) -> list[dict]:
    return call(url, "alerts", *options, user=user, now=now)


def text_output(url: str, *args: str, user: str, now: str = SWEEP_AT) -> tuple[int, str]:
    """A command as staff read it (no --json): exit code and everything it printed."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["--db", url, "--as", user, "--now", now, *args])
    return code, out.getvalue() + err.getvalue()


@pytest.fixture(scope="module", params=BACKENDS)
def swept(request, tmp_path_factory) -> Scene:
    """The scene after the coordinator's sweep; the tests that use it only read (or sweep for nothing)."""
    with database(request.param, tmp_path_factory) as url:
        call(url, "init", "--demo", now=None)
        scene = build(url)
        scene.first_sweep = call(url, "sweep", user=COORDINATOR, now=SWEEP_AT)["alerts"]
        yield scene


@pytest.fixture
def fresh(cli_db) -> Scene:
    scene = build(cli_db)
    scene.first_sweep = call(cli_db, "sweep", user=COORDINATOR, now=SWEEP_AT)["alerts"]
    return scene


# --- sweep ------------------------------------------------------------------------------------------


def test_sweep_prints_the_alerts_it_raised_with_the_contract_keys(swept):
    raised = swept.first_sweep

    assert named(swept, raised) == EXPECTED
    for alert in raised:
        assert ALERT_KEYS <= set(alert)
        assert isinstance(alert["id"], int)
        assert alert["acknowledged"] is False
        assert alert["raised_at"] == "2026-12-01T08:00:00+01:00"
        assert alert["due"].endswith("T23:59:59+01:00")
    due = {(a["case"], a["rule"]): a["due"] for a in raised}
    assert due[(swept.cases["lugnvik"], "book_health_conversation")] == "2026-11-30T23:59:59+01:00"
    assert due[(swept.cases["reminded"], "book_health_conversation")] == "2026-12-01T23:59:59+01:00"


def test_a_second_sweep_prints_no_alerts(swept):
    assert call(swept.url, "sweep", user=COORDINATOR, now=SWEEP_AT) == {"alerts": []}
    assert call(swept.url, "sweep", user="admin", now="2026-12-01T12:00") == {"alerts": []}
    assert len(alerts(swept.url, COORDINATOR)) == len(EXPECTED)


def test_sweep_by_anyone_but_the_coordinator_or_the_admin_exits_1_and_changes_nothing(run, cli_db):
    build(cli_db)
    before = snapshot(cli_db)

    for user in NOT_COORDINATORS:
        result = run("sweep", db=cli_db, user=user, now=SWEEP_AT)
        error = assert_one_line_error(result, 1)
        assert error["code"] == "refused"

    assert snapshot(cli_db) == before
    assert run("sweep", db=cli_db, user="admin", now=SWEEP_AT).data["alerts"] != []


# --- who sees which alerts ----------------------------------------------------------------------------


def test_the_coordinator_and_the_admin_see_every_alert(swept):
    assert named(swept, alerts(swept.url, COORDINATOR)) == EXPECTED
    assert named(swept, alerts(swept.url, "admin")) == EXPECTED
    assert sorted(a["id"] for a in alerts(swept.url, COORDINATOR)) == sorted(a["id"] for a in swept.first_sweep)


@pytest.mark.parametrize("user, own_cases", [
    (HC, ("lugnvik", "reminded", "medical")),
    ("hc-odensala", ("odensala",)),
    ("hc-krokom", ("krokom_hc",)),
])
def test_a_health_centre_sees_only_the_health_centre_alerts_of_its_own_cases(swept, user, own_cases):
    seen = alerts(swept.url, user)

    assert named(swept, seen) == [e for e in EXPECTED if e[3] == "health_centre" and e[0] in own_cases]
    assert seen and all(ALERT_KEYS <= set(a) for a in seen)


@pytest.mark.parametrize("user, municipality", [(RECEPTION, "Östersund"), ("krokom-reception", "Krokom")])
def test_a_reception_unit_sees_only_the_reception_unit_alerts_of_its_municipality(swept, user, municipality):
    everything = alerts(swept.url, COORDINATOR)

    seen = alerts(swept.url, user)

    assert seen == [a for a in everything
                    if a["owner"] == "reception_unit" and swept.municipality(a["case"]) == municipality]
    assert len(seen) == 1


@pytest.mark.parametrize("user", ["ostersund-school-norrby", "ostersund-preschool-solrosen",
                                  "ostersund-school-health", "ostersund-bvc"])
def test_a_party_that_owns_none_of_the_missed_steps_sees_no_alerts(swept, user):
    assert alerts(swept.url, user) == []


# --- acknowledging ----------------------------------------------------------------------------------


def _alert_of(scene: Scene, name: str, rule: str) -> dict:
    [found] = [a for a in scene.first_sweep if a["case"] == scene.cases[name] and a["rule"] == rule]
    return found


def test_the_owner_acknowledges_an_alert_which_then_leaves_the_open_list_and_enters_the_case_history(run, fresh):
    alert = _alert_of(fresh, "lugnvik", "book_health_conversation")

    result = run("alerts", "ack", alert["id"], db=fresh.url, user=HC, now="2026-12-01T09:00")

    assert result.code == 0, result.err
    assert result.data == {"id": alert["id"], "acknowledged": True}
    mine = {a["id"]: a for a in alerts(fresh.url, HC)}
    assert mine[alert["id"]]["acknowledged"] is True
    assert alert["id"] not in {a["id"] for a in alerts(fresh.url, HC, "--open")}
    assert alert["id"] not in {a["id"] for a in alerts(fresh.url, COORDINATOR, "--open")}
    assert len(alerts(fresh.url, HC, "--open")) == len(mine) - 1
    assert all(a["acknowledged"] is False for a in alerts(fresh.url, COORDINATOR, "--open"))
    history = call(fresh.url, "case", "history", alert["case"], user=COORDINATOR, now="2026-12-01T09:05")
    acks = [e for e in history if e["event"] == "acknowledge_alert"]
    assert [(e["user"], e["org"], e["at"]) for e in acks] == [(HC, HC, "2026-12-01T09:00:00+01:00")]


def test_a_reception_unit_acknowledges_its_own_alert(fresh):
    alert = _alert_of(fresh, "unnotified", "notify_parties")

    assert call(fresh.url, "alerts", "ack", str(alert["id"]), user=RECEPTION) == {"id": alert["id"],
                                                                                    "acknowledged": True}
    assert alerts(fresh.url, RECEPTION, "--open") == []


@pytest.mark.parametrize("user", [
    "hc-krokom",  # another health centre's case
    "hc-odensala",  # same municipality, not its case
    RECEPTION,  # its municipality's case, but the health centre's alert
    "krokom-reception",
    "ostersund-school-norrby",
])
def test_acknowledging_an_alert_outside_ones_scope_exits_2_as_an_unknown_alert(run, fresh, user):
    alert = _alert_of(fresh, "lugnvik", "book_health_conversation")
    before = snapshot(fresh.url)

    result = run("alerts", "ack", alert["id"], db=fresh.url, user=user, now="2026-12-01T09:00")

    error = assert_one_line_error(result, 2)
    assert f"okänt larm '{alert['id']}'" in error["message"]
    assert snapshot(fresh.url) == before


def test_an_acknowledged_breach_still_unresolved_a_week_later_is_swept_up_and_open_again(fresh):
    alert = _alert_of(fresh, "lugnvik", "book_health_conversation")
    call(fresh.url, "alerts", "ack", str(alert["id"]), user=HC, now="2026-12-01T09:00")
    early = call(fresh.url, "sweep", user=COORDINATOR, now="2026-12-08T07:59")["alerts"]
    assert named(fresh, early) == [("reminded", "book_health_conversation", "breach", "health_centre")]

    raised = call(fresh.url, "sweep", user=COORDINATOR, now="2026-12-08T08:00")["alerts"]

    again = [a for a in raised if a["id"] == alert["id"]]
    assert len(again) == 1 and again[0]["acknowledged"] is False
    assert again[0]["raised_at"] == alert["raised_at"]
    assert {a["kind"] for a in raised} == {"breach"}  # reminders and warnings are raised once
    assert alert["id"] in {a["id"] for a in alerts(fresh.url, HC, "--open", now="2026-12-08T09:00")}


def test_acknowledging_an_unknown_alert_exits_2(run, fresh):
    before = snapshot(fresh.url)
    missing = max(a["id"] for a in fresh.first_sweep) + 1000

    error = assert_one_line_error(run("alerts", "ack", missing, db=fresh.url, user=COORDINATOR, now=SWEEP_AT), 2)

    assert "okänt larm" in error["message"]
    assert_one_line_error(run("alerts", "ack", "seven", db=fresh.url, user=COORDINATOR, now=SWEEP_AT), 2)
    assert snapshot(fresh.url) == before


# --- medical secrecy --------------------------------------------------------------------------------


def test_no_sweep_or_alert_output_contains_the_medical_note(swept):
    assert MARKER not in str(swept.first_sweep)
    outputs = [str(call(swept.url, "sweep", user=COORDINATOR, now="2026-12-01T08:30"))]
    code, printed = text_output(swept.url, "sweep", user=COORDINATOR, now="2026-12-01T08:40")
    assert code == 0, printed
    outputs.append(printed)
    for user in DEMO_USERS:
        outputs.append(str(alerts(swept.url, user)))
        outputs.append(str(alerts(swept.url, user, "--open")))
        code, printed = text_output(swept.url, "alerts", user=user)
        assert code == 0, printed
        outputs.append(printed)

    assert all(MARKER not in output and "9c2e" not in output for output in outputs)
    assert any(swept.cases["medical"] in output for output in outputs)  # its alerts were shown
