"""Alerts raised by the deadline sweep, and the outbox that hands them to the notifications.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(16), sa.ForeignKey("screening_case.id"), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("owner", sa.String(16), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raise_count", sa.Integer(), nullable=False),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.String(64), nullable=True),
        # one alert per case, rule, kind and due (a re-notification owed again has a new due),
        # however many sweeps run at once
        sa.UniqueConstraint("case_id", "rule", "kind", "due", name="uq_alert_case_rule_kind_due"),
    )
    op.create_index("ix_alert_last_raised", "alert", ["last_raised_at"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(80), nullable=False, unique=True),  # idempotency key
        sa.Column("topic", sa.String(16), nullable=False),  # alert | digest
        sa.Column("ref", sa.Integer(), nullable=True),  # the alert's id
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(8), nullable=False),  # queued | sent | dead
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_outbox_queued", "outbox", ["status", "id"])


def downgrade() -> None:
    op.drop_table("outbox")
    op.drop_table("alert")
