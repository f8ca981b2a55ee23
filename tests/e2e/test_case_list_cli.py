"""`case list` at a scale where one screen cannot hold it: pages, open cases, and what is overdue."""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.e2e.conftest import snapshot
from tests.e2e.support import NOW, assert_one_line_error, listed_ids, register

RECEPTION = "ostersund-reception"
COORDINATOR = "region-coordinator"
LATER = "2026-12-14T10:00"  # three weeks on: every step of a child not notified is past due


def children(run, db, count: int, *, now: str = NOW) -> list[str]:
    """`count` invented children, some with the same notice time (the id decides between them)."""
    ids = []
    for i in range(count):
        notice = f"2026-11-{16 + i // 2:02d}T09:00"  # two at each time
        ids.append(register(run, db, "--notice-at", notice, "--birth-date", date(2015, 1, 1 + i).isoformat(),
                            now=now))
    return ids


def event(run, db, case_id: str, name: str, *sets: str, user: str = RECEPTION, now: str = NOW):
    result = run("case", "event", case_id, name, *[f"--set={s}" for s in sets], db=db, user=user, now=now)
    assert result.code == 0, result.err
    return result.data


def walk(run, db, user: str, limit: int, *options: str, now: str = NOW) -> list[list[str]]:
    """Every page of the list, each from the last id of the one before."""
    pages, after = [], []
    while True:
        page = listed_ids(run, db, user, "--limit", str(limit), *after, *options, now=now)
        pages.append(page)
        if len(page) < limit:
            return pages
        after = ["--after", page[-1]]


def test_pages_walk_the_whole_list_once_in_its_order(run, cli_db):
    ids = children(run, cli_db, 7)
    whole = listed_ids(run, cli_db, RECEPTION)
    assert sorted(whole) == sorted(ids)
    assert [whole.index(i) // 2 for i in ids] == [0, 0, 1, 1, 2, 2, 3]  # by notice, then by id

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.integers(min_value=1, max_value=9))
    def paged(limit):
        pages = walk(run, cli_db, RECEPTION, limit)
        assert [i for page in pages for i in page] == whole
        assert all(len(page) == limit for page in pages[:-1])

    paged()


def test_a_page_is_all_that_is_read_and_recorded(run, cli_db):
    ids = children(run, cli_db, 5)
    whole = listed_ids(run, cli_db, RECEPTION)

    page = run("case", "list", "--limit", "2", "--after", whole[0], db=cli_db, user=RECEPTION, now=NOW)

    assert [case["id"] for case in page.data] == whole[1:3]
    for case_id in ids:
        trail = run("case", "history", case_id, "--reads", db=cli_db, user=COORDINATOR, now=NOW).data
        lists = [entry for entry in trail if entry["event"] == "list" and entry["user"] == RECEPTION]
        assert len(lists) == (2 if case_id in whole[1:3] else 1), case_id  # the whole list once, the page once


def test_a_full_page_says_where_the_next_one_starts(run, cli_db):
    children(run, cli_db, 3)
    whole = listed_ids(run, cli_db, RECEPTION)

    full = run("case", "list", "--limit", "2", db=cli_db, user=RECEPTION, now=NOW, json_output=False)
    last = run("case", "list", "--limit", "2", "--after", whole[1], db=cli_db, user=RECEPTION, now=NOW,
               json_output=False)

    assert full.code == 0 and last.code == 0
    assert f"--after {whole[1]}" in full.out
    assert "--after" not in last.out and whole[2] in last.out


def test_after_a_case_out_of_sight_is_answered_as_an_unknown_case(run, cli_db):
    (ostersund,) = children(run, cli_db, 1)
    before = snapshot(cli_db)

    for user, after in (("krokom-reception", ostersund), (RECEPTION, "SC-NOPE2345")):
        error = assert_one_line_error(run("case", "list", "--after", after, db=cli_db, user=user, now=NOW), 2)
        assert error["message"] == f"okänt ärende '{after}'"
    for limit in ("0", "-3", "lots"):
        assert_one_line_error(run("case", "list", "--limit", limit, db=cli_db, user=RECEPTION, now=NOW), 2)
    assert snapshot(cli_db) == before  # not even a read recorded


