"""Medical secrecy (§ 5, step 7; OSL 25 kap. 1 §, 12 kap. 2-3 §§) through every read path.

Planted markers: the health centre writes invented, unmistakable texts into the confidential
`--set` values (results note, examination note, reasons). Then every way the case can be read
or written is searched for them, as each role sees it. Only the health centre, and school
health after the guardian's consent and the copy, may ever see them. Everything is invented.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from screening.storage import db
from tests.e2e.conftest import snapshot
from tests.e2e.support import (
    ADMIN,
    BORN,
    BVC,
    COORDINATOR,
    HC,
    PRESCHOOL,
    RECEPTION,
    SCHOOL,
    SCHOOL_HEALTH,
    assert_one_line_error,
)

RESULTS_NOTE = "MARKER-7f3a-TUBERKULOS-IGRA-POSITIV"
EXAM_NOTE = "MARKER-7f3a-LUNGRONTGEN-FYND"
DECLINE_REASON = "MARKER-7f3a-AVBOJT-HEPATIT-B"
CLOSE_REASON = "MARKER-7f3a-AVSLUT-LATENT-TB"
MARKERS = (RESULTS_NOTE, EXAM_NOTE, DECLINE_REASON, CLOSE_REASON)
# Texts a non-medical role types into a refused event of its own: they must not be echoed either.
ATTEMPT_NOTE = "MARKER-7f3a-FORSOK-ANTECKNING"
ATTEMPT_REASON = "MARKER-7f3a-FORSOK-ORSAK"
PREFIX = "MARKER-7f3a"  # lower-case 'f' and 'a': never part of a case id (upper case only)

REGISTERED = "2026-11-23T10:00"
READ_NOW = "2026-12-02T09:00"  # after everything below; the inform_family deadline is past by then
BOOKED_START = "2026-11-24T09:00"
BOOKED_START_JSON = "2026-11-24T09:00:00+01:00"
RESULTS_AT = "2026-11-27T11:00"
RESULTS_AT_JSON = "2026-11-27T11:00:00+01:00"


NON_MEDICAL = [RECEPTION, SCHOOL, PRESCHOOL, BVC, COORDINATOR, ADMIN]
NOT_YET_MEDICAL = NON_MEDICAL + [SCHOOL_HEALTH]  # school health before consent and copy
LEARNS_TIME_AND_OBSTACLE = [RECEPTION, SCHOOL, PRESCHOOL]

# What each role may itself do to the child after the scenario, with the exit code it gets:
# the output of its own event must not carry the markers either.
OWN_EVENTS = {
    RECEPTION: [(("change_arrival", "--set", "arrival=2026-11-30"), 0), (("notify_parties",), 0)],
    SCHOOL: [(("invite_intro_meeting",), 0), (("hold_intro_meeting",), 0)],
    PRESCHOOL: [(("invite_intro_meeting",), 0)],
    SCHOOL_HEALTH: [(("request_records",), 0)],
    BVC: [(("assess_vaccinations", "--set", "status=missing"), 1)],  # vacc 2: a 7-year-old in school
    COORDINATOR: [(("close", "--set", f"reason={ATTEMPT_REASON}"), 0)],
    ADMIN: [(("notify_parties",), 1)],
}
# Events a role may not apply, carrying confidential text of its own: refused, never echoed.
FORBIDDEN_WITH_TEXT = [
    ("record_results", "--set", "obstacle=no", "--set", f"note={ATTEMPT_NOTE}"),
    ("hold_examination", "--set", f"note={ATTEMPT_NOTE}"),
    ("postpone_start", "--set", f"reason={ATTEMPT_REASON}"),  # school/preschool: wrong state
    ("decline", "--set", f"reason={ATTEMPT_REASON}"),  # reception: an examined child
]


def found(text_: str, markers=MARKERS + (PREFIX,)) -> list[str]:
    """The markers in a text, also where a table wrapped or framed them."""
    flat = re.sub(r"[\s│┃|─━]", "", text_)
    return [m for m in markers if m in text_ or m in flat]


def assert_clean(result, what: str) -> None:
    leaked = found(result.out) + found(result.err)
    assert not leaked, f"{what}: {leaked} in output\nstdout: {result.out}\nstderr: {result.err}"


def ok(result):
    assert result.code == 0, (result.code, result.out, result.err)
    return result


class Scenario:
    def __init__(self, run, url):
        self.run, self.url = run, url
        self.outputs: list[tuple[str, tuple, object]] = []  # (user, args, Result) of every event

    def cmd(self, *args, user, now=READ_NOW, json_output=True):
        return self.run(*args, db=self.url, user=user, now=now, json_output=json_output)

    def event(self, case_id, *args, user, now, expect=0):
        result = self.cmd("case", "event", case_id, *args, user=user, now=now)
        self.outputs.append((user, args, result))
        assert result.code == expect, (user, args, result.code, result.out, result.err)
        return result

    def register(self, *options):
        result = ok(self.cmd("case", "register", "--birth-date", BORN.isoformat(), "--municipality", "Östersund",
                             "--school", SCHOOL, "--preschool", PRESCHOOL, "--arrival", "2026-11-25",
                             "--language", "ti", "--interpreter", *options, user=RECEPTION, now=REGISTERED))
        return result.data["id"]


@pytest.fixture
def scenario(run, cli_db):
    """Child A through the whole health track; child B declined and closed, both with markers."""
    s = Scenario(run, cli_db)
    s.a = s.register("--name", "Testbarn Påhittadsson")
    s.b = s.register("--name", "Prövbarn Låtsasdotter")
    a, b = s.a, s.b
    s.event(a, "notify_parties", user=RECEPTION, now="2026-11-23T10:30")
    s.event(b, "notify_parties", user=RECEPTION, now="2026-11-23T10:35")
    s.event(a, "book_health_conversation", "--set", f"start={BOOKED_START}", user=HC, now="2026-11-23T14:00")
    s.event(a, "hold_health_conversation", user=HC, now="2026-11-24T10:00")
    s.event(a, "record_results", "--set", "obstacle=yes", "--set", f"note={RESULTS_NOTE}", user=HC,
            now=RESULTS_AT)
    s.event(a, "book_examination", "--set", "start=2026-12-01T09:00", user=HC, now="2026-11-27T11:15")
    s.event(a, "hold_examination", "--set", f"note={EXAM_NOTE}", user=HC, now="2026-12-01T10:00")
    s.event(b, "decline", "--set", f"reason={DECLINE_REASON}", user=HC, now="2026-11-23T15:00")
    s.event(b, "close", "--set", f"reason={CLOSE_REASON}", user=RECEPTION, now="2026-11-24T09:00")
    return s


LOG_READERS = ("hc-lugnvik", "region-coordinator", "admin")  # tests/security/test_reads.py: the others refused


def every_read(s: Scenario, user: str, forms=(True, False)) -> list[tuple[str, object]]:
    """Every read command on both children, as `user`, in JSON and/or human form."""
    reads = []
    for json_output in forms:
        form = "json" if json_output else "human"
        for case_id in (s.a, s.b):
            reads.append((f"case show {case_id} ({form})",
                          s.cmd("case", "show", case_id, user=user, json_output=json_output)))
            reads.append((f"case history {case_id} ({form})",
                          s.cmd("case", "history", case_id, user=user, json_output=json_output)))
            access_log = s.cmd("case", "history", case_id, "--reads", user=user, json_output=json_output)
            if user in LOG_READERS:  # the access log: the case's centre, coordinators and admins only
                reads.append((f"case history --reads {case_id} ({form})", access_log))
            else:
                assert access_log.code == 1 and access_log.out.count("\n") <= 1, (user, access_log.out)
        reads.append((f"case list ({form})", s.cmd("case", "list", user=user, json_output=json_output)))
        reads.append((f"case list --overdue ({form})",
                      s.cmd("case", "list", "--overdue", user=user, json_output=json_output)))
    for what, result in reads:
        assert result.code == 0, (user, what, result.out, result.err)
    return reads


def audit_rows(url: str) -> list[dict]:
    with db.engine(url).connect() as conn:
        return [dict(row) for row in conn.execute(text("SELECT * FROM audit_trail ORDER BY id")).mappings()]


# --- the markers are really there (otherwise the checks below prove nothing) -------------------


def test_the_health_centre_reads_the_notes_and_reasons(scenario):
    s = scenario
    a = ok(s.cmd("case", "show", s.a, user=HC)).data
    assert a["results"]["note"] == RESULTS_NOTE
    assert a["examination"]["note"] == EXAM_NOTE
    assert a["results"]["obstacle"] is True
    b = ok(s.cmd("case", "show", s.b, user=HC)).data
    assert DECLINE_REASON in b["reasons"] and CLOSE_REASON in b["reasons"]
    listed = {case["id"]: case for case in ok(s.cmd("case", "list", user=HC)).data}
    assert listed[s.a]["results"]["note"] == RESULTS_NOTE
    assert listed[s.a]["examination"]["note"] == EXAM_NOTE
    # the HC's own event prints the case as the HC sees it
    recorded = next(r for u, args, r in s.outputs if args[0] == "record_results")
    assert recorded.data["results"]["note"] == RESULTS_NOTE


# --- no other role, on no path ---------------------------------------------------------------


@pytest.mark.parametrize("json_output", [True, False], ids=["json", "human"])
@pytest.mark.parametrize("user", NOT_YET_MEDICAL)
def test_no_path_shows_the_markers_to(scenario, user, json_output):
    """Reads, the role's own events, and its refused attempts: in JSON, or as staff read them."""
    s = scenario
    for what, result in every_read(s, user, forms=(json_output,)):
        assert_clean(result, f"{user}: {what}")
        if json_output and what.startswith("case show"):
            assert_no_medical_keys(user, [result.data])
        elif json_output and what.startswith("case list"):
            assert_no_medical_keys(user, result.data)

    before = snapshot(s.url)
    for args in FORBIDDEN_WITH_TEXT:
        result = s.cmd("case", "event", s.a, *args, user=user, json_output=json_output)
        assert_one_line_error(result, 1, json_output=json_output)
        leaked = found(result.out + result.err, MARKERS + (ATTEMPT_NOTE, ATTEMPT_REASON))
        assert not leaked, (user, args, result.out, result.err)
    assert snapshot(s.url) == before, "a refused event changed the database"

    for args, expect in OWN_EVENTS[user]:
        result = s.cmd("case", "event", s.a, *args, user=user, json_output=json_output)
        assert result.code == expect, (user, args, result.code, result.out, result.err)
        assert_clean(result, f"{user}: case event {' '.join(args)}")
        if json_output and expect == 0:
            assert_no_medical_keys(user, [result.data])


