"""SQLModel tables. Datetimes are aware and stored in UTC (`Instant`).

The schema itself is made by the Alembic migrations in `migrations/`; a test checks that these
classes and the migrated schema agree.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, DateTime, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.types import TypeDecorator, UserDefinedType
from sqlmodel import Field, SQLModel

from screening import clock


class _EpochSeconds(UserDefinedType):
    """SQLite's side of `Instant`: declared DATETIME (numeric affinity), holding whole seconds."""

    cache_ok = True

    def get_col_spec(self, **_kw) -> str:
        return "DATETIME"


class Instant(TypeDecorator):
    """An aware datetime in UTC: `timestamptz` on PostgreSQL, whole Unix seconds on SQLite
    (4 bytes instead of 26 characters of text in every row and index that holds one)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_EpochSeconds())
        return dialect.type_descriptor(DateTime(timezone=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a stored time must be aware (UTC or Europe/Stockholm)")
        return clock.to_epoch(value) if dialect.name == "sqlite" else clock.from_db(value)

    def process_result_value(self, value, dialect):
        return clock.from_db(value)


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
    """A user acts for one organisation, for good: a person who moves gets a new user."""

    __tablename__ = "app_user"
    __table_args__ = (UniqueConstraint("no", name="uq_app_user_no"),
                      Index("uq_app_user_hsa_id", "hsa_id", unique=True))

    id: str = Field(primary_key=True, max_length=64)
    no: int  # the user's number in the audit trail
    role: str = Field(max_length=32)
    org_id: str = Field(foreign_key="organisation.id", max_length=64, index=True)
    name: str | None = Field(default=None, max_length=200)  # the person's full name
    email: str | None = Field(default=None, max_length=254)
    hsa_id: str | None = Field(default=None, max_length=64)  # the national catalogue's id, unique when given
    disabled_at: datetime | None = Field(default=None, sa_type=Instant)  # a disabled user can no longer act
    language: str | None = Field(default=None, max_length=2)  # the pages' language they chose (sv, en)


class CaseRow(SQLModel, table=True):
    """An identity number is unique within a municipality: a child who moves is the new municipality's
    case too (the coordinators resolve the two), and the number first finds it in every municipality."""

    __tablename__ = "screening_case"
    __table_args__ = tuple(UniqueConstraint(key, "municipality", name=f"uq_screening_case_{key}")
                           for key in ("personnummer", "samordningsnummer", "dossier")) + (
        # a page of a centre's or a municipality's cases, in list order (ORDER BY notice_at, id)
        Index("ix_screening_case_centre_notice", "health_centre_id", "notice_at"),
        Index("ix_screening_case_municipality_notice", "municipality", "notice_at"),
        # a school's and a preschool's (0029), of the cases that have one
        Index("ix_screening_case_school_notice", "school_id", "notice_at",
              postgresql_where=text("school_id IS NOT NULL"), sqlite_where=text("school_id IS NOT NULL")),
        Index("ix_screening_case_preschool_notice", "preschool_id", "notice_at",
              postgresql_where=text("preschool_id IS NOT NULL"), sqlite_where=text("preschool_id IS NOT NULL")))

    id: str = Field(primary_key=True, max_length=16)
    version: int = Field(default=1)
    municipality: str = Field(max_length=64)
    birth_date: date
    name: str | None = Field(default=None, max_length=200)
    personnummer: str | None = Field(default=None, max_length=12)
    samordningsnummer: str | None = Field(default=None, max_length=12)
    dossier: str | None = Field(default=None, max_length=8)
    language: str | None = Field(default=None, max_length=16)
    interpreter: bool = Field(default=False)
    unaccompanied: bool = Field(default=False)
    permit: str | None = Field(default=None, max_length=16)
    arrival: date | None = None
    notice_at: datetime = Field(sa_type=Instant)
    already_in_sweden: bool = Field(default=False)
    health_centre_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=64)
    school_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=64)
    preschool_id: str | None = Field(default=None, foreign_key="organisation.id", max_length=64)
    health_state: str = Field(max_length=32)
    school_state: str = Field(max_length=32)
    vaccination_state: str = Field(max_length=32)
    created_at: datetime = Field(sa_type=Instant)
    updated_at: datetime = Field(sa_type=Instant)
    parties_notified_at: datetime | None = Field(default=None, sa_type=Instant)
    hc_informed_at: datetime | None = Field(default=None, sa_type=Instant)  # a new health centre told
    arrival_changed_at: datetime | None = Field(default=None, sa_type=Instant)
    renotified_at: datetime | None = Field(default=None, sa_type=Instant)
    previous_screening: str | None = Field(default=None, max_length=8)
    previous_verified_at: datetime | None = Field(default=None, sa_type=Instant)
    conversation_start: datetime | None = Field(default=None, sa_type=Instant)
    conversation_booked_at: datetime | None = Field(default=None, sa_type=Instant)
    samples_taken_at: datetime | None = Field(default=None, sa_type=Instant)
    results_received_at: datetime | None = Field(default=None, sa_type=Instant)
    obstacle: bool | None = None
    family_informed_at: datetime | None = Field(default=None, sa_type=Instant)
    reception_informed_at: datetime | None = Field(default=None, sa_type=Instant)
    examination_start: datetime | None = Field(default=None, sa_type=Instant)
    examination_booked_at: datetime | None = Field(default=None, sa_type=Instant)
    examined_at: datetime | None = Field(default=None, sa_type=Instant)
    consent_given_by: str | None = Field(default=None, max_length=16)
    consent_scope: str | None = Field(default=None, max_length=16)
    consent_at: datetime | None = Field(default=None, sa_type=Instant)
    shared_at: datetime | None = Field(default=None, sa_type=Instant)
    declined_at: datetime | None = Field(default=None, sa_type=Instant)
    declined_by: str | None = Field(default=None, max_length=64)
    ended_at: datetime | None = Field(default=None, sa_type=Instant)
    intro_invited_at: datetime | None = Field(default=None, sa_type=Instant)
    intro_held_at: datetime | None = Field(default=None, sa_type=Instant)
    intro_plan_at: datetime | None = Field(default=None, sa_type=Instant)
    school_started_at: datetime | None = Field(default=None, sa_type=Instant)
    preschool_started_at: datetime | None = Field(default=None, sa_type=Instant)
    postponed_at: datetime | None = Field(default=None, sa_type=Instant)
    records_requested_at: datetime | None = Field(default=None, sa_type=Instant)
    vaccination_status: str | None = Field(default=None, max_length=8)
    assessed_at: datetime | None = Field(default=None, sa_type=Instant)
    vaccination_plan_at: datetime | None = Field(default=None, sa_type=Instant)
    vaccination_plan_unit: str | None = Field(default=None, max_length=16)
    doses_given: int = Field(default=0)
    vaccinations_done_at: datetime | None = Field(default=None, sa_type=Instant)


class DeadlineRow(SQLModel, table=True):
    """A case's deadline under one rule; kept up to date by every event.

    Keyed by (case, rule), on SQLite without a rowid: the key is the table, no second index."""

    __tablename__ = "deadline"
    __table_args__ = (
        # The sweep's index range scans: open deadlines by when it next looks at them (the reminder
        # time, then the due), covering what it reads (SQLite wants `status` in it for that).
        Index("ix_deadline_open_next_alert", "next_alert_at", "due", "case_id", "rule", "owner", "status",
              postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
        # The work list's: a health centre's open steps by owner and due (0028).
        Index("ix_deadline_centre_open", "health_centre_id", "owner", "due", "case_id", "rule",
              postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
        # The municipality's overdue steps (`/children`): its open steps by owner and due (0029),
        # covering (with `status`) what the list reads of them.
        Index("ix_deadline_municipality_open", "municipality", "owner", "due", "case_id", "status",
              postgresql_where=text("status = 'open'"), sqlite_where=text("status = 'open'")),
        {"sqlite_with_rowid": False},
    )

    case_id: str = Field(foreign_key="screening_case.id", max_length=16, primary_key=True)
    rule: str = Field(max_length=32, primary_key=True)
    owner: str = Field(max_length=16)
    starts: datetime = Field(sa_type=Instant)
    due: datetime = Field(sa_type=Instant)
    status: str = Field(max_length=10)
    met_at: datetime | None = Field(default=None, sa_type=Instant)
    attributed_to: str | None = Field(default=None, max_length=16)
    next_alert_at: datetime | None = Field(default=None, sa_type=Instant)  # the reminder time, then the due
    rules_version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # the rule table's it was computed under
    # its case's, as the case was last saved, while the deadline is open (0028, 0029); none once closed
    health_centre_id: str | None = Field(default=None, max_length=64)
    municipality: str | None = Field(default=None, max_length=64)


class CaseNameWordRow(SQLModel, table=True):
    """A word of a child's name, folded, under a scope that sees the child ('m:' its municipality, 'c:'
    its health centre, 's:' its school, 'p:' its preschool): `screening.storage.name_words`. The search
    by name reads a range of words (a prefix) within one scope from the key. On SQLite without a rowid
    (the key is the table); byte order on both databases (COLLATE "C" on PostgreSQL)."""

    __tablename__ = "case_name_word"
    __table_args__ = ({"sqlite_with_rowid": False},)

    scope: str = Field(sa_column=Column(String(66).with_variant(String(66, collation="C"), "postgresql"),
                                        primary_key=True))
    word: str = Field(sa_column=Column(String(200).with_variant(String(200, collation="C"), "postgresql"),
                                       primary_key=True))
    case_id: str = Field(foreign_key="screening_case.id", max_length=16, primary_key=True)


class NoteRow(SQLModel, table=True):
    """Medical or confidential text (results, examination, reasons, doses): read only by those who may."""

    __tablename__ = "case_note"
    __table_args__ = (Index("ix_case_note_case", "case_id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(foreign_key="screening_case.id", max_length=16)
    kind: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = Field(sa_type=Instant)
    user_id: str = Field(max_length=64)


class AuditKindRow(SQLModel, table=True):
    """What an audit row records: an event, or a read (`show`, `list`, `history`; event '')."""

    __tablename__ = "audit_kind"
    __table_args__ = (UniqueConstraint("action", "event", name="uq_audit_kind"),)

    no: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    action: str = Field(max_length=16)  # event | show | list | history
    event: str = Field(default="", max_length=40, sa_column_kwargs={"server_default": ""})


class AuditRow(SQLModel, table=True):
    """Append-only (triggers refuse UPDATE and DELETE): every write and every read of a case, each row
    linked to the one before by a hash chain (`screening.audit_chain`; `screening audit verify`).

    Kept small, since it grows with every read: the kind and the user are numbers; the view
    `audit_trail` shows them by name, with the user's organisation."""

    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_case", "case_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: str | None = Field(default=None, max_length=16)
    kind: int = Field(foreign_key="audit_kind.no")
    at: datetime = Field(sa_type=Instant)  # when it happened (the event's --at, or the clock)
    recorded_at: datetime = Field(sa_type=Instant)  # the real time it was written
    user_no: int = Field(foreign_key="app_user.no")
    detail: str | None = Field(default=None, sa_column=Column(Text))  # non-medical JSON
    chain: bytes | None = Field(default=None, sa_column=Column(LargeBinary))  # the hash chain's link (audit_chain)
    door: str | None = Field(default=None, max_length=80)  # where it came in: cli:<OS account>, api, page


