"""Sign-in through the region's identity provider (OpenID Connect): flows under way, and the people an admin linked.

`oidc_flow`: one row per sign-in started (`GET /signin/oidc`): the SHA-256 of its `state` (the
browser holds the state itself, in a short-lived cookie and in the provider's redirect), the
`nonce` and the PKCE code verifier the callback needs; used once, worth nothing after ten
minutes. `oidc_identity`: which user a person at the provider is (issuer + subject), linked by an
admin (`user link`); no user is ever made from a sign-in. Two audit kinds without a case:
`oidc_link`, `oidc_unlink` (sign-ins and refusals use `signin` and `signin_failed`).

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

KINDS = ("oidc_link", "oidc_unlink")


def upgrade() -> None:
    op.create_table(
        "oidc_flow",
        sa.Column("state_hash", sa.String(64), primary_key=True),
        sa.Column("nonce", sa.String(128), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "oidc_identity",
        sa.Column("issuer", sa.String(255), primary_key=True),
        sa.Column("subject", sa.String(255), primary_key=True),
        sa.Column("user_id", sa.String(64), sa.ForeignKey("app_user.id"), nullable=False, index=True),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("linked_by", sa.String(64), nullable=False),
    )
    for action in KINDS:
        op.execute(f"INSERT INTO audit_kind (no, action, event) SELECT COALESCE(MAX(no), 0) + 1, '{action}', '' "
                   f"FROM audit_kind WHERE NOT EXISTS (SELECT 1 FROM audit_kind WHERE action = '{action}' "
                   "AND event = '')")


def downgrade() -> None:
    for action in KINDS:
        op.execute(f"DELETE FROM audit_kind WHERE action = '{action}' AND event = ''")
    op.drop_table("oidc_identity")
    op.drop_table("oidc_flow")
