"""`screening overview`, the coordinator's screen, through the command line: JSON, the human view,
refusals, secrecy, and the watching screen's redraws and audit. Every child and text is invented."""

from __future__ import annotations

import io
import re
import time
from datetime import date, datetime

import pytest
from rich.console import Console

from screening.bootstrap import App, Clock
from screening.cli.watch import watch
from screening.clock import STOCKHOLM
from screening.directory import load_directory
from screening.services import users
from screening.storage import db
from screening.words import Words
from tests.e2e.support import ADMIN, COORDINATOR, HC, RECEPTION, SCHOOL_HEALTH, assert_one_line_error, register
from workflows.bookings import duration

RESULTS_NOTE = "MARKER-9c2e-PROVSVAR-HEPATIT"
DECLINE_REASON = "MARKER-9c2e-AVBOJT-ORSAK"
VIEW = "2026-12-02T10:00"  # Wednesday
HEADINGS = ("Översikt, hela regionen, ons 2 dec 10:00", "Förseningar och påminnelser", "Hela regionen",
            "Längst väntande", "Dagens bokningar")


def ok(result):
    assert result.code == 0, (result.code, result.out, result.err)
    return result


@pytest.fixture
def scenario(run, cli_db) -> dict[str, str]:
    """P: results with a confidential note, the family and reception not told (breached since 11-26),
    its examination booked for today. Q: arrived 10-01, declined with a reason, no school start
    (a missed target since 11-01; the school track goes on after a decline)."""
    def event(case_id: str, name: str, now: str, user: str, *sets: str) -> None:
        ok(run("case", "event", case_id, name, *[arg for s in sets for arg in ("--set", s)], db=cli_db, user=user,
               now=now))

    p = register(run, cli_db, now="2026-11-23T09:00")
    event(p, "notify_parties", "2026-11-23T09:00", RECEPTION)
    event(p, "book_health_conversation", "2026-11-23T10:00", HC, "start=2026-11-24T09:00")
    event(p, "hold_health_conversation", "2026-11-24T10:00", HC)
    event(p, "record_results", "2026-11-25T09:00", HC, "obstacle=yes", f"note={RESULTS_NOTE}")
    event(p, "book_examination", "2026-11-25T09:30", HC, "start=2026-12-02T10:30")
    q = register(run, cli_db, "--arrival", "2026-10-01", now="2026-11-23T09:00")
    event(q, "notify_parties", "2026-11-23T09:00", RECEPTION)
    event(q, "decline", "2026-11-24T09:00", HC, f"reason={DECLINE_REASON}")
    return {"db": cli_db, "p": p, "q": q}


def list_reads(url: str) -> list[str]:
    conn = db.connect_raw(url)
    try:
        return [r["case_id"] for r in conn.all("SELECT case_id FROM audit_trail WHERE action = 'list' ORDER BY id")]
    finally:
        conn.close()


def test_the_coordinator_gets_the_overview_as_one_json_document(run, scenario):
    p, q = scenario["p"], scenario["q"]
    examination = duration(load_directory(None).get(HC).appointments, "examination", False)

    data = ok(run("overview", db=scenario["db"], user=COORDINATOR, now=VIEW)).data

    assert data == {
        "at": "2026-12-02T10:00:00+01:00",
        "breaches": [{"municipality": "Östersund", "health_centre": HC, "breaches": 2, "missed_targets": 1,
                      "reminders": 0, "unacknowledged_alerts": 0}],
        "total": {"breaches": 2, "missed_targets": 1, "reminders": 0, "unacknowledged_alerts": 0},
        "oldest": [
            {"case": q, "municipality": "Östersund", "health_centre": HC, "rule": "school_start", "owner": "school",
             "due_date": "2026-11-01", "days_overdue": 31},
            {"case": p, "municipality": "Östersund", "health_centre": HC, "rule": "inform_family",
             "owner": "health_centre", "due_date": "2026-11-26", "days_overdue": 6},
        ],
        "bookings_today": [{"start": "2026-12-02T10:30:00+01:00",
                            "end": (datetime(2026, 12, 2, 10, 30, tzinfo=STOCKHOLM) + examination).isoformat(),
                            "health_centre": HC, "kind": "examination", "case": p, "interpreter": False}],
    }
    assert sorted(list_reads(scenario["db"])) == sorted([p, q])  # P listed twice on the screen, read once
    assert ok(run("overview", "--oldest", "1", db=scenario["db"], user=ADMIN, now=VIEW)).data["oldest"][0]["case"] == q


