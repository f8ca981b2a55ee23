"""Fixtures: a fresh database per test, on SQLite and (where a server answers) PostgreSQL.

PostgreSQL tests read the server's URL from SCREENING_TEST_PG_URL (set by .ci/run). Where no
server answers they are skipped with the reason, except under SCREENING_REQUIRE_PG=1 (CI),
where they fail instead.
"""

from __future__ import annotations

import os
import uuid

import pytest

PG_URL = os.environ.get("SCREENING_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_available() -> str | None:
    try:
        import psycopg

        from screening.storage.db import psycopg_conninfo

        with psycopg.connect(psycopg_conninfo(PG_URL), connect_timeout=3):
            return None
    except Exception as error:  # noqa: BLE001 - any failure means "no server here"
        return f"no PostgreSQL server answers at {PG_URL}: {str(error).splitlines()[0] if str(error) else error}"


_PG_PROBLEM = _pg_available()


def pg_schema_url():
    """A URL whose connections see a fresh, private schema; dropped afterwards."""
    import psycopg

    from screening.storage.db import psycopg_conninfo

    if _PG_PROBLEM:
        if os.environ.get("SCREENING_REQUIRE_PG"):
            pytest.fail(_PG_PROBLEM)
        pytest.skip(_PG_PROBLEM)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(psycopg_conninfo(PG_URL), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    try:
        yield url
    finally:
        _dispose(url)
        with psycopg.connect(psycopg_conninfo(PG_URL), autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def _dispose(url: str) -> None:
    from screening.storage import db

    db.dispose(url)
    db.engine(url).dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """An empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'screening.db'}"
    else:
        yield from pg_schema_url()


@pytest.fixture
def demo_db(db_url):
    """A simulation database (its clock may be set) at the newest schema with the demo region and
    its users loaded."""
    from screening.directory import load_directory
    from screening.services.users import store_directory
    from screening.storage import migrate
    from screening.storage.unit_of_work import SqlUnitOfWork

    migrate.upgrade(db_url)
    make_simulation(db_url)
    with SqlUnitOfWork(db_url) as uow:
        store_directory(uow, load_directory(None), demo_users=True)
    return db_url



def make_simulation(url: str) -> None:
    """Mark a test's database a simulation: the tests set the clock."""
    from datetime import datetime, timezone

    from screening.storage.deployment import mark_simulation

    mark_simulation(url, datetime(2026, 1, 1, tzinfo=timezone.utc))
