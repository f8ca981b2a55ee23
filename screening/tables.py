"""SQLModel tables. Datetimes are aware and stored in UTC (SQLModel's UTCDateTime).

The schema itself is made by the Alembic migrations in `migrations/`; a test checks that these
classes and the migrated schema agree.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


class RegionRow(SQLModel, table=True):
    __tablename__ = "region"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    municipalities: str = Field(sa_column=Column(Text, nullable=False))  # JSON list, the region's order


class OrganisationRow(SQLModel, table=True):
    __tablename__ = "organisation"

    id: str = Field(primary_key=True, max_length=64)
    position: int  # order in the region's file: the first health centre serving a municipality is its default
    kind: str = Field(max_length=32, index=True)
    name: str = Field(max_length=200)
    municipality: str | None = Field(default=None, max_length=64, index=True)
    details: str = Field(sa_column=Column(Text, nullable=False))  # the directory record as JSON


class UserRow(SQLModel, table=True):
    __tablename__ = "app_user"

    id: str = Field(primary_key=True, max_length=64)
    role: str = Field(max_length=32)
    org_id: str = Field(foreign_key="organisation.id", max_length=64, index=True)


class CaseRow(SQLModel, table=True):
    __tablename__ = "screening_case"

    id: str = Field(primary_key=True, max_length=16)
    version: int = Field(default=1)
    municipality: str = Field(max_length=64, index=True)
    birth_date: date
    name: str | None = Field(default=None, max_length=200)
    personnummer: str | None = Field(default=None, max_length=12, unique=True)
    samordningsnummer: str | None = Field(default=None, max_length=12, unique=True)
    dossier: str | None = Field(default=None, max_length=8, unique=True)
    language: str | None = Field(default=None, max_length=16)
    interpreter: bool = Field(default=False)
    unaccompanied: bool = Field(default=False)
    permit: str | None = Field(default=None, max_length=16)
    arrival: date | None = None
    notice_at: datetime
    already_in_sweden: bool = Field(default=False)
    health_centre_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=64, index=True)
    school_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=64, index=True)
    preschool_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=64, index=True)
    health_state: str = Field(max_length=32)
    school_state: str = Field(max_length=32)
    vaccination_state: str = Field(max_length=32)
    created_at: datetime
    updated_at: datetime
    parties_notified_at: datetime | None = None
    arrival_changed_at: datetime | None = None
    renotified_at: datetime | None = None
    previous_screening: str | None = Field(default=None, max_length=8)
    previous_verified_at: datetime | None = None
    conversation_start: datetime | None = None
    conversation_booked_at: datetime | None = None
    samples_taken_at: datetime | None = None
    results_received_at: datetime | None = None
    obstacle: bool | None = None
    family_informed_at: datetime | None = None
    reception_informed_at: datetime | None = None
    examination_start: datetime | None = None
    examination_booked_at: datetime | None = None
    examined_at: datetime | None = None
    consent_given_by: str | None = Field(default=None, max_length=16)
    consent_scope: str | None = Field(default=None, max_length=16)
    consent_at: datetime | None = None
    shared_at: datetime | None = None
    declined_at: datetime | None = None
    declined_by: str | None = Field(default=None, max_length=64)
    ended_at: datetime | None = None
    intro_invited_at: datetime | None = None
    intro_held_at: datetime | None = None
    intro_plan_at: datetime | None = None
    school_started_at: datetime | None = None
    preschool_started_at: datetime | None = None
    postponed_at: datetime | None = None
    records_requested_at: datetime | None = None
    vaccination_status: str | None = Field(default=None, max_length=8)
    assessed_at: datetime | None = None
    vaccination_plan_at: datetime | None = None
    vaccination_plan_unit: str | None = Field(default=None, max_length=16)
    doses_given: int = Field(default=0)
    vaccinations_done_at: datetime | None = None


class DeadlineRow(SQLModel, table=True):
    """A case's deadline under one rule; kept up to date by every event."""

    __tablename__ = "deadline"
    __table_args__ = (
        UniqueConstraint("case_id", "rule", name="uq_deadline_case_rule"),
        # The sweep's one index range scan: open deadlines by due time.
        Index("ix_deadline_open_due", "due", postgresql_where=text("status = 'open'"),
              sqlite_where=text("status = 'open'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="screening_case.id", max_length=16)
    rule: str = Field(max_length=32)
    owner: str = Field(max_length=16)
    starts: datetime
    due: datetime
    status: str = Field(max_length=10)
    met_at: datetime | None = None
    attributed_to: str | None = Field(default=None, max_length=16)


class NoteRow(SQLModel, table=True):
    """Medical or confidential text (results, examination, reasons, doses): read only by those who may."""

    __tablename__ = "case_note"
    __table_args__ = (Index("ix_case_note_case", "case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="screening_case.id", max_length=16)
    kind: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime
    user_id: str = Field(max_length=64)


class AuditRow(SQLModel, table=True):
    """Append-only (triggers refuse UPDATE and DELETE): every write and every read of a case."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_case", "case_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str | None = Field(default=None, max_length=16)
    action: str = Field(max_length=16)  # event | show | list | history
    event: str | None = Field(default=None, max_length=40)
    at: datetime  # when it happened (the event's --at, or the clock)
    recorded_at: datetime  # the real time it was written
    user_id: str = Field(max_length=64)
    org_id: str | None = Field(default=None, max_length=64)
    detail: str | None = Field(default=None, sa_column=Column(Text))  # non-medical JSON


class AlertRow(SQLModel, table=True):
    """An alert raised by the sweep: unique per case, rule, kind and due (a constraint, not a check)."""

    __tablename__ = "alert"
    __table_args__ = (
        UniqueConstraint("case_id", "rule", "kind", "due", name="uq_alert_case_rule_kind_due"),
        Index("ix_alert_last_raised", "last_raised_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="screening_case.id", max_length=16)
    rule: str = Field(max_length=32)
    kind: str = Field(max_length=10)  # reminder | breach | warning
    owner: str = Field(max_length=16)
    due: datetime
    raised_at: datetime
    last_raised_at: datetime  # a breach still unresolved is raised again to the coordinators weekly
    raise_count: int
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = Field(default=None, max_length=64)


class OutboxRow(SQLModel, table=True):
    """A message to send, written in the same transaction as what caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_queued", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, unique=True)  # idempotency key
    topic: str = Field(max_length=16)  # alert | digest
    ref: int | None = None
    created_at: datetime
    status: str = Field(max_length=8)  # queued | sent | dead
    attempts: int = Field(default=0)
    sent_at: datetime | None = None