def test_the_human_view_reads_in_swedish_with_steps_parties_and_centres_in_words(run, scenario):
    result = ok(run("overview", db=scenario["db"], user=COORDINATOR, now=VIEW, json_output=False))

    for heading in HEADINGS:
        assert heading in result.out
    for case_id in (scenario["p"], scenario["q"]):
        assert case_id in result.out
    for label in ("informera familjen", "skolstart", "läkarundersökning", "Hälsocentralen Lugnvik"):
        assert label in result.out
    for code in ("inform_family", "school_start", "examination", "hc-lugnvik", "(overview)"):
        assert code not in result.out
    assert result.err == ""


@pytest.mark.parametrize("json_output", [True, False])
def test_a_reception_user_is_refused_with_exit_1(run, scenario, json_output):
    result = run("overview", db=scenario["db"], user=RECEPTION, now=VIEW, json_output=json_output)

    error = assert_one_line_error(result, 1, json_output=json_output)
    if json_output:
        assert error["code"] == "refused"
    assert list_reads(scenario["db"]) == []


def test_watch_with_json_is_bad_input_exit_2(run, cli_db):
    error = assert_one_line_error(run("overview", "--watch", db=cli_db, user=COORDINATOR, now=VIEW), 2)
    assert error["code"] == "bad_input"


def test_no_note_or_reason_ever_reaches_the_overview(run, scenario):
    for user in (COORDINATOR, ADMIN):
        for json_output in (True, False):
            result = ok(run("overview", db=scenario["db"], user=user, now=VIEW, json_output=json_output))
            text = result.out + result.err
            flat = re.sub(r"[\s│┃|─━]", "", text)  # also where a table wrapped it
            assert "MARKER" not in text and "MARKER" not in flat, text
            assert "hinder" not in text and "obstacle" not in text


def test_a_watching_screen_redraws_until_ctrl_c_and_audits_each_case_once(scenario):
    calls = []

    class Ticking(Clock):
        def now(self) -> datetime:
            calls.append(1)
            if len(calls) == 3:
                raise KeyboardInterrupt
            return datetime(2026, 12, 2, 10, len(calls), tzinfo=STOCKHOLM)

    screen = Console(file=io.StringIO(), width=200, highlight=False)
    app = App(scenario["db"], clock=Ticking())
    try:
        returned = watch(app, users.identify(app, COORDINATOR), Words("sv", today=date(2026, 12, 2)),
                         oldest=10, every=0.001, console=screen)
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C escaped the watching screen")

    assert returned is None and len(calls) == 3
    drawn = screen.file.getvalue()
    assert drawn.count("Översikt, hela regionen") == 2
    assert "ons 2 dec 10:01" in drawn and "ons 2 dec 10:02" in drawn
    assert sorted(list_reads(scenario["db"])) == sorted([scenario["p"], scenario["q"]])


def test_overview_watch_on_the_command_line_stops_cleanly_on_ctrl_c(run, scenario, monkeypatch):
    naps = []

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(time, "sleep", sleep)
    try:
        result = run("overview", "--watch", "--every", "5", db=scenario["db"], user=COORDINATOR, now=VIEW,
                     json_output=False)
    except KeyboardInterrupt:
        pytest.fail("Ctrl-C escaped the command")

    assert (result.code, result.err, naps) == (0, "", [5.0, 5.0])
    assert result.out.count("Längst väntande") == 2
    assert sorted(list_reads(scenario["db"])) == sorted([scenario["p"], scenario["q"]])


def test_a_watching_screen_refuses_a_school_health_user_at_once(run, cli_db):
    result = run("overview", "--watch", db=cli_db, user=SCHOOL_HEALTH, now=VIEW, json_output=False)
    assert_one_line_error(result, 1, json_output=False)
