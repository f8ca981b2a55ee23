"""A sweep writes only alerts: it reads the deadlines that came up since the last sweep and
leaves the deadline rows alone.

`sweep_mark.swept_to` is the time the last committed sweep covered; a sweep reads the open
deadlines whose `next_alert_at` lies in [swept_to, now) and moves the mark. An event that
writes a deadline never sets `next_alert_at` before the mark, so nothing written after a sweep
is missed. A past-due deadline stays `open` in storage and is shown as `breached` (as before,
when not yet swept): marking it cost a random page write per deadline, most of a sweep over a
large database. The alerts' unique key leads with the due time, so that new alerts go to the
end of its index, and the alert no longer looks up its case on insert (its deadline did).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ALERT_COLUMNS = ("id, case_id, rule, kind, owner, due, raised_at, last_raised_at, raise_count, acknowledged_at, "
                 "acknowledged_by, resolved_at")
UNRESOLVED_BREACH = sa.text("kind = 'breach' AND resolved_at IS NULL")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "sweep_mark",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),  # one row: 1
        sa.Column("swept_to", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute("INSERT INTO sweep_mark (id, swept_to) SELECT 1, MAX(last_raised_at) FROM alert")
    # what the sweeps marked breached: open (shown breached), looked at next never again
    op.execute("UPDATE deadline SET status = 'open', next_alert_at = due WHERE status = 'breached'")
    if sqlite:
        _sqlite_alert(key="due, case_id, rule, kind", name="uq_alert_due_case_rule_kind", case_fk=False)
    else:
        op.drop_constraint("alert_case_id_fkey", "alert", type_="foreignkey")
        op.drop_constraint("uq_alert_case_rule_kind_due", "alert", type_="unique")
        op.create_unique_constraint("uq_alert_due_case_rule_kind", "alert", ["due", "case_id", "rule", "kind"])


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute("UPDATE deadline SET status = 'breached', attributed_to = COALESCE(attributed_to, owner) "
               "WHERE status = 'open' AND due < (SELECT swept_to FROM sweep_mark WHERE id = 1)")
    op.drop_table("sweep_mark")
    if sqlite:
        _sqlite_alert(key="case_id, rule, kind, due", name="uq_alert_case_rule_kind_due", case_fk=True)
    else:
        op.drop_constraint("uq_alert_due_case_rule_kind", "alert", type_="unique")
        op.create_unique_constraint("uq_alert_case_rule_kind_due", "alert", ["case_id", "rule", "kind", "due"])
        op.create_foreign_key("alert_case_id_fkey", "alert", "screening_case", ["case_id"], ["id"])


def _sqlite_alert(key: str, name: str, case_fk: bool) -> None:
    op.drop_index("ix_alert_unresolved_breach", table_name="alert")
    fk = ", FOREIGN KEY(case_id) REFERENCES screening_case (id)" if case_fk else ""
    op.execute(
        "CREATE TABLE alert_new (id INTEGER NOT NULL PRIMARY KEY, case_id VARCHAR(16) NOT NULL, "
        "rule VARCHAR(32) NOT NULL, kind VARCHAR(10) NOT NULL, owner VARCHAR(16) NOT NULL, due DATETIME NOT NULL, "
        "raised_at DATETIME NOT NULL, last_raised_at DATETIME NOT NULL, raise_count INTEGER NOT NULL, "
        "acknowledged_at DATETIME, acknowledged_by VARCHAR(64), resolved_at DATETIME, "
        f"CONSTRAINT {name} UNIQUE ({key}){fk})")
    op.execute(f"INSERT INTO alert_new ({ALERT_COLUMNS}) SELECT {ALERT_COLUMNS} FROM alert")
    op.execute("DROP TABLE alert")
    op.execute("ALTER TABLE alert_new RENAME TO alert")
    op.create_index("ix_alert_unresolved_breach", "alert", ["last_raised_at"], sqlite_where=UNRESOLVED_BREACH)
