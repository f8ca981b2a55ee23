"""Users are people: a name, an e-mail address and an optional HSA-id; the audit trail names the person, the organisation and the door.

`app_user` gains `name` (the person's full name), `email`, `hsa_id` (unique when given: the national
catalogue's id, which an identity provider may map a person by) and `disabled_at` (a disabled user can
no longer act). `audit` gains `door`: where the row came in (`cli:<operating-system account>`, later
`api`, `page`); the hash chain covers it where it is set (`screening.audit_chain.content`), so rows
written before it verify as they did. The view `audit_trail` shows the person's name and the door.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

TRAIL = ("CREATE VIEW audit_trail AS SELECT a.id, a.case_id, k.action, NULLIF(k.event, '') AS event, a.at, "
         "a.recorded_at, u.id AS user_id, u.org_id, a.detail{more} FROM audit a JOIN audit_kind k ON k.no = a.kind "
         "JOIN app_user u ON u.no = a.user_no")
PEOPLE = ", u.name AS user_name, a.door"


def upgrade() -> None:
    op.add_column("app_user", sa.Column("name", sa.String(200), nullable=True))
    op.add_column("app_user", sa.Column("email", sa.String(254), nullable=True))
    op.add_column("app_user", sa.Column("hsa_id", sa.String(64), nullable=True))
    op.add_column("app_user", sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("uq_app_user_hsa_id", "app_user", ["hsa_id"], unique=True)
    op.add_column("audit", sa.Column("door", sa.String(80), nullable=True))  # no row is updated: the guard stays
    op.execute("DROP VIEW audit_trail")
    op.execute(TRAIL.format(more=PEOPLE))


def downgrade() -> None:
    op.execute("DROP VIEW audit_trail")
    op.execute(TRAIL.format(more=""))
    op.execute("ALTER TABLE audit DROP COLUMN door")  # SQLite too (3.35+): the table and its triggers stay
    op.drop_index("uq_app_user_hsa_id", table_name="app_user")
    for column in ("disabled_at", "hsa_id", "email", "name"):
        op.execute(f"ALTER TABLE app_user DROP COLUMN {column}")

