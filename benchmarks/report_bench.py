"""The § 10 follow-up report over a progressed population, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/report_bench.py [--cases 100000] [--pg-url URL | --no-pg] [--runs 3]
                                                [--small] [--rebuild] [--profile]

Builds (or reuses) the population of build_population.py: N invented children as far along
their tracks as they are at `now` (2026-11-23 10:00 Europe/Stockholm), notices over the two years
before, with their deadlines as the product stores them. SQLite: benchmarks/out/population-N.db;
PostgreSQL: the schema named by --pg-url's search_path (default bench_report), kept for the next
run (DROP SCHEMA bench_report CASCADE frees it). A database built with the same N, seed and `now`
is reused (--rebuild forces a new one). PostgreSQL is skipped, with the reason, when no server
answers.

Then, per backend, for the last twelve months and the whole two years, by municipality and by
health centre:

  compute  screening.report.compute(conn, period=…, by=…, now=…, calendar=default_calendar(),
           upstream=upstream_of(load_rules()), threshold=5, groups=…, region=…,
           monthly=True) on a fresh read-model connection per run (as the command opens one);
           --runs runs, the first and the best reported;
  command  `screening --db URL --as region-coordinator --now … --json report --from … --to …
           --by …` as a subprocess, wall time, --runs runs (the first and the best).

Goal: under 2 s for 100,000 cases on both backends. The verdict takes the first run of each
figure (what a coordinator's one command waits for). The results of the two backends are
compared (they must be equal). --profile also times each SQL statement of one compute and prints
its plan (EXPLAIN QUERY PLAN; EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL).

The exit code is 0 when a figure misses the goal (the table says MISSED); 1 when the benchmark
itself breaks (the command fails, compute raises).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_db  # noqa: E402  (also puts the project root on sys.path)
import build_population  # noqa: E402

OUT = HERE / "out"
GOAL_S = 2.0
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_report"
SMALL_CASES = 2_000
USER = "region-coordinator"
THRESHOLD = 5


def periods(now) -> list[tuple[str, object]]:
    """The last twelve months and the whole two years of notices, up to `now`'s day."""
    from screening.storage.statistics import Period

    today = now.date()
    year_ago = today.replace(year=today.year - 1)
    return [("12 months", Period(year_ago + timedelta(days=1), today)),
            ("2 years", Period(today.replace(year=today.year - 2), today))]


def pg_answers(url: str) -> str | None:
    """None if a PostgreSQL server answers at `url`, else why not (one line)."""
    from screening.storage import db

    try:
        import psycopg

        with psycopg.connect(db.psycopg_conninfo(url), connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except Exception as error:  # no driver, no server, refused login: all mean "skip"
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
    return None


def prepare(url: str, n_cases: int, seed: int, now, rebuild: bool) -> dict:
    """The population at `url`: reused if built with these parameters, else built."""
    from screening.storage import db

    if not rebuild and build_population.ready(url, n_cases, seed, now):
        print(f"  {db.redact(url)}: reusing {n_cases:,} cases", flush=True)
        return {"reused": True}
    print(f"  {db.redact(url)}: building {n_cases:,} cases …", flush=True)
    build_db.reset(url)
    step = max(build_population.BATCH, n_cases // 5)
    found = build_population.build(url, n_cases, seed, now, progress=lambda done, s: (
        print(f"    {done:,} cases, {s:.0f} s", flush=True) if done % step == 0 and done < n_cases else None))
    print(f"    {found['cases']:,} cases, {found['deadlines']:,} deadlines in {found['build_s']:.1f} s", flush=True)
    return {"reused": False, **found}


class Timed:
    """A read-model connection that times every statement `compute` sends (and can explain it)."""

    def __init__(self, conn, explain: bool = False):
        self.conn, self.explain = conn, explain
        self.sqlite, self.timestamp, self.day = conn.sqlite, conn.timestamp, conn.day
        self.statements: list[dict] = []

    def _run(self, method: str, sql: str, params=None):
        plan = self._plan(sql, params) if self.explain and method != "many" else None
        started = time.perf_counter()
        result = getattr(self.conn, method)(sql, params)
        seconds = time.perf_counter() - started
        if method in ("execute",) and sql.split(None, 1)[0].upper() in ("BEGIN", "PRAGMA"):
            return result
        rows = len(params) if method == "many" else len(result) if isinstance(result, list) else None
        self.statements.append({"sql": sql, "seconds": seconds, "plan": plan, "rows": rows})
        return result

    def _plan(self, sql: str, params) -> list[str] | None:
        """The plan of a SELECT, or of the SELECT that fills a temporary table (run before it;
        on PostgreSQL EXPLAIN ANALYZE runs that SELECT once more)."""
        import re

        filled = (re.match(r"\s*CREATE TEMP TABLE \w+(?:\s+ON COMMIT DROP)?\s+AS\s", sql)
                  or re.match(r"\s*INSERT INTO \w+(?:\s*\([^)]*\))?\s+(?=SELECT|WITH)", sql))
        select = sql[filled.end():] if filled else sql
        if select.lstrip().split(None, 1)[0].upper() not in ("SELECT", "WITH"):
            return None
        if self.sqlite:
            return [row["detail"] for row in self.conn.all("EXPLAIN QUERY PLAN " + select, params)]
        return [row["QUERY PLAN"] for row in self.conn.all("EXPLAIN (ANALYZE, BUFFERS) " + select, params)]

    def execute(self, sql, params=None):
        return self._run("execute", sql, params)

    def all(self, sql, params=None):
        return self._run("all", sql, params)

    def one(self, sql, params=None):
        rows = self._run("all", sql, params)
        return rows[0] if rows else None

    def many(self, sql, rows):
        return self._run("many", sql, rows)

    def rollback(self):
        self.conn.rollback()


def compute_once(url: str, period, by: str, now, *, timed: bool = False, explain: bool = False):
    """One report as the command computes it, on a fresh connection: (seconds, result, statements)."""
    from screening import report
    from screening.storage.queries import ReadModel
    from screening.workdays import default_calendar
    from workflows.deadlines import load_rules, upstream_of

    started = time.perf_counter()
    rm = ReadModel(url)
    try:
        region, groups = rm.report_groups(by)
        conn = Timed(rm.conn, explain) if timed else rm.conn
        result = report.compute(conn, period=period, by=by, now=now, calendar=default_calendar(),
                                upstream=upstream_of(load_rules()), threshold=THRESHOLD, groups=groups, region=region,
                                monthly=True)
    finally:
        rm.close()
    return time.perf_counter() - started, result, (conn.statements if timed else None)


def command_argv(url: str, period, by: str, now) -> list[str]:
    """The coordinator's `screening … --json report` command for the period (also used by suite.py)."""
    screening = Path(sys.executable).with_name("screening")
    return [str(screening), "--db", url, "--as", USER, "--now", now.replace(tzinfo=None).isoformat(timespec="minutes"),
            "--json", "report", "--from", period.first.isoformat(), "--to", period.last.isoformat(), "--by", by]


def command_once(url: str, period, by: str, now) -> tuple[float, dict]:
    """The whole `screening … report` command as a subprocess: (wall seconds, its JSON)."""
    args = command_argv(url, period, by, now)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, env=env)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"`{' '.join(args[1:])}` exited {done.returncode}: {done.stderr.decode().strip()[:300]}")
    return seconds, json.loads(done.stdout)


