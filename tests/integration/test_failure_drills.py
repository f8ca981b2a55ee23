"""Failure drills: what an operator may live through, done for real to real processes.

1. An administrator cuts every connection of a running scheduler (pg_terminate_backend), again and
   again, while it sweeps and delivers: it takes its lock again and carries on, nothing lost, nothing twice.
2. A SQLite database whose disk fills up: the command says so in one line, and everything committed
   before is still there, whole.
3. `screening init` SIGKILLed part-way through an upgrade: the schema is the old one or the new one,
   never between, with every row kept; the next `init` finishes the upgrade.

Every child, name and date here is invented.
"""

from __future__ import annotations

import email
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from screening.clock import STOCKHOLM
from screening.storage.db import SCHEMA_REVISION
from tests.integration.test_scheduler import (
    POLICY,
    ROOT,
    SCRIPT,
    SchedulerProcess,
    demo_database,
    eventually,
    pg_database_url,
    sweep,
)
from tests.integration.test_scheduler_failover import APP, count, lock_holders, query, terminate
from workflows import scheduler

SEED = 20261201
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Shutdown)\b")


# --- 1. every connection of the scheduler cut, three times over -----------------------------


class DeliveringScheduler(SchedulerProcess):
    """`screening scheduler run` delivering to a folder of .eml files, its connections named APP."""

    def __init__(self, url: str, outbox: Path):
        super().__init__(url, SCREENING_OUTBOX_DIR=str(outbox), PGAPPNAME=APP)


@pytest.fixture
def pg_url():
    """An empty PostgreSQL database of its own (the scheduler's advisory locks are per database)."""
    yield from pg_database_url()


def overdue_cases(url: str, n: int, notified: int) -> tuple[list[str], list[str]]:
    """`n` arrival notices of a month ago, never handled, and `notified` more of today whose parties are
    told now (their messages queued): (the overdue ones, the notified ones). The notified ones arrive today,
    so that a sweep between a registration's commit and its notification has nothing of theirs to raise."""
    from screening.services.events import record_event
    from screening.services.registration import Registration, register_in
    from screening.services.users import actor_in
    from screening.storage.unit_of_work import SqlUnitOfWork

    now = datetime.now(STOCKHOLM)
    month_ago = now - timedelta(days=30)
    overdue, told = [], []
    with SqlUnitOfWork(url) as uow:
        for i in range(n + notified):
            reg = Registration(birth_date=date(2019, 4, 2), municipality="Östersund",
                               notice_at=month_ago if i < n else now,
                               school="ostersund-school-norrby", preschool="ostersund-preschool-solrosen")
            case_id, _ = register_in(uow, actor_in(uow, "ostersund-reception"), reg, now=now, recorded_at=now,
                                                policy=POLICY)
            if i < n:
                overdue.append(case_id)
            else:
                record_event(uow, actor_in(uow, "ostersund-reception"), case_id, "notify_parties", {}, policy=POLICY,
                                     now=now, recorded_at=now)
                told.append(case_id)
    return overdue, told


def scheduler_backends(watcher) -> list[tuple[int, str, bool]]:
    """The scheduler's connections: (pid, state, holds an advisory lock: the leader lock or the sweep's fence)."""
    return watcher.execute(
        "SELECT a.pid, a.state, EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' "
        "AND l.granted) FROM pg_stat_activity a WHERE a.datname = current_database() AND a.application_name = %s",
        (APP,)).fetchall()


def waiting_in(watcher, statement: str) -> bool:
    """Whether one of the scheduler's connections waits for a lock in a statement beginning so."""
    return bool(watcher.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s "
        "AND wait_event_type = 'Lock' AND query LIKE %s", (APP, statement + "%")).fetchone()[0])


