"""Each open deadline carries when the sweep next looks at it (`next_alert_at`).

That is its reminder time until the owner is reminded, then its due. The sweep's partial index
is on it, so that a sweep reads only the deadlines that came up since the last one: a repeated
sweep no longer walks a month of open deadlines to find that the 18th-birthday reminders were
raised already.

The open deadlines of an existing database get their reminder times from the bundled rule
table and the Swedish calendar (as `workflows.deadlines.remind_time` computes them); those
whose reminder was raised already look next at their due.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")
BATCH = 5000


def upgrade() -> None:
    with op.batch_alter_table("deadline") as batch:
        batch.add_column(sa.Column("next_alert_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE deadline SET next_alert_at = due")
    _reminder_times()
    op.drop_index("ix_deadline_open_due", table_name="deadline")
    op.create_index("ix_deadline_open_next_alert", "deadline", ["next_alert_at", "due", "case_id", "rule", "owner"],
                    postgresql_where=OPEN, sqlite_where=OPEN)


def downgrade() -> None:
    op.drop_index("ix_deadline_open_next_alert", table_name="deadline")
    op.create_index("ix_deadline_open_due", "deadline", ["due", "case_id", "rule", "owner"],
                    postgresql_where=OPEN, sqlite_where=OPEN)
    op.execute("ALTER TABLE deadline DROP COLUMN next_alert_at")  # SQLite: keeps the table WITHOUT ROWID


def _reminder_times() -> None:
    """Open deadlines not yet reminded: their reminder time, computed as the product does."""
    from screening import clock
    from screening.workdays import default_calendar
    from workflows.deadlines import load_rules, remind_time

    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    rules, calendar = load_rules(), default_calendar()
    rows = bind.execute(sa.text(
        "SELECT d.case_id, d.rule, d.due FROM deadline d WHERE d.status = 'open' AND NOT EXISTS "
        "(SELECT 1 FROM alert a WHERE a.case_id = d.case_id AND a.rule = d.rule AND a.due = d.due "
        "AND a.kind = 'reminder')")).all()
    changes = []
    for case_id, rule, due in rows:
        due = clock.from_db(due)
        remind = remind_time(rules[rule], due, calendar) if rule in rules else None
        if remind is not None:
            changes.append({"case_id": case_id, "rule": rule,
                            "at": clock.to_epoch(remind) if sqlite else remind})
    update = sa.text("UPDATE deadline SET next_alert_at = :at WHERE case_id = :case_id AND rule = :rule")
    for start in range(0, len(changes), BATCH):
        bind.execute(update, changes[start:start + BATCH])