def assert_no_medical_keys(user: str, views: list[dict]) -> None:
    """The contract: for every other role, `results` holds `received_at` and `obstacle` and nothing else.

    BVC and school health keep their own records of the catch-up doses they give (vacc 2)."""
    own_records = {"vaccines_given", "referrals"} if user in ("ostersund-bvc", "ostersund-school-health") else set()
    for view in views:
        assert set(view["results"]) == {"received_at", "obstacle"}, (user, view["results"])
        forbidden = {"examination", "notes", "reasons", "vaccines_given", "referrals"} - own_records
        assert not forbidden & set(view), (user, sorted(view))


def test_the_overdue_list_is_really_read(scenario):
    """The `--overdue` path is only tested if child A is on it (inform_family is past due)."""
    s = scenario
    for user in NOT_YET_MEDICAL + [HC]:
        assert s.a in [case["id"] for case in ok(s.cmd("case", "list", "--overdue", user=user)).data], user


def test_the_reception_units_own_events_in_the_scenario_print_no_markers(scenario):
    mine = [(args, r) for u, args, r in scenario.outputs if u == RECEPTION]
    assert [args[0] for args, _ in mine] == ["notify_parties", "notify_parties", "close"]
    for args, result in mine:
        assert_clean(result, f"{RECEPTION}: case event {' '.join(args)}")
        assert_no_medical_keys(RECEPTION, [result.data])


