"""The benchmark suite: every figure, on SQLite and PostgreSQL, at several sizes, in one table.

    .venv/bin/python benchmarks/suite.py [--sizes 10000,100000,1000000] [--backends sqlite,postgresql]
                                         [--events 5000] [--processes 8] [--runs 2] [--cli-runs 5]
                                         [--small] [--json] [--save FILE] [--pg-url URL]

Per backend and size N: the progressed population of build_population.py (built once, reused while
it has the same N and seed: benchmarks/out/population-N.db, shared with report_bench.py; on
PostgreSQL the schema bench_suite_N, kept), then

  size      bytes per case: the SQLite file after a WAL checkpoint / N; on PostgreSQL
            pg_total_relation_size summed over the schema's tables / N (events_bench.storage);
  report    the § 10 report over the whole two years by municipality: report_bench.compute_once
            in a worker process (first and best run, then one under tracemalloc), and the
            coordinator's command (report_bench.command_argv) as a subprocess;
  sweep     sweep_bench.sweep_once a day after the scheduler's last sweep (the alerts of one day)
            in a fresh worker, then again (nothing new to raise); on SQLite on a fresh copy per run
            (sweep_bench._fresh_copy), on PostgreSQL undone after each run;
  cli       `case show` (ostersund-reception, a random Östersund case each run), `case list
            --municipality Berg` as berg-reception and the health centre's own `case list` as
            hc-svenstavik, and the centre's first page of open cases (`--open --limit 50`), each
            --json, as subprocesses (cli_latency's approach: warm-up, median);
  events    --events next steps of the cases still on their way (notify, book, hold, results,
            examination; introduction, plan, school or preschool start), one
            services.apply_event per unit of work, in one worker process; on PostgreSQL also the
            same events split over 8 worker processes by case (disjoint cases, started together).
            Bookings get times one after another per health centre, so none is refused. Also the
            CPU per event of the workers and (PostgreSQL on this machine) of their server backends.

Peak memory: the peak RSS of every measuring process (its ru_maxrss, taken by a small launcher:
see LAUNCHER), and Python's allocation peak (tracemalloc) of the sweep and the report's compute.
The reads and events run on a copy (SQLite) or are undone afterwards (PostgreSQL: the touched
cases' rows restored, the rows added since deleted), so the cached population stays as built.
Each figure carries the 1-minute load average when it was taken. --small is CI's smoke test:
2,000 cases, SQLite, one run each.

A benchmark reports; the exit code is 1 only when something breaks (a command fails, an event is
refused, a phase raises), never because a figure is slow.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime, timedelta
from pathlib import Path

SELF = Path(__file__).resolve()
HERE = SELF.parent
sys.path.insert(0, str(HERE))

import build_db  # noqa: E402  (also puts the project root on sys.path)
import build_population  # noqa: E402
import cli_latency  # noqa: E402
import events_bench  # noqa: E402
import report_bench  # noqa: E402
import sweep_bench  # noqa: E402

OUT = HERE / "out"
SIZES = (10_000, 100_000, 1_000_000)
SMALL_CASES = 2_000
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SEED = 1
NOW = build_population.NOW
PROCESSES = 8
SHOW_USER, SHOW_MUNICIPALITY = "ostersund-reception", "Östersund"
LISTS = {"list_reception": ("berg-reception", ["--municipality", "Berg"]), "list_centre": ("hc-svenstavik", []),
         "list_page": ("hc-svenstavik", ["--open", "--limit", "50"])}  # the centre's first page of open cases
REASON = "Påhittat skäl"
SWEEP_AFTER = timedelta(days=1)  # the measured sweep: a day after the scheduler's last (its mark)
HEALTH_STEPS = ("notify_parties", "book_health_conversation", "hold_health_conversation", "record_results",
                "book_examination", "hold_examination")
HEALTH_FROM = {"registered": 0, "parties_notified": 1, "conversation_booked": 2, "samples_taken": 3,
               "results_received": 4, "examination_booked": 5}
SCHOOL_FROM = {"not_started": 0, "intro_invited": 0, "intro_held": 1, "plan_made": 2, "postponed": 2}
UNDO_ROWS = ("audit", "case_note", "outbox", "alert")  # rows added since the snapshot are deleted
UNDO_CASES = (("screening_case", "id"), ("deadline", "case_id"), ("booking", "case_id"))  # restored


# --------------------------------------------------------------------------------------------
# Processes: each measurement runs in one, its peak RSS read when it is reaped
# --------------------------------------------------------------------------------------------

class Broken(Exception):
    pass


# Linux keeps a process's peak RSS across exec, and a child forked from this process starts with
# ours (the whole plan of events, the case ids): each measured process is therefore started by a
# small launcher of its own, which forks, execs it, waits for it and writes its peak RSS (KiB) to a
# file. SIGTERM to the launcher ends its child too.
LAUNCHER = """import os, signal, sys
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGKILL))
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status) % 256)
"""


def spawn(argv: list[str], **popen) -> subprocess.Popen:
    """Start `argv` through the launcher; `reap` gives its exit code and peak RSS."""
    fd, path = tempfile.mkstemp(prefix="suite-rss-")
    os.close(fd)
    proc = subprocess.Popen([sys.executable, "-S", "-c", LAUNCHER, path, *argv], **popen)
    proc.rss_path = path
    return proc


def reap(proc: subprocess.Popen) -> tuple[int, float | None]:
    """Wait for a launched process: (exit code, its peak RSS in MiB)."""
    code = proc.wait()
    found = Path(proc.rss_path).read_text()
    Path(proc.rss_path).unlink()
    return code, int(found) / 1024 if found else None


def run_child(argv: list[str], stdin: str | None = None, env: dict | None = None) -> dict:
    """Run a process to its end: wall seconds, exit code, stdout, stderr, peak RSS (MiB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = spawn(argv, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                     stdout=out, stderr=err, env=env)
        if stdin is not None:
            proc.stdin.write(stdin.encode())
            proc.stdin.close()
        code, rss = reap(proc)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        return {"seconds": seconds, "code": code, "stdout": out.read().decode(), "stderr": err.read().decode(),
                "rss_mib": rss}


def checked(done: dict, what: str) -> dict:
    if done["code"] != 0:
        lines = done["stderr"].strip().splitlines()
        raise Broken(f"{what} exited {done['code']}: {lines[-1] if lines else ''}")
    return done


def worker(phase: str, spec: dict) -> dict:
    """One measurement in a fresh worker process (this file with --worker): its JSON result and RSS."""
    done = checked(run_child([sys.executable, str(SELF), "--worker", phase], json.dumps(spec) + "\n"),
                   f"the {phase} worker")
    return {**json.loads(done["stdout"].splitlines()[-1]), "rss_mib": done["rss_mib"]}


def load() -> float:
    return round(os.getloadavg()[0], 2)


# --------------------------------------------------------------------------------------------
# The workers (run in their own processes)
# --------------------------------------------------------------------------------------------

def work_sweep(spec: dict) -> dict:
    at = datetime.fromisoformat(spec["at"])
    _warm(spec["url"])
    first, raised, peak = sweep_bench.sweep_once(spec["url"], at)
    again, raised_again, _ = sweep_bench.sweep_once(spec["url"], at)
    return {"first_s": first, "alerts": raised, "tracemalloc_mib": peak / 2**20, "repeat_s": again,
            "repeat_alerts": raised_again}


def work_report(spec: dict) -> dict:
    import tracemalloc

    from screening.storage import db

    db.connect_raw(spec["url"]).close()  # the driver loaded (a coordinator's command pays it: see `command`)
    label, period = report_bench.periods(NOW)[-1]
    times = []
    for _ in range(spec["runs"]):
        seconds, result, _ = report_bench.compute_once(spec["url"], period, "municipality", NOW)
        times.append(seconds)
    tracemalloc.start()
    report_bench.compute_once(spec["url"], period, "municipality", NOW)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"period": label, "times": times, "notices": result["rows"][-1]["notices"],
            "tracemalloc_mib": peak / 2**20}