class AlertRow(SQLModel, table=True):
    """An alert raised by the sweep: unique per case, rule, kind and due (a constraint, not a check).

    The key leads with the due, so that a sweep's new alerts go to the end of its index."""

    __tablename__ = "alert"
    __table_args__ = (
        UniqueConstraint("due", "case_id", "rule", "kind", name="uq_alert_due_case_rule_kind"),
        # the weekly re-raise looks at unresolved breaches only, however many old alerts there are
        Index("ix_alert_unresolved_breach", "last_raised_at", postgresql_where=text("kind = 'breach' AND resolved_at IS NULL"),
              sqlite_where=text("kind = 'breach' AND resolved_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: str = Field(max_length=16)  # its deadline holds the reference to the case
    rule: str = Field(max_length=32)
    kind: str = Field(max_length=10)  # reminder | breach | warning
    owner: str = Field(max_length=16)
    due: datetime = Field(sa_type=Instant)
    raised_at: datetime = Field(sa_type=Instant)
    last_raised_at: datetime = Field(sa_type=Instant)  # a breach still unresolved is raised again to the coordinators weekly
    raise_count: int
    acknowledged_at: datetime | None = Field(default=None, sa_type=Instant)
    acknowledged_by: str | None = Field(default=None, max_length=64)
    resolved_at: datetime | None = Field(default=None, sa_type=Instant)  # a breach done late, cancelled or ended


class BookingRow(SQLModel, table=True):
    """A health conversation or doctor's examination booked at a health centre; one per case and
    kind, kept across rebookings (the calendar entry's UID never changes, its SEQUENCE rises)."""

    __tablename__ = "booking"
    __table_args__ = (Index("ix_booking_centre_starts", "health_centre_id", "starts"),)

    case_id: str = Field(foreign_key="screening_case.id", max_length=16, primary_key=True)
    kind: str = Field(max_length=16, primary_key=True)  # conversation | examination
    uid: str = Field(max_length=80, unique=True)
    sequence: int
    health_centre_id: str = Field(foreign_key="organisation.id", max_length=64)
    starts: datetime = Field(sa_type=Instant)
    ends: datetime = Field(sa_type=Instant)
    status: str = Field(max_length=10)  # booked | cancelled
    interpreter: str | None = Field(default=None, max_length=16)  # the language, when one is needed
    updated_at: datetime = Field(sa_type=Instant)


class LetterRow(SQLModel, table=True):
    """The family's invitation letter for a booking's sequence: the facts it was made from (JSON,
    nothing medical), so that it prints again as it was made; superseded by the next booking."""

    __tablename__ = "letter"

    case_id: str = Field(foreign_key="screening_case.id", max_length=16, primary_key=True)
    kind: str = Field(max_length=16, primary_key=True)  # conversation | examination
    sequence: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})  # the booking's
    facts: str = Field(sa_column=Column(Text, nullable=False))
    made_at: datetime = Field(sa_type=Instant)
    superseded_at: datetime | None = Field(default=None, sa_type=Instant)


class RuleVersionRow(SQLModel, table=True):
    """A version of the deadline rule table (`rules load`): who loaded it when; the newest is in force."""

    __tablename__ = "rule_version"

    version: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    loaded_at: datetime = Field(sa_type=Instant)
    loaded_by: str | None = Field(default=None, max_length=64)  # none: the bundled table
    digest: str = Field(max_length=64)  # SHA-256 of `rules`
    rules: str = Field(sa_column=Column(Text, nullable=False))  # the whole table as JSON, rule by rule


class DeploymentRow(SQLModel, table=True):
    """One row, or none: whether the database is a simulation (made by `init` as a demo or a
    simulation), which accepts a set clock; without a row it is for real use."""

    __tablename__ = "deployment"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    simulation: bool
    since: datetime = Field(sa_type=Instant)


class SweepMarkRow(SQLModel, table=True):
    """One row: the time the last committed sweep covered. The next reads what came up since."""

    __tablename__ = "sweep_mark"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    swept_to: datetime | None = Field(default=None, sa_type=Instant)


class OutboxRow(SQLModel, table=True):
    """A message to send, written in the same transaction as what caused it.

    A dispatcher claims one by moving `next_attempt_at` past now (a lease), retries with back-off
    and leaves it `dead` after the last attempt or a permanent refusal."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_queued", "next_attempt_at", "id", postgresql_where=text("status = 'queued'"),
                            sqlite_where=text("status = 'queued'")),
                      Index("ix_outbox_case", "case_id", "id"))  # a case's messages: its interpreter orders

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=80, unique=True)  # idempotency key: the message's Message-ID too
    topic: str = Field(max_length=16)  # alert | digest | event
    ref: int | None = None  # the alert's id
    case_id: str | None = Field(default=None, max_length=16)
    payload: str | None = Field(default=None, sa_column=Column(Text))  # what the template needs, as JSON
    created_at: datetime = Field(sa_type=Instant)
    status: str = Field(max_length=8)  # queued | sent | dead | replaced
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_type=Instant)  # none: at once
    last_error: str | None = Field(default=None, max_length=300)  # never the message itself
    sent_at: datetime | None = Field(default=None, sa_type=Instant)


class ApiTokenRow(SQLModel, table=True):
    """A personal API token (`token create`): `scr_<id>_<secret>`; only the secret's SHA-256 is kept."""

    __tablename__ = "api_token"

    id: str = Field(primary_key=True, max_length=16)  # public: names the token, finds its row
    user_id: str = Field(foreign_key="app_user.id", max_length=64, index=True)
    hash: str = Field(max_length=64)  # SHA-256 of the secret, hex
    created_at: datetime = Field(sa_type=Instant)
    created_by: str = Field(max_length=64)  # the person, or an admin for them
    expires_at: datetime = Field(sa_type=Instant)
    revoked_at: datetime | None = Field(default=None, sa_type=Instant)
    last_used_at: datetime | None = Field(default=None, sa_type=Instant)


class LocalAccountRow(SQLModel, table=True):
    """A user who signs in with a password and a TOTP code (`screening.services.accounts`): never the
    password itself, its Argon2id hash."""

    __tablename__ = "local_account"

    user_id: str = Field(foreign_key="app_user.id", primary_key=True, max_length=64)
    password_hash: str | None = Field(default=None, sa_column=Column(Text))
    password_temporary: bool = Field(default=False)  # set by an admin: to be changed by its person
    totp_secret: str | None = Field(default=None, max_length=64)  # sealed: v1: + base85(nonce + AES-GCM), never logged nor audited
    totp_confirmed_at: datetime | None = Field(default=None, sa_type=Instant)  # none: enrolment not confirmed
    totp_last_step: int | None = Field(default=None, sa_type=BigInteger)  # a code of this step or before: a replay
    failures: int = Field(default=0)  # since the last success or lock
    locked_until: datetime | None = Field(default=None, sa_type=Instant)
    changed_at: datetime = Field(sa_type=Instant)


class RecoveryCodeRow(SQLModel, table=True):
    """A one-time recovery code: only its SHA-256 (the code holds 80 random bits)."""

    __tablename__ = "recovery_code"

    code_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="app_user.id", max_length=64, index=True)
    used_at: datetime | None = Field(default=None, sa_type=Instant)


