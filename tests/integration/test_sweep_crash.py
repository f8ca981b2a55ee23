"""The kill test: a sweep process killed at random moments leaves nothing half done.

About 300 invented cases whose deadlines fall due over a week; a sweep runs in a separate
process and is SIGKILLed after a random delay, day after day (a process that has imported the
package once forks each sweeper, which starts its sweep on a word from the test, so the delay
counts from the sweep's start); then one sweep runs to the end through the `screening` command.
Whatever the kills interrupted, every deadline past due then has exactly one breach or warning,
and every alert is handed to the outbox once.

The delays are drawn from a seeded generator in 0-300 ms, skewed towards short ones (a sweep of
this size takes tens of milliseconds, so a uniform draw would mostly kill after the commit).
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from datetime import date, datetime
from pathlib import Path

import cli
from screening import clock
from screening.clock import STOCKHOLM
from screening.directory import load_directory
from screening.services.events import record_event
from screening.services.registration import Registration, new_case_id, register_in
from screening.services.users import actor_in, store_directory
from tests.conftest import make_simulation
from screening.storage import migrate
from screening.storage.unit_of_work import SqlUnitOfWork
from workflows.policy import Policy

ROOT = Path(__file__).resolve().parents[2]
POLICY = Policy.default()
COORDINATOR = "region-coordinator"
RECEPTION = "ostersund-reception"
HC = "hc-lugnvik"
COPIES = 25  # of each of the 12 template cases: 300 cases
SEED = 20261130
WARNINGS = {name for name, rule in POLICY.rules.items() if rule.kind == "warning"}

# The killed sweeps, two each morning; the first is less than a week before the last, so no
# breach is raised again weekly and every alert keeps exactly one outbox row.
MORNINGS = [datetime(2026, 11, 30, 8)] + [datetime(2026, 12, day, 8) for day in range(1, 5)]
KILLED_AT = [morning for morning in MORNINGS for _ in range(2)]
FINAL = datetime(2026, 12, 5, 8, tzinfo=STOCKHOLM)

# Imports once, then for each clock time read on stdin forks a sweeper: it connects, says "ready PID",
# sweeps on "go", says "committed" (or "error") and waits for its SIGKILL, so that the pid killed is
# always a live sweeper's own.
ZYGOTE = """
import os, sys, traceback
from screening.clock import parse_datetime
from screening.storage.unit_of_work import SqlUnitOfWork
from screening.services.alerts import sweep_in
from workflows.policy import Policy
import workflows.sweep

