"""The cost of the audit trail's hash chain: audited reads with the chain against the path before it,
and `audit verify` over a large trail.

    .venv/bin/python benchmarks/audit_chain.py [--db URL] [--reads N] [--rows N] [--small]

1. `reads`: N reads of one case each (as `case show` records them: one transaction, one row), then N/100
   lists of 100 cases (as `case list` records them: one transaction, a row a case), through the read
   model with the keyed chain, and the same through the INSERT the product used before the chain.
2. `verify`: the trail filled to `--rows` rows (default 200,000; linked as the product links them), then
   one check end to end, as `audit verify` makes it (pages of 5,000 rows), timed; then one more for
   the most memory it holds at once (traced, so not timed).

URL defaults to a SQLite file under benchmarks/out/ (made anew); a PostgreSQL URL should name an empty
schema of its own (`?options=-csearch_path%3Dbench`): its audit trail is emptied first. `--small` is
CI's smoke size: 500 reads, 20,000 rows.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

OUT = Path(__file__).resolve().parent / "out"
KEY = "benchmark-audit-key-0123456789-abcdefghijkl"
USER = "region-coordinator"
BEFORE = ("INSERT INTO audit (case_id, kind, at, recorded_at, user_no) "
          "VALUES (:case_id, :kind, :at, :recorded_at, :user_no)")  # the read model's insert before the chain


def prepare(url: str) -> None:
    from screening.directory import load_directory
    from screening.services.users import store_directory
    from screening.storage import db, migrate
    from screening.storage.unit_of_work import SqlUnitOfWork

    if db.is_sqlite(url):
        Path(db.sqlite_path(url)).unlink(missing_ok=True)
    migrate.upgrade(url)
    with SqlUnitOfWork(url) as uow:
        store_directory(uow, load_directory(None), demo_users=True)
    empty(url)


def empty(url: str) -> None:
    from screening.storage import db

    conn = db.connect_raw(url)
    try:
        conn.begin()
        if conn.sqlite:
            conn.execute("DROP TRIGGER audit_no_delete")
            conn.execute("DELETE FROM audit")
            conn.execute("CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit "
                         "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END")
        else:
            conn.execute("ALTER TABLE audit DISABLE TRIGGER audit_no_truncate")
            conn.execute("TRUNCATE audit")
            conn.execute("ALTER TABLE audit ENABLE TRIGGER audit_no_truncate")
        conn.commit()
    finally:
        conn.close()


def reads(url: str, n: int) -> dict:
    """Seconds per audited read: one case a transaction, and lists of 100."""
    from screening.clock import STOCKHOLM
    from screening.model import Actor
    from screening.storage.codec import audit_kind, user_number
    from screening.storage.queries import ReadModel

    actor = Actor(USER, "coordinator", USER, "coordinator", None)
    when = datetime(2026, 11, 23, 10, tzinfo=STOCKHOLM)
    figures = {}
    for path in ("before", "chained"):
        with ReadModel(url, KEY.encode()) as model:
            conn = model.conn
            stamp = conn.timestamp(when)
            base = {"kind": audit_kind(conn, "show", None), "at": stamp, "recorded_at": stamp,
                    "user_no": user_number(conn, USER)}

            def record(case_ids: list[str], action: str) -> None:
                if path == "chained":
                    model.record_reads(actor, case_ids, action, when, when)
                else:
                    conn.insert_many(BEFORE, [dict(base, case_id=case_id) for case_id in case_ids])

            started = time.perf_counter()
            for i in range(n):
                record([f"SC-B{i:07d}"], "show")
            one = (time.perf_counter() - started) / n
            lists = max(1, n // 100)
            started = time.perf_counter()
            for i in range(lists):
                record([f"SC-L{i:04d}{k:03d}" for k in range(100)], "list")
            hundred = (time.perf_counter() - started) / lists
        figures[path] = {"show_ms": round(one * 1000, 3), "list_of_100_ms": round(hundred * 1000, 3)}
        empty(url)
    return figures


def fill(url: str, rows: int) -> None:
    """The trail filled with `rows` keyed rows, linked as the product links them."""
    from screening.clock import STOCKHOLM
    from screening.storage import chain, db
    from screening.storage.codec import audit_kind, user_number

    conn = db.connect_raw(url)
    try:
        kind, user = audit_kind(conn, "show", None), user_number(conn, USER)
        start = datetime(2026, 1, 1, tzinfo=STOCKHOLM)
        for first in range(0, rows, 50_000):
            conn.begin()
            chain.append(conn, KEY.encode(), (
                {"case_id": f"SC-V{i:07d}", "kind": kind, "at": conn.timestamp(start + timedelta(seconds=i)),
                 "recorded_at": conn.timestamp(start + timedelta(seconds=i)), "user_no": user, "detail": None,
                 "action": "show", "event": None, "user_id": USER} for i in range(first, min(rows, first + 50_000))))
            conn.commit()
    finally:
        conn.close()


def verify(url: str, rows: int) -> dict:
    from screening.bootstrap import bootstrap
    from screening.services import chain

    started = time.perf_counter()
    fill(url, rows)
    filled = time.perf_counter() - started
    app = bootstrap(url, env={"SCREENING_AUDIT_KEY": KEY})
    started = time.perf_counter()
    checked = chain.check(app)
    seconds = time.perf_counter() - started
    tracemalloc.start()  # a second check for the memory it holds at most (tracing slows it down)
    chain.check(app)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert checked["ok"] and checked["rows"] == rows, checked
    return {"rows": rows, "fill_s": round(filled, 2), "verify_s": round(seconds, 2),
            "rows_per_s": round(rows / seconds), "peak_mib": round(peak / 2**20, 1)}


def main(argv: list[str] | None = None) -> int:
    from screening.storage import db

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="default: sqlite:///benchmarks/out/audit_chain.db")
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--small", action="store_true", help="CI's smoke size: 500 reads, 20,000 rows")
    args = parser.parse_args(argv)
    n, rows = (500, 20_000) if args.small else (args.reads, args.rows)
    OUT.mkdir(exist_ok=True)
    url = args.db or f"sqlite:///{OUT / 'audit_chain.db'}"
    prepare(url)
    result = {"db": db.redact(url).split("?")[0], "reads": reads(url, n), "verify": verify(url, rows)}
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
