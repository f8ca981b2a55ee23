"""CLI start-up and read latency: median wall time of the commands staff run most.

    .venv/bin/python benchmarks/cli_latency.py [--cases 100000] [--runs 15] [--db URL] [--json] [--profile]

Builds (or reuses, when it already holds exactly that many cases) a database under
benchmarks/out/ (SQLite unless --db is given), then runs each command as a subprocess, the way
staff run it: two warm-up runs, then --runs timed runs, the wall time measured with
time.perf_counter() around subprocess.run (stdout to /dev/null).

  help   screening --help
  show   screening --db URL --as ostersund-reception case show ID      (a random case of Östersund each run)
  list   screening --db URL --as region-coordinator --json case list --municipality Berg
         (about 1/8 of the cases; every listed case is written to the audit trail, part of the cost)

A benchmark reports; it does not fail: the exit code is 0 also when a median is over its goal
(the table says OVER GOAL). It is 1 only when a command itself fails (a broken benchmark).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_db  # noqa: E402

OUT = HERE / "out"
GOALS = {"help": 0.15, "show": 0.35}  # seconds, median, on the project's 2-core machine
WARMUP = 2
SHOW_USER, SHOW_MUNICIPALITY = "ostersund-reception", "Östersund"
LIST_USER, LIST_MUNICIPALITY = "region-coordinator", "Berg"


def screening_script() -> str:
    """The console script of the interpreter running this file (the project's venv), else PATH's."""
    beside = Path(sys.executable).parent / "screening"
    found = str(beside) if beside.exists() else shutil.which("screening")
    if not found:
        raise SystemExit("no `screening` command: run with the project's venv (.venv/bin/python)")
    return found


def child_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    return env


def timed(argv: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        raise CommandFailed(f"{' '.join(argv)} exited {done.returncode}: {message[-1] if message else ''}")
    return elapsed


class CommandFailed(Exception):
    pass


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "median": statistics.median(ordered),
        "p90": ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)],  # nearest rank
        "min": ordered[0],
        "max": ordered[-1],
        "runs": len(ordered),
    }


def prepare(url: str, n_cases: int, seed: int, rebuild: bool) -> tuple[bool, float]:
    """(reused, build seconds): reuse a database of this schema with exactly n_cases, else (re)build it."""
    if not rebuild and build_db.count_cases(url) == n_cases and build_db.schema_current(url):
        return True, 0.0
    build_db.reset(url)
    started = time.perf_counter()
    build_db.build(url, n_cases, seed)
    return False, time.perf_counter() - started


def audit_rows(url: str) -> int:
    from sqlalchemy import text

    from screening.storage import db

    with db.engine(url).connect() as conn:
        return conn.execute(text("SELECT count(*) FROM audit")).scalar_one()


def import_profile(argv: list[str], env: dict, repeats: int = 5, top: int = 15) -> dict:
    """`python -X importtime` of a command: the median per module over a few runs."""
    samples: dict[str, list[tuple[int, int]]] = {}
    for _ in range(repeats):
        done = subprocess.run([sys.executable, "-X", "importtime", *argv], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, env=env, text=True)
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "[us]" in line:
                continue
            self_us, cumulative_us, name = line[len("import time:"):].split("|", 2)
            depth = (len(name) - len(name.lstrip())) // 2
            samples.setdefault(name.strip(), []).append((int(self_us), int(cumulative_us), depth))
    rows = [
        {"module": name, "self_ms": statistics.median(s[0] for s in v) / 1000,
         "cumulative_ms": statistics.median(s[1] for s in v) / 1000, "depth": v[0][2]}
        for name, v in samples.items()
    ]
    top_level = [r for r in rows if r["depth"] == 0]
    return {
        "total_import_ms": sum(r["cumulative_ms"] for r in top_level),
        "top_cumulative": sorted(top_level, key=lambda r: -r["cumulative_ms"])[:top],
        "top_self": sorted(rows, key=lambda r: -r["self_ms"])[:top],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000, help="cases in the database (default 100000)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command (default 15)")
    parser.add_argument("--db", help="database URL (default: a SQLite file under benchmarks/out/)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rebuild", action="store_true", help="build the database even if it could be reused")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the table")
    parser.add_argument("--profile", action="store_true", help="also the top imports of `case show` (-X importtime)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.cases < 1:
        parser.error("--runs and --cases must be at least 1")

    from screening.storage import db

    OUT.mkdir(exist_ok=True)
    url = args.db or f"sqlite:///{OUT / f'cases-{args.cases}.db'}"
    reused, build_s = prepare(url, args.cases, args.seed, args.rebuild)
    show_ids = build_db.case_ids(url, SHOW_MUNICIPALITY)
    listed = len(build_db.case_ids(url, LIST_MUNICIPALITY))
    audit_before = audit_rows(url)
    db.engine(url).dispose()  # nothing of ours holds the database while the commands run

    script, env, rng = screening_script(), child_env(), random.Random(args.seed)
    commands = {
        "help": ("screening --help", lambda: [script, "--help"]),
        "show": (f"screening --as {SHOW_USER} case show ID",
                 lambda: [script, "--db", url, "--as", SHOW_USER, "case", "show", rng.choice(show_ids)]),
        # --json is a global option (before the command), as cli.md has it.
        "list": (f"screening --as {LIST_USER} --json case list --municipality {LIST_MUNICIPALITY}",
                 lambda: [script, "--db", url, "--as", LIST_USER, "--json", "case", "list",
                          "--municipality", LIST_MUNICIPALITY]),
        "python": ("(floor) python -c pass", lambda: [sys.executable, "-c", "pass"]),
    }
    load_before = os.getloadavg()[0]
    results, failed = {}, None
    try:
        for key, (label, make) in commands.items():
            for _ in range(WARMUP):
                timed(make(), env)
            times = [timed(make(), env) for _ in range(args.runs)]
            results[key] = {"command": label, "goal": GOALS.get(key), **summary(times),
                            "times": [round(t, 4) for t in times]}
    except CommandFailed as error:
        failed = str(error)

    profile = None
    if args.profile and not failed:
        profile = {
            "show": import_profile([script, "--db", url, "--as", SHOW_USER, "case", "show", show_ids[0]], env),
            "help": import_profile([script, "--help"], env),
        }

    report = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "sqlite": sqlite3.sqlite_version},
        "db": db.redact(url), "backend": "sqlite" if db.is_sqlite(url) else "postgresql",
        "cases": args.cases, "listed_cases": listed, "audit_rows_before": audit_before,
        "load_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "reused_db": reused, "build_s": round(build_s, 2), "warmup": WARMUP, "runs": args.runs,
        "results": results, "profile": profile, "error": failed,
    }
    if args.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    else:
        print_report(report)
    if failed:
        sys.stderr.write(f"cli_latency: {failed}\n")
        return 1
    return 0


def print_report(r: dict) -> None:
    m = r["machine"]
    built = "reused" if r["reused_db"] else f"built in {r['build_s']:.1f} s"
    print(f"CLI latency, {r['date']} — {m['cpus']} CPUs, Python {m['python']}, {m['platform']}")
    print(f"database: {r['db']} ({r['backend']}, {r['cases']} cases, {built}; "
          f"{r['audit_rows_before']} audit rows before the runs)")
    print(f"{r['warmup']} warm-up + {r['runs']} timed runs each; wall time in seconds; "
          f"1-min load average {r['load_1min'][0]:.2f} before, {r['load_1min'][1]:.2f} after\n")
    header = f"{'command':<72} {'median':>7} {'p90':>7} {'min':>7} {'goal':>6}  verdict"
    print(header)
    print("-" * len(header))
    for key, x in r["results"].items():
        goal = x["goal"]
        verdict = "" if goal is None else ("OVER GOAL" if x["median"] > goal else "ok")
        goal_text = "—" if goal is None else f"{goal:.2f}"
        print(f"{x['command']:<72} {x['median']:>7.3f} {x['p90']:>7.3f} {x['min']:>7.3f} {goal_text:>6}  {verdict}")
    if "list" in r["results"]:
        print(f"\n(case list returns {r['listed_cases']} cases and writes as many audit rows per run)")
    if r["profile"]:
        for key, p in r["profile"].items():
            print(f"\n-X importtime, {r['results'][key]['command']}: "
                  f"{p['total_import_ms']:.0f} ms of imports (median of 5 runs)")
            print(f"  {'cumulative ms':>13}  top-level import")
            for row in p["top_cumulative"]:
                print(f"  {row['cumulative_ms']:>13.1f}  {row['module']}")
            print(f"  {'self ms':>13}  module (own time)")
            for row in p["top_self"]:
                print(f"  {row['self_ms']:>13.1f}  {row['module']}")
    if r["error"]:
        print(f"\nFAILED: {r['error']}")


if __name__ == "__main__":
    sys.exit(main())