def sweeping(watcher) -> bool:
    """Whether a sweep and its dispatch are under way (the fence is held for the whole of them)."""
    return bool(watcher.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = %s "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (scheduler.FENCE_KEY,)).fetchone()[0])


def cut_every_connection(watcher, url: str) -> list[tuple[int, str, bool]]:
    """pg_terminate_backend on every connection of the scheduler: the leader lock's, and the work's."""
    backends = scheduler_backends(watcher)
    assert terminate(url, [pid for pid, _, _ in backends]) >= 2, backends
    assert any(locked for _, _, locked in backends), backends
    return backends


def job_failures(proc: SchedulerProcess) -> list[str]:
    """The exceptions in the tracebacks of jobs that failed (chained ones too), one line each."""
    return [line.rstrip("\n") for line in proc.bad_lines() if EXCEPTION_LINE.match(line)]


def delivered(outbox: Path) -> dict[str, str]:
    """The .eml files by name, with their Message-ID (the idempotency key)."""
    return {path.name: email.message_from_bytes(path.read_bytes())["Message-ID"] for path in outbox.glob("*.eml")}


def leased(watcher) -> set[str]:
    """Messages claimed by a dispatcher and neither sent nor given back: they wait for their lease to end."""
    return {key for (key,) in watcher.execute(
        "SELECT key FROM outbox WHERE status = 'queued' AND next_attempt_at > now()").fetchall()}


@pytest.mark.postgres
def test_a_scheduler_whose_every_connection_is_cut_three_times_at_work_misses_nothing_and_repeats_nothing(
        pg_url, tmp_path):
    """Cut in the middle of a sweep's transaction, then while a message is claimed but not yet sent, then at a
    random moment of a sweep and its dispatch: each time it takes the lock again and carries on."""
    import psycopg

    import cli
    from screening.storage import db

    demo_database(pg_url)
    outbox = tmp_path / "outbox"
    connect = lambda: psycopg.connect(db.psycopg_conninfo(pg_url), autocommit=True)  # noqa: E731
    overdue, told, stranded = [], [], set()

    def more_work() -> None:
        batch, notified = overdue_cases(pg_url, 60, 20)
        overdue.extend(batch)
        told.extend(notified)

    def carried_on(cuts: int, swept: int) -> None:
        assert eventually(lambda: count(proc, "active:") == cuts + 1, 8), proc.messages()
        assert eventually(lambda: count(proc, "sweep at") > swept, 8), proc.messages()  # a whole sweep after it

    proc = DeliveringScheduler(pg_url, outbox)
    try:
        assert proc.wait_for("active:", 15), proc.messages()
        with connect() as watcher, connect() as gate, connect() as blocker:
            # 1. the sweep waits for a row that another transaction is inserting: cut with its alerts half-raised
            swept = count(proc, "sweep at")
            gate.execute("BEGIN")  # as an event's unit of work: the next sweep waits (events share the mark)
            gate.execute("SELECT swept_to FROM sweep_mark WHERE id = 1 FOR SHARE")
            more_work()
            blocker.execute("BEGIN")
            blocker.execute("INSERT INTO alert (case_id, rule, kind, owner, due, raised_at, last_raised_at, "
                            "raise_count) SELECT case_id, rule, 'breach', owner, due, now(), now(), 1 FROM deadline "
                            "WHERE case_id = %s AND rule = 'notify_parties'", (overdue[-30],))
            gate.execute("COMMIT")
            assert eventually(lambda: waiting_in(watcher, "INSERT INTO alert"), 6), proc.messages()
            assert len(cut_every_connection(watcher, pg_url)) == 3  # the lock's, the fence's, the sweep's
            blocker.execute("ROLLBACK")
            carried_on(1, swept)

            # 2. the dispatcher has claimed a message and waits to read its case: cut before it is sent
            swept, files = count(proc, "sweep at"), len(delivered(outbox))
            more_work()
            assert eventually(lambda: len(list(outbox.glob("*.eml"))) >= files + 5, 6), proc.messages()
            blocker.execute("BEGIN")
            blocker.execute("LOCK TABLE screening_case IN ACCESS EXCLUSIVE MODE")
            assert eventually(lambda: waiting_in(watcher, "SELECT id, municipality"), 6), proc.messages()
            assert len(cut_every_connection(watcher, pg_url)) == 3
            blocker.execute("ROLLBACK")
            [claimed] = stranded = leased(watcher)
            assert f"{claimed.replace(':', '-')}.eml" not in delivered(outbox)
            carried_on(2, swept)

            # 3. at a random moment of a sweep and its dispatch
            swept = count(proc, "sweep at")
            more_work()
            assert eventually(lambda: sweeping(watcher), 6), proc.messages()
            time.sleep(random.Random(SEED).uniform(0, 0.3))
            cut_every_connection(watcher, pg_url)
            carried_on(3, swept)
            stranded |= leased(watcher)

            settled = count(proc, "sweep at")  # one more sweep, begun after the last one ended
            assert eventually(lambda: count(proc, "sweep at") > settled, 6), proc.messages()
            assert proc.proc.poll() is None  # alive, and the active one
            [holder] = lock_holders(pg_url)
            assert holder in [pid for pid, _, _ in scheduler_backends(watcher)]
        assert count(proc, "lost the leader lock") == 3
        assert not proc.logged("skipping this sweep")
        proc.proc.send_signal(signal.SIGTERM)
        assert proc.finish() == 0
    finally:
        proc.kill()
    assert job_failures(proc) == []  # a job cut off at work logs one line, no traceback
    cut_off = [m for m in proc.messages() if "the database failed (" in m]
    assert cut_off and all(re.match(r"(sweep|digest): the database failed \((OperationalError|AdminShutdown): ", m)
                           for m in cut_off), cut_off

    # a message claimed when the cut came waits for its lease to end, then goes (with the same key)
    later = (datetime.now(STOCKHOLM) + outbox_lease() + timedelta(minutes=1)).isoformat()
    assert cli.main(["--db", pg_url, "--as", "admin", "--now", later, "outbox", "send", "--dir", str(outbox)]) == 0

    alerts = query(pg_url, "SELECT id, case_id, rule, kind, raise_count FROM alert")
    breached = [case for _, case, rule, kind, _ in alerts if (rule, kind) == ("notify_parties", "breach")]
    assert sorted(breached) == sorted(overdue)  # each never-notified case breached, once
    assert {raised for *_, raised in alerts} == {1}
    messages = query(pg_url, "SELECT key, topic, case_id, status, attempts FROM outbox")
    assert sorted(key for key, topic, *_ in messages if topic == "alert") == sorted(f"alert:{a[0]}:1" for a in alerts)
    assert {case for _, topic, case, *_ in messages if topic == "event"} == set(told)
    assert {status for *_, status, _ in messages} == {"sent"}
    assert {key for key, *_, attempts in messages if attempts > 1} == stranded  # claimed twice: only these
    assert delivered(outbox) == {f"{key.replace(':', '-')}.eml": f"<{key.replace(':', '.')}@screening.invalid>"
                                 for key, *_ in messages}  # one file, one Message-ID per message
    assert sweep(pg_url, datetime.now(STOCKHOLM)) == []  # nothing was left to raise


def outbox_lease() -> timedelta:
    from notifications.outbox import LEASE

    return LEASE


# --- 2. a SQLite database whose disk fills up ------------------------------------------------


class Result:
    """A command's exit code, standard output and standard error."""

    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err

    @property
    def data(self):
        return json.loads(self.out)


def run(url: str, *args: str, user: str | None = None, now: str = "2026-11-23T10:00") -> Result:
    """One `screening` command in this process, as typed, with --json."""
    import io
    from contextlib import redirect_stderr, redirect_stdout

    import cli

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["--db", url, *(["--as", user] if user else []), "--now", now, "--json", *args])
    return Result(code, out.getvalue(), err.getvalue())


