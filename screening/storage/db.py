"""Database URLs and connections.

Plain DB-API connections (sqlite3, psycopg) for everything the product reads and writes: the
read model and the units of work, pooled per process. SQLAlchemy engines only for the Alembic
migrations, which keeps SQLAlchemy off the path of every command staff run.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from datetime import date, datetime, timezone
from functools import cache, lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from screening import clock
from screening.errors import BadInput, ScreeningError

# The newest migration; `init` upgrades to it and every other command checks for it.
SCHEMA_REVISION = "0029"
commits = 0  # transactions this process committed: an error after one must not say "nothing was changed"


class SchemaOutdated(ScreeningError):
    exit_code = 2
    code = "schema"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> str:
    if not re.match(r"^sqlite(\+pysqlite)?://", url):
        raise BadInput("not a SQLite URL: {url}", url=url)
    path = url.split("://", 1)[1]
    if path.startswith("/"):
        path = path[1:]
    return path or ":memory:"


def check_url(url: str) -> str:
    if is_sqlite(url):
        sqlite_path(url)
    elif not url.startswith(("postgresql://", "postgresql+psycopg://")):
        raise BadInput("unsupported database URL (use sqlite:///FILE or postgresql+psycopg://…): {url}",
                       url=redact(url))
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
    cur.execute("PRAGMA cache_size=-65536")  # 64 MiB: a sweep touches pages all over the deadline table
    cur.close()


def connect_raw(url: str) -> "RawConnection":
    """A DB-API connection in autocommit mode; named parameters as `:name` on both backends."""
    check_url(url)
    if is_sqlite(url):
        path = sqlite_path(url)
        if path != ":memory:" and not Path(path).exists():
            raise SchemaOutdated("no database at {path}: run `screening init` first", path=path)
        # isolation_level=None: transactions are begun explicitly (BEGIN IMMEDIATE for writes);
        # check_same_thread=False: a pooled connection may serve another thread, one at a time
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
        sqlite_pragmas(conn)
        return RawConnection(conn, sqlite=True)
    import psycopg

    conn = psycopg.connect(psycopg_conninfo(url), autocommit=True)
    return RawConnection(conn, sqlite=False)


@lru_cache(maxsize=512)
def _pyformat(sql: str) -> str:
    sql = sql.replace("%", "%%")
    return re.sub(r"(?<!:):([a-z_][a-z0-9_]*)", r"%(\1)s", sql)


class RawConnection:
    """Plain SQL with `:name` parameters: rows as dicts, explicit transactions.

    Times are stored in UTC; `timestamp` and `day` give a value as this backend stores it.
    """

    def __init__(self, conn, sqlite: bool):
        self.conn = conn
        self.sqlite = sqlite
        self._named = (lambda sql: sql) if sqlite else _pyformat
        self._begin_on_use = False
        self.memo: dict = {}  # what never changes once committed (audit kinds, user numbers)

    def execute(self, sql: str, params: dict | None = None):
        if self._begin_on_use:
            self.begin()
        cur = self.conn.cursor()
        cur.execute(self._named(sql), params or {})
        return cur

    def many(self, sql: str, rows) -> None:
        if not isinstance(rows, list) or rows:  # an iterable of rows (a generator) is taken as it comes
            if self._begin_on_use:
                self.begin()
            self.conn.cursor().executemany(self._named(sql), rows)

    def all(self, sql: str, params: dict | None = None) -> list[dict]:
        cur = self.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def one(self, sql: str, params: dict | None = None) -> dict | None:
        rows = self.all(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: dict | None = None):
        row = self.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def begin(self, lazily: bool = False) -> None:
        """Begin a transaction now, or (`lazily`) with the next statement."""
        self._begin_on_use = lazily
        if not lazily:  # SQLite: take the write lock at once, so that a read-then-write never deadlocks
            self.conn.execute("BEGIN IMMEDIATE" if self.sqlite else "BEGIN")

    def commit(self) -> None:
        if self._begin_on_use:  # begun lazily and nothing done since: there is nothing to commit
            self._begin_on_use = False
            return
        self.conn.execute("COMMIT")
        global commits
        commits += 1

    def rollback(self) -> None:
        self._begin_on_use = False
        if self.sqlite:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        elif not self.conn.closed and self.conn.info.transaction_status != 0:  # 0: idle
            self.conn.execute("ROLLBACK")

    @property
    def in_transaction(self) -> bool:
        if self.sqlite:
            return self.conn.in_transaction
        return not self.conn.closed and self.conn.info.transaction_status != 0  # 0: idle

    def insert_many(self, sql: str, rows) -> None:
        """Insert rows (a list, or any iterable of them) in one transaction of their own."""
        if isinstance(rows, list) and not rows:
            return
        self.begin()
        try:
            self.many(sql, rows)
        except BaseException:
            self.rollback()
            raise
        self.commit()

    def timestamp(self, value: datetime | None):
        """A datetime as this backend stores it: Unix seconds on SQLite, aware UTC on PostgreSQL."""
        if value is None:
            return None
        if self.sqlite:
            return clock.to_epoch(value)
        return value.astimezone(timezone.utc)

    def day(self, value: date | None):
        return value.isoformat() if self.sqlite and value is not None else value

    @property
    def usable(self) -> bool:
        return self.sqlite or not (self.conn.closed or self.conn.broken)

    def close(self) -> None:
        self.conn.close()


# Write connections kept open per database for the life of the process (the scheduler, a
# batch): opening one costs more than a short unit of work. One user at a time.
_pool: dict[str, list[RawConnection]] = {}
_pool_lock = threading.Lock()


def checkout(url: str) -> RawConnection:
    with _pool_lock:
        idle = _pool.setdefault(url, [])
        while idle:
            conn = idle.pop()
            if conn.usable:
                return conn
            conn.close()
    return connect_raw(url)


def checkin(url: str, conn: RawConnection) -> None:
    with _pool_lock:
        _pool.setdefault(url, []).append(conn)


def release(url: str, conn: RawConnection) -> None:
    """Back to the pool, with nothing left open (a broken connection is closed instead)."""
    try:
        conn.rollback()  # nothing if committed
    except Exception:  # a broken connection: not returned to the pool
        conn.close()
        return
    checkin(url, conn)


_checked: set[str] = set()  # the databases whose schema this process has checked


def ensure_schema(url: str, conn) -> None:
    """The database is at this program's schema (checked once per process and database)."""
    if url not in _checked:
        check_schema(conn)
        _checked.add(url)


def check_schema(conn) -> None:
    try:
        revision = conn.scalar("SELECT version_num FROM alembic_version")
    except Exception:  # no such table: never initialised
        in_transaction = conn.in_transaction
        conn.rollback()
        if in_transaction:
            conn.begin()
        revision = None
    if revision is None:
        raise SchemaOutdated("the database is not initialised: run `screening init`")
    if revision != SCHEMA_REVISION:
        raise SchemaOutdated("the database is at schema {revision}, this program needs {needed}: run `screening init`",
                             revision=revision, needed=SCHEMA_REVISION)


def dispose(url: str) -> None:
    """Close the pooled connections to a database (before dropping it)."""
    with _pool_lock:
        idle = _pool.pop(url, [])
    for conn in idle:
        conn.close()


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
    # SQLAlchemy's "begin" event issues BEGIN itself, so DDL runs inside the transaction too: pysqlite's own
    # handling begins only before DML, and would leave an upgrade's first DDL committed at once
    dbapi_conn.isolation_level = None
    sqlite_pragmas(dbapi_conn)
