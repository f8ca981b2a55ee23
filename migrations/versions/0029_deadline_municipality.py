"""The municipality's overdue steps are read from an index of their own.

The reception unit's first page (`/children`) lists first the children with a step past due on the
municipality's side (the reception unit's, the school's, the preschool's, school health's, BVC's), as do
school health's and BVC's for their own steps. Read through every past-due open step of the region with
its case, that list took about a second on SQLite at 1,000,000 cases before it could take its 50. The
deadline now holds its case's municipality too (`municipality`, kept by the deadline repository from the
case as it is saved, like its health centre since 0028; a case never changes municipality), and the open
ones are indexed by municipality, owner and due: the list is a range of the municipality's own open steps
of those owners, past due. The column is filled here from the cases, for the open deadlines: a closed one
(met, late, cancelled) holds neither its case's municipality nor, from now on, its health centre (both
indexes are of open steps, and nothing reads the columns of a closed one), which keeps the deadlines'
bytes per case about where they were before 0028.

A school's and a preschool's lists (their children by notice, 50 a page) walked the whole region's cases by
notice for theirs: 0.3-0.9 s at 1,000,000. The cases are now indexed by school and by preschool, in list
order, as they are by health centre and municipality (only the cases that have one: most have no preschool);
these replace the indexes of the school and the preschool alone, which every case had an entry in.

Revision ID: 0029
Revises: 0028
"""

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

INDEX = "ix_deadline_municipality_open"
COLUMNS = ["municipality", "owner", "due", "case_id", "status"]  # status: covering on SQLite
OPEN = sa.text("status = 'open'")
UNITS = ("school", "preschool")


def upgrade() -> None:
    op.add_column("deadline", sa.Column("municipality", sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        op.execute("UPDATE deadline SET municipality = "
                   "(SELECT c.municipality FROM screening_case c WHERE c.id = deadline.case_id) WHERE status = 'open'")
    else:
        op.execute("UPDATE deadline d SET municipality = c.municipality FROM screening_case c "
                   "WHERE c.id = d.case_id AND d.status = 'open'")
    op.execute("UPDATE deadline SET health_centre_id = NULL WHERE status <> 'open' AND health_centre_id IS NOT NULL")
    op.create_index(INDEX, "deadline", COLUMNS, sqlite_where=OPEN, postgresql_where=OPEN)
    for unit in UNITS:
        where = sa.text(f"{unit}_id IS NOT NULL")
        op.create_index(f"ix_screening_case_{unit}_notice", "screening_case", [f"{unit}_id", "notice_at"],
                        sqlite_where=where, postgresql_where=where)
        op.drop_index(f"ix_screening_case_{unit}_id", table_name="screening_case")  # the new one answers it


def downgrade() -> None:
    for unit in UNITS:
        op.create_index(f"ix_screening_case_{unit}_id", "screening_case", [f"{unit}_id"])
        op.drop_index(f"ix_screening_case_{unit}_notice", table_name="screening_case")
    op.drop_index(INDEX, table_name="deadline")
    with op.batch_alter_table("deadline") as batch:
        batch.drop_column("municipality")
