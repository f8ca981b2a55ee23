"""The product's own guards in the database, and the schema a backup may hold.

The audit trail is append-only: triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL). Anyone
who can write a SQLite file can drop them; `init` and `restore` put them back (`ensure`). A backup is
restored only if it holds exactly what the product makes at its revision (`check_sqlite`,
`check_postgres_listing`): a trigger, view or table of someone else's (one that copies every new note
into a case's name, say) is refused before anything is written.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
from pathlib import Path

from screening.errors import BadInput

SQLITE_GUARDS = {
    "audit_no_update": "CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit "
                       "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END",
    "audit_no_delete": "CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit "
                       "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END",
}
POSTGRES_FUNCTION = ("CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                     "$$ BEGIN RAISE EXCEPTION 'audit is append-only'; END $$")
POSTGRES_GUARDS = {
    "audit_no_change": "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit "
                       "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    "audit_no_truncate": "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit "
                         "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
}
SPACES = re.compile(r"\s+")
# what a PostgreSQL dump of the product holds besides tables, indexes, sequences and constraints
POSTGRES_OWN = {("FUNCTION", "audit_append_only()"), ("TRIGGER", "audit audit_no_change"),
                ("TRIGGER", "audit audit_no_truncate"), ("VIEW", "audit_trail")}


def ensure(url: str) -> list[str]:
    """The guards the database lacks, put back; their names (none: all were there)."""
    from screening.storage import db

    conn = db.connect_raw(url)
    try:
        conn.begin()
        if conn.sqlite:
            present = {row["name"] for row in conn.all("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
            missing = [name for name in SQLITE_GUARDS if name not in present]
            for name in missing:
                conn.execute(SQLITE_GUARDS[name])
        else:
            present = {row["tgname"] for row in conn.all(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass('audit') AND NOT tgisinternal")}
            missing = [name for name in POSTGRES_GUARDS if name not in present]
            if missing:
                conn.execute(POSTGRES_FUNCTION)
            for name in missing:
                conn.execute(POSTGRES_GUARDS[name])
        conn.commit()
        return missing
    finally:
        conn.close()


def _objects(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """The schema's objects as (type, name) -> what identifies them: a table's columns, a trigger's or
    a view's SQL (spaces folded), an index's table and SQL."""
    found = {}
    for kind, name, table, sql in conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                               "WHERE name NOT LIKE 'sqlite_%'"):
        if kind == "table":
            found[(kind, name)] = ",".join(row[1] for row in conn.execute(f'PRAGMA table_info("{name}")'))
        else:
            found[(kind, name)] = table + ":" + SPACES.sub(" ", sql or "").strip()
    return found


def check_sqlite(path: Path) -> list[str]:
    """Refuse a SQLite backup that holds anything the product does not make at its revision (an extra
    trigger, view, table or index, or one of the product's changed); returns the product's guards it
    lacks (they are put back after the restore)."""
    from screening.storage import migrate

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        held = _objects(conn)
    except sqlite3.Error:
        raise BadInput("{path} is not a backup of a screening database", path=str(path)) from None
    finally:
        conn.close()
    if revision not in migrate.revisions():
        raise BadInput("{path} is at schema {revision}, which this version of the product does not know",
                       path=str(path), revision=revision)
    with tempfile.TemporaryDirectory() as folder:
        reference = Path(folder) / "reference.db"
        migrate.upgrade(f"sqlite:///{reference}", revision)
        made = sqlite3.connect(reference)
        try:
            own = _objects(made)
        finally:
            made.close()
    foreign = sorted(key for key, what in held.items() if own.get(key) != what)
    if foreign:
        kind, name = foreign[0]
        raise BadInput("{path} holds a {object_kind} '{name}' that the product does not make: not restored",
                       path=str(path), object_kind=kind, name=name)
    lacking = sorted(key for key in own if key not in held)
    if [key for key in lacking if key[0] != "trigger" or key[1] not in SQLITE_GUARDS]:
        kind, name = next(key for key in lacking if key[0] != "trigger" or key[1] not in SQLITE_GUARDS)
        raise BadInput("{path} lacks the {object_kind} '{name}' the product makes: not restored", path=str(path),
                       object_kind=kind, name=name)
    return [name for _, name in lacking]


def check_postgres_listing(listing: str, path: str) -> None:
    """Refuse a PostgreSQL dump (its table of contents, as pg_restore lists it) holding a function, trigger,
    view, rule, policy or event trigger the product does not make."""
    kinds = ("FUNCTION", "TRIGGER", "VIEW", "RULE", "POLICY", "EVENT TRIGGER", "MATERIALIZED VIEW", "PROCEDURE",
             "AGGREGATE")
    for line in listing.splitlines():
        if line.startswith(";") or not line.strip():
            continue
        fields = line.split("; ", 1)[-1].split(" ")  # "id; oid oid KIND schema name owner"
        for kind in kinds:
            words = kind.split(" ")
            if fields[2:2 + len(words)] == words:
                rest = fields[2 + len(words):]
                name = " ".join(rest[1:-1]) if len(rest) > 2 else " ".join(rest[1:])
                if (kind, name) not in POSTGRES_OWN:
                    raise BadInput("{path} holds a {object_kind} '{name}' that the product does not make: "
                                   "not restored", path=path, object_kind=kind.lower(), name=name)
                break