def test_open_leaves_out_the_cases_that_ended(run, cli_db):
    still, closed, moved, declined = children(run, cli_db, 4)
    event(run, cli_db, closed, "close", "reason=återvänt")
    event(run, cli_db, moved, "move_out", "reason=flyttat")
    event(run, cli_db, declined, "notify_parties")
    event(run, cli_db, declined, "decline", "reason=avböjt", user="hc-lugnvik")

    assert sorted(listed_ids(run, cli_db, RECEPTION, "--open")) == sorted([still, declined])
    assert sorted(listed_ids(run, cli_db, RECEPTION)) == sorted([still, closed, moved, declined])


def test_overdue_counts_only_steps_still_owed(run, cli_db):
    """As the sweep, the digest and the overview count: a case that ended, or a declined child's
    health steps, owe nothing more, even with a deadline that was never met."""
    waiting, closed_late, declined = children(run, cli_db, 3)
    for case_id in (waiting, closed_late, declined):
        event(run, cli_db, case_id, "notify_parties")
    assert listed_ids(run, cli_db, COORDINATOR, "--overdue", now=NOW) == []
    assert sorted(listed_ids(run, cli_db, COORDINATOR, "--overdue", now=LATER)) == sorted(
        [waiting, closed_late, declined])  # the bookings are past due

    event(run, cli_db, closed_late, "close", "reason=återvänt", now=LATER)
    event(run, cli_db, declined, "decline", "reason=avböjt", user="hc-lugnvik", now=LATER)

    assert listed_ids(run, cli_db, COORDINATOR, "--overdue", now=LATER) == [waiting]
    assert listed_ids(run, cli_db, COORDINATOR, "--overdue", "--open", "--limit", "1", now=LATER) == [waiting]


def test_a_list_read_a_few_cases_at_a_time_is_the_same_text(run, cli_db, monkeypatch):
    """A long list is read and written a chunk at a time: the JSON is the same to the byte, and
    every case is recorded as read once, before the first is shown."""
    from screening.storage import queries

    ids = children(run, cli_db, 5)
    event(run, cli_db, ids[1], "notify_parties")
    whole = run("case", "list", db=cli_db, user=RECEPTION, now=NOW)
    monkeypatch.setattr(queries, "LIST_CHUNK", 2)

    chunked = run("case", "list", db=cli_db, user=RECEPTION, now=NOW)

    assert chunked.code == 0, chunked.err
    assert chunked.out == whole.out and len(chunked.data) == 5
    for case_id in ids:
        trail = run("case", "history", case_id, "--reads", db=cli_db, user=COORDINATOR, now=NOW).data
        assert sum(entry["event"] == "list" for entry in trail) == 2, case_id  # one for each list


def test_a_list_cut_off_midway_ends_unfinished_and_says_so(run, cli_db, monkeypatch):
    """The database gone after the first chunk: exit 2, one line on stderr, and the array left
    unended (no second JSON document after it): a reader cannot take it for the whole list."""
    import sqlite3

    from screening.storage import queries

    children(run, cli_db, 5)
    monkeypatch.setattr(queries, "LIST_CHUNK", 2)
    real, calls = queries.ReadModel._read_cases, []

    def gone_after_one(self, actor, ids):
        calls.append(ids)
        if len(calls) > 1:
            raise sqlite3.OperationalError("disk I/O error")
        return real(self, actor, ids)

    monkeypatch.setattr(queries.ReadModel, "_read_cases", gone_after_one)
    result = run("case", "list", db=cli_db, user=RECEPTION, now=NOW)

    assert result.code == 2 and "Traceback" not in result.err and len(result.err.splitlines()) == 1
    assert "databasfel: disk I/O error" in result.err
    assert result.out.startswith("[{") and not result.out.rstrip().endswith("]")
    with pytest.raises(json.JSONDecodeError):
        json.loads(result.out)


def test_on_an_80_column_terminal_every_case_id_is_shown_whole(run, cli_db, monkeypatch):
    """Seen on a laptop's terminal: ids cut as 'SC-8358…' could not be typed back."""
    from rich.console import Console

    from screening.cli import render

    ids = [register(run, cli_db, "--dossier", f"33-00000{n}", "--language", "ti", "--interpreter") for n in range(3)]
    narrow = Console(width=80, file=io.StringIO(), highlight=False, markup=False, emoji=False)
    monkeypatch.setattr(render, "console", lambda: narrow)
    result = run("case", "list", db=cli_db, user="ostersund-reception", now=NOW, json_output=False)
    assert result.code == 0, result.err
    shown = narrow.file.getvalue()
    assert all(case_id in shown for case_id in ids), shown
    assert max(len(line) for line in shown.splitlines()) <= 80
