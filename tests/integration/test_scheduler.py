"""`screening scheduler run`: the digest on working days, the catch-up sweep, the leader lock, the processes.

Every child, name and date here is invented. PostgreSQL advisory locks belong to a whole database,
not to a schema, so the tests that take the scheduler's lock on PostgreSQL use a database of their
own (a fresh schema in the shared test database would share the lock with any other test run).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from screening.bootstrap import bootstrap
from screening.clock import STOCKHOLM
from screening.services import alerts
from screening.services.alerts import sweep_in
from screening.services.events import record_event
from screening.services.registration import Registration, register_in
from screening.services.users import actor_in
from screening.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import PG_URL, pg_schema_url
from workflows import scheduler
from workflows.policy import Policy

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "screening"
LOG_LINE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) [\w.]+: (.*)$")
POLICY = Policy.default()

NOT_WORKING = {
    "a Saturday": datetime(2026, 11, 21, 7, 30, tzinfo=STOCKHOLM),
    "a Sunday": datetime(2026, 11, 22, 7, 30, tzinfo=STOCKHOLM),
    "midsommarafton": datetime(2026, 6, 19, 7, 30, tzinfo=STOCKHOLM),
    "julafton": datetime(2026, 12, 24, 7, 30, tzinfo=STOCKHOLM),
    "nyårsafton": datetime(2026, 12, 31, 7, 30, tzinfo=STOCKHOLM),
    "första maj": datetime(2026, 5, 1, 7, 30, tzinfo=STOCKHOLM),
    "trettondedag jul": datetime(2026, 1, 6, 7, 30, tzinfo=STOCKHOLM),
    "långfredagen": datetime(2026, 4, 3, 7, 30, tzinfo=STOCKHOLM),
    "nyårsafton 00:30, given in UTC": datetime(2026, 12, 30, 23, 30, tzinfo=timezone.utc),
}
WORKING = {  # the half-days are working days
    "2026-04-30": datetime(2026, 4, 30, 7, 30, tzinfo=STOCKHOLM),  # valborgsmässoafton
    "2026-01-05": datetime(2026, 1, 5, 7, 30, tzinfo=STOCKHOLM),  # trettondagsafton
    "2026-04-02": datetime(2026, 4, 2, 7, 30, tzinfo=STOCKHOLM),  # skärtorsdagen
    "2026-05-13": datetime(2026, 5, 13, 7, 30, tzinfo=STOCKHOLM),  # the day before Kristi himmelsfärd
    "2026-10-30": datetime(2026, 10, 30, 7, 30, tzinfo=STOCKHOLM),  # allhelgonaafton
    "2026-11-24": datetime(2026, 11, 24, 7, 30, tzinfo=STOCKHOLM),  # an ordinary Tuesday
    "2026-06-18": datetime(2026, 6, 17, 22, 30, tzinfo=timezone.utc),  # 00:30 local, given in UTC
}


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=STOCKHOLM)


def rows(url: str, sql: str, **params) -> list[dict]:
    with SqlUnitOfWork(url) as uow:
        return uow.conn.all(sql, params)


def register(url: str, user: str, municipality: str, notice_at: datetime, **fields) -> str:
    reg = Registration(birth_date=date(2019, 4, 2), municipality=municipality, notice_at=notice_at,
                                **fields)
    with SqlUnitOfWork(url) as uow:
        case_id, _ = register_in(uow, actor_in(uow, user), reg, now=notice_at, recorded_at=notice_at, policy=POLICY)
    return case_id


def sweep(url: str, now: datetime) -> list[dict]:
    with SqlUnitOfWork(url) as uow:
        return sweep_in(uow, POLICY.rules, now)


def digest_outbox(url: str) -> list[dict]:
    return rows(url, "SELECT key, topic, ref, status FROM outbox WHERE topic = 'digest' ORDER BY key")


# --- the digest: working days only --------------------------------------------------------


def test_no_digest_on_weekends_and_holidays_one_per_working_day_including_half_days(demo_db):
    for name, now in NOT_WORKING.items():
        assert scheduler.digest_job(bootstrap(demo_db), now=now) is None, name
    assert digest_outbox(demo_db) == []

    for day, now in WORKING.items():
        first = scheduler.digest_job(bootstrap(demo_db), now=now)
        again = scheduler.digest_job(bootstrap(demo_db), now=now)
        assert first == again == {"day": day, "groups": [], "open_breaches": 0, "new_breaches": 0}

    assert digest_outbox(demo_db) == [{"key": f"digest:{day}", "topic": "digest", "ref": None, "status": "queued"}
                                      for day in sorted(WORKING)]


def counts(summary: dict) -> dict:
    return {(g["municipality"], g["health_centre_id"]): (int(g["new"]), int(g["still_open"]))
            for g in summary["groups"]}


def test_the_digest_counts_new_and_open_breaches_per_municipality_and_health_centre(demo_db):
    monday = lambda hour, minute=0: at(2026, 11, 23, hour, minute)  # noqa: E731
    cases = [
        register(demo_db, "ostersund-reception", "Östersund", monday(9), health_centre="hc-lugnvik",
                 name="Testbarn Ett"),
        register(demo_db, "ostersund-reception", "Östersund", monday(9, 5), health_centre="hc-lugnvik"),
        register(demo_db, "ostersund-reception", "Östersund", monday(9, 10), health_centre="hc-odensala"),
        register(demo_db, "krokom-reception", "Krokom", monday(10), health_centre="hc-odensala"),
        register(demo_db, "krokom-reception", "Krokom", monday(10, 5), health_centre="hc-krokom"),
    ]
    late = register(demo_db, "are-reception", "Åre", monday(11), health_centre="hc-jarpen", name="Testbarn Två")
    after_cutoff = register(demo_db, "ostersund-reception", "Östersund", monday(17), health_centre="hc-lugnvik")
    sweep(demo_db, at(2026, 11, 24, 6, 0))  # Tuesday: Monday's notices are past due; the 17:00 one is not

    tuesday = scheduler.digest_job(bootstrap(demo_db), now=at(2026, 11, 24, 7, 30))

    assert counts(tuesday) == {("Östersund", "hc-lugnvik"): (2, 2), ("Östersund", "hc-odensala"): (1, 1),
                               ("Krokom", "hc-odensala"): (1, 1), ("Krokom", "hc-krokom"): (1, 1),
                               ("Åre", "hc-jarpen"): (1, 1)}
    assert (tuesday["open_breaches"], tuesday["new_breaches"]) == (6, 6)

    with SqlUnitOfWork(demo_db) as uow:  # Åre notifies late: its breach is no longer open
        record_event(uow, actor_in(uow, "are-reception"), late, "notify_parties", {}, policy=POLICY,
                             now=at(2026, 11, 24, 10, 0), recorded_at=at(2026, 11, 24, 10, 0))
    register(demo_db, "berg-reception", "Berg", at(2026, 11, 24, 9, 0), health_centre="hc-svenstavik")
    sweep(demo_db, at(2026, 11, 25, 6, 0))

    wednesday = scheduler.digest_job(bootstrap(demo_db), now=at(2026, 11, 25, 7, 30))

    assert counts(wednesday) == {("Östersund", "hc-lugnvik"): (1, 3), ("Östersund", "hc-odensala"): (0, 1),
                                 ("Krokom", "hc-odensala"): (0, 1), ("Krokom", "hc-krokom"): (0, 1),
                                 ("Berg", "hc-svenstavik"): (1, 1)}
    assert (wednesday["open_breaches"], wednesday["new_breaches"]) == (7, 2)
    for summary in (tuesday, wednesday):  # counts only: no child, no name, no medical text
        assert set(summary) == {"day", "groups", "open_breaches", "new_breaches"}
        assert all(set(group) == {"municipality", "health_centre_id", "new", "still_open"}
                   for group in summary["groups"])
        text = json.dumps(summary, ensure_ascii=False, default=str)
        for secret in [*cases, late, after_cutoff, "SC-", "Testbarn", "notify_parties"]:
            assert secret not in text
    assert [row["key"] for row in digest_outbox(demo_db)] == ["digest:2026-11-24", "digest:2026-11-25"]


def test_a_closed_case_and_a_declined_childs_health_steps_leave_the_digest(demo_db):
    """They are no longer owed (as the sweep and the overview count): the digest shows what is."""
    monday = at(2026, 11, 23, 9)
    closed = register(demo_db, "krokom-reception", "Krokom", monday, health_centre="hc-krokom")
    declined = register(demo_db, "krokom-reception", "Krokom", monday, health_centre="hc-krokom")
    open_one = register(demo_db, "krokom-reception", "Krokom", monday, health_centre="hc-krokom")
    sweep(demo_db, at(2026, 11, 24, 6, 0))  # three notifications past due: three breaches
    later = at(2026, 11, 24, 7, 0)
    with SqlUnitOfWork(demo_db) as uow:
        record_event(uow, actor_in(uow, "krokom-reception"), closed, "close", {"reason": "flyttat (påhittat)"},
                             policy=POLICY, now=later, recorded_at=later)
    with SqlUnitOfWork(demo_db) as uow:
        record_event(uow, actor_in(uow, "krokom-reception"), declined, "decline", {"reason": "avböjer (påhittat)"},
                             policy=POLICY, now=later, recorded_at=later)
    summary = scheduler.digest_job(bootstrap(demo_db), now=at(2026, 11, 24, 7, 30))
    assert counts(summary) == {("Krokom", "hc-krokom"): (1, 1)} and open_one


def test_a_breach_raised_at_the_weekend_is_new_in_mondays_digest(demo_db):
    register(demo_db, "ostersund-reception", "Östersund", at(2026, 11, 20, 10, 0), health_centre="hc-lugnvik")
    assert scheduler.digest_job(bootstrap(demo_db), now=at(2026, 11, 20, 7, 30))["new_breaches"] == 0  # Friday
    assert len(sweep(demo_db, at(2026, 11, 21, 10, 0))) == 1  # Saturday: raised, and no digest that day

    monday = scheduler.digest_job(bootstrap(demo_db), now=at(2026, 11, 23, 7, 30))

    assert (monday["open_breaches"], monday["new_breaches"]) == (1, 1)


# --- the scheduler as `run` builds it -----------------------------------------------------


@pytest.fixture
def built(tmp_path, monkeypatch, caplog):
    """The scheduler that `run` builds and starts (paused instead of blocking), and run's result."""
    from apscheduler.schedulers.base import BaseScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    captured, handlers = [], {}

    def start(self, *args, **kwargs):
        self._event = threading.Event()
        BaseScheduler.start(self, paused=True)  # jobs scheduled with their defaults; nothing runs
        captured.append(self)

    monkeypatch.setattr(BlockingScheduler, "start", start)
    monkeypatch.setattr(signal, "signal", lambda signum, handler: handlers.__setitem__(signum, handler))
    caplog.set_level("INFO", logger="screening.scheduler")
    url = f"sqlite:///{tmp_path / 'screening.db'}"
    began = datetime.now(STOCKHOLM)
    code = scheduler.run(bootstrap(url), every_minutes=4, standby_poll=0.1)
    try:
        yield {"scheduler": captured[0], "code": code, "handlers": handlers, "url": url, "began": began,
               "log": [record.getMessage() for record in caplog.records if record.name == "screening.scheduler"]}
    finally:
        captured[0].shutdown(wait=False)


