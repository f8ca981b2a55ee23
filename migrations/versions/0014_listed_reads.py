"""The reads that list cases outside `case show` and `case list`, as audit kinds: the alerts listed
(`alerts`), a health centre's calendar exported (`calendar`) and the outbox followed (`outbox`). Each
case they show is recorded as read, by person and time (patientdatalagen 4 kap. 3 §).

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

READS = ("alerts", "calendar", "outbox")


def upgrade() -> None:
    for action in READS:
        op.execute(f"INSERT INTO audit_kind (no, action, event) SELECT COALESCE(MAX(no), 0) + 1, '{action}', '' "
                   f"FROM audit_kind WHERE NOT EXISTS (SELECT 1 FROM audit_kind WHERE action = '{action}' "
                   "AND event = '')")


def downgrade() -> None:
    for action in READS:
        op.execute(f"DELETE FROM audit_kind WHERE action = '{action}' AND event = ''")