def test_the_health_centres_refusals_echo_no_confidential_text(scenario):
    """A wrong state, a missing key or a bad value: the note typed with it is not repeated."""
    s = scenario
    attempts = [
        (s.a, ("record_results", "--set", "obstacle=no", "--set", f"note={ATTEMPT_NOTE}"), 1),  # already in
        (s.a, ("hold_examination", "--set", f"note={ATTEMPT_NOTE}"), 1),  # already examined
        (s.b, ("decline", "--set", f"reason={ATTEMPT_REASON}"), 1),  # closed
        (s.a, ("record_results", "--set", f"note={ATTEMPT_NOTE}"), 2),  # obstacle missing
        (s.a, ("record_results", "--set", "obstacle=kanske", "--set", f"note={ATTEMPT_NOTE}"), 2),
    ]
    for case_id, args, code in attempts:
        result = s.cmd("case", "event", case_id, *args, user=HC)
        assert_one_line_error(result, code)
        leaked = found(result.out + result.err, MARKERS + (ATTEMPT_NOTE, ATTEMPT_REASON))
        assert not leaked, (args, result.out, result.err)


# --- what the reception unit, school and preschool do learn (step 7) -------------------------


@pytest.mark.parametrize("user", LEARNS_TIME_AND_OBSTACLE)
def test_the_time_that_results_are_in_and_the_obstacle_are_shown(scenario, user):
    s = scenario
    shown = ok(s.cmd("case", "show", s.a, user=user)).data
    listed = {case["id"]: case for case in ok(s.cmd("case", "list", user=user)).data}[s.a]
    for view in (shown, listed):
        assert view["bookings"]["health_conversation"] == BOOKED_START_JSON
        assert view["results"] == {"received_at": RESULTS_AT_JSON, "obstacle": True}
    human = ok(s.cmd("case", "show", s.a, user=user, json_output=False)).out
    assert "fre 27 nov 11:00" in human and "hinder: ja" in human