class WebSessionRow(SQLModel, table=True):
    """A signed-in browser: the cookie holds 32 random bytes, the table only their SHA-256."""

    __tablename__ = "web_session"

    id_hash: str = Field(primary_key=True, max_length=64)
    user_id: str = Field(foreign_key="app_user.id", max_length=64, index=True)
    created_at: datetime = Field(sa_type=Instant)
    last_seen_at: datetime = Field(sa_type=Instant)
    revoked_at: datetime | None = Field(default=None, sa_type=Instant)


class OidcFlowRow(SQLModel, table=True):
    """A sign-in through the identity provider under way: the state's SHA-256 (the browser holds the
    state), the nonce and the PKCE verifier; used once, worth nothing after ten minutes."""

    __tablename__ = "oidc_flow"

    state_hash: str = Field(primary_key=True, max_length=64)
    nonce: str = Field(max_length=128)
    code_verifier: str = Field(max_length=128)
    created_at: datetime = Field(sa_type=Instant, index=True)
    used_at: datetime | None = Field(default=None, sa_type=Instant)


class OidcIdentityRow(SQLModel, table=True):
    """A person at the identity provider (issuer + subject) linked by an admin to a user."""

    __tablename__ = "oidc_identity"

    issuer: str = Field(primary_key=True, max_length=255)
    subject: str = Field(primary_key=True, max_length=255)
    user_id: str = Field(foreign_key="app_user.id", max_length=64, index=True)
    linked_at: datetime = Field(sa_type=Instant)
    linked_by: str = Field(max_length=64)
