"""The family's invitation letters (step 3: "kallas brevledes av HC"; step 9), and the audit kind
of printing one.

A letter is made when its appointment is booked, from a few facts kept with the booking's sequence
(`facts`: the child's name and birth date, the time, the centre's name, address, directions and
phone, the interpreter's language, the region; nothing medical), so that it can be printed again
exactly as it was made. A rebooking makes a new one and marks the earlier `superseded_at`; a
cancellation marks the last one so.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "letter",
        sa.Column("case_id", sa.String(16), sa.ForeignKey("screening_case.id"), primary_key=True),
        sa.Column("kind", sa.String(16), primary_key=True),  # conversation | examination
        sa.Column("sequence", sa.Integer(), primary_key=True),  # the booking's
        sa.Column("facts", sa.Text(), nullable=False),  # JSON
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.execute("INSERT INTO audit_kind (no, action, event) SELECT COALESCE(MAX(no), 0) + 1, 'letter', '' "
               "FROM audit_kind WHERE NOT EXISTS (SELECT 1 FROM audit_kind WHERE action = 'letter' AND event = '')")


def downgrade() -> None:
    op.drop_table("letter")
    op.execute("DELETE FROM audit_kind WHERE action = 'letter' AND event = ''")