def count_reads(path: Path, case_id: str) -> int:
    """How many reads of the case the audit trail records."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM audit_trail WHERE case_id = ? AND action <> 'event'",
                            (case_id,)).fetchone()[0]


def fill_the_disk_at(url: str, pages: int, monkeypatch) -> None:
    """Every connection the product opens from now on may grow the file to `pages` pages and no further:
    SQLite then answers SQLITE_FULL, as on a full disk."""
    from screening.storage import db

    real = db.sqlite_pragmas

    def limited(conn) -> None:
        real(conn)
        conn.execute(f"PRAGMA max_page_count = {pages}")

    monkeypatch.setattr(db, "sqlite_pragmas", limited)  # connect_raw and the engine's connect hook call it
    db.dispose(url)  # the pooled connections were opened without the limit
    db.engine(url).dispose()


def test_a_full_sqlite_disk_fails_in_one_line_keeps_every_committed_case_and_half_writes_nothing(tmp_path,
                                                                                                  monkeypatch):
    import sqlite3

    from screening.storage import db
    from tests.e2e.conftest import snapshot
    from tests.e2e.support import assert_one_line_error

    path = tmp_path / "screening.db"
    url = f"sqlite:///{path}"
    assert run(url, "init", "--demo").code == 0
    with sqlite3.connect(path) as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
    fill_the_disk_at(url, pages + 8, monkeypatch)

    registered, notified = [], []
    for n in range(500):  # a reception unit at work until the disk is full: notices, and their parties told
        before = snapshot(url)
        if n % 3 == 2:
            failed = run(url, "case", "event", registered[-1], "notify_parties", user="ostersund-reception")
            if failed.code == 0:
                notified.append(registered[-1])
                continue
        else:
            failed = run(url, "case", "register", "--birth-date", "2019-04-02", "--municipality", "Östersund",
                         "--dossier", f"12-{345600 + n}", "--language", "ar", user="ostersund-reception")
            if failed.code == 0:
                registered.append(failed.data["id"])
                continue
        break
    else:
        pytest.fail("the disk never filled up")

    error = assert_one_line_error(failed, 2)
    assert error["code"] == "database" and "full" in error["message"] and "sparades inte" in error["message"]
    assert snapshot(url) == before  # the failed command: not a row of it
    assert len(registered) >= 5 and notified
    shown = 0
    for case_id in registered:  # a read is logged, or the case is not shown
        reads = count_reads(path, case_id)
        result = run(url, "case", "show", case_id, user="hc-lugnvik")
        if result.code == 0:
            assert result.data["id"] == case_id and count_reads(path, case_id) == reads + 1
            shown += 1
        else:
            before = snapshot(url)
            assert "full" in assert_one_line_error(result, 2)["message"]
            assert snapshot(url) == before
    print(f"full after {len(registered)} notices and {len(notified)} events; then {shown} of them shown")

    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        cases = {case for (case,) in conn.execute("SELECT id FROM screening_case")}
        logged = {case for (case,) in conn.execute(
            "SELECT case_id FROM audit_trail WHERE event = 'register'")}
        with_deadlines = {case for (case,) in conn.execute("SELECT DISTINCT case_id FROM deadline")}
        told = {case for (case,) in conn.execute("SELECT DISTINCT case_id FROM outbox WHERE topic = 'event'")}
    assert cases == logged == with_deadlines == set(registered)  # no case without its audit and deadlines
    assert told == set(notified)

    monkeypatch.undo()  # space freed
    db.dispose(url)
    db.engine(url).dispose()
    for case_id in registered:
        result = run(url, "case", "show", case_id, user="hc-lugnvik")
        assert result.code == 0, result.err
        history = run(url, "case", "history", case_id, user="hc-lugnvik").data
        assert [entry["event"] for entry in history] == ["register"] + (["notify_parties"] * (case_id in notified))
    assert run(url, "case", "register", "--birth-date", "2019-04-02", "--municipality", "Östersund",
               user="ostersund-reception").code == 0


def test_a_full_disk_reads_the_same_on_postgresql_and_through_the_migrations():
    """PostgreSQL's disk_full (53100), and SQLite's SQLITE_FULL as SQLAlchemy wraps it under `init`."""
    import sqlite3

    from psycopg import errors as pg
    from sqlalchemy import exc

    from screening.errors import DISK_FULL
    from screening.sayings import describe_unexpected

    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL
    for error in (pg.DiskFull("could not extend file \"base/16384/16399\": No space left on device"),
                  exc.OperationalError("INSERT INTO audit_new …", {}, full)):
        assert describe_unexpected(error) == ("database", DISK_FULL, 2)
    assert describe_unexpected(sqlite3.OperationalError("database is locked"))[1] == \
        "database error: database is locked"


# --- 3. `screening init` killed part-way through an upgrade ----------------------------------

# before the audit trail's rebuild (0005), the alerts' (0008), the outbox's (0010), the bookings (0011), the
# correction of a case (0012)
OLD = "0004"
STEPS = [f"{n:04d}" for n in range(5, int(SCHEMA_REVISION) + 1)]  # every migration after OLD, to the newest

# Imports once, then forks one `screening init` (cli.main) for each line read: "init" stops after each
# migration, in the upgrade's transaction, until it reads "go"; "init free" runs straight through. Either
# waits for its SIGKILL when done.
INIT_ZYGOTE = """
import os, sys
import alembic.runtime.environment as environment
import cli, psycopg, sqlalchemy, sqlmodel, screening.storage.migrate, screening.storage.tables  # noqa: F401 (imported before the forks)

