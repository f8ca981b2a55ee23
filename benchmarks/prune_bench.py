"""The outbox's nightly pruning (`notifications.outbox.prune`) over a year of sent messages.

    .venv/bin/python benchmarks/prune_bench.py [URL] [--messages N] [--small]

It fills the outbox with N sent messages (default 700,000: about a year of a country's 100,000
children, as `population.py` queues them), sent evenly over the year before 2026-11-24 02:30, then
times one `prune` with the default 90 days kept, and checks that exactly the older ones went.
URL defaults to a SQLite file under benchmarks/out/; any database it is given is emptied of its
outbox. `--small` is CI's smoke size: 20,000 messages.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

OUT = Path(__file__).resolve().parent / "out"
NOW = datetime(2026, 11, 24, 2, 30)
PAYLOAD = '{"event": "notify_parties", "party": "health_centre", "municipality": "Påhittad", "pad": "' + "x" * 300 + '"}'


def fill(url: str, n: int, now: datetime) -> None:
    from screening.storage.unit_of_work import SqlUnitOfWork

    with SqlUnitOfWork(url) as uow:
        conn = uow.conn
        conn.execute("DELETE FROM outbox")
        for first in range(0, n, 50_000):
            conn.many("INSERT INTO outbox (key, topic, payload, created_at, status, attempts, sent_at) "
                      "VALUES (:key, 'event', :payload, :at, 'sent', 1, :at)",
                      [{"key": f"bench:{i}", "payload": PAYLOAD, "at": conn.timestamp(now - timedelta(days=365 * i / n))}
                       for i in range(first, min(n, first + 50_000))])
        uow.commit()


def main(argv: list[str] | None = None) -> int:
    from notifications.outbox import prune
    from screening.settings import KEEP_SENT
    from screening.clock import STOCKHOLM
    from screening.storage import db, deployment, migrate
    from screening.storage.unit_of_work import SqlUnitOfWork

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", help="default: sqlite:///benchmarks/out/prune.db")
    parser.add_argument("--messages", type=int, default=700_000)
    parser.add_argument("--small", action="store_true", help="CI's smoke size: 20,000 messages")
    args = parser.parse_args(argv)
    n = 20_000 if args.small else args.messages
    OUT.mkdir(exist_ok=True)
    url = args.url or f"sqlite:///{OUT / 'prune.db'}"
    now = NOW.replace(tzinfo=STOCKHOLM)
    migrate.upgrade(url)
    deployment.mark_simulation(url)  # invented children at a set clock: a simulation
    fill(url, n, now)
    started = time.perf_counter()
    with SqlUnitOfWork(url) as uow:
        pruned = prune(uow, now, KEEP_SENT)
    seconds = time.perf_counter() - started
    expected = sum(1 for i in range(n) if now - timedelta(days=365 * i / n) < now - KEEP_SENT)
    conn = db.connect_raw(url)
    try:
        left = conn.scalar("SELECT count(*) FROM outbox")
    finally:
        conn.close()
    print(f"{db.redact(url)}: {n:,} sent messages over a year; pruned {pruned:,} sent more than "
          f"{KEEP_SENT.days} days ago in {seconds:.1f} s ({pruned / max(seconds, 1e-9):,.0f} a second); {left:,} left")
    if pruned != expected or left != n - expected:
        print(f"BROKEN: expected {expected:,} pruned and {n - expected:,} left", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
