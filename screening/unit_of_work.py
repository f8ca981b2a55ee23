"""One unit of work: everything a use case writes commits together or not at all."""

from __future__ import annotations

from screening import db
from screening.errors import ScreeningError

_checked: set[str] = set()


class SqlUnitOfWork:
    def __init__(self, url: str):
        self.url = url

    def __enter__(self) -> "SqlUnitOfWork":
        from sqlmodel import Session

        from screening.repository import (SqlAlertRepository, SqlAuditLog, SqlCaseRepository,
                                          SqlDeadlineRepository, SqlDirectoryRepository, SqlNoteRepository)

        engine = db.engine(self.url)
        if self.url not in _checked:
            check_schema(engine)
            _checked.add(self.url)
        self.session = Session(engine, expire_on_commit=False)
        self.cases = SqlCaseRepository(self.session)
        self.deadlines = SqlDeadlineRepository(self.session)
        self.notes = SqlNoteRepository(self.session)
        self.alerts = SqlAlertRepository(self.session)
        self.directory = SqlDirectoryRepository(self.session)
        self.audit = SqlAuditLog(self.session)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        from sqlalchemy.exc import IntegrityError

        self.session.rollback()
        self.session.close()
        if isinstance(exc, IntegrityError):  # a constraint met a concurrent writer: a refusal
            raise ConflictOnCommit(_integrity_message(exc)) from None

    def commit(self) -> None:
        self.session.commit()


class ConflictOnCommit(ScreeningError):
    exit_code = 1
    code = "conflict"


def _integrity_message(error) -> str:
    text = str(error.orig).lower()
    for key in ("personnummer", "samordningsnummer", "dossier"):
        if key in text:
            return f"another case already has this {key}"
    return "the write conflicts with data written meanwhile; read again and retry"


def check_schema(engine) -> None:
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        revision = None
        if inspect(connection).has_table("alembic_version"):
            revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if revision != db.SCHEMA_REVISION:
        state = "not initialised" if revision is None else f"at schema {revision}, this program needs {db.SCHEMA_REVISION}"
        raise db.SchemaOutdated(f"the database is {state}: run `screening init`")
