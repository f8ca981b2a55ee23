"""APScheduler wiring: the sweep every few minutes, the coordinators' digest at 07:30 on working days,
the outbox's nightly pruning of sent messages and the nightly check of the audit trail's hash chain.

Only one scheduler is active against a database: it holds a leader lock (`workflows.leadership`: a PostgreSQL advisory
lock, or a file lock beside a SQLite database); another one waits as a standby and takes over
when the lock is released, which the operating system or the server does when the holder dies.
When the server cuts the lock's connection (a restart, an administrator's pg_terminate_backend),
the active one notices within one standby poll, stops its work and becomes a standby itself.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from datetime import time as dt_time

from screening.bootstrap import Clock
from screening.clock import STOCKHOLM
from screening.settings import DIGEST_AT
from screening.storage import db
from workflows.leadership import FENCE_KEY, LOCK_KEY, LeaderLock, first_line, sweep_fence  # noqa: F401

log = logging.getLogger("screening.scheduler")


def at(app, now: datetime | None):
    """The app with its clock at `now` (a job run for a given time, in tests), or as it is."""
    return app if now is None else replace(app, clock=Clock(now, app.clock.system))


@contextmanager
def database_failure_logged(job: str, then: str):
    """A job cut off by the database (a restart, a cut connection, a full disk) logs one line: what
    failed and what happens `then`; any other failure is a bug and keeps its traceback in the log."""
    try:
        yield
    except Exception as error:  # noqa: BLE001 - sorted below
        if not type(error).__module__.startswith(("psycopg", "sqlite3", "sqlalchemy")):
            raise
        log.error("%s: the database failed (%s: %s); %s", job, type(error).__name__, first_line(error), then)


def sweep_job(app, lock: LeaderLock, scheduler) -> None:
    with database_failure_logged("sweep", "the next sweep catches up"), sweep_fence(app.url) as alone:
        if not lock.still_held():
            step_down(lock, scheduler)
        elif not alone:
            log.warning("skipping this sweep: the previous active scheduler's sweep is still under way")
        else:
            sweep_and_dispatch(app)


def sweep_and_dispatch(app) -> None:
    from screening.services import scheduled

    app = at(app, app.clock.now())  # the sweep and the delivery at one time
    raised, sent = scheduled.sweep_and_deliver(app, app.settings.channel())
    log.info("sweep at %s raised %d alert(s); %d message(s) sent", app.clock.now().isoformat(timespec="seconds"),
             raised, sent)


def step_down(lock: LeaderLock, scheduler) -> None:
    """No more work here: the server has released the lock, and a standby may already be active."""
    if lock.mark_lost():
        log.error("lost the leader lock (%s): stopping work and going back to standby", lock.why)
    shut_down(scheduler, wait=False)  # called from a job's or the watch's thread; run() waits for the jobs


def shut_down(scheduler, *, wait: bool) -> None:
    from apscheduler.schedulers.base import SchedulerNotRunningError

    try:
        scheduler.shutdown(wait=wait)
    except SchedulerNotRunningError:  # a signal and a lost lock can race to stop it, or it has not started
        pass


def watch(lock: LeaderLock, scheduler, every: float):
    """Checks the lock between sweeps too, so that its loss is noticed within seconds, not at the next
    sweep; returns the function that ends the watch."""
    done = threading.Event()

    def loop() -> None:
        while not done.wait(every):
            if not lock.still_held():
                step_down(lock, scheduler)
                return

    thread = threading.Thread(target=loop, name="leader-lock-watch", daemon=True)
    thread.start()

    def end() -> None:
        done.set()
        thread.join()  # before the lock is released: a closed connection is no lost lock

    return end


def digest_job(app, now: datetime | None = None) -> dict | None:
    """The coordinators' digest, on working days only (not on midsommarafton, julafton, …)."""
    from screening.services import scheduled

    app = at(app, now or app.clock.now())
    now, calendar = app.clock.now(), app.settings.calendar
    today = now.astimezone(STOCKHOLM).date()
    if not calendar.is_working_day(today):
        log.info("no digest on %s: not a working day", today)
        return None
    previous = today - timedelta(days=1)
    while not calendar.is_working_day(previous):  # new since the last digest, over weekends too
        previous -= timedelta(days=1)
    since = datetime.combine(previous, app.settings.digest_at or DIGEST_AT, STOCKHOLM)
    summary = None
    failed = database_failure_logged("digest", "today's digest was not queued: a scheduler started after its time does")
    with failed:
        summary = scheduled.digest(app, since)
    if summary is None:
        return None
    log.info("digest for %s: %d open breach(es)", now.date(), summary["open_breaches"])
    return summary


PRUNE_AT = dt_time(2, 30)  # local: the quietest hour


def prune_job(app, now: datetime | None = None) -> int:
    """Delete the outbox's sent messages older than SCREENING_OUTBOX_KEEP_DAYS (nightly)."""
    from screening.services import scheduled

    keep = app.settings.keep_sent
    if keep is None:
        return 0
    pruned = None
    failed = database_failure_logged("prune-outbox", "the next night's run deletes what this one did not")
    with failed:
        pruned = scheduled.prune(at(app, now), keep)
    if pruned is None:
        return 0
    log.info("outbox: %d sent message(s) older than %d days deleted", pruned, keep.days)
    return pruned


VERIFY_AT = dt_time(3, 15)  # local: after the pruning


