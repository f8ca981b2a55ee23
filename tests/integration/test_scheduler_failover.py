"""Failover on PostgreSQL: an administrator cuts a running scheduler's connections (pg_terminate_backend).

Cutting the leader lock's connection makes the active scheduler stop its work and step down to standby,
and a standby takes over; cutting the connection that the sweeps use costs that connection, nothing more.
Every child, name and date here is invented. Each test has a database of its own, as advisory locks
belong to a whole database (see tests/integration/test_scheduler.py).
"""

from __future__ import annotations

import signal
import time
from datetime import datetime, timedelta

import pytest

from screening.bootstrap import bootstrap
from screening.clock import STOCKHOLM
from screening.services import alerts
from tests.integration.test_scheduler import SchedulerProcess, demo_database, eventually, pg_database_url, register
from workflows import scheduler

pytestmark = pytest.mark.postgres
APP = "screening-scheduler-under-test"  # the application_name of a scheduler process's connections


@pytest.fixture
def pg_url():
    """An empty PostgreSQL database of its own."""
    yield from pg_database_url()  # skips (or fails under SCREENING_REQUIRE_PG) where no server answers


@pytest.fixture
def pg_db(pg_url):
    """The database made by `screening init --demo`, with one overdue case."""
    demo_database(pg_url)
    # notified a month ago and never handled: the first sweep raises a breach, and only that one
    register(pg_url, "ostersund-reception", "Östersund", datetime.now(STOCKHOLM) - timedelta(days=30))
    return pg_url


def query(url: str, sql: str, *params, **named) -> list[tuple]:
    import psycopg

    from screening.storage import db

    with psycopg.connect(db.psycopg_conninfo(url), autocommit=True) as conn:
        return conn.execute(sql, named or params).fetchall()


def lock_holders(url: str, key: int | None = scheduler.LOCK_KEY) -> list[int]:
    """The backends in this database holding the scheduler's advisory lock (one, or none), or any (None)."""
    return [pid for (pid,) in query(
        url, "SELECT l.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
             "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() "
             "AND (%(key)s::bigint IS NULL OR (l.classid = 0 AND l.objid = %(key)s))", key=key)]


def work_backends(url: str, app: str | None = None) -> list[int]:
    """The other client backends in this database without a lock (of application `app`): those for the work."""
    return [pid for (pid,) in query(
        url, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = "
             "'client backend' AND pid <> pg_backend_pid() AND pid <> ALL(%(locks)s) "
             "AND (%(app)s::text IS NULL OR application_name = %(app)s)",
        locks=lock_holders(url, None), app=app)]


def scheduler_process(url: str, monkeypatch) -> SchedulerProcess:
    """A scheduler whose connections carry a name (libpq reads PGAPPNAME), unlike the test's own."""
    with monkeypatch.context() as env:
        env.setenv("PGAPPNAME", APP)
        return SchedulerProcess(url)


def terminate(url: str, pids: list[int]) -> int:
    """How many of these backends were ended; one may have gone by itself meanwhile (its connection closed)."""
    return sum(ok for (ok,) in query(url, "SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", pids))


def count(proc: SchedulerProcess, prefix: str) -> int:
    return sum(message.startswith(prefix) for message in proc.messages())


def wait_for_count(proc: SchedulerProcess, prefix: str, n: int, timeout: float) -> bool:
    return eventually(lambda: count(proc, prefix) >= n, timeout)


def just_swept(proc: SchedulerProcess) -> None:
    """Wait for a sweep to end, so that a cut right after it lands between two sweeps (3 s apart)."""
    assert wait_for_count(proc, "sweep at", count(proc, "sweep at") + 1, 10), proc.messages()


def sweepers(*procs: SchedulerProcess) -> list[int]:
    """Which process logged each sweep, in the order of the lines' times, repeats folded."""
    stamped = sorted((line[:23], n) for n, proc in enumerate(procs) for line in lines(proc)
                     if " INFO screening.scheduler: sweep at " in line)
    return [n for i, (_, n) in enumerate(stamped) if i == 0 or stamped[i - 1][1] != n]