def test_run_schedules_a_sweep_and_a_digest_with_coalesce_and_a_generous_grace_time(built):
    from apscheduler.triggers.interval import IntervalTrigger

    sched = built["scheduler"]
    jobs = {job.id: job for job in sched.get_jobs()}

    # started after 07:30 (the test's own clock) today's digest is sent at once, as a catch-up
    catch_up = {"digest-catch-up"} if built["began"].time() >= scheduler.DIGEST_AT else set()
    assert set(jobs) == {"sweep", "digest", "prune-outbox", "audit-verify"} | catch_up
    for job in jobs.values():
        assert (job.coalesce, job.max_instances) == (True, 1), job.id
        assert job.misfire_grace_time >= 3600, job.id
    assert str(sched.timezone) == "Europe/Stockholm"
    assert isinstance(jobs["sweep"].trigger, IntervalTrigger)
    assert jobs["sweep"].trigger.interval == timedelta(minutes=4)
    # one catch-up sweep right at start-up, not one per run missed while down
    assert abs(jobs["sweep"].next_run_time - built["began"]) < timedelta(seconds=30)
    assert jobs["digest"].func is scheduler.digest_job
    assert jobs["prune-outbox"].func is scheduler.prune_job
    night = jobs["prune-outbox"].trigger.get_next_fire_time(None, datetime(2026, 11, 23, 12, tzinfo=STOCKHOLM))
    assert night == datetime(2026, 11, 24, 2, 30, tzinfo=STOCKHOLM)
    assert jobs["audit-verify"].func is scheduler.audit_job
    check = jobs["audit-verify"].trigger.get_next_fire_time(None, datetime(2026, 11, 23, 12, tzinfo=STOCKHOLM))
    assert check == datetime(2026, 11, 24, 3, 15, tzinfo=STOCKHOLM)
    assert set(built["handlers"]) == {signal.SIGTERM, signal.SIGINT}
    assert built["code"] == 0
    assert built["log"][-1] == "stopped"
    assert scheduler.LeaderLock(built["url"]).try_acquire()  # released on the way out