def audit_job(app, seen: dict, now: datetime | None = None) -> dict | None:
    """Check the audit trail's hash chain (nightly); a break is mailed to the coordinators. `seen`
    remembers the last row found whole, which the next check must still find as it was (the end of
    the trail cut off leaves no break in what is left)."""
    from screening.errors import ScreeningError
    from screening.services import chain, scheduled

    checked = None
    with database_failure_logged("audit-verify", "the next night's check runs again"):
        try:
            checked = scheduled.verify_audit(at(app, now), seen.get("anchor"))
        except ScreeningError as error:  # a keyed chain and no key here
            log.error("audit-verify: %s", error.message)
    if checked is None:
        return None
    if checked["ok"]:
        seen["anchor"] = chain.anchor_of(checked)
        log.info("audit trail: the hash chain is whole (%d rows)", checked["rows"])
    else:
        broken = checked["first_break"]
        log.error("audit trail: the hash chain is broken at row %d (%s); the coordinators are told", broken["id"],
                  broken["reason"])
    if not checked["keyed"]:
        log.warning("audit trail: the chain is not keyed (no SCREENING_AUDIT_KEY): a forger who computes it again "
                    "passes the check")
    if checked["login_may_alter"]:
        log.warning("audit trail: this database login may change or delete the audit trail; connect as a role of "
                    "least privilege (docs/deployment.md)")
    return checked


def run(app, *, every_minutes: float = 5.0, standby_poll: float = 5.0) -> int:
    """Run until SIGTERM or Ctrl-C: wait as a standby until the leader lock is ours, then schedule;
    back to standby if the lock is lost (its connection cut), so that another scheduler takes over.
    Its jobs run at the system's time, whatever clock the app was given."""
    app = replace(app, clock=Clock(None, app.clock.system))
    url = app.url
    current, stopping = [], []  # lists: the signal handler appends, the loops look
    seen: dict = {}  # what the audit trail's nightly check saw last: kept from one term as the active one to the next

    def stop(signum, _frame):
        stopping.append(signum)
        log.info("received %s: stopping", signal.Signals(signum).name)
        if current and current[-1].running:
            shut_down(current[-1], wait=True)  # a sweep under way finishes before the lock is released

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    lock = LeaderLock(url)
    log.info("starting against %s", db.redact(url))
    try:
        while standby(lock, standby_poll, stopping):
            scheduler, executor = schedule(app, lock, every_minutes, seen)
            current.append(scheduler)
            lead(scheduler, executor, lock, standby_poll, stopping)
            if not lock.lost:  # stopped by a signal
                break
            lock.release()  # the cut connection; the next try opens a new one
            pause(2 * standby_poll, stopping)  # a standby polling at our pace takes over first
    finally:
        lock.release()
        log.info("stopped")
    return 0


def standby(lock: LeaderLock, poll: float, stopping: list) -> bool:
    """Wait until the leader lock is ours (True) or a signal came (False)."""
    while not stopping and not lock.try_acquire():
        if lock.why:
            log.warning("standby: cannot reach the database (%s); retrying in %.1f s", lock.why, poll)
        else:
            log.info("standby: another scheduler is active; retrying in %.1f s", poll)
        pause(poll, stopping)
    if stopping:
        return False
    log.info("active: this scheduler holds the leader lock")
    return True


def pause(seconds: float, stopping: list) -> None:
    """Sleep in short steps: a signal's handler cannot cut a sleep short, only mark the stop."""
    deadline = time.monotonic() + seconds
    while not stopping and (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 0.2))


def schedule(app, lock: LeaderLock, every_minutes: float, seen: dict | None = None):
    """A new scheduler for each term as the active one: a scheduler once shut down is not restarted."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    executor = ThreadPoolExecutor()  # kept, so that run() can wait for its jobs after a step-down
    scheduler = BlockingScheduler(timezone=STOCKHOLM, executors={"default": executor}, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 6 * 3600})
    # after downtime: one catch-up sweep now, not one per missed run (coalesce)
    scheduler.add_job(sweep_job, IntervalTrigger(minutes=every_minutes), id="sweep", replace_existing=True,
                      args=[app, lock, scheduler], next_run_time=app.clock.now())
    digest_at = app.settings.digest_at
    if digest_at is not None:
        scheduler.add_job(digest_job, CronTrigger(day_of_week="mon-fri", hour=digest_at.hour, minute=digest_at.minute,
                                                  timezone=STOCKHOLM), id="digest", replace_existing=True,
                          args=[app])
        now = app.clock.now()
        if now.time() >= digest_at:  # started after the digest's time: today's digest, once (the outbox key)
            scheduler.add_job(digest_job, id="digest-catch-up", args=[app], next_run_time=now)
    if app.settings.keep_sent is not None:
        scheduler.add_job(prune_job, CronTrigger(hour=PRUNE_AT.hour, minute=PRUNE_AT.minute, timezone=STOCKHOLM),
                          id="prune-outbox", replace_existing=True, args=[app])
    scheduler.add_job(audit_job, CronTrigger(hour=VERIFY_AT.hour, minute=VERIFY_AT.minute, timezone=STOCKHOLM),
                      id="audit-verify", replace_existing=True, args=[app, seen if seen is not None else {}])
    return scheduler, executor


def lead(scheduler, executor, lock: LeaderLock, check_every: float, stopping: list) -> None:
    """Run the jobs until a signal or the loss of the lock shuts the scheduler down."""
    end_watch = watch(lock, scheduler, check_every)
    try:
        if not stopping and not lock.lost:
            scheduler.start()
    finally:
        end_watch()
        # a step-down shuts down without waiting (from a job's own thread): wait here, so that no job
        # of this term still runs when the lock is released or taken again
        executor.shutdown(wait=True)
