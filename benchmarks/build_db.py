"""Build a benchmark database: the demo directory and N invented cases, inserted in bulk.

    python benchmarks/build_db.py sqlite:///benchmarks/out/cases.db --cases 100000

`build(url, n_cases, seed)` migrates the database to the newest schema with
`screening.storage.migrate.upgrade`, loads the bundled demo directory with its users, then inserts the
cases and one `register` audit row per case with SQLAlchemy Core executemany, one transaction
per batch. Every case is invented (no real identity numbers): ids like the product's, dossier
numbers unique 8-digit strings, states as right after `case register`.

The database must hold no cases yet; `reset(url)` empties it (deletes a SQLite file, drops the
tables of the schema first in a PostgreSQL URL's search_path).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere, with the project's venv
    sys.path.insert(0, str(ROOT))

CASE_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # as workflows.services.new_case_id
BATCH = 5_000
LANGUAGES = ("ar", "fa", "so", "ti", "uk", "prs", "ku", "en", None)
# Birth dates 2008–2025; notices over the two years before NOTICES_END.
BIRTH_FIRST, BIRTH_LAST = date(2008, 1, 1), date(2025, 12, 31)
NOTICES_END = datetime(2026, 11, 1, tzinfo=timezone.utc)
NOTICES_SPAN_S = 2 * 365 * 24 * 3600


def build(url: str, n_cases: int, seed: int = 1) -> list[str]:
    """Make the database at `url` with the demo directory and `n_cases` invented cases.

    Returns the case ids in insertion order. Refuses a database that already holds cases.
    """
    from sqlalchemy import func, insert, select

    from screening.directory import load_directory
    from screening.model import Case
    from screening.services.users import store_directory
    from screening.storage import db, deployment, migrate
    from screening.storage.codec import case_to_row
    from screening.storage.tables import AuditRow, CaseRow
    from screening.storage.unit_of_work import SqlUnitOfWork

    migrate.upgrade(url)
    deployment.mark_simulation(url)  # invented children at a set clock: a simulation
    directory = load_directory(None)
    with SqlUnitOfWork(url) as uow:
        store_directory(uow, directory, demo_users=True)

    engine = db.engine(url)
    case_table, audit_table = CaseRow.__table__, AuditRow.__table__
    register_kind, user_no = audit_numbers(url)
    with engine.connect() as conn:
        existing = conn.execute(select(func.count()).select_from(case_table)).scalar_one()
    if existing:
        raise SystemExit(f"{db.redact(url)} already holds {existing} cases: reset it first")

    # Per municipality: its default health centre and the reception unit that registers.
    places = []
    for municipality in directory.municipalities:
        centre = directory.default_health_centre(municipality)
        reception = next(o for o in directory.of_kind("reception_unit") if o.municipality == municipality)
        places.append((municipality, centre.id if centre else None, reception.id))

    rng = random.Random(seed)
    ids = _unique_ids(rng, n_cases)
    dossiers = rng.sample(range(10_000_000, 100_000_000), n_cases)
    birth_span = (BIRTH_LAST - BIRTH_FIRST).days

    for start in range(0, n_cases, BATCH):
        cases, audits = [], []
        for i in range(start, min(start + BATCH, n_cases)):
            municipality, centre, reception = rng.choice(places)
            notice_at = NOTICES_END - timedelta(seconds=rng.randrange(NOTICES_SPAN_S))
            recorded_at = notice_at + timedelta(seconds=rng.randrange(5, 600))
            language = rng.choice(LANGUAGES)
            case = Case(
                id=ids[i], municipality=municipality,
                birth_date=BIRTH_FIRST + timedelta(days=rng.randrange(birth_span + 1)),
                notice_at=notice_at, health_state="registered",
                school_state="not_started", vaccination_state="not_started",
                dossier=str(dossiers[i]), language=language,
                interpreter=language not in (None, "en") and rng.random() < 0.8,
                unaccompanied=rng.random() < 0.1,
                permit=rng.choice(("asylum", "residence", None)),
                arrival=(notice_at + timedelta(days=rng.randrange(0, 45))).date() if rng.random() < 0.7 else None,
                health_centre_id=centre, created_at=recorded_at, updated_at=recorded_at,
            )
            cases.append(case_to_row(case))
            audits.append({
                "case_id": case.id, "kind": register_kind, "at": notice_at,
                "recorded_at": recorded_at, "user_no": user_no[reception], "detail": None,
            })
        with engine.begin() as conn:
            conn.execute(insert(case_table), cases)
            conn.execute(insert(audit_table), audits)

    if not db.is_sqlite(url):
        # What autovacuum would have done on a server that grew to this size.
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE screening_case")
            conn.exec_driver_sql("ANALYZE audit")
    return ids


def _unique_ids(rng: random.Random, n: int) -> list[str]:
    seen: set[str] = set()
    ids = []
    while len(ids) < n:
        case_id = "SC-" + "".join(rng.choices(CASE_ID_ALPHABET, k=8))
        if case_id not in seen:
            seen.add(case_id)
            ids.append(case_id)
    return ids


def count_cases(url: str) -> int | None:
    """The number of cases at `url`; None when there is no migrated database there."""
    from sqlalchemy import inspect, text

    from screening.storage import db

    if db.is_sqlite(url) and not Path(db.sqlite_path(url)).exists():
        return None
    with db.engine(url).connect() as conn:
        if not inspect(conn).has_table("screening_case") or not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT count(*) FROM screening_case")).scalar_one()


def audit_numbers(url: str) -> tuple[int, dict[str, int]]:
    """The audit trail's number for `register`, and every user's number."""
    from screening.storage import db

    conn = db.connect_raw(url)
    try:
        kind = conn.scalar("SELECT no FROM audit_kind WHERE action = 'event' AND event = 'register'")
        return kind, {row["id"]: row["no"] for row in conn.all("SELECT id, no FROM app_user")}
    finally:
        conn.close()


def upgraded_with(url: str, n_cases: int) -> bool:
    """Whether the database holds exactly `n_cases` cases, once upgraded to this checkout's schema
    by the migrations (as a region's database would be): a bulk database worth reusing."""
    from screening.storage import deployment, migrate

    if count_cases(url) != n_cases:
        return False
    migrate.upgrade(url)
    deployment.mark_simulation(url)  # invented children at a set clock: a simulation
    return schema_current(url)


def schema_current(url: str) -> bool:
    """Whether the database at `url` has this checkout's schema: the newest revision, and every
    table with exactly the columns of `screening.storage.tables` (a migration may change while its
    revision stays the same during development)."""
    from sqlalchemy import inspect, text
    from sqlmodel import SQLModel

    import screening.storage.tables  # noqa: F401  (registers the tables)
    from screening.storage import db

    if db.is_sqlite(url) and not Path(db.sqlite_path(url)).exists():
        return False
    with db.engine(url).connect() as conn:
        inspector = inspect(conn)
        if not inspector.has_table("alembic_version"):
            return False
        if conn.execute(text("SELECT version_num FROM alembic_version")).scalar() != db.SCHEMA_REVISION:
            return False
        for table in SQLModel.metadata.sorted_tables:
            if not inspector.has_table(table.name):
                return False
            if {c["name"] for c in inspector.get_columns(table.name)} != {c.name for c in table.columns}:
                return False
    return True


def case_ids(url: str, municipality: str | None = None) -> list[str]:
    from sqlalchemy import select

    from screening.storage import db
    from screening.storage.tables import CaseRow

    table = CaseRow.__table__
    query = select(table.c.id).order_by(table.c.id)
    if municipality is not None:
        query = query.where(table.c.municipality == municipality)
    with db.engine(url).connect() as conn:
        return list(conn.execute(query).scalars())


def reset(url: str) -> None:
    """Empty the database at `url`: delete a SQLite file; drop the tables of a PostgreSQL schema."""
    from sqlalchemy import MetaData

    from screening.storage import db

    db.dispose(url)  # pooled connections would go on writing to the file deleted below
    if db.is_sqlite(url):
        db.engine.cache_clear()
        path = db.sqlite_path(url)
        if path != ":memory:":
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(path + suffix).unlink(missing_ok=True)
        return
    engine = db.engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP VIEW IF EXISTS audit_trail")  # reflection sees tables, not views
        meta = MetaData()
        meta.reflect(conn)
        meta.drop_all(conn)
        conn.exec_driver_sql("DROP FUNCTION IF EXISTS audit_append_only() CASCADE")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="sqlite:///FILE or postgresql+psycopg://…")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reset", action="store_true", help="empty the database first")
    args = parser.parse_args(argv)
    if args.reset:
        reset(args.url)
    started = time.perf_counter()
    ids = build(args.url, args.cases, args.seed)
    print(f"{len(ids)} cases in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
