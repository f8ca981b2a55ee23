"""The HTTP API under load: `screening serve` on 127.0.0.1, driven by wrk with personal tokens.

    .venv/bin/python benchmarks/api_load.py                      # 100,000 cases, PostgreSQL, 50 clients
    .venv/bin/python benchmarks/api_load.py --cases 1000000      # the same at 1,000,000 cases
    .venv/bin/python benchmarks/api_load.py --small              # CI's smoke test: SQLite, 5,000 cases, seconds
    .venv/bin/python benchmarks/api_load.py --profile            # + py-spy's sample of the server under load

The database (default `postgresql+psycopg://postgres@127.0.0.1:5432/bench_api_N`, a database of
its own, made with CREATE DATABASE when missing) is built with `build_db.py` (the demo directory,
N invented cases in bulk) and reused while it holds N cases on this checkout's schema. The server
is the real command, `screening --db URL serve --port P [--workers N]`, as a subprocess, stopped
with SIGTERM. Three scenarios, each a warm-up, then two runs of `--duration` seconds of wrk with
`--clients` connections (keep-alive, each connection a client): the capacity run (each client's
next request at once: the most the server answers) and the paced run (each client pausing a
think time between an answer and its next request, so that together they offer the scenario's
rate, `--rate`: the latencies the goals are judged on):

- `show`: `GET /api/cases/{id}`, a random case of a random health centre, with the token of a
  user of that centre (two users per centre), so every read is in scope and audited;
- `page`: `GET /api/cases?health_centre=C&open=true&limit=50`, a page of 50 of the centre's open
  cases, the first page or the one after a random case of the centre;
- `event`: `POST /api/cases/{id}/events` `{"event": "notify_parties"}` by the reception of the
  case's municipality, every request a different case still `registered` (the first step of
  every case: the state, its deadlines, the messages to the parties).

For each: requests/s, latency p50/p90/p95/p99/max (wrk's), errors (any non-2xx fails the run),
the audit rows the server wrote during it (each read and event is one: a check that the requests
did what they should), and the CPU time of the server, of wrk and of PostgreSQL over the run (the
generator shares the 2 cores). The exit code is 0 when a figure misses its goal (`MISSED`), 1
when the benchmark itself breaks (the server does not start or stop, a request answered other
than 2xx, a request missing from the audit trail). `benchmarks/README.md` has the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Self

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere, with the project's venv
    sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import build_db

PG_BASE = "postgresql+psycopg://postgres@127.0.0.1:5432/"
LUA = HERE / "api_load.lua"
PROFILES = HERE / "out"  # --profile's samples, one file a scenario (py-spy's raw format: stack count)
USERS_PER_CENTRE = 2
# scenario: (goal for p95 in ms at the paced run, goal for requests/s at the capacity run or None)
GOALS = {"show": (50, 300), "page": (150, None), "event": (100, None)}
# the load offered by the paced run (requests/s from all clients together): the goal's 300 reads a
# second; pages and events, which no goal gives a rate for, at a rate the region never comes near
RATES = {"show": 300, "page": 25, "event": 50}
AUDIT_KIND = {"show": ("show", None), "page": ("list", None), "event": ("event", "notify_parties")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--db", help="database URL (default: PostgreSQL database bench_api_N on 127.0.0.1)")
    parser.add_argument("--clients", type=int, default=50, help="concurrent connections (default 50)")
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads (default 2)")
    parser.add_argument("--workers", type=int, default=1, help="the server's processes (serve --workers; default 1)")
    parser.add_argument("--duration", type=int, default=30, help="seconds per scenario (default 30)")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per scenario (default 5)")
    parser.add_argument("--only", action="append", choices=sorted(GOALS), help="run only this scenario (repeatable)")
    parser.add_argument("--rate", action="append", default=[], metavar="SCENARIO=N",
                        help=f"the paced run's offered requests/s (default {', '.join(f'{k}={v}' for k, v in RATES.items())})")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="build the database anew even if it could be reused")
    parser.add_argument("--profile", action="store_true", help="sample the server with py-spy during each scenario")
    parser.add_argument("--small", action="store_true", help="CI's smoke test: SQLite, 5,000 cases, 5 clients, 2 s")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    parser.add_argument("--save", help="also write the JSON document to this file")
    args = parser.parse_args(argv)
    if args.small:
        args.cases, args.clients, args.threads, args.duration, args.warmup = 5_000, 5, 1, 2, 1
        args.db = args.db or f"sqlite:///{HERE / 'out' / 'api-5000.db'}"
    url = args.db or f"{PG_BASE}bench_api_{_size(args.cases)}"
    args.rates = dict(RATES)
    for given in args.rate:
        name, _, value = given.partition("=")
        if name not in RATES or not value.replace(".", "", 1).isdigit():
            parser.error(f"--rate {given}: SCENARIO=N with a scenario of {', '.join(RATES)}")
        args.rates[name] = float(value)
    args.settle = 0.3 if args.small else 1.0  # seconds for the requests under way to end between runs
    if args.small:
        args.rates = {name: rate / 10 for name, rate in args.rates.items()}

    wrk = shutil.which("wrk")
    if wrk is None:
        print("api_load: wrk is not installed (apt-get install wrk): skipped", file=sys.stderr)
        return 1 if os.environ.get("SCREENING_REQUIRE_WRK") else 0

    say = (lambda *a, **k: None) if args.json else print
    say(f"API load: {args.cases:,} cases, {args.clients} clients, {args.duration} s per run, "
        f"{args.workers} server process{'es' if args.workers > 1 else ''}")
    started = time.perf_counter()
    need = _event_slices(args)[-1] if not args.only or "event" in args.only else 0
    built = prepare_database(url, args.cases, args.seed, args.rebuild or args.small, min(need, args.cases))
    say(f"  database {_redact(url)}: {'built' if built else 'reused'} in {time.perf_counter() - started:.1f} s")

    rng = random.Random(args.seed)
    result = {"cases": args.cases, "database": _redact(url), "clients": args.clients, "threads": args.threads,
              "workers": args.workers,
              "duration_s": args.duration, "rates": args.rates, "machine": _machine(), "scenarios": {}}
    scenarios = [s for s in ("show", "page", "event") if not args.only or s in args.only]
    broken = False
    with tempfile.TemporaryDirectory(prefix="api-load-") as tmp:
        tmp = Path(tmp)
        people = make_tokens(url)
        try:
            files = write_requests(url, people, tmp, rng, args)
            with Server(url, args.workers) as server:
                say(f"  server up in {server.startup_s:.1f} s on port {server.port} (pid {server.pid})")
                for name in scenarios:
                    runs = run_scenario(name, files[name], server, url, wrk, args, tmp)
                    result["scenarios"][name] = runs
                    for kind, figures in runs.items():
                        broken |= not figures["ok"]
                        say(_line(name, kind, figures))
                result["server_exit"] = server.stop()
                broken |= result["server_exit"] != 0
        finally:
            revoke_tokens(url, people)
    result["load_before_after"] = result["machine"].pop("load"), os.getloadavg()[0]
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)
    if args.save:
        Path(args.save).write_text(json.dumps(result, indent=2) + "\n")
    return 1 if broken else 0


def _size(n: int) -> str:
    return f"{n // 1_000_000}m" if n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def _redact(url: str) -> str:
    from screening.storage import db

    return db.redact(url)


def _machine() -> dict:
    import platform

    return {"cpus": os.cpu_count(), "python": platform.python_version(), "load": os.getloadavg()[0]}


# --- the database ---------------------------------------------------------------------------------

def prepare_database(url: str, n_cases: int, seed: int, rebuild: bool, need_registered: int) -> bool:
    """Make the database hold the demo directory and `n_cases` bulk cases, `need_registered` of them
    still only registered (the events' runs use some up); True when it was built."""
    from screening.storage import db

    if db.is_sqlite(url):
        Path(db.sqlite_path(url)).parent.mkdir(parents=True, exist_ok=True)
    else:
        create_pg_database(url)
    if not rebuild and build_db.upgraded_with(url, n_cases):
        registered = _count(url, "SELECT COUNT(*) FROM screening_case WHERE health_state = 'registered'")
        if registered >= need_registered:
            analyze(url)
            return False
        print(f"  {registered:,} cases are still registered and the events need {need_registered:,}: "
              "building the database anew", file=sys.stderr)
    build_db.reset(url)
    build_db.build(url, n_cases, seed)
    return True


def analyze(url: str) -> None:
    """PostgreSQL: ANALYZE, what autovacuum does on a server that grows (the earlier runs' events
    added deadlines and messages; a table without statistics is read whole)."""
    from screening.storage import db

    if db.is_sqlite(url):
        return
    conn = db.connect_raw(url)
    try:
        conn.execute("ANALYZE")
    finally:
        conn.close()


def _count(url: str, sql: str) -> int:
    from screening.storage import db

    conn = db.connect_raw(url)
    try:
        return conn.scalar(sql)
    finally:
        conn.close()


def create_pg_database(url: str) -> None:
    """CREATE DATABASE for the URL's database when the server has none of that name."""
    import psycopg

    from screening.storage import db

    conninfo = db.psycopg_conninfo(url)
    params = psycopg.conninfo.conninfo_to_dict(conninfo)
    name = params.get("dbname")
    maintenance = psycopg.conninfo.make_conninfo(conninfo, dbname="postgres")
    with psycopg.connect(maintenance, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def make_tokens(url: str) -> dict:
    """A personal token for USERS_PER_CENTRE users of each health centre that has cases, and for one
    user of each reception unit: {"centres": {centre: [token…]}, "receptions": {municipality: token},
    "ids": [token id…]}."""
    from screening.bootstrap import bootstrap
    from screening.services import tokens
    from screening.services.users import actor_in
    from screening.storage import db

    conn = db.connect_raw(url)
    try:
        centres = [row["health_centre_id"] for row in conn.all(
            "SELECT DISTINCT health_centre_id FROM screening_case WHERE health_centre_id IS NOT NULL")]
        users = conn.all("SELECT u.id, u.org_id, o.kind, o.municipality FROM app_user u "
                         "JOIN organisation o ON o.id = u.org_id WHERE u.disabled_at IS NULL "
                         "AND o.kind IN ('health_centre', 'reception_unit') ORDER BY u.id")
    finally:
        conn.close()
    app = bootstrap(url)
    people = {"centres": {}, "receptions": {}, "ids": []}

    def token(user_id: str) -> str:
        with app.uow() as uow:
            actor = actor_in(uow, user_id)
        made = tokens.create(app, actor, days=1)
        people["ids"].append((made["id"], actor))
        return made["token"]

    for user in users:
        if user["kind"] == "health_centre" and user["org_id"] in centres:
            mine = people["centres"].setdefault(user["org_id"], [])
            if len(mine) < USERS_PER_CENTRE:
                mine.append(token(user["id"]))
        elif user["kind"] == "reception_unit" and user["municipality"] not in people["receptions"]:
            people["receptions"][user["municipality"]] = token(user["id"])
    db.dispose(url)
    return people


def revoke_tokens(url: str, people: dict) -> None:
    from screening.bootstrap import bootstrap
    from screening.services import tokens

    app = bootstrap(url)
    for token_id, actor in people["ids"]:
        tokens.revoke(app, actor, token_id)


def write_requests(url: str, people: dict, tmp: Path, rng: random.Random, args) -> dict[str, Path]:
    """The data files of the scenarios, one request a line: TOKEN<TAB>PATH."""
    from screening.storage import db

    conn = db.connect_raw(url)
    try:
        cases = conn.all("SELECT id, health_centre_id, municipality, health_state FROM screening_case "
                         "WHERE health_centre_id IS NOT NULL")
    finally:
        conn.close()
    in_centres = [c for c in cases if c["health_centre_id"] in people["centres"]]
    reads = rng.sample(in_centres, min(len(in_centres), 50_000))
    files = {}
    files["show"] = _write(tmp / "show.tsv", (
        (rng.choice(people["centres"][c["health_centre_id"]]), f"/api/cases/{c['id']}") for c in reads))
    pages = []
    for c in reads[:20_000]:
        centre = c["health_centre_id"]
        after = "" if rng.random() < 0.2 else f"&after={c['id']}"
        pages.append((rng.choice(people["centres"][centre]),
                      f"/api/cases?health_centre={centre}&open=true&limit=50{after}"))
    files["page"] = _write(tmp / "page.tsv", pages)
    fresh = [c for c in cases if c["health_state"] == "registered" and c["municipality"] in people["receptions"]]
    rng.shuffle(fresh)
    need = _event_slices(args)[-1]
    if len(fresh) < need:
        print(f"  note: only {len(fresh):,} cases are still registered (at most {need:,} may be needed): "
              f"rebuild the database (--rebuild) if the event scenario runs out", file=sys.stderr)
    files["event"] = _write(tmp / "event.tsv", (
        (people["receptions"][c["municipality"]], f"/api/cases/{c['id']}/events") for c in fresh[:need]))
    return files


def _write(path: Path, rows) -> Path:
    with path.open("w") as out:
        for token, target in rows:
            out.write(f"{token}\t{target}\n")
    return path


# --- the server -----------------------------------------------------------------------------------

class Server:
    """`screening --db URL serve --port P` as a subprocess, answered once before use, stopped with SIGTERM."""

    def __init__(self, url: str, workers: int = 1):
        self.url, self.workers = url, workers
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None
        self.startup_s = 0.0

    def __enter__(self) -> Self:
        screening = Path(sys.executable).with_name("screening")
        env = {k: v for k, v in os.environ.items() if k != "SCREENING_NOW"}
        started = time.perf_counter()
        self.proc = subprocess.Popen([str(screening), "--db", self.url, "serve", "--port", str(self.port),
                                      "--workers", str(self.workers)],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = started + 60
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server stopped at start: {self.proc.stderr.read()}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/me", timeout=2)
            except urllib.error.HTTPError:
                break  # it answers (401: no token)
            except OSError:
                if time.perf_counter() > deadline:
                    self.stop()
                    raise SystemExit("the server did not answer within 60 s")
                time.sleep(0.1)
        self.startup_s = time.perf_counter() - started
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> int | None:
        if self.proc is None or self.proc.returncode is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def __exit__(self, *exc) -> None:
        code = self.stop()
        errors = self.proc.stderr.read() if self.proc and self.proc.stderr else ""
        if errors.strip():
            print(f"  server's log:\n{errors.strip()}", file=sys.stderr)
        self.exit_code = code


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- a scenario -----------------------------------------------------------------------------------

def _event_slices(args) -> list[int]:
    """Where the event file's cases are cut between the warm-up, the capacity run and the paced run
    (each event takes a case of its own): more than the server can answer in each."""
    most = 1_000  # events a second: more than the server answers (SQLite's smoke size: about 650)
    warm = args.warmup * most
    capacity = warm + args.duration * most
    return [0, warm, capacity, capacity + int(args.rates["event"] * args.duration * 1.5) + args.clients]


def run_scenario(name: str, data: Path, server: Server, url: str, wrk: str, args, tmp: Path) -> dict:
    """A warm-up, then the capacity run (no pause between a client's requests: the most the server
    answers) and the paced run (each client pausing so that together they offer `args.rates[name]`
    requests a second: the latency at that load)."""
    base = f"http://127.0.0.1:{server.port}"
    extra = ["POST", '{"event": "notify_parties"}'] if name == "event" else []
    mode = "each" if name == "event" else "random"
    files = {"warm-up": data, "capacity": data, "paced": data}
    if name == "event":  # each run takes cases of its own
        lines = data.read_text().splitlines(keepends=True)
        cuts = _event_slices(args)
        for n, run in enumerate(files):
            files[run] = tmp / f"event-{run}.tsv"
            files[run].write_text("".join(lines[cuts[n]:cuts[n + 1]]))
    connections = max(args.clients, args.threads)
    # a client sends its next request a think time after its last answer: the think time is the
    # interval that gives the rate, less the ~10 ms a request takes at that load
    think_ms = max(1.0, 1000 * connections / args.rates[name] - 10)

    def command(path: Path, seconds: int, think: float) -> list[str]:
        return [wrk, f"-t{args.threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
                "-s", str(LUA), base, "--", str(path), mode, str(args.threads), f"{think:.1f}", *extra]

    if args.warmup:
        subprocess.run(command(files["warm-up"], args.warmup, 0), stdout=subprocess.DEVNULL, check=True)
        time.sleep(args.settle)  # the requests the warm-up left under way are answered (and audited) before the mark
    runs = {}
    for run, think in (("capacity", 0.0), ("paced", think_ms)):
        runs[run] = _measure(name, run, think, command(files[run], args.duration, think), server, url, args,
                             connections)
        time.sleep(args.settle)
    return runs


def _measure(name: str, run: str, think: float, command: list[str], server: Server, url: str, args,
             connections: int) -> dict:
    """One wrk run: its figures, the audit rows written meanwhile, the CPU each process spent."""
    mark = _audit_mark(url)
    cpu_before = _tree_cpu(server.pid)
    pg_before = _postgres_cpu(_pg_database(url))
    machine_before = _machine_cpu()
    spy = None
    profile = PROFILES / f"profile-{name}-{run}.txt"
    if args.profile:
        spy = _start_profile(server.pid, profile, args.duration)
    wall = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    wrk_cpu = _wait_cpu(proc)
    wall = time.perf_counter() - wall
    figures = {"wall_s": wall}
    server_cpu = _spent(cpu_before, _tree_cpu(server.pid))
    pg_cpu = _spent(pg_before, _postgres_cpu(_pg_database(url)))
    machine_busy = _machine_cpu() - machine_before
    if proc.returncode != 0 or "WRKJSON " not in out:
        return {**figures, "ok": False, "error": f"wrk failed ({proc.returncode}): {out[-500:]}"}
    w = json.loads(out.split("WRKJSON ", 1)[1].splitlines()[0])
    seconds = w["duration_us"] / 1e6
    errors = w["connect"] + w["read"] + w["write"] + w["status"] + w["timeout"]
    time.sleep(args.settle / 2)  # the requests under way at wrk's stop are answered (it does not count them)
    audited = _audited_since(url, mark, name)
    # A read or an event is one audit row; a page one a case listed: 50, fewer on a centre's last page.
    if name == "page":
        complete = w["requests"] <= audited <= (w["requests"] + connections) * 50
    else:
        complete = w["requests"] <= audited <= w["requests"] + connections
    goal_p95, goal_rate = GOALS[name]
    rate = w["requests"] / seconds
    met = w["p95_us"] / 1000 < goal_p95 if run == "paced" else (goal_rate is None or rate >= goal_rate)
    figures.update({
        "think_ms": think,
        "requests": w["requests"], "seconds": seconds, "rate": rate,
        "p50_ms": w["p50_us"] / 1000, "p90_ms": w["p90_us"] / 1000, "p95_ms": w["p95_us"] / 1000,
        "p99_ms": w["p99_us"] / 1000, "max_ms": w["max_us"] / 1000, "mean_ms": w["mean_us"] / 1000,
        "errors": {k: w[k] for k in ("connect", "read", "write", "status", "timeout")},
        "audit_rows": audited, "audited": complete,
        # CPU per request: what decides how many a second a free core answers, whatever else runs
        "cpu_ms_per_request": {"server": 1000 * server_cpu / max(w["requests"], 1),
                               "postgres": 1000 * pg_cpu / max(w["requests"], 1)},
        "cpu_share": {"server": server_cpu / seconds, "wrk": wrk_cpu / seconds, "postgres": pg_cpu / seconds,
                      "machine": machine_busy / seconds},
        "goal": (f"p95 < {goal_p95} ms" if run == "paced" else f"≥ {goal_rate} req/s" if goal_rate else None),
        "met": met, "ok": errors == 0 and w["requests"] > 0 and complete,
    })
    if spy is not None:
        figures["profile"] = _finish_profile(spy, profile)
    return figures


def _pg_database(url: str) -> str | None:
    from screening.storage import db

    if db.is_sqlite(url):
        return None
    import psycopg

    return psycopg.conninfo.conninfo_to_dict(db.psycopg_conninfo(url)).get("dbname")


def _audit_mark(url: str) -> int:
    from screening.storage import db

    conn = db.connect_raw(url)
    try:
        return conn.scalar("SELECT COALESCE(MAX(id), 0) FROM audit")
    finally:
        conn.close()


def _audited_since(url: str, mark: int, name: str) -> int:
    """The audit rows of the scenario's kind written after `mark` (the server has answered all by now)."""
    from screening.storage import db

    action, event = AUDIT_KIND[name]
    conn = db.connect_raw(url)
    try:
        return conn.scalar("SELECT COUNT(*) FROM audit a JOIN audit_kind k ON k.no = a.kind WHERE a.id > :mark "
                           "AND k.action = :action AND k.event = :event",
                           {"mark": mark, "action": action, "event": event or ""})
    finally:
        conn.close()


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu(pid: int) -> float:
    """Seconds of CPU (user + system) of a process so far, its finished threads included."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def _tree_cpu(pid: int) -> dict[int, float]:
    """CPU seconds so far of a process and of every process under it (the server's workers)."""
    found, todo = {}, [pid]
    while todo:
        current = todo.pop()
        found[current] = _cpu(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def _wait_cpu(proc: subprocess.Popen) -> float:
    """Wait for a child and return its CPU seconds (from wait4's rusage)."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_utime + usage.ru_stime


def _postgres_cpu(database: str | None) -> dict[int, float]:
    """CPU seconds so far of each process of the PostgreSQL server that serves `database` (its
    backends) or all (its background writers); nothing for SQLite."""
    if database is None:
        return {}
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if not (entry / "comm").read_text().startswith("postgres"):
                    continue
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            client = "(" in title or "[local]" in title  # "postgres: USER DB 127.0.0.1(PORT) idle"
            if not client or f" {database} " in title:
                found[int(entry.name)] = _cpu(int(entry.name))
    return found


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def _machine_cpu() -> float:
    """CPU seconds all cores spent busy so far (/proc/stat: user, nice, system, irq, softirq, steal)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICKS


def _start_profile(pid: int, out: Path, seconds: int):
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        print("  --profile: py-spy is not installed (pip install py-spy): no profile", file=sys.stderr)
        return None
    # --gil: only the thread holding the GIL is sampled, so the samples are where the server's Python
    # time goes (waiting on the database, on the socket, on the GIL is not in them)
    return subprocess.Popen([str(spy), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200",
                             "--gil", "--subprocesses", "--format", "raw", "--output", str(out), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _finish_profile(spy: subprocess.Popen, out: Path) -> dict:
    """Where the server's Python time went: the share of the samples under each part of a request (a
    sample counts once for each part its stack passes through), and the functions with the most
    samples of their own."""
    spy.wait(timeout=60)
    if not out.exists():
        return {}
    total, in_part, own = 0, dict.fromkeys(PARTS, 0), {}
    for line in out.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n, frames = int(count), stack.split(";")
        total += n
        for part, marks in PARTS.items():
            if any(m in f for f in frames for m in marks):
                in_part[part] += n
        own[frames[-1]] = own.get(frames[-1], 0) + n
    top = sorted(own.items(), key=lambda kv: -kv[1])[:12]
    return {"samples": total, "parts": {k: round(v / total, 3) if total else 0 for k, v in in_part.items()},
            "top_own": [(name, round(n / total, 3) if total else 0) for name, n in top]}


# the parts of a request, by the frames that mark them in a stack (py-spy: "function (file:line)")
PARTS = {
    "the token (tokens.authenticate)": ("authenticate (screening/services/tokens.py",),
    "the read's audit row (record_reads)": ("record_reads (screening/storage/queries.py",),
    "the event (events.apply)": ("apply (screening/services/events.py",),
    "the audit chain's links (audit_chain)": ("screening/audit_chain.py",),
    "SQL through the driver (psycopg, sqlite3)": ("psycopg/", "execute (screening/storage/db.py"),
    "the case as JSON-ready data (views)": ("screening/views.py",),
    "JSON (FastAPI's encoder, json.dumps)": ("jsonable_encoder", "serialize_response", "json/encoder.py",
                                             "render (starlette/responses.py"),
    "FastAPI's routing and parameters": ("fastapi/routing.py", "fastapi/dependencies"),
    "middleware (headers, errors)": ("starlette/middleware", "web/app.py"),
    "the event loop's thread (uvicorn: HTTP; middleware, routing, JSON)": ("BaseEventLoop._run_once",),
    "the thread pool (each route's own work: token, service, SQL)": ("WorkerThread.run",),
}


# --- the report -----------------------------------------------------------------------------------

def _line(name: str, run: str, f: dict) -> str:
    if "rate" not in f:
        return f"  {name} {run}: BROKEN {f.get('error', '')}"
    verdict = "" if f["goal"] is None else f"{f['goal']}: " + ("met" if f["met"] else "MISSED")
    if not f["ok"]:
        verdict = f"BROKEN ({sum(f['errors'].values())} errors{'' if f['audited'] else ', audit rows missing'})"
    return (f"  {name:5} {run:8} {f['requests']:>7,} req {f['rate']:>6.1f} req/s  p50 {f['p50_ms']:6.1f}  "
            f"p95 {f['p95_ms']:6.1f}  p99 {f['p99_ms']:6.1f}  max {f['max_ms']:7.1f} ms  {verdict}")


def report(result: dict) -> None:
    print()
    print("| scenario | run | requests | req/s | p50 ms | p90 ms | p95 ms | p99 ms | max ms | goal | errors | audit rows "
          "| CPU cores: server / wrk / PostgreSQL / whole machine | CPU ms a request: server / PostgreSQL |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, runs in result["scenarios"].items():
        for run, f in runs.items():
            label = run if run == "capacity" else f"paced ({result['rates'][name]:g}/s offered)"
            if "rate" not in f:
                print(f"| {name} | {label} | BROKEN: {f.get('error', '')} |")
                continue
            goal = "—" if f["goal"] is None else f"{f['goal']}: " + ("met" if f["met"] else "**MISSED**")
            c = f["cpu_share"]
            print(f"| {name} | {label} | {f['requests']:,} | {f['rate']:.0f} | {f['p50_ms']:.1f} | {f['p90_ms']:.1f} | "
                  f"{f['p95_ms']:.1f} | {f['p99_ms']:.1f} | {f['max_ms']:.0f} | {goal} | {sum(f['errors'].values())} | "
                  f"{f['audit_rows']:,}{'' if f['audited'] else ' (MISSING)'} | "
                  f"{c['server']:.2f} / {c['wrk']:.2f} / {c['postgres']:.2f} / {c['machine']:.2f} | "
                  f"{f['cpu_ms_per_request']['server']:.2f} / {f['cpu_ms_per_request']['postgres']:.2f} |")
    for name, runs in result["scenarios"].items():
        for run, f in runs.items():
            profile = f.get("profile")
            if profile:
                print(f"\n{name}, {run}: py-spy --gil, {profile['samples']:,} samples of the server's Python time; "
                      "the share under each part of a request:")
                for part, share in sorted(profile["parts"].items(), key=lambda kv: -kv[1]):
                    print(f"  {share:6.1%}  {part}")
                print("  own time, top functions:")
                for leaf, share in profile["top_own"]:
                    print(f"  {share:6.1%}  {leaf}")
    before, after = result["load_before_after"]
    print(f"\n1-minute load average {before:.2f} before, {after:.2f} after; server exit {result.get('server_exit')}")


if __name__ == "__main__":
    sys.exit(main())