def lines(proc: SchedulerProcess) -> list[str]:
    with proc.changed:
        return list(proc.lines)


def errors(proc: SchedulerProcess) -> list[str]:
    """Lines that are not log lines (a traceback), and jobs that raised; the console channel's messages aside."""
    return [line for line in proc.bad_lines() if not line.startswith("[outbox] ")] + [
        message for message in proc.messages() if "raised an exception" in message]


def sent(proc: SchedulerProcess) -> int:
    return sum(int(message.split("; ")[1].split()[0]) for message in proc.messages()
               if message.startswith("sweep at"))


def test_cutting_the_active_ones_lock_connection_hands_over_to_the_standby_and_back(pg_db):
    procs = [SchedulerProcess(pg_db), SchedulerProcess(pg_db)]
    try:
        assert eventually(lambda: all(p.logged("active:") or p.logged("standby:") for p in procs), 15), \
            [p.messages() for p in procs]
        first, second = procs if procs[0].logged("active:") else procs[::-1]
        just_swept(first)
        assert second.wait_for("standby:", 5) and not second.logged("active:"), second.messages()
        [holder] = lock_holders(pg_db)

        assert terminate(pg_db, [holder]) == 1  # between two sweeps, as just_swept waited for one to end
        cut, swept = time.monotonic(), count(first, "sweep at")

        assert second.wait_for("active:", 5), second.messages()
        assert time.monotonic() - cut < 3
        assert first.wait_for("lost the leader lock", 3), first.messages()
        assert second.wait_for("sweep at", 5), second.messages()  # the catch-up sweep at takeover
        assert eventually(lambda: first.logged("standby:"), 5), first.messages()  # alive, a standby now
        just_swept(second)
        assert lock_holders(pg_db) not in ([], [holder])
        assert first.proc.poll() is None
        assert count(first, "sweep at") == swept  # no sweep after it lost the lock
        assert count(first, "lost the leader lock") == 1
        assert [line for line in lines(first) if "lost the leader lock" in line][0].split()[2] == "ERROR"

        second.proc.send_signal(signal.SIGTERM)  # and back: the first takes over again
        assert second.finish() == 0
        assert wait_for_count(first, "active:", 2, 5), first.messages()
        assert wait_for_count(first, "sweep at", swept + 1, 5), first.messages()
        first.proc.send_signal(signal.SIGTERM)
        assert first.finish() == 0
        assert "stopped" in first.messages() and "stopped" in second.messages()

        assert sweepers(first, second) == [0, 1, 0]  # one process sweeping at a time
        assert [errors(p) for p in procs] == [[], []]
        assert not any(p.logged("skipping this sweep") for p in procs)
        alerts = query(pg_db, "SELECT count(*), count(DISTINCT (case_id, rule, kind, due)) FROM alert")
        messages = query(pg_db, "SELECT count(*) FROM outbox WHERE topic = 'alert' AND status = 'sent'")
        assert alerts[0][0] == alerts[0][1] == messages[0][0] >= 1
        assert sent(first) + sent(second) == messages[0][0]  # each alert's message sent once
    finally:
        for p in procs:
            p.kill()


def test_a_lone_scheduler_whose_lock_connection_is_cut_steps_down_and_takes_the_lock_again(pg_db):
    proc = SchedulerProcess(pg_db)
    try:
        assert proc.wait_for("active:", 15), proc.messages()
        just_swept(proc)
        [holder] = lock_holders(pg_db)
        swept = count(proc, "sweep at")

        assert terminate(pg_db, [holder]) == 1

        assert proc.wait_for("lost the leader lock", 3), proc.messages()
        assert wait_for_count(proc, "active:", 2, 5), proc.messages()  # nobody else took it
        assert wait_for_count(proc, "sweep at", swept + 1, 5), proc.messages()
        assert lock_holders(pg_db) not in ([], [holder])
        proc.proc.send_signal(signal.SIGTERM)
        assert proc.finish() == 0
        assert errors(proc) == []
    finally:
        proc.kill()