configure, stopping = environment.EnvironmentContext.configure, [True]

def applied(ctx, step, heads, run_args):
    print("applied", step.up_revision_id, flush=True)
    if stopping[0]:
        sys.stdin.readline()

def with_report(self, *args, **kwargs):
    return configure(self, *args, on_version_apply=[applied], **kwargs)

environment.EnvironmentContext.configure = with_report
while line := sys.stdin.readline().strip():
    pid = os.fork()
    if pid == 0:
        stopping[0] = line != "init free"
        print("ready", os.getpid(), flush=True)
        print("exit", cli.main(["--db", sys.argv[1], "init"]), flush=True)
        sys.stdin.readline()  # done: waits for its SIGKILL like the others, so that the pid killed is its own
        os._exit(0)
    print("reaped", os.waitpid(pid, 0)[1], flush=True)
"""


class Initialiser:
    """The zygote of the `init` processes to be killed."""

    def __init__(self, url: str):
        import queue
        import threading

        self.proc = subprocess.Popen([sys.executable, "-c", INIT_ZYGOTE, url], cwd=ROOT, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line) for line in self.proc.stdout], daemon=True).start()

    def say(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def hear(self, word: str) -> list[str]:
        while True:  # the command's own output ("Database ready: …") aside
            line = self.lines.get(timeout=30)  # a drill that hangs fails instead
            if line.startswith(word + " "):
                return line.split()

    def start(self, free: bool = False) -> int:
        self.say("init free" if free else "init")
        return int(self.hear("ready")[1])

    def killed(self, pid: int) -> int:
        os.kill(pid, signal.SIGKILL)  # alive until killed or reaped: never a reused pid
        return int(self.hear("reaped")[1])

    def close(self) -> None:
        self.proc.stdin.close()  # the zygote ends; a child still waiting for "go" too, as its stdin closes
        try:
            self.proc.wait(timeout=30)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


def schema(url: str) -> list[tuple]:
    """Everything of the schema, as the database itself describes it (not naming the PostgreSQL schema)."""
    from sqlalchemy import text

    from screening.storage import db

    with db.engine(url).connect() as conn:
        if db.is_sqlite(url):
            return sorted(tuple(row) for row in conn.execute(text(
                "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%'")))
        here = conn.execute(text("SELECT current_schema()")).scalar()
        queries = {
            "column": "SELECT table_name, column_name, ordinal_position, data_type, character_maximum_length, "
                      "is_nullable, column_default FROM information_schema.columns WHERE table_schema = :s",
            "constraint": "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                          "WHERE connamespace = CAST(:s AS regnamespace)",
            "index": "SELECT tablename, indexname, replace(indexdef, :s || '.', '') FROM pg_indexes "
                     "WHERE schemaname = :s",
            "trigger": "SELECT tgrelid::regclass::text, tgname, replace(pg_get_triggerdef(t.oid), :s || '.', '') "
                       "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                       "WHERE c.relnamespace = CAST(:s AS regnamespace) AND NOT t.tgisinternal",
            "view": "SELECT viewname, definition FROM pg_views WHERE schemaname = :s",
            "sequence": "SELECT sequence_name, data_type FROM information_schema.sequences WHERE sequence_schema = :s",
            "function": "SELECT proname, prosrc FROM pg_proc WHERE pronamespace = CAST(:s AS regnamespace)",
        }
        return sorted((kind, *map(str, row)) for kind, sql in queries.items()
                      for row in conn.execute(text(sql), {"s": here}))


def revision(url: str) -> str | None:
    from screening.storage import migrate

    return migrate.current_revision(url)


CASES = 300
OLD_COLUMNS = {  # 0004's tables and columns: the same values after the upgrade (the audit: through its view)
    "region": "id, name, municipalities",
    "organisation": "id, position, kind, name, municipality, details",
    "app_user": "id, role, org_id",
    "screening_case": "id, version, municipality, birth_date, notice_at, health_state, created_at, updated_at",
    "deadline": "case_id, rule, owner, starts, due, status, met_at, attributed_to",
    "alert": "id, case_id, rule, kind, owner, due, raised_at, last_raised_at, raise_count",
    "outbox": "id, key, topic, ref, created_at, status, attempts, sent_at",
    "case_note": "id, case_id, kind, text, at, user_id",
}


def seed(url: str) -> None:
    """A region at 0004 as the product stored it: cases with deadlines, alerts, messages, notes, audit."""
    from sqlalchemy import text

    from screening import clock
    from screening.storage import db

    t0 = datetime(2026, 11, 2, 9, 0, tzinfo=STOCKHOLM)
    stamp = (lambda t: clock.to_epoch(t)) if db.is_sqlite(url) else (lambda t: t)
    cases = [{"id": f"SC-DRILL{n:03d}", "t": stamp(t0 + timedelta(hours=n)), "born": date(2015, 1, 2)}
             for n in range(CASES)]
    with db.engine(url).begin() as conn:
        run = lambda sql, rows: conn.execute(text(sql), rows)  # noqa: E731
        run("INSERT INTO region (id, name, municipalities) VALUES ('r', 'Region', '[\"Berg\"]')", {})
        run("INSERT INTO organisation (id, position, kind, name, municipality, details) VALUES "
            "('berg-reception', 0, 'reception_unit', 'Berg', 'Berg', '{}'), "
            "('hc-berg', 1, 'health_centre', 'Berg HC', 'Berg', '{}')", {})
        run("INSERT INTO app_user (id, role, org_id) VALUES ('u-rec', 'reception', 'berg-reception'), "
            "('u-hc', 'health_centre', 'hc-berg')", {})
        run("INSERT INTO screening_case (id, version, municipality, birth_date, interpreter, unaccompanied, notice_at, "
            "already_in_sweden, health_state, school_state, vaccination_state, created_at, updated_at, doses_given) "
            "VALUES (:id, 1, 'Berg', :born, false, false, :t, false, 'parties_notified', 'not_started', "
            "'not_started', :t, :t, 0)", cases)
        run("INSERT INTO deadline (case_id, rule, owner, starts, due, status, met_at) VALUES "
            "(:id, :rule, :owner, :t, :t, :status, :met)",
            [{**c, "rule": rule, "owner": owner, "status": status, "met": c["t"] if status == "met" else None}
             for c in cases for rule, owner, status in (("notify_parties", "reception_unit", "met"),
                                                        ("book_health_conversation", "health_centre", "open"),
                                                        ("school_start", "coordinator", "open"))])
        run("INSERT INTO alert (id, case_id, rule, kind, owner, due, raised_at, last_raised_at, raise_count) VALUES "
            "(:n, :id, 'book_health_conversation', 'breach', 'health_centre', :t, :t, :t, 1)",
            [{**c, "n": n + 1} for n, c in enumerate(cases)])
        run("INSERT INTO outbox (id, key, topic, ref, created_at, status, attempts, sent_at) VALUES "
            "(:n, :key, 'alert', :n, :t, :status, 1, :sent)",
            [{**c, "n": n + 1, "key": f"alert:{n + 1}:1", "status": "sent" if n % 2 else "queued",
              "sent": c["t"] if n % 2 else None} for n, c in enumerate(cases)])
        run("INSERT INTO case_note (case_id, kind, text, at, user_id) VALUES (:id, 'note', 'Invented note', :t, "
            "'u-hc')", cases)
        run("INSERT INTO audit (case_id, action, event, at, recorded_at, user_id, org_id) VALUES "
            "(:id, :action, :event, :t, :t, :user, :org)",
            [{**c, "action": action, "event": event, "user": user, "org": org} for c in cases
             for action, event, user, org in (("event", "register", "u-rec", "berg-reception"),
                                               ("read", "show", "u-hc", "hc-berg"))])
        if not db.is_sqlite(url):  # rows given their ids: the sequences move past them, as the product's would have
            for table in ("alert", "outbox"):
                conn.execute(text(f"SELECT setval('{table}_id_seq', (SELECT MAX(id) FROM {table}))"))


def stored(url: str, revision_now: str) -> dict[str, list]:
    """The rows of 0004's tables as they were then: after the upgrade, the audit through its view."""
    from sqlalchemy import text

    from screening.storage import db

    tables = dict(OLD_COLUMNS)
    tables["audit"] = "case_id, action, event, at, recorded_at, user_id, org_id, detail"
    with db.engine(url).connect() as conn:
        found = {name: sorted(map(tuple, conn.execute(text(f"SELECT {columns} FROM {name}"))))
                 for name, columns in tables.items() if name != "audit"}
        trail = "audit" if revision_now == OLD else "audit_trail"
        found["audit"] = sorted(map(tuple, conn.execute(text(f"SELECT {tables['audit']} FROM {trail}"))))
    return found