def test_a_sigterm_during_a_sweep_lets_it_finish_before_the_lock_is_released(tmp_path, monkeypatch):
    from screening.storage import migrate

    url = f"sqlite:///{tmp_path / 'screening.db'}"
    migrate.upgrade(url)
    sweeping, order, handlers, result = threading.Event(), [], {}, []

    def slow_sweep(uow, rules, now):
        sweeping.set()
        time.sleep(1.0)
        order.append("sweep ended")
        return []

    monkeypatch.setattr(alerts, "sweep_in", slow_sweep)
    monkeypatch.setenv("SCREENING_DIGEST_AT", "off")  # after 07:30 a catch-up digest would run beside the sweep
    monkeypatch.setattr(signal, "signal", lambda signum, handler: handlers.__setitem__(signum, handler))
    runner = threading.Thread(target=lambda: result.append(scheduler.run(bootstrap(url), every_minutes=60)))
    runner.start()
    other = scheduler.LeaderLock(url)
    try:
        assert sweeping.wait(10)
        handlers[signal.SIGTERM](signal.SIGTERM, None)
        assert eventually(other.try_acquire, 5)
        order.append("lock released")
        runner.join(10)
        assert result == [0]
        assert order == ["sweep ended", "lock released"]
    finally:
        eventually(lambda: "sweep ended" in order, 5)  # leave no sweep running into the next test
        runner.join(10)
        other.release()


