"""A tamper-evident audit trail: each row carries a hash chained to the one before.

The column `chain` holds each row's link (`screening.audit_chain`). The rows already there are chained
here, in id order, with plain SHA-256: a migration has no key. Rows the product writes from now on are
keyed with the deployment's audit key where one is configured; `audit verify` accepts plain links only
before the first keyed one. The column is nullable (adding it fills nothing), but after this migration
a row without a link is a break. The append-only guard steps aside while the links are written.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

PAGE = 5000
ROWS = ("SELECT a.id, a.case_id, k.action, k.event, a.at, a.recorded_at, u.id AS user_id, a.detail "
        "FROM audit a LEFT JOIN audit_kind k ON k.no = a.kind LEFT JOIN app_user u ON u.no = a.user_no "
        "WHERE a.id > :after ORDER BY a.id LIMIT :size")
SQLITE_GUARD = ("CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit "
                "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END")
POSTGRES_GUARD = ("CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit "
                  "FOR EACH ROW EXECUTE FUNCTION audit_append_only()")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column("audit", sa.Column("chain", sa.LargeBinary(), nullable=True))
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS audit_no_update")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_no_change ON audit")
    _chain_existing_rows()
    if sqlite:
        op.execute(SQLITE_GUARD)
    else:
        op.execute(POSTGRES_GUARD)


def _chain_existing_rows() -> None:
    from screening.audit_chain import content, link

    conn = op.get_bind()
    previous, after = None, 0
    while True:
        page = conn.execute(sa.text(ROWS), {"after": after, "size": PAGE}).mappings().all()
        links = []
        for row in page:
            previous = link(None, previous, content(row["case_id"], row["action"], row["event"], row["at"],
                                                    row["recorded_at"], row["user_id"], row["detail"]))
            links.append({"id": row["id"], "chain": previous})
        if links:
            conn.execute(sa.text("UPDATE audit SET chain = :chain WHERE id = :id"), links)
        if len(page) < PAGE:
            return
        after = page[-1]["id"]


def downgrade() -> None:
    op.execute("ALTER TABLE audit DROP COLUMN chain")  # SQLite too (3.35+): the table and its triggers stay
