"""A person's language for the pages: `app_user.language` (sv or en; none: the browser's, else the
server's setting), chosen on their profile page.

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("app_user", sa.Column("language", sa.String(2), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE app_user DROP COLUMN language")  # SQLite too (3.35+): the views on it stay
