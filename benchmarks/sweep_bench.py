"""The deadline sweep over a large population: time and peak memory, then a repeated sweep.

    .venv/bin/python benchmarks/sweep_bench.py [--cases 1000000] [--db URL] [--small]

Builds (or reuses) the bulk database of events_bench.py: N cases as far along as their plans are
at the sweep time, about 1 % with an open deadline fallen due since the last sweep. Each run works
on a fresh copy (SQLite) or rebuilds the alert state (PostgreSQL) so that the first sweep always
raises the same alerts. Peak memory is Python's own allocation peak during the sweep (tracemalloc)
and the process's resident peak.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import events_bench  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"


def _reset(url: str, query_at) -> None:
    """Undo a sweep on PostgreSQL: drop its alerts and outbox rows, put the sweep's mark back
    (the deadlines it read are as they were: a sweep rewrites none that it raises a breach for)."""
    from screening.storage import db

    conn = db.connect_raw(url)
    try:
        conn.begin()
        conn.execute("DELETE FROM outbox")
        conn.execute("DELETE FROM alert")
        conn.commit()
        events_bench.settle_reminders(url, query_at)
        for table in ("alert", "outbox", "sweep_mark"):  # what autovacuum would do after the deletes
            conn.execute(f"VACUUM ANALYZE {table}")
    finally:
        conn.close()


def _fresh_copy(source: str, copy: Path) -> str:
    """A consistent copy of the SQLite database (the online backup API, WAL included)."""
    import sqlite3

    from screening.storage import db

    url = f"sqlite:///{copy}"
    db.dispose(url)
    db.engine(url).dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    with sqlite3.connect(source.removeprefix("sqlite:///")) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    return url


def sweep_once(url: str, now) -> tuple[float, int, int]:
    """(seconds, alerts raised, Python allocation peak in bytes) of one sweep in one unit of work."""
    from screening.services.alerts import sweep_in
    from screening.storage.unit_of_work import SqlUnitOfWork
    from workflows.policy import Policy

    policy = Policy.default()
    tracemalloc.start()
    started = time.perf_counter()
    with SqlUnitOfWork(url) as uow:
        raised = sweep_in(uow, policy.rules, now)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, len(raised), peak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", help="a PostgreSQL URL (default: a SQLite file under benchmarks/out/)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--small", action="store_true", help="CI's smoke test: 20,000 cases, 1 run")
    args = parser.parse_args(argv)
    if args.small:
        args.cases, args.runs = 20_000, 1
    from screening.clock import STOCKHOLM
    from screening.storage import migrate

    query_at = events_bench.QUERY_AT.replace(tzinfo=STOCKHOLM)
    OUT.mkdir(exist_ok=True)
    source = args.db or f"sqlite:///{OUT / f'deadlines-{args.cases}.db'}"
    if args.db:  # a schema of its own, kept for the next run (DROP SCHEMA … CASCADE to free it)
        events_bench.pg_schema_sql(args.db, f"CREATE SCHEMA IF NOT EXISTS {events_bench.pg_schema(args.db)}")
    if not events_bench.deadline_db_ready(source, args.cases):
        print(f"building {args.cases:,} cases …", flush=True)
        if not args.db:
            Path(source.removeprefix("sqlite:///")).unlink(missing_ok=True)
        events_bench.build_deadline_db(source, args.cases, args.seed, query_at)
    events_bench.settle_reminders(source, query_at)  # as the scheduler's sweep five minutes before left it
    migrate.upgrade(source)
    first, repeat, peaks = [], [], []
    for run in range(args.runs):
        url = source
        if not args.db:
            url = _fresh_copy(source, OUT / f"sweep-{args.cases}.db")
        else:
            _reset(url, query_at)
        seconds, raised, peak = sweep_once(url, query_at)
        first.append(seconds)
        peaks.append(peak)
        again, raised_again, _ = sweep_once(url, query_at)
        repeat.append(again)
        print(f"run {run + 1}: sweep {seconds * 1000:.0f} ms, {raised:,} alerts, Python peak {peak / 2**20:.1f} MiB; "
              f"repeated sweep {again * 1000:.1f} ms, {raised_again} alerts", flush=True)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    backend = "PostgreSQL" if args.db else "SQLite"
    print(f"\n{backend}, {args.cases:,} cases: sweep median {statistics.median(first) * 1000:.0f} ms "
          f"(goal {'1000' if args.db else '300'} ms), repeated sweep median {statistics.median(repeat) * 1000:.1f} ms "
          f"(goal 30 ms), Python peak {max(peaks) / 2**20:.1f} MiB, process peak RSS {rss:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