@pytest.mark.parametrize("now, fires", [
    (at(2026, 3, 27, 8, 0), datetime(2026, 3, 30, 7, 30, tzinfo=timezone(timedelta(hours=2)))),  # into summer time
    (at(2026, 10, 23, 8, 0), datetime(2026, 10, 26, 7, 30, tzinfo=timezone(timedelta(hours=1)))),  # into winter
    (at(2026, 11, 23, 7, 29), at(2026, 11, 23, 7, 30)),
    (at(2026, 11, 23, 7, 30, 1), at(2026, 11, 24, 7, 30)),
    (at(2026, 11, 21, 7, 0), at(2026, 11, 23, 7, 30)),  # Saturday -> Monday
])
def test_the_digest_trigger_fires_at_0730_stockholm_monday_to_friday(built, now, fires):
    trigger = built["scheduler"].get_job("digest").trigger

    assert trigger.get_next_fire_time(None, now) == fires

    times, previous = [], now
    for _ in range(10):
        previous = trigger.get_next_fire_time(previous, previous + timedelta(seconds=1))
        times.append(previous.astimezone(STOCKHOLM))
    assert all(t.weekday() < 5 and (t.hour, t.minute, t.second) == (7, 30, 0) for t in times)
    weekdays = [fires.date() + timedelta(days=n) for n in range(14)]
    assert [t.date() for t in times] == [d for d in weekdays if d.weekday() < 5]


def test_after_a_weekend_down_one_sweep_raises_everything_once_and_the_next_one_nothing(demo_db):
    friday = at(2026, 11, 20, 10, 0)
    first = register(demo_db, "ostersund-reception", "Östersund", friday)  # due Friday evening
    second = register(demo_db, "ostersund-reception", "Östersund", friday, arrival=date(2026, 10, 21))  # + Saturday

    raised = sweep(demo_db, at(2026, 11, 23, 8, 0))  # Monday: the catch-up sweep

    assert sorted((a["case_id"], a["rule"], a["kind"], a["raise_count"]) for a in raised) == sorted([
        (first, "notify_parties", "breach", 1), (second, "notify_parties", "breach", 1),
        (second, "school_start", "warning", 1)])
    assert sweep(demo_db, at(2026, 11, 23, 8, 0)) == []
    assert sweep(demo_db, at(2026, 11, 23, 8, 4)) == []
    outbox = rows(demo_db, "SELECT key FROM outbox WHERE topic = 'alert' ORDER BY key")
    assert sorted(row["key"] for row in outbox) == sorted(f"alert:{a['id']}:1" for a in raised)


