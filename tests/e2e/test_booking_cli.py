"""`screening case book` and `screening calendar free` as health-centre staff type them."""

from __future__ import annotations

import json

import pytest

from tests.e2e.conftest import snapshot
from tests.e2e.support import COORDINATOR, HC, RECEPTION, assert_one_line_error, register

NOTIFIED = "2026-11-23T09:30"


def notified(run, db: str, *options: str) -> str:
    case_id = register(run, db, *options, now="2026-11-23T09:00")
    assert run("case", "event", case_id, "notify_parties", db=db, user=RECEPTION, now=NOTIFIED).code == 0
    return case_id


def test_auto_books_the_earliest_free_time_through_the_booking_event(run, cli_db):
    case_id = notified(run, cli_db, "--interpreter", "--language", "ar")
    result = run("case", "book", case_id, "--auto", db=cli_db, user=HC, now="2026-11-23T11:00")
    assert result.code == 0, result.err
    document = json.loads(result.out)  # two hours' lead: not 11:00 nor the morning's last times
    assert document["booking"] == {"kind": "conversation", "start": "2026-11-23T13:00:00+01:00",
                                   "end": "2026-11-23T14:30:00+01:00", "in_time": True}  # 90 min: an interpreter
    assert document["case"]["tracks"]["health"] == "conversation_booked"
    assert document["case"]["bookings"]["health_conversation"] == "2026-11-23T13:00:00+01:00"
    assert result.err == ""


def test_a_time_given_is_booked_and_after_the_deadline_it_warns_at_once(run, cli_db):
    case_id = notified(run, cli_db)
    result = run("case", "book", case_id, "--start", "2026-12-02T09:00", db=cli_db, user=HC, now="2026-11-24T09:00")
    assert result.code == 0, result.err
    assert json.loads(result.out)["booking"]["in_time"] is False
    assert result.err == ("screening: varning: tiden som valdes ligger efter tidsfristen (mån 30 nov); "
                          "hälsocentralen och samordnarna har fått en varning\n")  # chosen: nothing was looked for
    alerts = json.loads(run("alerts", db=cli_db, user=COORDINATOR, now="2026-11-24T09:00").out)
    assert [(a["case"], a["rule"], a["kind"]) for a in alerts] == [(case_id, "book_health_conversation", "warning")]


def test_free_times_follow_the_hours_and_leave_out_what_is_full(run, cli_db):
    free = json.loads(run("calendar", "free", "--health-centre", "hc-lugnvik", "--from", "2026-11-24T00:00",
                          "--days", "1", db=cli_db, user=HC, now="2026-11-24T08:00").out)
    assert free[0] == {"start": "2026-11-24T08:30:00+01:00", "end": "2026-11-24T09:30:00+01:00"}
    assert free[-1]["end"] == "2026-11-24T11:30:00+01:00"  # Tuesday: 08:30-11:30 only
    for _ in range(3):  # room for 3 at once
        case_id = notified(run, cli_db)
        assert run("case", "book", case_id, "--start", "2026-11-24T08:30", db=cli_db, user=HC,
                   now="2026-11-24T08:00").code == 0
    after = json.loads(run("calendar", "free", "--health-centre", "hc-lugnvik", "--from", "2026-11-24T00:00",
                           "--days", "1", db=cli_db, user=HC, now="2026-11-24T08:00").out)
    assert after[0]["start"] == "2026-11-24T09:30:00+01:00"


@pytest.mark.parametrize("args, code", [
    (("--auto", "--start", "2026-11-25T09:00"), 2),
    ((), 2),
    (("--start", "next tuesday"), 2),
    (("--start", "2026-11-23T08:45"), 2),  # before the notice (09:00) was registered
])
def test_bad_booking_input_is_one_line_and_changes_nothing(run, cli_db, args, code):
    case_id = notified(run, cli_db)
    before = snapshot(cli_db)
    assert_one_line_error(run("case", "book", case_id, *args, db=cli_db, user=HC, now="2026-11-24T09:00"), code)
    assert snapshot(cli_db) == before


def test_only_the_health_centre_books(run, cli_db):
    case_id = notified(run, cli_db)
    before = snapshot(cli_db)
    assert_one_line_error(run("case", "book", case_id, "--auto", db=cli_db, user=RECEPTION, now="2026-11-24T09:00"), 1)
    assert snapshot(cli_db) == before
    assert_one_line_error(run("calendar", "free", "--health-centre", "ostersund-reception", db=cli_db, user=HC,
                              now="2026-11-24T09:00"), 2)


def test_the_calendar_export_is_the_centres_bookings_as_icalendar(run, cli_db, tmp_path):
    import vobject

    case_id = notified(run, cli_db, "--name", "Amira Hassan")
    assert run("case", "book", case_id, "--start", "2026-11-25T09:00", db=cli_db, user=HC, now="2026-11-24T09:00").code == 0
    out = tmp_path / "lugnvik.ics"
    assert run("calendar", "export", "--health-centre", "hc-lugnvik", "--out", str(out), db=cli_db, user=HC,
               now="2026-11-24T09:00", json_output=False).code == 0
    calendar = vobject.readOne(out.read_text(encoding="utf-8"))
    [entry] = calendar.vevent_list
    assert entry.summary.value.endswith(f"{case_id} (A. H.)") and "Amira" not in out.read_text(encoding="utf-8")
    assert entry.dtstart.value.isoformat() == "2026-11-25T09:00:00+01:00"
    assert not hasattr(calendar, "method")  # a stored calendar object carries no METHOD


def test_only_the_centres_own_staff_and_the_coordinators_export_its_calendar(run, cli_db):
    assert_one_line_error(run("calendar", "export", "--health-centre", "hc-lugnvik", db=cli_db, user="hc-odensala",
                              now="2026-11-24T09:00"), 1)
    assert run("calendar", "export", "--health-centre", "hc-lugnvik", "--out", "/dev/null", db=cli_db,
               user=COORDINATOR, now="2026-11-24T09:00").code == 0


def test_a_booking_event_before_the_notice_is_refused_and_changes_nothing(run, cli_db):
    case_id = notified(run, cli_db)
    before = snapshot(cli_db)
    error = assert_one_line_error(run("case", "event", case_id, "book_health_conversation",
                                      "--set", "start=2026-11-20T10:00", db=cli_db, user=HC, now="2026-11-24T09:00"), 2)
    assert error["message"] == "starttiden ligger före registreringen av anmälan"
    assert snapshot(cli_db) == before


def test_a_time_given_on_a_weekend_is_refused_unless_forced(run, cli_db):
    case_id = notified(run, cli_db)
    before = snapshot(cli_db)
    saturday = ("case", "book", case_id, "--start", "2026-11-28T10:00")
    error = assert_one_line_error(run(*saturday, db=cli_db, user=HC, now="2026-11-24T09:00"), 1)
    assert "ligger utanför mottagningstiderna" in error["message"]
    assert snapshot(cli_db) == before
    forced = run(*saturday, "--force", db=cli_db, user=HC, now="2026-11-24T09:00")
    assert forced.code == 0, forced.err
    assert json.loads(forced.out)["booking"]["start"] == "2026-11-28T10:00:00+01:00"