def work_events(spec: dict) -> dict:
    """Apply the given events, each in its own unit of work, once the parent says go."""
    from screening.errors import ScreeningError
    from screening.services.events import record_event
    from screening.services.users import actor_in
    from screening.storage.unit_of_work import SqlUnitOfWork
    from workflows.policy import Policy

    url, policy = spec["url"], Policy.default()
    _warm(url)
    events = [(case, user, event, params, datetime.fromisoformat(now))
              for case, user, event, params, now in spec["events"]]
    server = _server_cpu(url)
    print("ready", flush=True)
    if sys.stdin.readline().strip() != "go":  # the parent gave up
        return {"start": 0, "end": 0, "latencies": [], "failures": ["not started"]}
    clock, latencies, failures = time.perf_counter, [], []
    started, cpu, server_cpu = time.time(), time.process_time(), server()
    for case, user, event, params, now in events:
        begun = clock()
        try:
            with SqlUnitOfWork(url) as uow:
                record_event(uow, actor_in(uow, user), case, event, params, policy=policy, now=now, recorded_at=now)
        except ScreeningError as error:
            failures.append(f"{event} on {case} by {user}: {error.message}")
            continue
        latencies.append((event, clock() - begun))
    ended, cpu, server_after = time.time(), time.process_time() - cpu, server()
    return {"start": started, "end": ended, "latencies": latencies, "failures": failures, "cpu_s": cpu,
            "server_cpu_s": server_after - server_cpu if min(server_cpu, server_after) >= 0 else None}


