"""The workflow: milestones of the three tracks on the case, deadlines, confidential notes.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MILESTONES = [
    "parties_notified_at", "arrival_changed_at", "renotified_at", "previous_verified_at",
    "conversation_start", "conversation_booked_at", "samples_taken_at", "results_received_at",
    "family_informed_at", "reception_informed_at", "examination_start", "examination_booked_at",
    "examined_at", "consent_at", "shared_at", "declined_at", "ended_at", "intro_invited_at",
    "intro_held_at", "intro_plan_at", "school_started_at", "preschool_started_at", "postponed_at", "records_requested_at",
    "assessed_at", "vaccination_plan_at", "vaccinations_done_at",
]
TEXTS = {"previous_screening": 8, "consent_given_by": 16, "consent_scope": 16, "declined_by": 64,
         "vaccination_status": 8, "vaccination_plan_unit": 16}


def upgrade() -> None:
    with op.batch_alter_table("screening_case") as batch:
        for name in MILESTONES:
            batch.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        for name, length in TEXTS.items():
            batch.add_column(sa.Column(name, sa.String(length), nullable=True))
        batch.add_column(sa.Column("obstacle", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("doses_given", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "deadline",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(16), sa.ForeignKey("screening_case.id"), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("owner", sa.String(16), nullable=False),
        sa.Column("starts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("met_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attributed_to", sa.String(16), nullable=True),
        sa.UniqueConstraint("case_id", "rule", name="uq_deadline_case_rule"),
    )
    op.create_index("ix_deadline_open_due", "deadline", ["due"],
                    postgresql_where=sa.text("status = 'open'"), sqlite_where=sa.text("status = 'open'"))
    op.create_table(
        "case_note",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(16), sa.ForeignKey("screening_case.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
    )
    op.create_index("ix_case_note_case", "case_note", ["case_id"])


def downgrade() -> None:
    op.drop_table("case_note")
    op.drop_table("deadline")
    with op.batch_alter_table("screening_case") as batch:
        for name in MILESTONES + list(TEXTS) + ["obstacle", "doses_given"]:
            batch.drop_column(name)
