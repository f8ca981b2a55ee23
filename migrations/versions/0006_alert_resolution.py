"""Breaches raised again weekly only while unresolved, found without scanning every old alert.

An alert gains `resolved_at`: set by the sweep when a breach's deadline was done (late), was
cancelled or its case ended, so that the weekly re-raise looks only at unresolved breaches
through a partial index, however many alerts the years have gathered. The outbox rows for a
sweep are written from the alerts it raised, so the index on `last_raised_at` goes; the
outbox's queue index holds only what is still queued.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UNRESOLVED_BREACH = sa.text("kind = 'breach' AND resolved_at IS NULL")
QUEUED = sa.text("status = 'queued'")


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))
    op.drop_index("ix_alert_last_raised", table_name="alert")
    op.create_index("ix_alert_unresolved_breach", "alert", ["last_raised_at"],
                    postgresql_where=UNRESOLVED_BREACH, sqlite_where=UNRESOLVED_BREACH)
    op.drop_index("ix_outbox_queued", table_name="outbox")
    op.create_index("ix_outbox_queued", "outbox", ["id"], postgresql_where=QUEUED, sqlite_where=QUEUED)


def downgrade() -> None:
    op.drop_index("ix_outbox_queued", table_name="outbox")
    op.create_index("ix_outbox_queued", "outbox", ["status", "id"])
    op.drop_index("ix_alert_unresolved_breach", table_name="alert")
    op.create_index("ix_alert_last_raised", "alert", ["last_raised_at"])
    with op.batch_alter_table("alert") as batch:
        batch.drop_column("resolved_at")