def _server_cpu(url: str):
    """A function giving the CPU seconds so far of the PostgreSQL backend serving this process's
    pooled connection (read from /proc: a server on this machine), or -1 where it cannot be read."""
    from screening.storage import db

    conn = db.checkout(url)
    pid = None if conn.sqlite else conn.conn.info.backend_pid
    db.checkin(url, conn)
    stat = Path(f"/proc/{pid}/stat")

    def seconds() -> float:
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return -1.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    return seconds if pid else (lambda: -1.0)


def _warm(url: str) -> None:
    """What a process's first event or sweep pays once (a running process has it): the imports,
    the state machines, a pooled connection with its schema check."""
    import notifications.outbox  # noqa: F401
    import notifications.routes  # noqa: F401
    import workflows.bookings  # noqa: F401
    import workflows.deadlines  # noqa: F401
    import workflows.routing  # noqa: F401
    import workflows.sweep  # noqa: F401
    from screening.storage.unit_of_work import SqlUnitOfWork
    from workflows.agreement import TRACKS, machine

    for track in TRACKS:
        machine(track)
    with SqlUnitOfWork(url):
        pass


WORKERS = {"sweep": work_sweep, "report": work_report, "events": work_events}


def worker_main(phase: str) -> int:
    spec = json.loads(sys.stdin.readline())
    result = WORKERS[phase](spec)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


# --------------------------------------------------------------------------------------------
# The events: the next steps of the cases still on their way
# --------------------------------------------------------------------------------------------

def plan_events(url: str, n_events: int, seed: int) -> list[list]:
    """Up to `n_events` next steps, round-robin over the cases on their way (shuffled): every case's
    next step first, then the one after, … [case, user, event, params, now (ISO)] in time order."""
    from screening.directory import load_directory
    from screening.storage import db
    from screening.workdays import default_calendar

    directory = load_directory(None)
    reception = {p.municipality: (p.reception, p.social) for p in build_population.places(directory)}
    conn = db.connect_raw(url)
    try:
        rows = conn.all("SELECT id, municipality, health_state, school_state, health_centre_id, school_id, "
                        "preschool_id, unaccompanied, obstacle, results_received_at FROM screening_case "
                        "WHERE health_state NOT IN ('moved_out', 'closed')")
    finally:
        conn.close()
    rows.sort(key=lambda r: r["id"])  # the same order on both backends, whatever their collation
    random.Random(seed).shuffle(rows)
    chains = [c for c in (_chain(r, reception[r["municipality"]]) for r in rows) if c]
    slots = _Slots(directory, default_calendar())
    planned, depth = [], 0
    while len(planned) < n_events and any(len(c) > depth for c in chains):
        planned += [c[depth] for c in chains if depth < len(c)][:n_events - len(planned)]
        depth += 1
    events = []
    for i, (case, user, event, params, centre) in enumerate(planned):
        if event.startswith("book_"):
            params = {"start": slots.next(centre).isoformat()}
        events.append([case, user, event, params, (NOW + timedelta(minutes=1, seconds=i)).isoformat()])
    return events


def _chain(row: dict, reception: tuple[str, str]) -> list[tuple]:
    """A case's next steps on the health and school tracks, alternating (each track in its order)."""
    health, school = [], []
    centre = row["health_centre_id"]
    if row["health_state"] in HEALTH_FROM:
        for event in HEALTH_STEPS[HEALTH_FROM[row["health_state"]]:]:
            if event != "notify_parties" and centre is None:
                break
            user = (reception[1] if row["unaccompanied"] else reception[0]) if event == "notify_parties" else centre
            health.append((row["id"], user, event, {"obstacle": "no"} if event == "record_results" else {}, centre))
    unit = row["school_id"] or row["preschool_id"]
    if unit and row["school_state"] in SCHOOL_FROM:
        steps = ["hold_intro_meeting", "make_intro_plan"][SCHOOL_FROM[row["school_state"]]:]
        if row["obstacle"]:
            steps.append("start_with_adaptations")
        elif row["school_id"]:
            steps.append("start_school")
        elif row["results_received_at"] is not None:  # step 8: preschool waits for the results
            steps.append("start_preschool")
        school = [(row["id"], unit, e, {"reason": REASON} if e == "start_with_adaptations" else {}, None)
                  for e in steps]
    return [s for pair in zip(health, school) for s in pair] + health[len(school):] + school[len(health):]


