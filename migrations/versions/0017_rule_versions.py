"""The deadline rule table in the database, versioned: who loaded which version when, and the
version each deadline was computed under (every deadline so far: version 1, the bundled table).

Revision ID: 0017
Revises: 0016
"""

import hashlib
import json
import tomllib
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from alembic import op

# The agreement's table as this release bundles it: version 1, what every deadline so far was computed under.
BUNDLED = Path(__file__).resolve().parents[2] / "workflows" / "data" / "deadlines.toml"

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rule_version",
        sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("loaded_by", sa.String(64), nullable=True),  # none: the bundled table
        sa.Column("digest", sa.String(64), nullable=False),  # SHA-256 of `rules`
        sa.Column("rules", sa.Text(), nullable=False),  # the whole table as JSON, rule by rule
    )
    rules = json.dumps(tomllib.loads(BUNDLED.read_text(encoding="utf-8")), sort_keys=True, ensure_ascii=False)
    bind = op.get_bind()
    at = datetime.now(timezone.utc)
    bind.execute(sa.text("INSERT INTO rule_version (version, loaded_at, loaded_by, digest, rules) "
                         "VALUES (1, :at, NULL, :digest, :rules)"),
                 {"at": int(at.timestamp()) if bind.dialect.name == "sqlite" else at,
                  "digest": hashlib.sha256(rules.encode()).hexdigest(), "rules": rules})
    with op.batch_alter_table("deadline") as batch:
        batch.add_column(sa.Column("rules_version", sa.Integer(), nullable=False, server_default="1"))
    op.execute("INSERT INTO audit_kind (no, action, event) SELECT COALESCE(MAX(no), 0) + 1, 'rules', '' "
               "FROM audit_kind WHERE NOT EXISTS (SELECT 1 FROM audit_kind WHERE action = 'rules' AND event = '')")


def downgrade() -> None:
    op.execute("DELETE FROM audit_kind WHERE action = 'rules' AND event = ''")
    with op.batch_alter_table("deadline") as batch:
        batch.drop_column("rules_version")
    op.drop_table("rule_version")
