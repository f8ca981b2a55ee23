"""Database URLs and connections.

Two ways in: SQLAlchemy engines for writes (units of work, migrations) and plain DB-API
connections for the read model, which keeps SQLAlchemy off the start-up path of the
commands staff run most (`case show`, `case list`).
"""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from screening.errors import BadInput, ScreeningError

# The newest migration; `init` upgrades to it and every other command checks for it.
SCHEMA_REVISION = "0003"


class SchemaOutdated(ScreeningError):
    exit_code = 2
    code = "schema"


def default_url() -> str:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return f"sqlite:///{Path(base) / 'screening' / 'screening.db'}"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> str:
    if not re.match(r"^sqlite(\+pysqlite)?://", url):
        raise BadInput(f"not a SQLite URL: {url}")
    path = url.split("://", 1)[1]
    if path.startswith("/"):
        path = path[1:]
    return path or ":memory:"


def check_url(url: str) -> str:
    if is_sqlite(url):
        sqlite_path(url)
    elif not url.startswith(("postgresql://", "postgresql+psycopg://")):
        raise BadInput(f"unsupported database URL (use sqlite:///FILE or postgresql+psycopg://…): {redact(url)}")
    return url


def redact(url: str) -> str:
    """The URL without its password, fit for messages and logs."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", url)


def psycopg_conninfo(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    return f"postgresql://{netloc}{unquote(parts.path) if parts.path else ''}" + (
        f"?{parts.query}" if parts.query else ""
    )


def sqlite_pragmas(conn) -> None:
    cur = conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


def connect_raw(url: str):
    """A DB-API connection for the read model; named parameters as `:name` on both backends."""
    check_url(url)
    if is_sqlite(url):
        path = sqlite_path(url)
        if path != ":memory:" and not Path(path).exists():
            raise SchemaOutdated(f"no database at {path}: run `screening init` first")
        conn = sqlite3.connect(path, isolation_level=None)
        sqlite_pragmas(conn)
        return RawConnection(conn, named=lambda sql: sql)
    import psycopg

    conn = psycopg.connect(psycopg_conninfo(url), autocommit=True)
    return RawConnection(conn, named=_pyformat)


def _pyformat(sql: str) -> str:
    sql = sql.replace("%", "%%")
    return re.sub(r"(?<!:):([a-z_][a-z0-9_]*)", r"%(\1)s", sql)


class RawConnection:
    """The little the read model needs: rows as dicts, one transaction for its writes."""

    def __init__(self, conn, named):
        self.conn = conn
        self._named = named

    def all(self, sql: str, params: dict | None = None) -> list[dict]:
        cur = self.conn.cursor()
        cur.execute(self._named(sql), params or {})
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def one(self, sql: str, params: dict | None = None) -> dict | None:
        rows = self.all(sql, params)
        return rows[0] if rows else None

    def insert_many(self, sql: str, rows: list[dict]) -> None:
        if not rows:
            return
        cur = self.conn.cursor()
        if isinstance(self.conn, sqlite3.Connection):
            cur.execute("BEGIN IMMEDIATE")
            try:
                cur.executemany(self._named(sql), rows)
            except BaseException:
                cur.execute("ROLLBACK")
                raise
            cur.execute("COMMIT")
        else:
            with self.conn.transaction():
                cur.executemany(self._named(sql), rows)

    def timestamp(self, value: datetime):
        """A datetime as this backend stores it: UTC (as SQLAlchemy's SQLite text, or aware)."""
        utc = value.astimezone(timezone.utc)
        if isinstance(self.conn, sqlite3.Connection):
            return utc.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        return utc

    def close(self) -> None:
        self.conn.close()


@cache
def engine(url: str):
    """The SQLAlchemy engine for a URL (one per process)."""
    from sqlalchemy import create_engine, event

    check_url(url)
    if is_sqlite(url):
        path = sqlite_path(url)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        eng = create_engine(url, connect_args={"timeout": 10})
        event.listen(eng, "connect", _on_sqlite_connect)
        # Begin explicitly so that a unit of work holds SQLite's write lock from its first read.
        event.listen(eng, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return eng
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True)


def _on_sqlite_connect(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" event issues BEGIN itself
    sqlite_pragmas(dbapi_conn)