# --- the audit trail ------------------------------------------------------------------------


def test_the_audit_detail_never_holds_a_marker(scenario):
    s = scenario
    for user in NOT_YET_MEDICAL + [HC]:
        every_read(s, user)
    rows = audit_rows(s.url)
    events = {row["event"] for row in rows if row["action"] == "event"}
    assert {"record_results", "hold_examination", "decline", "close"} <= events
    details = [row["detail"] for row in rows if row["detail"] is not None]
    # the column is really read: the obstacle (not secret) is in the detail of record_results
    results_detail = [json.loads(row["detail"]) for row in rows if row["event"] == "record_results"]
    assert results_detail == [{"obstacle": "yes"}]
    for detail in details:
        assert not found(detail), detail
    for row in rows:
        assert not found(repr(row)), row


def test_the_markers_are_stored_only_with_the_notes(scenario):
    """Stored apart (events.Note): no other table holds the confidential text."""
    tables = snapshot(scenario.url)
    holding = {name for name, rows in tables.items() if found(" ".join(rows))}
    assert holding == {"case_note"}, holding


# --- school health: only with consent and the copy (step 6; OSL 12 kap. 2-3 §§) ----------------


def school_health_sees(s: Scenario) -> bool:
    shown = ok(s.cmd("case", "show", s.a, user=SCHOOL_HEALTH))
    return bool(found(shown.out))


def test_sharing_without_consent_is_refused_and_changes_nothing(scenario):
    s = scenario
    before = snapshot(s.url)
    for json_output in (True, False):
        result = s.cmd("case", "event", s.a, "share_with_school_health", user=HC, json_output=json_output)
        assert_one_line_error(result, 1, json_output=json_output)
        assert_clean(result, "refused share")
    assert snapshot(s.url) == before
    assert ok(s.cmd("case", "show", s.a, user=SCHOOL_HEALTH)).data["shared_with_school_health"] is None
    assert not school_health_sees(s)


def test_school_health_reads_the_notes_after_consent_and_the_copy_only(scenario):
    s = scenario
    assert not school_health_sees(s)
    consent = s.event(s.a, "record_consent", "--set", "given_by=guardian", "--set", "scope=school_health",
                      user=HC, now="2026-12-01T11:00")
    assert consent.data["consent"] == {"given_by": "guardian", "scope": "school_health",
                                       "at": "2026-12-01T11:00:00+01:00"}
    assert not school_health_sees(s), "consent alone is not the copy"
    s.event(s.a, "share_with_school_health", user=HC, now="2026-12-01T11:05")

    shown = ok(s.cmd("case", "show", s.a, user=SCHOOL_HEALTH)).data
    assert shown["results"]["note"] == RESULTS_NOTE
    assert shown["examination"]["note"] == EXAM_NOTE
    listed = {case["id"]: case for case in ok(s.cmd("case", "list", user=SCHOOL_HEALTH)).data}
    assert listed[s.a]["results"]["note"] == RESULTS_NOTE
    # the copy was of child A only: child B's reasons stay with the HC
    assert not found(ok(s.cmd("case", "show", s.b, user=SCHOOL_HEALTH)).out)
    assert not found(json.dumps(listed[s.b], ensure_ascii=False))


def test_the_copy_to_school_health_opens_nothing_to_the_others(scenario):
    s = scenario
    s.event(s.a, "record_consent", "--set", "given_by=god_man", "--set", "scope=school_health",
            user=HC, now="2026-12-01T11:00")
    s.event(s.a, "share_with_school_health", user=HC, now="2026-12-01T11:05")
    for user in NON_MEDICAL:
        for what, result in every_read(s, user):
            assert_clean(result, f"{user} after the copy: {what}")
