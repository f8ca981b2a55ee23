"""The outbox delivers every kind of message, with retries and a dead-letter state.

A message now names its case and carries what its template needs (`payload`, JSON, never
anything medical), so that a message caused by an event says what was true at the event. A
dispatcher claims a message by moving `next_attempt_at` past now (a lease: a dispatcher that
dies mid-send leaves it to be claimed again), retries with exponential back-off and, after the
last attempt or a permanent refusal, leaves it `dead` with the reason in `last_error`.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

QUEUED = sa.text("status = 'queued'")


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("case_id", sa.String(16), nullable=True))
        batch.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("last_error", sa.String(300), nullable=True))
    op.drop_index("ix_outbox_queued", table_name="outbox")
    op.create_index("ix_outbox_queued", "outbox", ["next_attempt_at", "id"], postgresql_where=QUEUED,
                    sqlite_where=QUEUED)


def downgrade() -> None:
    op.drop_index("ix_outbox_queued", table_name="outbox")
    op.create_index("ix_outbox_queued", "outbox", ["id"], postgresql_where=QUEUED, sqlite_where=QUEUED)
    for column in ("last_error", "next_attempt_at", "payload", "case_id"):
        op.execute(f"ALTER TABLE outbox DROP COLUMN {column}")
