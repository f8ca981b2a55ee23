"""Compact storage: times as Unix seconds on SQLite, deadlines keyed by (case, rule), and the
sweep's partial index covering what the sweep reads.

On SQLite a time was 26 characters of text in every row and index; it becomes an integer of 4
bytes (sub-seconds are dropped: the product's times are minutes). The deadline table loses its
surrogate id: (case_id, rule) was unique already and becomes the key (on SQLite WITHOUT ROWID,
so the key is the table). `ix_deadline_open_due` gains case_id, rule and owner, so that the
sweep reads the past-due open deadlines from the index alone.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TIMES = {
    "screening_case": [
        "notice_at", "created_at", "updated_at", "parties_notified_at", "arrival_changed_at", "renotified_at",
        "previous_verified_at", "conversation_start", "conversation_booked_at", "samples_taken_at",
        "results_received_at", "family_informed_at", "reception_informed_at", "examination_start",
        "examination_booked_at", "examined_at", "consent_at", "shared_at", "declined_at", "ended_at",
        "intro_invited_at", "intro_held_at", "intro_plan_at", "school_started_at", "preschool_started_at",
        "postponed_at", "records_requested_at", "assessed_at", "vaccination_plan_at", "vaccinations_done_at",
    ],
    "deadline": ["starts", "due", "met_at"],
    "case_note": ["at"],
    "audit": ["at", "recorded_at"],
    "alert": ["due", "raised_at", "last_raised_at", "acknowledged_at"],
    "outbox": ["created_at", "sent_at"],
}
DEADLINE_COLUMNS = "case_id, rule, owner, starts, due, status, met_at, attributed_to"
OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_times("CAST(strftime('%s', {column}) AS INTEGER)", "text")
        _sqlite_deadline(with_rowid=False)
    else:
        op.drop_index("ix_deadline_open_due", table_name="deadline")
        op.drop_constraint("uq_deadline_case_rule", "deadline", type_="unique")
        op.drop_column("deadline", "id")
        op.create_primary_key("deadline_pkey", "deadline", ["case_id", "rule"])
    op.create_index("ix_deadline_open_due", "deadline", ["due", "case_id", "rule", "owner"],
                    postgresql_where=OPEN, sqlite_where=OPEN)


def downgrade() -> None:
    op.drop_index("ix_deadline_open_due", table_name="deadline")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_deadline(with_rowid=True)
        _sqlite_times("strftime('%Y-%m-%d %H:%M:%S.000000', {column}, 'unixepoch')", "integer")
    else:
        op.drop_constraint("deadline_pkey", "deadline", type_="primary")
        op.execute("ALTER TABLE deadline ADD COLUMN id SERIAL PRIMARY KEY")
        op.create_unique_constraint("uq_deadline_case_rule", "deadline", ["case_id", "rule"])
    op.create_index("ix_deadline_open_due", "deadline", ["due"], postgresql_where=OPEN, sqlite_where=OPEN)


def _sqlite_times(convert: str, stored_as: str) -> None:
    # the audit trail is append-only: its triggers step aside for this one conversion
    for verb in ("update", "delete"):
        op.execute(f"DROP TRIGGER audit_no_{verb}")
    for table, columns in TIMES.items():
        for column in columns:
            op.execute(f"UPDATE {table} SET {column} = {convert.format(column=column)} "
                       f"WHERE typeof({column}) = '{stored_as}'")
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit "
                   "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END")


def _sqlite_deadline(with_rowid: bool) -> None:
    key = ("id INTEGER NOT NULL PRIMARY KEY, " if with_rowid else "")
    constraint = ("CONSTRAINT uq_deadline_case_rule UNIQUE (case_id, rule)" if with_rowid
                  else "PRIMARY KEY (case_id, rule)")
    if not with_rowid:
        op.drop_index("ix_deadline_open_due", table_name="deadline")
    op.execute(
        f"CREATE TABLE deadline_new ({key}case_id VARCHAR(16) NOT NULL, rule VARCHAR(32) NOT NULL, "
        "owner VARCHAR(16) NOT NULL, starts DATETIME NOT NULL, due DATETIME NOT NULL, status VARCHAR(10) NOT NULL, "
        f"met_at DATETIME, attributed_to VARCHAR(16), {constraint}, "
        "FOREIGN KEY(case_id) REFERENCES screening_case (id))" + ("" if with_rowid else " WITHOUT ROWID"))
    op.execute(f"INSERT INTO deadline_new ({DEADLINE_COLUMNS}) SELECT {DEADLINE_COLUMNS} FROM deadline")
    op.execute("DROP TABLE deadline")
    op.execute("ALTER TABLE deadline_new RENAME TO deadline")
