"""An identity number is unique within a municipality: a registration in another municipality is that municipality's case.

A child who moves is registered anew where the family now lives, with the same personnummer,
samordningsnummer or dossier number as the old municipality's case (the coordinators are told and
resolve it). Each number was unique in the whole database; it becomes unique per municipality:
(number, municipality), the number first, so that the same index finds a number in every municipality.

On SQLite a column's UNIQUE goes only with the table: the table is made again, its rows copied out
and back. Its deadlines, notes, bookings and letters point at it by id throughout; the foreign keys
are checked at the commit (`defer_foreign_keys`), once every case is back. A downgrade is refused by
the database while a number is on cases of two municipalities.

Revision ID: 0020
Revises: 0019
"""

import re

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

IDENTIFIERS = ("personnummer", "samordningsnummer", "dossier")


def _name(key: str) -> str:
    return f"uq_screening_case_{key}"


def _global(key: str) -> str:  # as 0001 made it
    return f"UNIQUE ({key})"


def _per_municipality(key: str) -> str:
    return f"CONSTRAINT {_name(key)} UNIQUE ({key}, municipality)"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(_global, _per_municipality)
        return
    for key in IDENTIFIERS:
        op.drop_constraint(f"screening_case_{key}_key", "screening_case", type_="unique")
        op.create_unique_constraint(_name(key), "screening_case", [key, "municipality"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rebuild(_per_municipality, _global)
        return
    for key in IDENTIFIERS:
        op.drop_constraint(_name(key), "screening_case", type_="unique")
        op.create_unique_constraint(f"screening_case_{key}_key", "screening_case", [key])


def _sqlite_rebuild(old, new) -> None:
    """screening_case made again with each identifier's constraint `old(key)` written `new(key)`,
    its rows, indexes and triggers as they were."""
    bind = op.get_bind()
    create = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'screening_case'").scalar()
    for key in IDENTIFIERS:
        create, found = re.subn(re.escape(old(key)), new(key), create)
        if found != 1:
            raise RuntimeError(f"screening_case: expected one '{old(key)}' in its definition, found {found}")
    kept = [sql for (sql,) in bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger') AND tbl_name = 'screening_case' "
        "AND sql IS NOT NULL ORDER BY type, name")]
    columns = ", ".join(f'"{row[1]}"' for row in bind.exec_driver_sql('PRAGMA table_info("screening_case")'))
    # the cases' deadlines, notes, bookings and letters lose their case for a moment: checked at the commit
    run = bind.exec_driver_sql
    run("PRAGMA defer_foreign_keys = ON")
    run("CREATE TEMP TABLE screening_case_copy AS SELECT * FROM screening_case")
    run("DROP TABLE screening_case")
    run(create)
    run(f"INSERT INTO screening_case ({columns}) SELECT {columns} FROM temp.screening_case_copy")
    run("DROP TABLE temp.screening_case_copy")
    for sql in kept:
        run(sql)