def notices_in(url: str, period) -> int:
    from screening.storage import db

    start, end = period.bounds()
    conn = db.connect_raw(url)
    try:
        return conn.scalar("SELECT count(*) FROM screening_case WHERE notice_at >= :start AND notice_at < :end",
                           {"start": conn.timestamp(start), "end": conn.timestamp(end)})
    finally:
        conn.close()


def bench_backend(name: str, url: str, args, now, results: list, reports: dict, failures: list) -> None:
    print(f"\n{name}", flush=True)
    try:
        built = prepare(url, args.cases, args.seed, now, args.rebuild)
    except Exception as error:
        failures.append(f"{name}: building: {type(error).__name__}: {error}")
        return
    if not built["reused"]:
        results.append({"backend": name, "what": "build", "seconds": built["build_s"], "cases": args.cases,
                        "deadlines": built["deadlines"]})
    for label, period in periods(now):
        expected = notices_in(url, period)
        for by in ("municipality", "health_centre"):
            row = {"backend": name, "what": "compute", "period": label, "span": f"{period.first} – {period.last}",
                   "by": by, "cases": args.cases, "notices": expected}
            try:
                times = []
                for _ in range(args.runs):
                    seconds, result, _ = compute_once(url, period, by, now)
                    times.append(seconds)
                region = result["rows"][-1]
                if region["notices"] != expected:
                    failures.append(f"{name} {label} by {by}: the region row counts {region['notices']} "
                                    f"notices, the database {expected}")
                reports[(name, label, by)] = result
                row.update(first=times[0], best=min(times), runs=times)
            except Exception as error:
                failures.append(f"{name} compute {label} by {by}: {type(error).__name__}: {error}")
                continue
            results.append(row)
            print(f"  compute {label:<9} by {by:<13} first {times[0]:6.3f} s, best {min(times):6.3f} s "
                  f"({expected:,} children)", flush=True)
            command = {**row, "what": "command"}
            try:
                times = []
                for _ in range(args.runs):
                    seconds, data = command_once(url, period, by, now)
                    times.append(seconds)
                if data["rows"][-1]["notices"] != expected:
                    failures.append(f"{name} command {label} by {by}: the region row counts "
                                    f"{data['rows'][-1]['notices']} notices, the database {expected}")
                command.update(first=times[0], best=min(times), runs=times)
            except Exception as error:
                failures.append(f"{name} command {label} by {by}: {type(error).__name__}: {error}")
                continue
            results.append(command)
            print(f"  command {label:<9} by {by:<13} first {times[0]:6.3f} s, best {min(times):6.3f} s", flush=True)
    if args.profile:
        profile(name, url, now)


