"""One unit of work: everything a use case writes commits together or not at all.

Plain SQL on a pooled DB-API connection (`screening.storage.db`): a use case is a handful of short
statements, and building them through an ORM cost ten times what the database does.
"""

from __future__ import annotations

import sqlite3

from screening.errors import ScreeningError
from screening.storage import abstract, db

class SqlUnitOfWork(abstract.UnitOfWork):
    def __init__(self, url: str, audit_key: bytes | None = None, door: str | None = None):
        self.url = url
        self.audit_key = audit_key  # the audit trail's chain key (None: plain SHA-256; `screening.audit_chain`)
        self.door = door  # where the use case came in (`cli:<account>`, `api`, `page`): on every audit row

    def __enter__(self) -> "SqlUnitOfWork":
        from screening.storage.accounts import SqlAccounts, SqlSessions
        from screening.storage.bookings import SqlBookingRepository
        from screening.storage.identity_provider import SqlIdentityProvider
        from screening.storage.letters import SqlLetterRepository
        from screening.storage.organisations import SqlDirectoryRepository
        from screening.storage.outbox import SqlOutbox
        from screening.storage.rule_versions import SqlRuleVersions
        from screening.storage.tokens import SqlTokens
        from screening.storage.repository import (SqlAlertRepository, SqlAuditLog, SqlCaseRepository,
                                                  SqlDeadlineRepository, SqlNoteRepository)

        self.conn = _begin(self.url)
        try:
            db.ensure_schema(self.url, self.conn)
        except BaseException:
            self._release()
            raise
        self.cases = SqlCaseRepository(self.conn)
        self.deadlines = SqlDeadlineRepository(self.conn)
        self.notes = SqlNoteRepository(self.conn)
        self.alerts = SqlAlertRepository(self.conn)
        self.directory = SqlDirectoryRepository(self.conn)
        self.audit = SqlAuditLog(self.conn, self.audit_key, self.door)
        self.bookings = SqlBookingRepository(self.conn)
        self.letters = SqlLetterRepository(self.conn)
        self.outbox = SqlOutbox(self.conn)
        self.rules = SqlRuleVersions(self.conn)
        self.accounts = SqlAccounts(self.conn)
        self.sessions = SqlSessions(self.conn)
        self.tokens = SqlTokens(self.conn)
        self.oidc = SqlIdentityProvider(self.conn)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self._release()
        if _is_integrity_error(exc):  # a constraint met a concurrent writer: a refusal
            if number := _conflicting_number(exc):
                raise ConflictOnCommit("another case already has this {number}", number=number) from None
            raise ConflictOnCommit("the write conflicts with data written meanwhile; read again and retry") from None
        if _is_concurrency_failure(exc):  # PostgreSQL gave up one of two writers: a refusal too
            raise ConflictOnCommit("the write met a concurrent one and was not saved; read again and retry") from None

    def _release(self) -> None:
        db.release(self.url, self.conn)

    def commit(self) -> None:
        self.audit.flush()  # the audit rows join the chain last: its lock is held for the commit only
        self.conn.commit()
        self.conn.begin(lazily=True)  # a use case may go on (the outbox commits one message at a time)

    def rollback(self) -> None:
        self.audit.discard()
        self.conn.rollback()
        self.conn.begin(lazily=True)


def _begin(url: str) -> db.RawConnection:
    """A pooled connection inside a new transaction; one retry on a fresh connection if the
    pooled one was cut meanwhile (a server restart, an administrator ending the session)."""
    conn = db.checkout(url)
    if conn.sqlite:  # BEGIN IMMEDIATE with the first statement: the write lock no longer than needed
        conn.begin(lazily=True)
        return conn
    try:
        conn.begin()
        return conn
    except Exception:
        if conn.usable:  # the server refused, the connection is fine
            db.checkin(url, conn)
            raise
        conn.close()
    conn = db.connect_raw(url)
    conn.begin()
    return conn


class ConflictOnCommit(ScreeningError):
    exit_code = 1
    code = "conflict"


def _is_integrity_error(exc) -> bool:
    if exc is None:
        return False
    if isinstance(exc, sqlite3.IntegrityError):
        return True
    return type(exc).__module__.startswith("psycopg") and "IntegrityError" in [c.__name__ for c in type(exc).__mro__]


def _is_concurrency_failure(exc) -> bool:
    """A serialization failure (40001) or a deadlock (40P01) on PostgreSQL."""
    return exc is not None and type(exc).__module__.startswith("psycopg") and getattr(exc, "sqlstate", None) in (
        "40001", "40P01")


def _conflicting_number(error) -> str | None:
    """The identity number a unique constraint refused (another case has it), if that was it."""
    text = str(error).lower()
    return next((key for key in ("personnummer", "samordningsnummer", "dossier") if key in text), None)
