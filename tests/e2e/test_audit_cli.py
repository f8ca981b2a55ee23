"""Every event and every read of a case is in its audit trail, which can only grow."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import exc, text

from screening.clock import STOCKHOLM
from screening.storage import db
from tests.e2e.conftest import snapshot
from tests.e2e.support import HISTORY_KEYS, NOW, register

COORDINATOR = "region-coordinator"


def trail(run, url, case_id, *options, now=NOW) -> list[dict]:
    result = run("case", "history", case_id, *options, db=url, user=COORDINATOR, now=now)
    assert result.code == 0, result.err
    return result.data


def test_every_read_of_a_case_is_in_its_history_with_reads(run, cli_db):
    case_id = register(run, cli_db)
    assert run("case", "show", case_id, db=cli_db, user="hc-lugnvik", now=NOW).code == 0
    assert run("case", "list", db=cli_db, user="ostersund-reception", now=NOW).code == 0

    entries = trail(run, cli_db, case_id, "--reads")

    who = [(e["event"], e["user"], e["org"]) for e in entries]
    assert who == [
        ("register", "ostersund-reception", "ostersund-reception"),
        ("show", "hc-lugnvik", "hc-lugnvik"),
        ("list", "ostersund-reception", "ostersund-reception"),
        ("history", COORDINATOR, COORDINATOR),
    ]
    for entry in entries:
        assert HISTORY_KEYS <= set(entry)


def test_history_without_reads_holds_only_the_events(run, cli_db):
    case_id = register(run, cli_db)
    run("case", "show", case_id, db=cli_db, user="hc-lugnvik", now=NOW)
    run("case", "list", db=cli_db, user="ostersund-reception", now=NOW)

    entries = trail(run, cli_db, case_id)

    assert [e["event"] for e in entries] == ["register"]
    assert HISTORY_KEYS <= set(entries[0])


def test_a_list_logs_a_read_of_each_listed_case_and_of_no_other(run, cli_db):
    ostersund = register(run, cli_db)
    krokom = register(run, cli_db, user="krokom-reception", municipality="Krokom")

    run("case", "list", db=cli_db, user="krokom-reception", now=NOW)

    assert [e["event"] for e in trail(run, cli_db, krokom, "--reads")] == ["register", "list", "history"]
    assert [e["event"] for e in trail(run, cli_db, ostersund, "--reads")] == ["register", "history"]


def test_reading_the_history_is_itself_logged(run, cli_db):
    case_id = register(run, cli_db)
    trail(run, cli_db, case_id)

    entries = trail(run, cli_db, case_id, "--reads")

    assert [e["event"] for e in entries] == ["register", "history", "history"]


def _real(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp)


def test_at_follows_the_clock_while_recorded_at_is_the_real_time(run, cli_db):
    past = "2024-01-05T09:00"  # far from the real time the test runs at
    case_id = register(run, cli_db, now=past)
    run("case", "show", case_id, db=cli_db, user="hc-lugnvik", now=past)
    started = datetime.now(timezone.utc)

    entries = trail(run, cli_db, case_id, "--reads", now=past)

    for entry in entries:
        assert entry["at"] == "2024-01-05T09:00:00+01:00"
        assert not entry["recorded_at"].startswith("2024-01-05")
        assert abs(_real(entry["recorded_at"]) - started) < timedelta(minutes=5)


def test_the_register_event_is_at_the_notice_time(run, cli_db):
    case_id = register(run, cli_db, "--notice-at", "2026-11-20T08:15")

    entry = trail(run, cli_db, case_id)[0]

    assert entry["event"] == "register"
    assert entry["at"] == "2026-11-20T08:15:00+01:00"
    assert abs(_real(entry["recorded_at"]) - datetime.now(timezone.utc)) < timedelta(minutes=5)


@pytest.mark.parametrize(("now", "expected"), [
    ("2026-01-15T10:00", "2026-01-15T10:00:00+01:00"),
    ("2026-07-01T10:00", "2026-07-01T10:00:00+02:00"),
    ("2026-03-29T03:30", "2026-03-29T03:30:00+02:00"),  # the first hour of summer time
    ("2026-10-25T01:30", "2026-10-25T01:30:00+02:00"),  # the last night of summer time
    ("2026-07-01T08:00:00+00:00", "2026-07-01T10:00:00+02:00"),
    ("2026-12-31T23:30:00Z", "2027-01-01T00:30:00+01:00"),
])
def test_times_carry_the_stockholm_offset_of_their_date(run, cli_db, now, expected):
    case_id = register(run, cli_db, now="2026-01-01T00:00")
    run("case", "show", case_id, db=cli_db, user="hc-lugnvik", now=now)

    show = trail(run, cli_db, case_id, "--reads")[1]

    assert show["event"] == "show"
    assert show["at"] == expected
    recorded = _real(show["recorded_at"])
    assert recorded.utcoffset() == recorded.astimezone(STOCKHOLM).utcoffset()
    assert recorded.utcoffset() in (timedelta(hours=1), timedelta(hours=2))


@pytest.mark.parametrize("statement", [
    "UPDATE audit SET user_no = user_no + 1",
    "UPDATE audit SET at = recorded_at",
    "DELETE FROM audit",
    "DELETE FROM audit WHERE kind = (SELECT no FROM audit_kind WHERE event = 'register')",
])
def test_the_audit_table_refuses_updates_and_deletes_on_both_backends(run, cli_db, statement):
    case_id = register(run, cli_db)
    run("case", "show", case_id, db=cli_db, user="hc-lugnvik", now=NOW)
    before = snapshot(cli_db)
    assert before["audit"], "the test needs audit rows to change"

    with pytest.raises(exc.DBAPIError, match="append-only"):
        with db.engine(cli_db).begin() as conn:
            conn.execute(text(statement))

    assert snapshot(cli_db) == before


def test_the_audit_table_still_accepts_new_rows_after_a_refused_change(run, cli_db):
    case_id = register(run, cli_db)
    with pytest.raises(exc.DBAPIError):
        with db.engine(cli_db).begin() as conn:
            conn.execute(text("DELETE FROM audit"))

    run("case", "show", case_id, db=cli_db, user="hc-lugnvik", now=NOW)

    assert [e["event"] for e in trail(run, cli_db, case_id, "--reads")] == ["register", "show", "history"]


def test_the_audit_table_refuses_truncate_on_postgresql(run, cli_db):
    if db.is_sqlite(cli_db):
        pytest.skip("SQLite has no TRUNCATE")
    register(run, cli_db)
    before = snapshot(cli_db)

    with pytest.raises(exc.DBAPIError, match="append-only"):
        with db.engine(cli_db).begin() as conn:
            conn.execute(text("TRUNCATE audit"))

    assert snapshot(cli_db) == before