class _Slots:
    """Appointment times per health centre, one after another from the next working day, 08:00–16:00,
    each as long as the longest appointment: a booking never overlaps another of the benchmark."""

    def __init__(self, directory, calendar):
        self.calendar = calendar
        self.length = timedelta(minutes=max(
            max(o.appointments.conversation_minutes_interpreter, o.appointments.examination_minutes_interpreter)
            for o in directory.organisations if o.appointments))
        self.per_day = int(timedelta(hours=8) / self.length)
        self.days = [calendar.next_working_day(NOW.date() + timedelta(days=1))]
        self.used: dict[str, int] = {}

    def next(self, centre: str) -> datetime:
        k = self.used.get(centre, 0)
        self.used[centre] = k + 1
        day, slot = divmod(k, self.per_day)
        while len(self.days) <= day:
            self.days.append(self.calendar.add(self.days[-1], 1))
        opens = datetime.combine(self.days[day], datetime.min.time(), NOW.tzinfo) + timedelta(hours=8)
        return opens + slot * self.length


def run_events(url: str, events: list[list], processes: int) -> dict:
    """The events in `processes` workers (disjoint cases), started together: events/s and latency."""
    from screening.storage import db

    db.dispose(url)
    db.engine(url).dispose()
    shares: list[list] = [[] for _ in range(processes)]
    owner: dict[str, int] = {}
    for event in events:
        shares[owner.setdefault(event[0], len(owner) % processes)].append(event)
    procs: list[subprocess.Popen] = []
    results, rss = [], []
    with tempfile.TemporaryFile() as err:
        try:
            for share in shares:
                proc = spawn([sys.executable, str(SELF), "--worker", "events"], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=err, text=True)
                procs.append(proc)
                proc.stdin.write(json.dumps({"url": url, "events": share}) + "\n")
                proc.stdin.flush()
            if any(proc.stdout.readline().strip() != "ready" for proc in procs):
                raise Broken("an events worker did not start")
            for proc in procs:  # go, all together
                proc.stdin.write("go\n")
                proc.stdin.flush()
            for proc in procs:
                line = proc.stdout.readline()
                code, peak = reap(proc)
                if code != 0 or not line:
                    raise Broken(f"an events worker exited {code}")
                results.append(json.loads(line))
                rss.append(peak)
        except Broken as error:
            err.seek(0)
            lines = err.read().decode(errors="replace").strip().splitlines()
            raise Broken(f"{error}: {lines[-1] if lines else ''}") from None
        finally:
            for proc in procs:  # our own workers, by their process: none outlives a failure
                if proc.returncode is None:
                    proc.terminate()
                    reap(proc)
    latencies = sorted(t for r in results for _, t in r["latencies"])
    by_event: dict[str, list[float]] = {}
    for r in results:
        for event, t in r["latencies"]:
            by_event.setdefault(event, []).append(t)
    failures = [f for r in results for f in r["failures"]]
    span = max(r["end"] for r in results) - min(r["start"] for r in results)
    from collections import Counter

    return {"processes": processes, "events": len(latencies), "seconds": span, "per_s": len(latencies) / span,
            "median_ms": 1000 * statistics.median(latencies) if latencies else None,
            "p99_ms": 1000 * latencies[max(0, -(-99 * len(latencies) // 100) - 1)] if latencies else None,
            "refused": len(failures), "first_refused": failures[:3], "rss_mib": max(rss),
            "mix": dict(Counter(e[2] for e in events).most_common()),
            "mean_ms": {e: round(1000 * statistics.fmean(t), 3) for e, t in by_event.items()},
            "client_cpu_ms": 1000 * sum(r["cpu_s"] for r in results) / max(1, len(latencies)),
            "server_cpu_ms": None if any(r["server_cpu_s"] is None for r in results) else
            1000 * sum(r["server_cpu_s"] for r in results) / max(1, len(latencies))}


# --------------------------------------------------------------------------------------------
# Keeping the cached population as built: a copy (SQLite) or an undo (PostgreSQL)
# --------------------------------------------------------------------------------------------

def snapshot(url: str, cases: list[str]) -> None:
    """PostgreSQL: keep the rows of `cases` and the last ids, and mark the population unfinished
    (a crash before `restore` makes the next run rebuild it)."""
    conn = _pg(url)
    with conn.transaction():
        for table, key in UNDO_CASES:
            conn.execute(f"DROP TABLE IF EXISTS suite_undo_{table}")
            conn.execute(f"CREATE TABLE suite_undo_{table} AS SELECT * FROM {table} WHERE {key} = ANY(%s)", [cases])
        conn.execute("DROP TABLE IF EXISTS suite_undo_mark")
        conn.execute("CREATE TABLE suite_undo_mark (name TEXT PRIMARY KEY, value BIGINT)")
        for table in UNDO_ROWS:
            conn.execute(f"INSERT INTO suite_undo_mark SELECT %s, coalesce(max(id), 0) FROM {table}", [table])
        conn.execute("INSERT INTO suite_undo_mark SELECT 'sweep_mark', "
                     "extract(epoch FROM swept_to)::bigint FROM sweep_mark WHERE id = 1")
        conn.execute(f"UPDATE {build_population.MARKER} SET value = 'unfinished' WHERE key = 'version'")
    conn.close()


def restore(url: str) -> None:
    """PostgreSQL: undo everything since `snapshot` (the audit trail's guard steps aside: replica role)."""
    conn = _pg(url)
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        marks = dict(conn.execute("SELECT name, value FROM suite_undo_mark").fetchall())
        for table in UNDO_ROWS:
            conn.execute(f"DELETE FROM {table} WHERE id > %s", [marks[table]])
        cases = [r[0] for r in conn.execute("SELECT id FROM suite_undo_screening_case").fetchall()]
        for table, key in reversed(UNDO_CASES):
            conn.execute(f"DELETE FROM {table} WHERE {key} = ANY(%s)", [cases])
        for table, key in UNDO_CASES:
            conn.execute(f"INSERT INTO {table} SELECT * FROM suite_undo_{table}")
            conn.execute(f"DROP TABLE suite_undo_{table}")
        conn.execute("UPDATE sweep_mark SET swept_to = to_timestamp(%s) WHERE id = 1", [marks["sweep_mark"]])
        conn.execute("DROP TABLE suite_undo_mark")
        conn.execute(f"UPDATE {build_population.MARKER} SET value = %s WHERE key = 'version'",
                     [build_population.VERSION])
    for table in UNDO_ROWS + tuple(t for t, _ in UNDO_CASES):  # what autovacuum would do after the churn
        conn.execute(f"VACUUM ANALYZE {table}")
    conn.close()


def swept_cases(url: str, at: datetime) -> list[str]:
    """The cases whose deadlines a sweep at `at` reads (and may write: a reminder's next time)."""
    conn = _pg(url)
    try:
        return [row[0] for row in conn.execute(
            "SELECT DISTINCT case_id FROM deadline WHERE status = 'open' AND next_alert_at < %s "
            "AND next_alert_at >= (SELECT swept_to FROM sweep_mark WHERE id = 1)", [at]).fetchall()]
    finally:
        conn.close()


def _pg(url: str):
    import psycopg

    from screening.storage import db

    return psycopg.connect(db.psycopg_conninfo(url), autocommit=True)


def sqlite_copy(url: str, name: str) -> str:
    from screening.storage import db

    db.dispose(url)
    db.engine(url).dispose()
    return sweep_bench._fresh_copy(url, OUT / name)


def drop_copy(url: str) -> None:
    from screening.storage import db

    db.dispose(url)
    db.engine(url).dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db.sqlite_path(url)}{suffix}").unlink(missing_ok=True)


# --------------------------------------------------------------------------------------------
# One backend at one size
# --------------------------------------------------------------------------------------------

def bench(backend: str, n: int, args, failures: list[str]) -> dict:
    from screening.storage import db

    if backend == "sqlite":
        url = f"sqlite:///{OUT / f'population-{n}.db'}"
    else:
        url = f"{args.pg_url}?options=-csearch_path%3Dbench_suite_{n}"
        events_bench.pg_schema_sql(url, f"CREATE SCHEMA IF NOT EXISTS bench_suite_{n}")
    r: dict = {"backend": backend, "cases": n, "db": db.redact(url), "load": {}}
    sqlite = backend == "sqlite"

    def phase(name: str, run) -> None:
        r["load"][name] = load()
        say(f"  {name} …")
        try:
            r[name] = run()
        except Exception as error:  # a broken phase is reported; the others still run
            if args.verbose:
                traceback.print_exc()
            failures.append(f"{backend} {n:,}: {name}: {type(error).__name__}: {error}")
            r[name] = None

    say(f"{backend}, {n:,} cases: {db.redact(url)}")
    phase("build", lambda: prepare(url, n))
    if r["build"] is None:
        return r
    phase("size", lambda: size(url, n, built=not r["build"]["reused"]))
    phase("report", lambda: report(url, n, args))
    phase("sweep", lambda: sweep(url, n, args))
    phase("plan", lambda: plan_events(url, args.events, SEED))
    events = r.pop("plan")
    if not events:
        return r
    touched = sorted({e[0] for e in events})
    work = sqlite_copy(url, f"suite-{n}.db") if sqlite else url
    try:
        if not sqlite:
            snapshot(url, touched)
        phase("cli", lambda: cli(work, args))
        phase("events", lambda: run_events(work, events, 1))
        if not sqlite and args.processes > 1:
            restore(url)
            snapshot(url, touched)
            phase("events_concurrent", lambda: run_events(work, events, args.processes))
    finally:
        if sqlite:
            drop_copy(work)
        else:
            restore(url)
    for name in ("events", "events_concurrent"):
        if r.get(name) and r[name]["refused"]:
            failures.append(f"{backend} {n:,}: {name}: {r[name]['refused']} events refused, first: "
                            f"{r[name]['first_refused'][0]}")
    return r


def prepare(url: str, n: int) -> dict:
    """report_bench's population (built, or reused), its progress on stderr: stdout is the table or JSON."""
    import contextlib

    with contextlib.redirect_stdout(sys.stderr):
        return report_bench.prepare(url, n, SEED, NOW, False)


def size(url: str, n: int, built: bool) -> dict:
    """Bytes per case as built. A PostgreSQL schema is measured when built and the figure kept
    (out/suite-sizes.json): the undo of every later run leaves dead rows behind that a
    VACUUM marks free but does not give back."""
    from screening.storage import db

    key = f"{db.redact(url)} {n} {SEED} {build_population.VERSION}"
    cache = OUT / "suite-sizes.json"
    kept = json.loads(cache.read_text()) if cache.exists() else {}
    if db.is_sqlite(url) or built or key not in kept:
        s = events_bench.storage(url, n)
        total = s["file_bytes"] if s["file_bytes"] is not None else sum(t["total"] for t in s["tables"].values())
        kept[key] = {"bytes": total, "per_case": total / n, "method": s["method"],
                     "tables_per_case": {name: round(t["per_case"]) for name, t in s["tables"].items()
                                         if t["per_case"] >= 1}}
        cache.write_text(json.dumps(kept, indent=1, ensure_ascii=False) + "\n")
    return kept[key]


def report(url: str, n: int, args) -> dict:
    from screening.storage import db

    db.engine(url).dispose()
    found = worker("report", {"url": url, "runs": args.runs})
    if found["notices"] != n:
        raise Broken(f"the report's region row counts {found['notices']} notices, the database {n}")
    _, period = report_bench.periods(NOW)[-1]
    env = cli_latency.child_env()
    commands = [checked(run_child(report_bench.command_argv(url, period, "municipality", NOW), env=env), "report")
                for _ in range(args.runs)]
    return {"compute_first_s": found["times"][0], "compute_best_s": min(found["times"]),
            "tracemalloc_mib": found["tracemalloc_mib"], "rss_mib": found["rss_mib"],
            "command_first_s": commands[0]["seconds"], "command_best_s": min(c["seconds"] for c in commands),
            "command_rss_mib": max(c["rss_mib"] for c in commands)}


def sweep(url: str, n: int, args) -> dict:
    """The first sweep a day after the scheduler's last (the alerts of one day), then again."""
    at = (NOW + SWEEP_AFTER).isoformat()
    runs = []
    for _ in range(args.runs):
        if url.startswith("sqlite"):
            work = sqlite_copy(url, f"suite-sweep-{n}.db")
            try:
                runs.append(worker("sweep", {"url": work, "at": at}))
            finally:
                drop_copy(work)
        else:
            snapshot(url, swept_cases(url, NOW + SWEEP_AFTER))
            try:
                runs.append(worker("sweep", {"url": url, "at": at}))
            finally:
                restore(url)
    return {"first_s": statistics.median(r["first_s"] for r in runs), "firsts": [r["first_s"] for r in runs],
            "repeat_s": statistics.median(r["repeat_s"] for r in runs), "alerts": [r["alerts"] for r in runs],
            "tracemalloc_mib": max(r["tracemalloc_mib"] for r in runs), "rss_mib": max(r["rss_mib"] for r in runs)}


def cli(url: str, args) -> dict:
    from screening.storage import db

    script, env = cli_latency.screening_script(), cli_latency.child_env()
    base = [script, "--db", url, "--now", NOW.replace(tzinfo=None).isoformat(timespec="minutes")]
    show_ids = build_db.case_ids(url, SHOW_MUNICIPALITY)
    db.engine(url).dispose()
    rng = random.Random(SEED)
    commands = {"show": lambda: base + ["--as", SHOW_USER, "case", "show", rng.choice(show_ids)]}
    for key, (user, options) in LISTS.items():
        commands[key] = lambda user=user, options=options: base + ["--as", user, "--json", "case", "list", *options]
    found = {}
    for key, make in commands.items():
        runs = [checked(run_child(make(), env=env), key) for _ in range(1 + args.cli_runs)][1:]  # 1 warm-up
        times = cli_latency.summary([x["seconds"] for x in runs])
        found[key] = {"median_s": times["median"], "p90_s": times["p90"], "runs": len(runs),
                      "rss_mib": max(x["rss_mib"] for x in runs),
                      "listed": len(json.loads(runs[-1]["stdout"])) if key != "show" else 1}
    return found


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------

def say(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def _get(r: dict, *path):
    for key in path:
        if not isinstance(r, dict) or r.get(key) is None:
            return None
        r = r[key]
    return r


def _f(value, unit: str, digits: int = 0, scale: float = 1.0) -> str:
    return "—" if value is None else f"{value * scale:,.{digits}f}{unit}"


ROWS = [
    ("build (s; reused: 0)", lambda r: _f(_get(r, "build", "build_s") or 0.0, "", 0)),
    ("size per case (B)", lambda r: _f(_get(r, "size", "per_case"), " B")),
    ("events/s, 1 process", lambda r: _f(_get(r, "events", "per_s"), "/s")),
    ("  per event median / p99", lambda r: None if not r.get("events") else
     f"{r['events']['median_ms']:.2f} / {r['events']['p99_ms']:.2f} ms"),
    ("  CPU per event: ours / server", lambda r: _cpu(r.get("events"))),
    (f"events/s, {PROCESSES} processes", lambda r: _f(_get(r, "events_concurrent", "per_s"), "/s")),
    ("  per event median / p99", lambda r: None if not r.get("events_concurrent") else
     f"{r['events_concurrent']['median_ms']:.1f} / {r['events_concurrent']['p99_ms']:.1f} ms"),
    ("  CPU per event: ours / server", lambda r: _cpu(r.get("events_concurrent"))),
    ("sweep, first (median)", lambda r: _f(_get(r, "sweep", "first_s"), " ms", 0, 1000)),
    ("  alerts raised", lambda r: None if not r.get("sweep") else ", ".join(f"{a:,}" for a in r["sweep"]["alerts"])),
    ("sweep, repeated", lambda r: _f(_get(r, "sweep", "repeat_s"), " ms", 1, 1000)),
    ("report compute, first / best", lambda r: None if not r.get("report") else
     f"{r['report']['compute_first_s']:.2f} / {r['report']['compute_best_s']:.2f} s"),
    ("report command, first", lambda r: _f(_get(r, "report", "command_first_s"), " s", 2)),
    ("case show (median)", lambda r: _f(_get(r, "cli", "show", "median_s"), " s", 3)),
    ("case list Berg, reception", lambda r: None if not _get(r, "cli", "list_reception") else
     f"{r['cli']['list_reception']['median_s']:.2f} s ({r['cli']['list_reception']['listed']:,})"),
    ("case list, health centre", lambda r: None if not _get(r, "cli", "list_centre") else
     f"{r['cli']['list_centre']['median_s']:.2f} s ({r['cli']['list_centre']['listed']:,})"),
    ("case list, centre, a page of 50 open", lambda r: None if not _get(r, "cli", "list_page") else
     f"{r['cli']['list_page']['median_s']:.2f} s ({r['cli']['list_page']['listed']:,})"),
    ("peak RSS: events worker", lambda r: _f(_get(r, "events", "rss_mib"), " MiB")),
    ("peak RSS: sweep worker", lambda r: _f(_get(r, "sweep", "rss_mib"), " MiB")),
    ("peak RSS: report compute", lambda r: _f(_get(r, "report", "rss_mib"), " MiB")),
    ("peak RSS: report command", lambda r: _f(_get(r, "report", "command_rss_mib"), " MiB")),
    ("peak RSS: case show / list / a page", lambda r: None if not r.get("cli") else
     f"{r['cli']['show']['rss_mib']:.0f} / "
     f"{max(r['cli']['list_reception']['rss_mib'], r['cli']['list_centre']['rss_mib']):.0f} / "
     f"{r['cli']['list_page']['rss_mib']:.0f} MiB"),
    ("tracemalloc: sweep / report", lambda r: None if not (r.get("sweep") and r.get("report")) else
     f"{r['sweep']['tracemalloc_mib']:.1f} / {r['report']['tracemalloc_mib']:.1f} MiB"),
    ("1-min load (min–max)", lambda r: f"{min(r['load'].values()):.1f}–{max(r['load'].values()):.1f}"
     if r["load"] else None),
]


def _cpu(events: dict | None) -> str | None:
    if not events:
        return None
    server = events["server_cpu_ms"]
    return f"{events['client_cpu_ms']:.2f} / " + ("—" if server is None else f"{server:.2f} ms")


def print_table(doc: dict) -> None:
    results = doc["results"]
    heads = [f"{'SQLite' if r['backend'] == 'sqlite' else 'PostgreSQL'} {r['cases']:,}" for r in results]
    cells = [[fmt(r) or "—" for r in results] for _, fmt in ROWS]
    width = [max(len(h), *(len(row[i]) for row in cells)) for i, h in enumerate(heads)]
    first = max(len(label) for label, _ in ROWS)
    m = doc["machine"]
    print(f"\nBenchmark suite, {doc['date']} — {m['cpus']} CPUs, Python {m['python']}, SQLite {m['sqlite']}; "
          f"{doc['events']:,} events planned per run")
    print(" | ".join([f"{'':<{first}}"] + [h.rjust(w) for h, w in zip(heads, width)]))
    print("-+-".join(["-" * first] + ["-" * w for w in width]))
    for (label, _), row in zip(ROWS, cells):
        print(" | ".join([f"{label:<{first}}"] + [c.rjust(w) for c, w in zip(row, width)]))
    for r in results:
        mix = _get(r, "events", "mix")
        if mix:
            print(f"\n{heads[results.index(r)]}: event mix " + ", ".join(f"{k} {v}" for k, v in mix.items()))
            break
    if doc["failures"]:
        print("\nBROKEN: " + "; ".join(doc["failures"]))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return worker_main(argv[1])
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="cases, comma-separated")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--events", type=int, default=5_000, help="events applied per run (default 5000)")
    parser.add_argument("--processes", type=int, default=PROCESSES, help="concurrent processes on PostgreSQL")
    parser.add_argument("--runs", type=int, default=2, help="runs of the sweep and the report (default 2)")
    parser.add_argument("--cli-runs", type=int, default=5, help="timed runs of each CLI command (default 5)")
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL server and database (schemas bench_suite_N)")
    parser.add_argument("--small", action="store_true", help="CI's smoke test: 2,000 cases, SQLite, one run each")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    parser.add_argument("--save", metavar="FILE", help="also write the JSON document to FILE")
    parser.add_argument("--verbose", action="store_true", help="tracebacks of broken phases")
    args = parser.parse_args(argv)
    if args.small:
        args.sizes, args.backends, args.events, args.runs, args.cli_runs = str(SMALL_CASES), "sqlite", 500, 1, 2
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    backends = [b for b in args.backends.split(",") if b]
    if any(b not in ("sqlite", "postgresql") for b in backends) or any(n < 100 for n in sizes):
        parser.error("--backends: sqlite, postgresql; --sizes: at least 100 cases each")
    OUT.mkdir(exist_ok=True)
    failures: list[str] = []
    if "postgresql" in backends:
        why = report_bench.pg_answers(args.pg_url)
        if why is not None:
            say(f"PostgreSQL skipped: no server answers at {args.pg_url}: {why}")
            backends.remove("postgresql")
    doc = {"date": datetime.now().astimezone().isoformat(timespec="seconds"), "machine": events_bench.machine(),
           "events": args.events, "results": [], "failures": failures}
    for backend in backends:
        for n in sizes:
            doc["results"].append(bench(backend, n, args, failures))
    text = json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n"
    if args.save:
        Path(args.save).write_text(text)
    if args.json:
        sys.stdout.write(text)
    else:
        print_table(doc)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
