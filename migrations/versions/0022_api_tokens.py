"""Personal API tokens: random, shown once, stored as a hash, with an expiry; revocable.

A token is `scr_<id>_<secret>`: `id` is public (it names the token in `token list` and `token revoke`
and finds its row), `secret` 32 random bytes of which only the SHA-256 is kept (`hash`, hex). Two
audit kinds, rows without a case: `token_created` and `token_revoked` (the token's id and person,
never the secret).

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

KINDS = ("token_created", "token_revoked")


def upgrade() -> None:
    op.create_table(
        "api_token",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("user_id", sa.String(64), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),  # SHA-256 of the secret, hex
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),  # the person, or an admin for them
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_api_token_user_id", "api_token", ["user_id"])
    for action in KINDS:
        op.execute(f"INSERT INTO audit_kind (no, action, event) SELECT COALESCE(MAX(no), 0) + 1, '{action}', '' "
                   f"FROM audit_kind WHERE NOT EXISTS (SELECT 1 FROM audit_kind WHERE action = '{action}' "
                   "AND event = '')")


def downgrade() -> None:
    for action in KINDS:
        op.execute(f"DELETE FROM audit_kind WHERE action = '{action}' AND event = ''")
    op.drop_index("ix_api_token_user_id", table_name="api_token")
    op.drop_table("api_token")