url = sys.argv[1]
policy = Policy.default()
while True:
    line = sys.stdin.readline().strip()
    if not line:
        break
    now = parse_datetime(line)
    pid = os.fork()
    if pid == 0:
        try:
            policy.calendar.add(now.date(), 1)
            with SqlUnitOfWork(url) as uow:
                uow.conn.scalar("SELECT 1")
            print("ready", os.getpid(), flush=True)
            sys.stdin.readline()
            with SqlUnitOfWork(url) as uow:
                raised = sweep_in(uow, policy.rules, now)
            print("committed", len(raised), flush=True)
            sys.stdin.readline()
        except BaseException:
            traceback.print_exc()
            print("error", flush=True)
            sys.stdin.readline()
        finally:
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    print("reaped", status, flush=True)
"""


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=STOCKHOLM)


def _event(uow, case_id: str, name: str, when: datetime, user: str, **params: str) -> None:
    record_event(uow, actor_in(uow, user), case_id, name, params, policy=POLICY, now=when, recorded_at=when)


def _templates(url: str) -> list[str]:
    """Twelve cases, each event on time, whose open deadlines fall due between 11-23 and 12-04."""
    made = []
    with SqlUnitOfWork(url) as uow:
        def register(when: datetime) -> str:
            case_id, _ = register_in(uow, actor_in(uow, RECEPTION), Registration(birth_date=date(2019, 4, 2), municipality="Östersund",
                                                      notice_at=when),
                now=when, recorded_at=when, policy=POLICY)
            made.append(case_id)
            return case_id

        for day in range(5):  # Monday 11-23 to Friday 11-27
            morning = at(2026, 11, 23 + day, 9)
            register(morning)  # never notified: notify_parties due that evening
            _event(uow, register(morning), "notify_parties", morning, RECEPTION)  # booking due 5 working days on
        samples = register(at(2026, 11, 16, 9))  # results due at the end of 11-30 (a warning)
        _event(uow, samples, "notify_parties", at(2026, 11, 16, 9, 30), RECEPTION)
        _event(uow, samples, "book_health_conversation", at(2026, 11, 16, 10), HC, start="2026-11-16T13:00")
        _event(uow, samples, "hold_health_conversation", at(2026, 11, 16, 14), HC)
        results = register(at(2026, 11, 23, 9))  # informing due 11-25, the examination booked by 11-26
        _event(uow, results, "notify_parties", at(2026, 11, 23, 9, 30), RECEPTION)
        _event(uow, results, "book_health_conversation", at(2026, 11, 23, 10), HC, start="2026-11-23T13:00")
        _event(uow, results, "hold_health_conversation", at(2026, 11, 23, 14), HC)
        _event(uow, results, "record_results", at(2026, 11, 24, 10), HC, obstacle="no")
    return made


def _clone(url: str, templates: list[str], copies: int) -> None:
    """Copies of the template cases and their deadlines, in two bulk inserts."""
    with SqlUnitOfWork(url) as uow:
        ids = {f"id{i}": case_id for i, case_id in enumerate(templates)}
        marks = ", ".join(f":{name}" for name in ids)
        case_rows = uow.conn.all(f"SELECT * FROM screening_case WHERE id IN ({marks})", ids)
        deadline_rows = uow.conn.all(f"SELECT * FROM deadline WHERE case_id IN ({marks})", ids)
        new_cases, new_deadlines = [], []
        for _ in range(copies - 1):
            for case in case_rows:
                copy_id = new_case_id()
                new_cases.append({**case, "id": copy_id})
                new_deadlines += [{**{k: v for k, v in d.items() if k != "id"}, "case_id": copy_id}
                                  for d in deadline_rows if d["case_id"] == case["id"]]
        for table, new_rows in (("screening_case", new_cases), ("deadline", new_deadlines)):
            names = list(new_rows[0])
            uow.conn.many(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(':' + n for n in names)})",
                          new_rows)
        uow.commit()


def _rows(url: str, sql: str) -> list[dict]:
    with SqlUnitOfWork(url) as uow:
        return uow.conn.all(sql)


def _killed_sweeps(url: str, delays: list[float]) -> list[bool]:
    """Each killed sweep's fate: True if it had committed when the SIGKILL came."""
    zygote = subprocess.Popen([sys.executable, "-c", ZYGOTE, url], cwd=ROOT, text=True,  # stderr: pytest's
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    committed = []
    try:
        for now, delay in zip(KILLED_AT, delays):
            zygote.stdin.write(f"{now.replace(tzinfo=STOCKHOLM).isoformat()}\n")
            zygote.stdin.flush()
            ready = zygote.stdout.readline().split()
            assert ready[:1] == ["ready"], "the sweeper did not start: see the captured stderr"
            zygote.stdin.write("go\n")
            zygote.stdin.flush()
            time.sleep(delay)
            os.kill(int(ready[1]), signal.SIGKILL)  # our sweeper: alive until killed, so never a reused pid
            said = [zygote.stdout.readline().split()]
            assert said[0][:1] != ["error"], "the sweep failed by itself: see the captured stderr"
            if said[0][:1] == ["committed"]:
                said.append(zygote.stdout.readline().split())
            assert said[-1] == ["reaped", str(signal.SIGKILL)], said
            committed.append(said[0][0] == "committed")
    finally:
        zygote.stdin.close()
        try:
            zygote.wait(timeout=30)
        finally:
            if zygote.poll() is None:
                zygote.kill()
                zygote.wait()
    return committed


def _final_sweep(url: str, now: datetime) -> list[dict]:
    """One sweep to the end through the `screening` command."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["--db", url, "--as", COORDINATOR, "--now", now.isoformat(), "--json", "sweep"])
    assert code == 0, err.getvalue()
    return json.loads(out.getvalue())["alerts"]


def test_a_sweep_killed_at_random_moments_leaves_every_past_due_deadline_raised_exactly_once(db_url):
    migrate.upgrade(db_url)
    make_simulation(db_url)  # the sweeps run at a set clock
    with SqlUnitOfWork(db_url) as uow:
        store_directory(uow, load_directory(None), demo_users=True)
    templates = _templates(db_url)
    _clone(db_url, templates, COPIES)
    assert _rows(db_url, "SELECT COUNT(*) AS n FROM screening_case")[0]["n"] == len(templates) * COPIES
    deadline_rows = _rows(db_url, "SELECT case_id, rule, due, status FROM deadline")
    past_due = {(d["case_id"], d["rule"]) for d in deadline_rows
                if d["status"] == "open" and clock.from_db(d["due"]) < FINAL}
    assert len(past_due) == COPIES * (5 + 5 + 1 + 3)  # notify, book, results, inform x2 + examination

    rng = random.Random(SEED)
    committed = _killed_sweeps(db_url, [rng.random() ** 3 * 0.3 for _ in KILLED_AT])
    raised_now = _final_sweep(db_url, FINAL)

    deadlines = _rows(db_url, "SELECT case_id, rule, due, status FROM deadline")
    alerts = _rows(db_url, "SELECT id, case_id, rule, kind, raise_count, raised_at FROM alert")
    outbox = _rows(db_url, "SELECT key, topic, ref, status FROM outbox WHERE topic = 'alert'")
    # past due and not done: stored open (shown breached), each with its one breach or warning
    breached = {(d["case_id"], d["rule"]) for d in deadlines if d["status"] == "open" and clock.from_db(d["due"]) < FINAL}
    assert breached == past_due
    assert len({(a["case_id"], a["rule"], a["kind"]) for a in alerts}) == len(alerts)  # no duplicates
    hard = [a for a in alerts if a["kind"] in ("breach", "warning")]
    assert sorted((a["case_id"], a["rule"]) for a in hard) == sorted(breached)  # one each, none else
    assert all(a["kind"] == ("warning" if a["rule"] in WARNINGS else "breach") for a in hard)
    assert all(a["raise_count"] == 1 for a in alerts)
    assert sorted(o["key"] for o in outbox) == sorted(f"alert:{a['id']}:1" for a in alerts)
    assert sorted(o["ref"] for o in outbox) == sorted(a["id"] for a in alerts)
    assert {(o["topic"], o["status"]) for o in outbox} == {("alert", "queued")}
    assert sorted(a["id"] for a in raised_now) == sorted(
        a["id"] for a in alerts if clock.from_db(a["raised_at"]) == FINAL)  # what was left to raise
    assert any(a["rule"] == "book_health_conversation" for a in raised_now)  # Friday's, due 12-04
    print(f"killed sweeps that had committed: {sum(committed)} of {len(committed)}")