def intact(url: str) -> bool:
    import sqlite3

    from screening.storage import db

    if not db.is_sqlite(url):
        return True
    with sqlite3.connect(db.sqlite_path(url)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def upgrade_killed_part_way(url: str, fresh_old: str, fresh_new: str) -> dict:
    """Kills `init` after each migration in turn, in the middle of the longest one, and at random moments;
    then lets one finish. Returns how many kills left which schema.

    The upgrade is one transaction because `screening.storage.migrate` runs it in `engine.begin()` and, on SQLite,
    `screening.storage.db` makes pysqlite leave the BEGIN to SQLAlchemy: left to pysqlite's own handling, the kill
    after 0005 finds `audit_kind` created and committed under revision 0004, and this drill fails."""
    from screening.storage import migrate

    migrate.upgrade(fresh_old, OLD)
    migrate.upgrade(fresh_new)
    migrate.upgrade(url, OLD)
    seed(url)
    old_schema, new_schema, rows = schema(fresh_old), schema(fresh_new), stored(url, OLD)
    assert schema(url) == old_schema != new_schema
    fates = {"after a migration": 0, "mid-migration or at random, old": 0, "at random, new": 0}
    zygote = Initialiser(url)
    try:
        for last in STEPS:  # after each migration in turn; after the last: all done, not yet committed
            pid = zygote.start()
            for step in STEPS[:STEPS.index(last) + 1]:
                assert zygote.hear("applied")[1] == step
                if step != last:
                    zygote.say("go")
            assert zygote.killed(pid) == signal.SIGKILL
            assert (revision(url), schema(url), stored(url, OLD)) == (OLD, old_schema, rows), last
            assert intact(url)
            fates["after a migration"] += 1

        rng = random.Random(SEED)
        delays = [None] + [rng.uniform(0.1, 0.4) for _ in range(4)]  # the child takes ~0.3 s to commit here
        for delay in delays:
            if delay is None:  # in 0007, which computes every open deadline's reminder time
                pid = zygote.start()
                for step in STEPS[:2]:
                    assert zygote.hear("applied")[1] == step
                    zygote.say("go")
                time.sleep(0.02)
            else:  # anywhere: mid-statement, between migrations, or after the commit
                pid = zygote.start(free=True)
                time.sleep(delay)
            zygote.killed(pid)
            now = revision(url)
            assert (now, schema(url)) in ((OLD, old_schema), (STEPS[-1], new_schema)), delay
            assert stored(url, now) == rows and intact(url)
            if now != OLD:
                fates["at random, new"] += 1
                break
            fates["mid-migration or at random, old"] += 1
    finally:
        zygote.close()

    done = subprocess.run([str(SCRIPT), "--db", url, "init"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")})
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert (revision(url), schema(url), stored(url, STEPS[-1])) == (STEPS[-1], new_schema, rows)
    return fates


def test_init_killed_part_way_through_an_upgrade_leaves_the_old_schema_or_the_new_never_between_sqlite(tmp_path):
    fates = upgrade_killed_part_way(f"sqlite:///{tmp_path / 'screening.db'}", f"sqlite:///{tmp_path / 'old.db'}",
                                    f"sqlite:///{tmp_path / 'new.db'}")
    print(fates)


@pytest.mark.postgres
def test_init_killed_part_way_through_an_upgrade_leaves_the_old_schema_or_the_new_never_between_postgresql():
    from tests.conftest import pg_schema_url

    schemas = [pg_schema_url() for _ in range(3)]
    try:
        fates = upgrade_killed_part_way(*(next(s) for s in schemas))
    finally:
        for s in schemas:
            s.close()
    print(fates)
