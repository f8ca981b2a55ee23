"""The search by name reads an index: the folded words of each child's name under each scope that
sees the child (`case_name_word`).

Until now a search by name read every case in the searcher's scope (`LOWER(name) LIKE '%text%'`) until
a page was full: 125,000 of a health centre's cases, or all of a region's 1,000,000, for a name that
is rare or not there. Each word of a name is now a row under each scope of its case (its municipality,
health centre, school, preschool), folded as `screening.storage.name_words` folds it (case and accents
ignored: "Åsa" is "asa"), keyed by (scope, word, case), so that the scope's names with a word
beginning with what was typed are one range of the key. The storage layer writes the rows wherever a
case's name or scope is written; this migration fills them for the cases already there, BATCH cases
at a time (by id, so that memory stays one batch's).

On SQLite the table has no rowid (the key is the table); on PostgreSQL its text is COLLATE "C", so
that the range `word >= 'ali' AND word < 'alj'` is byte order, as on SQLite.

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    from screening.storage import name_words

    op.create_table(
        "case_name_word",
        sa.Column("scope", _text(66), nullable=False),  # 'm:' municipality, 'c:' health centre, 's:' school, …
        sa.Column("word", _text(200), nullable=False),
        sa.Column("case_id", sa.String(16), sa.ForeignKey("screening_case.id"), nullable=False),
        sa.PrimaryKeyConstraint("scope", "word", "case_id"),
        sqlite_with_rowid=False,
    )
    bind = op.get_bind()
    read = sa.text(f"SELECT id, {', '.join(name_words.COLUMNS)} FROM screening_case "
                   "WHERE name IS NOT NULL AND id > :after ORDER BY id LIMIT :n")
    insert = sa.text("INSERT INTO case_name_word (scope, word, case_id) VALUES (:scope, :word, :case_id)")
    after = ""
    while True:
        cases = bind.execute(read, {"after": after, "n": BATCH}).mappings().all()
        if not cases:
            break
        rows = name_words.rows((case["id"], case) for case in cases)
        if rows:
            bind.execute(insert, rows)
        after = cases[-1]["id"]


def _text(length: int):
    """Text compared byte by byte on both databases (SQLite's BINARY; COLLATE "C" on PostgreSQL)."""
    return sa.String(length).with_variant(sa.String(length, collation="C"), "postgresql")


def downgrade() -> None:
    op.drop_table("case_name_word")
