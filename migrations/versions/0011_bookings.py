"""Bookings: the health conversation and the doctor's examination as appointments of a health centre.

One row per case and kind, kept across rebookings: its `uid` never changes (the calendar entry's
UID) and its `sequence` rises with every change (iCalendar's SEQUENCE); a cancelled one stays,
`cancelled`, so that calendars are told. The index serves the capacity check and the free slots:
a health centre's booked appointments by start.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "booking",
        sa.Column("case_id", sa.String(16), sa.ForeignKey("screening_case.id"), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),  # conversation | examination
        sa.Column("uid", sa.String(80), nullable=False, unique=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("health_centre_id", sa.String(64), sa.ForeignKey("organisation.id"), nullable=False),
        sa.Column("starts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),  # booked | cancelled
        sa.Column("interpreter", sa.String(16), nullable=True),  # the language, when one is needed
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_booking_centre_starts", "booking", ["health_centre_id", "starts"])


def downgrade() -> None:
    op.drop_table("booking")
