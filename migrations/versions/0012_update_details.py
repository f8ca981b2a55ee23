"""Correcting a case (`update_details`): when the case's present health centre was told, and the
event's audit kind.

`hc_informed_at` is set when a case gets a new health centre after the parties were told: the
new centre's booking clock (step 3) starts then. Until then the clock starts when the parties were
told (`parties_notified_at`), as before.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("screening_case") as batch:
        batch.add_column(sa.Column("hc_informed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("INSERT INTO audit_kind (no, action, event) SELECT COALESCE(MAX(no), 0) + 1, 'event', 'update_details' "
               "FROM audit_kind WHERE NOT EXISTS (SELECT 1 FROM audit_kind WHERE action = 'event' "
               "AND event = 'update_details')")


def downgrade() -> None:
    with op.batch_alter_table("screening_case") as batch:
        batch.drop_column("hc_informed_at")