def test_cutting_the_sweeps_connection_costs_nothing_but_that_connection(pg_db, monkeypatch):
    proc = scheduler_process(pg_db, monkeypatch)
    try:
        assert proc.wait_for("active:", 15), proc.messages()
        just_swept(proc)
        [holder] = lock_holders(pg_db)
        swept = count(proc, "sweep at")

        assert terminate(pg_db, work_backends(pg_db, APP)) >= 1  # the scheduler's, kept between sweeps

        assert wait_for_count(proc, "sweep at", swept + 1, 10), proc.messages()  # the next sweep reconnected
        assert lock_holders(pg_db) == [holder]  # still the active one: the lock's connection was spared
        assert not proc.logged("lost the leader lock")
        proc.proc.send_signal(signal.SIGTERM)
        assert proc.finish() == 0
        assert errors(proc) == []
    finally:
        proc.kill()


def test_a_sweep_whose_connection_is_cut_midway_fails_alone_and_the_next_one_succeeds(pg_db, monkeypatch, caplog):
    lock = scheduler.LeaderLock(pg_db)
    real_sweep, calls = alerts.sweep_in, []

    def cut_first(uow, rules, now):
        if not calls:  # the first sweep loses its connection after it began
            assert terminate(pg_db, work_backends(pg_db)) >= 1
        calls.append(now)
        return real_sweep(uow, rules, now)

    monkeypatch.setattr(alerts, "sweep_in", cut_first)
    try:
        assert lock.try_acquire()
        scheduler.sweep_job(bootstrap(pg_db), lock, None)  # one line in the log, no exception into APScheduler
        [failed] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
        assert failed == ("sweep: the database failed (AdminShutdown: terminating connection due to administrator "
                          "command); the next sweep catches up")
        assert lock_holders(pg_db, scheduler.FENCE_KEY) == []  # let go at once, not a moment after
        scheduler.sweep_job(bootstrap(pg_db), lock, None)

        assert len(calls) == 2
        assert lock.still_held() and not lock.lost
        assert query(pg_db, "SELECT count(*) FROM alert") == [(1,)]
    finally:
        lock.release()


def test_a_standby_whose_connection_is_cut_keeps_waiting_and_then_takes_the_lock(pg_url):
    active, standby = scheduler.LeaderLock(pg_url), scheduler.LeaderLock(pg_url)
    try:
        assert active.try_acquire()
        assert not standby.try_acquire() and standby.why == ""  # another holds it
        assert terminate(pg_url, [standby._conn.info.backend_pid]) == 1

        assert not standby.try_acquire()  # no exception out of the standby's loop: a reason
        assert "administrator command" in standby.why
        assert not standby.try_acquire() and standby.why == ""  # connected again
        active.release()
        assert eventually(standby.try_acquire)
        assert lock_holders(pg_url) == [standby._conn.info.backend_pid]
    finally:
        active.release()
        standby.release()


def test_the_lock_connection_keeps_alive_on_both_ends_so_a_silent_network_frees_the_lock(pg_url):
    """A holder behind a network gone silent loses the lock within about a minute, not two hours."""
    lock = scheduler.LeaderLock(pg_url)
    try:
        assert lock.try_acquire()
        settings = {name: lock._conn.execute(f"SHOW {name}").fetchone()[0]
                    for name in ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")}
        assert settings == {"tcp_keepalives_idle": "30", "tcp_keepalives_interval": "10", "tcp_keepalives_count": "3"}
        assert lock._conn.info.get_parameters().get("keepalives") == "1"
    finally:
        lock.release()