def profile(name: str, url: str, now) -> None:
    """Each statement of one compute (2 years, by municipality) with its time, then its plan."""
    label, period = periods(now)[-1]
    compute_once(url, period, "municipality", now)  # warm
    seconds, _, statements = compute_once(url, period, "municipality", now, timed=True)
    print(f"\n  {name}: the statements of one compute ({label}, by municipality): {seconds:.3f} s in all")
    for s in statements:
        print(f"    {s['seconds'] * 1000:8.1f} ms  {' '.join(s['sql'].split())[:150]}")
    _, _, statements = compute_once(url, period, "municipality", now, timed=True, explain=True)
    for s in statements:
        if s["plan"]:
            print(f"\n    {' '.join(s['sql'].split())[:150]}")
            for line in s["plan"]:
                print(f"      {line}")


def compare(reports: dict) -> list[str]:
    """Where the two backends' reports differ (they must not)."""
    found = []
    for (backend, label, by), result in reports.items():
        if backend != "SQLite" or ("PostgreSQL", label, by) not in reports:
            continue
        other = reports[("PostgreSQL", label, by)]
        for mine, theirs in zip(result["rows"], other["rows"]):
            for key in mine:
                if mine[key] != theirs.get(key):
                    found.append(f"{label} by {by}, {mine['group']}: {key} {mine[key]!r} (SQLite) "
                                 f"vs {theirs.get(key)!r} (PostgreSQL)")
        for key in ("monthly", "distribution"):
            if result.get(key) != other.get(key):
                found.append(f"{label} by {by}: {key} differs")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each figure (the first and the best reported)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="a PostgreSQL URL whose search_path names a schema of "
                        "its own (default: bench_report on 127.0.0.1)")
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--small", action="store_true",
                        help=f"CI's smoke test: {SMALL_CASES:,} cases, SQLite only, 1 run")
    parser.add_argument("--rebuild", action="store_true", help="build the populations again even if reusable")
    parser.add_argument("--profile", action="store_true", help="also each SQL statement's time and plan")
    args = parser.parse_args(argv)
    if args.small:
        args.cases, args.runs, args.no_pg = SMALL_CASES, 1, True
    if args.cases < 100 or args.runs < 1:
        parser.error("--cases must be at least 100, --runs at least 1")

    import events_bench

    now = build_population.NOW
    OUT.mkdir(exist_ok=True)
    backends = [("SQLite", f"sqlite:///{OUT / f'population-{args.cases}.db'}")]
    skipped = None
    if not args.no_pg:
        schema = events_bench.pg_schema(args.pg_url)
        skipped = pg_answers(args.pg_url)
        if skipped is None:
            events_bench.pg_schema_sql(args.pg_url, f"CREATE SCHEMA IF NOT EXISTS {schema}")
            backends.append(("PostgreSQL", args.pg_url))
    load = os.getloadavg()[0]
    print(f"Report (§ 10) over {args.cases:,} cases at {now:%Y-%m-%d %H:%M} — {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; load {load:.2f}")
    if skipped is not None:
        from screening.storage import db

        print(f"PostgreSQL: skipped, no server answers at {db.redact(args.pg_url)}: {skipped}")
    results: list[dict] = []
    reports: dict = {}
    failures: list[str] = []
    for name, url in backends:
        bench_backend(name, url, args, now, results, reports, failures)
    differences = compare(reports)
    print_table(results, args, os.getloadavg()[0], load)
    if len(backends) > 1 and reports:
        print(f"SQLite and PostgreSQL give the same report: {'yes' if not differences else 'NO'}")
        for line in differences[:10]:
            print(f"  {line}")
    if failures:
        print("\nBROKEN: " + "; ".join(failures))
        return 1
    return 0


def print_table(results: list[dict], args, load_after: float, load_before: float) -> None:
    print(f"\n{'cases':>8}  {'backend':<10}  {'what':<8} {'period':<10} {'by':<14} {'first s':>8} {'best s':>8}"
          "  goal < 2 s")
    timed = [r for r in results if r["what"] != "build"]
    for r in results:
        if r["what"] == "build":
            print(f"{r['cases']:>8,}  {r['backend']:<10}  build    {r['deadlines']:,} deadlines{'':>10} "
                  f"{r['seconds']:8.1f}")
            continue
        verdict = "met" if r["first"] < GOAL_S else "MISSED"
        print(f"{r['cases']:>8,}  {r['backend']:<10}  {r['what']:<8} {r['period']:<10} {r['by']:<14} "
              f"{r['first']:8.3f} {r['best']:8.3f}  {verdict}")
    over = [r for r in timed if r["first"] >= GOAL_S]
    if timed:
        print(f"\ngoal < 2 s: {'met' if not over else f'missed ({len(over)} of {len(timed)} figures over)'}"
              f"{'' if args.cases == 100_000 else f' (at {args.cases:,} cases: the goal is for 100,000)'}; "
              f"load {load_before:.2f} before, {load_after:.2f} after")


if __name__ == "__main__":
    sys.exit(main())
