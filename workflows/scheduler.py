"""APScheduler wiring: the sweep every few minutes and the coordinators' digest at 07:30 on working days.

Only one scheduler is active against a database: it holds a leader lock (a PostgreSQL advisory
lock, or a file lock beside a SQLite database); another one waits as a standby and takes over
when the lock is released, which the operating system or the server does when the holder dies.
"""

from __future__ import annotations

import logging
import signal
import time
from datetime import datetime, time as dt_time, timedelta
from pathlib import Path

from screening import db
from screening.clock import STOCKHOLM

log = logging.getLogger("screening.scheduler")
LOCK_KEY = 0x5C4EE9  # the advisory lock's key: "screening scheduler"
DIGEST_AT = dt_time(7, 30)


class LeaderLock:
    """Held for as long as this process is the active scheduler."""

    def __init__(self, url: str):
        self.url = url
        self._conn = None
        self._file = None
        self.lost = False

    def try_acquire(self) -> bool:
        if db.is_sqlite(self.url):
            import fcntl

            path = Path(db.sqlite_path(self.url) + ".scheduler.lock")
            self._file = self._file or open(path, "a+")
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False
        import psycopg

        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(db.psycopg_conninfo(self.url), autocommit=True)
        return bool(self._conn.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,)).fetchone()[0])

    def still_held(self) -> bool:
        if db.is_sqlite(self.url):
            return self._file is not None
        try:
            self._conn.execute("SELECT 1")
            return True
        except Exception:  # the connection was cut: the server has released the lock
            return False

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        if self._conn is not None and not self._conn.closed:
            self._conn.close()


def sweep_job(url: str, policy, lock: LeaderLock, scheduler) -> None:
    from screening.unit_of_work import SqlUnitOfWork
    from workflows import services

    if not lock.still_held():
        log.error("lost the leader lock; stopping so that a standby takes over")
        lock.lost = True
        scheduler.shutdown(wait=False)
        return
    from notifications.outbox import channel_from_environment, dispatch

    now = datetime.now(STOCKHOLM)
    with SqlUnitOfWork(url) as uow:
        raised = services.run_sweep(uow, None, policy=policy, now=now)
    with SqlUnitOfWork(url) as uow:
        sent = dispatch(uow, channel_from_environment(), now)
    log.info("sweep at %s raised %d alert(s); %d message(s) sent", now.isoformat(timespec="seconds"),
             len(raised), sent)


def digest_job(url: str, policy, now: datetime | None = None) -> dict | None:
    """The coordinators' digest, on working days only (not on midsommarafton, julafton, …)."""
    from screening.unit_of_work import SqlUnitOfWork
    from workflows.digest import digest

    now = now or datetime.now(STOCKHOLM)
    today = now.astimezone(STOCKHOLM).date()
    if not policy.calendar.is_working_day(today):
        log.info("no digest on %s: not a working day", today)
        return None
    previous = today - timedelta(days=1)
    while not policy.calendar.is_working_day(previous):  # new since the last digest, over weekends too
        previous -= timedelta(days=1)
    since = datetime.combine(previous, DIGEST_AT, STOCKHOLM)
    with SqlUnitOfWork(url) as uow:
        summary = digest(uow.conn, now, since)
        uow.commit()
    log.info("digest for %s: %d open breach(es)", now.date(), summary["open_breaches"])
    return summary


def run(url: str, policy, *, every_minutes: float = 5.0, standby_poll: float = 5.0) -> int:
    """Run until SIGTERM or Ctrl-C: wait as a standby until the leader lock is ours, then schedule."""
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    stopping = False

    def stop(signum, _frame):
        nonlocal stopping
        stopping = True
        log.info("received %s: stopping", signal.Signals(signum).name)
        if scheduler.running:
            scheduler.shutdown(wait=True)  # a sweep under way finishes before the lock is released

    scheduler = BlockingScheduler(timezone=STOCKHOLM, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600})
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    lock = LeaderLock(url)
    log.info("starting against %s", db.redact(url))
    while not stopping and not lock.try_acquire():
        log.info("standby: another scheduler is active; retrying in %.1f s", standby_poll)
        time.sleep(standby_poll)
    if stopping:
        lock.release()
        log.info("stopped")
        return 0
    log.info("active: this scheduler holds the leader lock")
    # after downtime: one catch-up sweep now, not one per missed run (coalesce)
    scheduler.add_job(sweep_job, IntervalTrigger(minutes=every_minutes), id="sweep", replace_existing=True,
                      args=[url, policy, lock, scheduler], next_run_time=datetime.now(STOCKHOLM))
    scheduler.add_job(digest_job, CronTrigger(day_of_week="mon-fri", hour=DIGEST_AT.hour,
                                              minute=DIGEST_AT.minute, timezone=STOCKHOLM),
                      id="digest", replace_existing=True, args=[url, policy])
    now = datetime.now(STOCKHOLM)
    if now.time() >= DIGEST_AT:  # started after 07:30: today's digest, once (the outbox key)
        scheduler.add_job(digest_job, id="digest-catch-up", args=[url, policy], next_run_time=now)
    try:
        if not stopping:
            scheduler.start()
    finally:
        lock.release()
        log.info("stopped")
    return 1 if lock.lost else 0
