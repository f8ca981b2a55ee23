"""`screening outbox send | list | retry` as a coordinator types them; refused for anyone else."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from notifications.outbox import LONGEST_WAIT, MAX_ATTEMPTS
from tests.e2e.conftest import snapshot
from tests.e2e.support import ADMIN, COORDINATOR, HC, RECEPTION, SCHOOL, assert_one_line_error, register

NOW = "2026-11-16T10:00"
LISTED = {"id", "key", "topic", "case", "status", "attempts", "created_at", "next_attempt_at", "sent_at",
          "last_error"}


def notified(run, db: str) -> str:
    case_id = register(run, db, "--school", SCHOOL, now="2026-11-16T09:00")
    result = run("case", "event", case_id, "notify_parties", db=db, user=RECEPTION, now=NOW)
    assert result.code == 0, result.err
    return case_id


def test_the_coordinator_lists_the_queued_messages_sends_them_and_sees_them_sent(run, cli_db, tmp_path):
    case_id = notified(run, cli_db)
    queued = run("outbox", "list", db=cli_db, user=COORDINATOR, now=NOW)
    assert queued.code == 0, queued.err
    rows = json.loads(queued.out)
    assert [(r["key"], r["case"], r["status"]) for r in rows] == [
        (f"notify_parties:{case_id}:2:health_centre", case_id, "queued"),
        (f"notify_parties:{case_id}:2:school", case_id, "queued")]
    assert set(rows[0]) == LISTED and rows[0]["created_at"].endswith(("+01:00", "+02:00"))  # the real time written

    folder = tmp_path / "eml"
    sent = run("outbox", "send", "--dir", str(folder), db=cli_db, user=COORDINATOR, now=NOW)
    assert json.loads(sent.out) == {"sent": 2}
    assert sorted(p.name for p in folder.iterdir()) == [
        f"notify_parties-{case_id}-2-health_centre.eml", f"notify_parties-{case_id}-2-school.eml"]
    listed = json.loads(run("outbox", "list", "--status", "sent", db=cli_db, user=COORDINATOR, now=NOW).out)
    assert [(r["status"], r["attempts"], r["sent_at"]) for r in listed] == [("sent", 1, "2026-11-16T10:00:00+01:00")] * 2
    assert json.loads(run("outbox", "list", "--status", "queued", db=cli_db, user=ADMIN, now=NOW).out) == []


def test_a_dead_message_is_retried_by_the_coordinator(run, cli_db, tmp_path):
    notified(run, cli_db)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")  # every attempt fails: no folder to write to
    start = datetime(2026, 11, 16, 10, 0)
    for attempt in range(MAX_ATTEMPTS):  # six hours apart: every retry is due
        run("outbox", "send", "--dir", str(blocked), db=cli_db, user=COORDINATOR,
            now=(start + attempt * LONGEST_WAIT).isoformat(timespec="minutes"))
    dead = json.loads(run("outbox", "list", "--status", "dead", db=cli_db, user=COORDINATOR, now=NOW).out)
    assert len(dead) == 2 and all(r["last_error"] and r["next_attempt_at"] is None for r in dead)

    retried = run("outbox", "retry", str(dead[0]["id"]), db=cli_db, user=COORDINATOR, now=NOW)
    assert json.loads(retried.out) == {"id": dead[0]["id"], "status": "queued"}
    folder = tmp_path / "eml"
    assert json.loads(run("outbox", "send", "--dir", str(folder), db=cli_db, user=COORDINATOR,
                          now="2026-11-18T10:00").out) == {"sent": 1}


@pytest.mark.parametrize("args", [("list",), ("send",), ("retry", "1")])
@pytest.mark.parametrize("user", [RECEPTION, HC, SCHOOL])
def test_the_outbox_is_the_coordinators_and_the_admins_only(run, cli_db, user, args):
    notified(run, cli_db)
    before = snapshot(cli_db)
    assert_one_line_error(run("outbox", *args, db=cli_db, user=user, now=NOW), 1)
    assert snapshot(cli_db) == before


def test_bad_outbox_input_is_one_line_and_exit_2(run, cli_db):
    assert_one_line_error(run("outbox", "list", "--status", "lost", db=cli_db, user=COORDINATOR, now=NOW), 2)
    assert_one_line_error(run("outbox", "retry", "999", db=cli_db, user=COORDINATOR, now=NOW), 2)
    queued_id = json.loads(run("outbox", "list", db=cli_db, user=COORDINATOR, now=NOW).out)
    assert queued_id == []
    notified(run, cli_db)
    [first, _] = json.loads(run("outbox", "list", db=cli_db, user=COORDINATOR, now=NOW).out)
    assert_one_line_error(run("outbox", "retry", str(first["id"]), db=cli_db, user=COORDINATOR, now=NOW), 1)


def test_the_admin_prunes_the_messages_sent_long_ago_and_no_one_else_may(run, cli_db, tmp_path):
    notified(run, cli_db)
    assert run("outbox", "send", "--dir", str(tmp_path / "eml"), db=cli_db, user=COORDINATOR, now=NOW).code == 0
    notified(run, cli_db)  # two more, still queued
    before = snapshot(cli_db)

    for user in (COORDINATOR, RECEPTION, HC):
        assert_one_line_error(run("outbox", "prune", db=cli_db, user=user, now=NOW), 1)
    for days in ("1", "0", "many"):
        assert_one_line_error(run("outbox", "prune", "--keep-days", days, db=cli_db, user=ADMIN, now=NOW), 2)
    assert snapshot(cli_db) == before

    kept = run("outbox", "prune", db=cli_db, user=ADMIN, now="2027-02-13T10:00")  # 89 days on: default 90 kept
    assert json.loads(kept.out) == {"pruned": 0}
    pruned = run("outbox", "prune", "--keep-days", "30", db=cli_db, user=ADMIN, now="2027-02-13T10:00")
    assert json.loads(pruned.out) == {"pruned": 2}
    statuses = [r["status"] for r in json.loads(run("outbox", "list", db=cli_db, user=ADMIN, now=NOW).out)]
    assert statuses == ["queued", "queued"]
