"""Foundation: the directory, users, cases and the append-only audit trail.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "region",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("municipalities", sa.Text(), nullable=False),
    )
    op.create_table(
        "organisation",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("municipality", sa.String(64), nullable=True, index=True),
        sa.Column("details", sa.Text(), nullable=False),
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("org_id", sa.String(64), sa.ForeignKey("organisation.id"), nullable=False, index=True),
    )
    org_fk = lambda name: sa.Column(  # noqa: E731
        name, sa.String(64), sa.ForeignKey("organisation.id"), nullable=True, index=True
    )
    op.create_table(
        "screening_case",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("municipality", sa.String(64), nullable=False, index=True),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("personnummer", sa.String(12), nullable=True, unique=True),
        sa.Column("samordningsnummer", sa.String(12), nullable=True, unique=True),
        sa.Column("dossier", sa.String(8), nullable=True, unique=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("interpreter", sa.Boolean(), nullable=False),
        sa.Column("unaccompanied", sa.Boolean(), nullable=False),
        sa.Column("permit", sa.String(16), nullable=True),
        sa.Column("arrival", sa.Date(), nullable=True),
        sa.Column("notice_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("already_in_sweden", sa.Boolean(), nullable=False),
        org_fk("health_centre_id"),
        org_fk("school_id"),
        org_fk("preschool_id"),
        sa.Column("health_state", sa.String(32), nullable=False),
        sa.Column("school_state", sa.String(32), nullable=False),
        sa.Column("vaccination_state", sa.String(32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(16), nullable=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("event", sa.String(40), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.String(64), nullable=False),
        sa.Column("org_id", sa.String(64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.create_index("ix_audit_case", "audit", ["case_id", "id"])
    _audit_append_only()


def _audit_append_only() -> None:
    # patientdatalagen 4 kap. 3 §: the access log is kept, never edited.
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit "
                "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit is append-only'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit "
        "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()"
    )


def downgrade() -> None:
    for table in ("audit", "screening_case", "app_user", "organisation", "region"):
        op.drop_table(table)
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS audit_append_only()")
