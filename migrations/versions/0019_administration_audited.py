"""Administration in the audit trail: directory changes (with their diff), restores, and the access-log sample and its review.

Four audit kinds, each a row without a case (`case_id` NULL) whose `detail` says what was done:
`directory` (organisations and the region loaded, users added: what changed, old -> new), `restore`
(the backup's file name, by whom), `sample` (a random sample of the access log drawn for its
follow-up, HSLF-FS 2016:40 4 kap. 9 §: the period, the seed, the reads drawn) and `review` (the
sample reviewed: no remark, or a finding).

Revision ID: 0019
Revises: 0018
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

KINDS = ("directory", "restore", "sample", "review")


def upgrade() -> None:
    for action in KINDS:
        op.execute(f"INSERT INTO audit_kind (no, action, event) SELECT COALESCE(MAX(no), 0) + 1, '{action}', '' "
                   f"FROM audit_kind WHERE NOT EXISTS (SELECT 1 FROM audit_kind WHERE action = '{action}' "
                   "AND event = '')")


def downgrade() -> None:
    for action in KINDS:
        op.execute(f"DELETE FROM audit_kind WHERE action = '{action}' AND event = ''")
