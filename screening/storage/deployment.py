"""Whether a database is a simulation: one made by `init` as a demo or a simulation, whose clock
may be set. A database without the row is for real use and keeps the system's clock."""

from __future__ import annotations

from datetime import datetime, timezone


def is_simulation(conn) -> bool:
    return bool(conn.scalar("SELECT simulation FROM deployment WHERE id = 1"))


def holds_cases(conn) -> bool:
    return conn.scalar("SELECT 1 FROM screening_case LIMIT 1") is not None


def make_simulation(conn, since: datetime) -> None:
    """Mark the database a simulation (kept if it is one already)."""
    if conn.scalar("SELECT 1 FROM deployment WHERE id = 1") is None:
        conn.execute("INSERT INTO deployment (id, simulation, since) VALUES (1, :yes, :since)",
                     {"yes": True, "since": conn.timestamp(since)})


def mark_simulation(url: str, since: datetime | None = None) -> None:
    """Make the database at `url` a simulation, in a transaction of its own (tests and benchmarks:
    invented children at a set clock)."""
    from screening.storage import db

    conn = db.connect_raw(url)
    try:
        conn.begin()
        make_simulation(conn, since or datetime.now(timezone.utc))
        conn.commit()
    finally:
        conn.close()
