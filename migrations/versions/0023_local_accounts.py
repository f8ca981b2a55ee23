"""Local accounts and server-side sessions: Argon2id password hashes, TOTP second factors, recovery codes, lock-out after failures, sessions with idle and absolute timeouts.

`local_account`: one row per user who signs in without the region's identity provider: the
password's Argon2id hash (never the password), whether it is a one-time password an admin set, the
TOTP secret (base32; confirmed once a first code was right), the last time step accepted (a code
of that step or an earlier one is refused: no replay), the failures counted since the last success
and the lock they caused. `recovery_code`: each one's SHA-256 (the codes are 80 random bits), used
once. `web_session`: a session's id is 32 random bytes given to the browser; only its SHA-256 is
kept. Seven audit kinds without a case: `signin`, `signin_failed`, `locked`, `signout`,
`password`, `totp`, `factor_reset` (no password, code or secret in any of them).

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

KINDS = ("signin", "signin_failed", "locked", "signout", "password", "totp", "factor_reset")


def upgrade() -> None:
    op.create_table(
        "local_account",
        sa.Column("user_id", sa.String(64), sa.ForeignKey("app_user.id"), primary_key=True),
        sa.Column("password_hash", sa.Text(), nullable=True),
        sa.Column("password_temporary", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("totp_secret", sa.String(64), nullable=True),
        sa.Column("totp_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "recovery_code",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), sa.ForeignKey("app_user.id"), nullable=False, index=True),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "web_session",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), sa.ForeignKey("app_user.id"), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    for action in KINDS:
        op.execute(f"INSERT INTO audit_kind (no, action, event) SELECT COALESCE(MAX(no), 0) + 1, '{action}', '' "
                   f"FROM audit_kind WHERE NOT EXISTS (SELECT 1 FROM audit_kind WHERE action = '{action}' "
                   "AND event = '')")


def downgrade() -> None:
    for action in KINDS:
        op.execute(f"DELETE FROM audit_kind WHERE action = '{action}' AND event = ''")
    op.drop_table("web_session")
    op.drop_table("recovery_code")
    op.drop_table("local_account")
