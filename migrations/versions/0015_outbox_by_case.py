"""The outbox by case: where a case's interpreter orders stand (`case show`) and the booking messages
queued after one (a message made when it is sent) are read by case, not by scanning the outbox.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_case", "outbox", ["case_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_case", table_name="outbox")