# --- the leader lock ----------------------------------------------------------------------


def pg_database_url():
    """A database of its own (advisory locks are per database), dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    from screening.storage import db

    schema = pg_schema_url()  # skips (or fails under SCREENING_REQUIRE_PG) where no server answers
    shared = next(schema)
    name = f"t_sched_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(db.psycopg_conninfo(PG_URL), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
    except psycopg.errors.InsufficientPrivilege:  # no CREATEDB: share the test database's lock
        try:
            yield shared
        finally:
            schema.close()
        return
    schema.close()
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        db.engine(url).dispose()
        with psycopg.connect(db.psycopg_conninfo(PG_URL), autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
            conn.execute(f"DROP DATABASE IF EXISTS {name}")


@pytest.fixture
def pg_url():
    yield from pg_database_url()


def eventually(check, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return check()


@pytest.mark.postgres
def test_one_advisory_lock_holder_and_the_other_takes_over_when_released_or_cut_off(pg_url):
    import psycopg

    from screening.storage import db

    first, second = scheduler.LeaderLock(pg_url), scheduler.LeaderLock(pg_url)
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        assert first.still_held()
        first.release()  # the server lets go once it has seen the connection close
        assert eventually(second.try_acquire)
        assert not first.try_acquire()

        with psycopg.connect(db.psycopg_conninfo(pg_url), autocommit=True) as third:
            holder = third.execute(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = %s "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                (scheduler.LOCK_KEY,)).fetchall()
            assert len(holder) == 1
            third.execute("SELECT pg_terminate_backend(%s)", (holder[0][0],))

        assert eventually(first.try_acquire)
        assert not second.still_held()
    finally:
        first.release()
        second.release()


def test_one_file_lock_holder_beside_the_sqlite_file_and_takeover_when_the_holder_dies(tmp_path):
    url = f"sqlite:///{tmp_path / 'screening.db'}"
    first, second = scheduler.LeaderLock(url), scheduler.LeaderLock(url)
    holder = None
    try:
        assert first.try_acquire()
        assert not second.try_acquire()  # flock: two open files conflict even in one process
        assert (tmp_path / "screening.db.scheduler.lock").exists()
        first.release()
        assert second.try_acquire()
        second.release()

        holder = subprocess.Popen(
            [sys.executable, "-c", "import sys, time; from workflows.scheduler import LeaderLock; "
             "lock = LeaderLock(sys.argv[1]); print(lock.try_acquire(), flush=True); time.sleep(60)", url],
            cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "True"
        assert not first.try_acquire()
        holder.kill()
        holder.wait(timeout=10)
        assert eventually(first.try_acquire)
    finally:
        if holder is not None and holder.poll() is None:
            holder.kill()
            holder.wait(timeout=10)
        first.release()
        second.release()


# --- the processes ------------------------------------------------------------------------


class SchedulerProcess:
    """`screening scheduler run` in its own process; its stderr lines are read by a thread."""

    def __init__(self, url: str, **environment: str):
        # no digest: these processes test leadership and sweeps at any hour (the digest has tests of its own)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")} | {
            "SCREENING_DIGEST_AT": "off"} | environment
        self.proc = subprocess.Popen(
            [str(SCRIPT), "--db", url, "--as", "admin", "scheduler", "run", "--every", "0.05",
             "--standby-poll", "0.3"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True)
        self.lines: list[str] = []
        self.changed = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    def messages(self) -> list[str]:
        with self.changed:
            return [m.group(2) if (m := LOG_LINE.match(line.rstrip("\n"))) else line for line in self.lines]

    def logged(self, prefix: str) -> bool:
        return any(message.startswith(prefix) for message in self.messages())

    def wait_for(self, prefix: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not self.logged(prefix):
                if time.monotonic() >= deadline or (self.proc.poll() is not None and not self.reader.is_alive()):
                    return False
                self.changed.wait(0.1)
            return True

    def finish(self, timeout: float = 10) -> int:
        code = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=timeout)
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.finish()

    def bad_lines(self, *, killed: bool = False) -> list[str]:
        with self.changed:
            lines = list(self.lines)
        if killed and lines and not lines[-1].endswith("\n"):
            lines.pop()  # cut off mid-write by SIGKILL
        return [line for line in lines if not LOG_LINE.match(line.rstrip("\n"))]


def demo_database(url: str) -> str:
    import cli

    assert cli.main(["--db", url, "init", "--demo"]) == 0
    return url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def cli_db(request, tmp_path):
    """A database made by `screening init --demo`, with its own scheduler lock."""
    if request.param == "sqlite":
        yield demo_database(f"sqlite:///{tmp_path / 'screening.db'}")
    else:
        database = pg_database_url()
        try:
            yield demo_database(next(database))
        finally:
            database.close()


def test_two_schedulers_one_active_the_standby_takes_over_when_it_dies_and_stops_on_sigterm(cli_db):
    procs = [SchedulerProcess(cli_db), SchedulerProcess(cli_db)]
    try:
        assert eventually(lambda: all(p.logged("active:") or p.logged("standby:") for p in procs), 20), \
            [p.messages() for p in procs]
        active, standby = procs if procs[0].logged("active:") else procs[::-1]
        assert active.wait_for("sweep at", 10), active.messages()
        assert standby.wait_for("standby:", 5), standby.messages()
        assert not standby.logged("active:") and not standby.logged("sweep at")
        assert not active.logged("standby:")

        active.proc.send_signal(signal.SIGKILL)
        killed_at = time.monotonic()
        assert standby.wait_for("active:", 5), standby.messages()
        assert time.monotonic() - killed_at < 5
        assert standby.wait_for("sweep at", 10), standby.messages()  # the catch-up sweep at takeover

        standby.proc.send_signal(signal.SIGTERM)
        assert standby.finish() == 0
        assert "stopped" in standby.messages()
        assert active.finish() == -signal.SIGKILL
        assert active.bad_lines(killed=True) == [] and standby.bad_lines() == []
        assert not any(p.logged("lost the leader lock") for p in procs)
    finally:
        for p in procs:
            p.kill()


def test_a_standby_takes_over_when_the_lock_is_released_and_stops_on_ctrl_c(cli_db):
    held = scheduler.LeaderLock(cli_db)
    proc = None
    try:
        assert held.try_acquire()
        proc = SchedulerProcess(cli_db)
        assert proc.wait_for("standby:", 20), proc.messages()
        held.release()
        assert proc.wait_for("active:", 5), proc.messages()
        assert proc.wait_for("sweep at", 10), proc.messages()

        proc.proc.send_signal(signal.SIGINT)
        assert proc.finish() == 0
        assert "stopped" in proc.messages()
        assert "received SIGINT: stopping" in proc.messages()
        assert proc.bad_lines() == []
    finally:
        if proc is not None:
            proc.kill()
        held.release()


class _Held:
    """A leader lock that is held (the sweep job asks before it sweeps)."""

    def still_held(self) -> bool:
        return True


def test_a_job_the_database_cuts_off_logs_one_line_and_a_bug_keeps_its_traceback(demo_db, monkeypatch, caplog):
    import sqlite3

    def cut(*_args, **_kwargs):
        raise sqlite3.OperationalError("disk I/O error\nmore detail")

    monkeypatch.setattr(alerts, "sweep_in", cut)
    monkeypatch.setattr("workflows.digest.digest", cut)
    caplog.set_level("INFO", logger="screening.scheduler")

    scheduler.sweep_job(bootstrap(demo_db), _Held(), scheduler=None)  # no exception: logged
    assert scheduler.digest_job(bootstrap(demo_db), at(2026, 11, 23, 7, 30)) is None

    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors == [
        "sweep: the database failed (OperationalError: disk I/O error); the next sweep catches up",
        "digest: the database failed (OperationalError: disk I/O error); today's digest was not queued: "
        "a scheduler started after its time does"]
    assert all(r.exc_info is None for r in caplog.records)

    monkeypatch.setattr(alerts, "sweep_in", lambda *a, **k: 1 / 0)
    with pytest.raises(ZeroDivisionError):  # a bug: APScheduler logs it with its traceback
        scheduler.sweep_job(bootstrap(demo_db), _Held(), scheduler=None)
