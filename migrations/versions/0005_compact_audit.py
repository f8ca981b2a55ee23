"""A compact audit row: what was done and who did it as small numbers, not repeated text.

The audit trail grows by a row with every event and every read of a case, so its row size is
most of what a case costs. The action and event become a number from `audit_kind` (seeded
here with every action and event the product records), and the user a number (`app_user.no`);
the user's organisation comes from `app_user`, since a user never changes organisation (a
person who moves gets a new user). The view `audit_trail` shows the rows as before.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

EVENTS = [
    "register", "attach_identity", "acknowledge_alert",
    "verify_previous_screening", "notify_parties", "change_arrival", "move_out", "book_health_conversation",
    "cancel_booking", "hold_health_conversation", "record_results", "inform_family", "inform_reception",
    "record_consent", "share_with_school_health", "book_examination", "hold_examination", "decline", "close",
    "invite_intro_meeting", "hold_intro_meeting", "make_intro_plan", "start_school", "start_preschool",
    "start_with_adaptations", "postpone_start", "request_records", "assess_vaccinations",
    "make_vaccination_plan", "give_catch_up_dose", "complete_vaccinations",
]
READS = ["show", "list", "history"]
TRAIL = ("CREATE VIEW audit_trail AS SELECT a.id, a.case_id, k.action, NULLIF(k.event, '') AS event, a.at, "
         "a.recorded_at, u.id AS user_id, u.org_id, a.detail FROM audit a JOIN audit_kind k ON k.no = a.kind "
         "JOIN app_user u ON u.no = a.user_no")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    kinds = op.create_table(
        "audit_kind",
        sa.Column("no", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("event", sa.String(40), nullable=False, server_default=""),  # '' for a read
        sa.UniqueConstraint("action", "event", name="uq_audit_kind"),
    )
    rows = [("event", name) for name in EVENTS] + [(action, "") for action in READS]
    op.bulk_insert(kinds, [{"no": no, "action": a, "event": e} for no, (a, e) in enumerate(rows, start=1)])
    op.execute("INSERT INTO audit_kind (no, action, event) SELECT (SELECT MAX(no) FROM audit_kind) + "
               "ROW_NUMBER() OVER (ORDER BY action, event), action, event FROM (SELECT DISTINCT action, "
               "COALESCE(event, '') AS event FROM audit) seen WHERE NOT EXISTS (SELECT 1 FROM audit_kind k "
               "WHERE k.action = seen.action AND k.event = seen.event)")  # anything recorded that is not listed
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("no", sa.Integer(), nullable=True))
    op.execute("UPDATE app_user SET no = (SELECT COUNT(*) FROM app_user earlier WHERE earlier.id <= app_user.id)")
    with op.batch_alter_table("app_user") as batch:
        batch.alter_column("no", existing_type=sa.Integer(), nullable=False)
        batch.create_unique_constraint("uq_app_user_no", ["no"])
    _without_append_only_guard(sqlite)
    op.create_table(
        "audit_new",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("case_id", sa.String(16), nullable=True),
        sa.Column("kind", sa.Integer(), sa.ForeignKey("audit_kind.no"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_no", sa.Integer(), sa.ForeignKey("app_user.no"), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
    )
    op.execute("INSERT INTO audit_new (id, case_id, kind, at, recorded_at, user_no, detail) "
               "SELECT a.id, a.case_id, k.no, a.at, a.recorded_at, u.no, a.detail FROM audit a "
               "JOIN audit_kind k ON k.action = a.action AND k.event = COALESCE(a.event, '') "
               "JOIN app_user u ON u.id = a.user_id")
    _refuse_lost_rows()
    op.drop_table("audit")
    op.rename_table("audit_new", "audit")
    if not sqlite:
        _renamed_serial("audit_new")
    op.create_index("ix_audit_case", "audit", ["case_id", "id"])
    _append_only_guard(sqlite)
    op.execute(TRAIL)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.execute("DROP VIEW audit_trail")
    _without_append_only_guard(sqlite)
    op.create_table(
        "audit_old",
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
    op.execute("INSERT INTO audit_old (id, case_id, action, event, at, recorded_at, user_id, org_id, detail) "
               "SELECT a.id, a.case_id, k.action, NULLIF(k.event, ''), a.at, a.recorded_at, u.id, u.org_id, a.detail "
               "FROM audit a JOIN audit_kind k ON k.no = a.kind JOIN app_user u ON u.no = a.user_no")
    op.drop_table("audit")
    op.rename_table("audit_old", "audit")
    if not sqlite:
        _renamed_serial("audit_old")
    op.create_index("ix_audit_case", "audit", ["case_id", "id"])
    _append_only_guard(sqlite)
    with op.batch_alter_table("app_user") as batch:
        batch.drop_constraint("uq_app_user_no", type_="unique")
        batch.drop_column("no")
    op.drop_table("audit_kind")


def _renamed_serial(old: str) -> None:
    """PostgreSQL: the rebuilt table's sequence and key take the names of the table's own."""
    op.execute(f"ALTER SEQUENCE {old}_id_seq RENAME TO audit_id_seq")
    op.execute(f"ALTER INDEX {old}_pkey RENAME TO audit_pkey")
    op.execute("SELECT setval('audit_id_seq', COALESCE((SELECT MAX(id) FROM audit), 0) + 1, false)")


def _refuse_lost_rows() -> None:
    """An audit row whose user is not in `app_user` cannot be kept in the new form: stop, change nothing."""
    lost = op.get_bind().execute(sa.text(
        "SELECT COUNT(*) FROM audit a WHERE NOT EXISTS (SELECT 1 FROM app_user u WHERE u.id = a.user_id)")).scalar()
    if lost:
        raise RuntimeError(f"{lost} audit row(s) name a user who is not in app_user; add the users, then upgrade")


def _without_append_only_guard(sqlite: bool) -> None:
    # the audit trail is append-only: its guard steps aside while the table is rebuilt
    if sqlite:
        for verb in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_no_{verb}")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_no_change ON audit")
        op.execute("DROP TRIGGER IF EXISTS audit_no_truncate ON audit")


def _append_only_guard(sqlite: bool) -> None:
    if sqlite:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit "
                       "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END")
        return
    op.execute("CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit "
               "FOR EACH ROW EXECUTE FUNCTION audit_append_only()")
    op.execute("CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
               "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()")
