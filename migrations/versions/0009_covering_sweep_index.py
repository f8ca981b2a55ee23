"""The sweep's partial index holds `status` too, so that its reads are answered by the index alone.

SQLite uses a partial index as a covering one only when every column the statement names is in
it, `status` of the index's own condition included; without it each row found was looked up in
the table (about 25 ms instead of 4 ms for 10,000 rows among 1,000,000 cases).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

OPEN = sa.text("status = 'open'")
BEFORE = ["next_alert_at", "due", "case_id", "rule", "owner"]


def upgrade() -> None:
    op.drop_index("ix_deadline_open_next_alert", table_name="deadline")
    op.create_index("ix_deadline_open_next_alert", "deadline", BEFORE + ["status"],
                    postgresql_where=OPEN, sqlite_where=OPEN)


def downgrade() -> None:
    op.drop_index("ix_deadline_open_next_alert", table_name="deadline")
    op.create_index("ix_deadline_open_next_alert", "deadline", BEFORE, postgresql_where=OPEN, sqlite_where=OPEN)
