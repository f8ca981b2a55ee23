"""PostgreSQL least privilege: what the application's login may do, granted by the tables' owner.

The owner role owns the tables and runs the migrations (`init`); the application logs in as another
role. That role may read and write what the use cases need, append to the audit trail and read it,
but never UPDATE, DELETE or TRUNCATE it, nor write the audit kinds, the schema's revision or the
database's mode (a simulation accepts a set clock); as it owns nothing, it cannot drop or disable
the audit trail's triggers either. Granted again at every `init`, so that tables a new migration
makes are covered.
"""

from __future__ import annotations

from screening.errors import BadInput, NotFound, Refused
from screening.storage import db

READ_ONLY = ("audit_kind", "alembic_version", "deployment")  # written by the migrations and `init` only
APPEND_ONLY = ("audit",)


def grant_application(url: str, role: str) -> dict:
    """Grant `role` what the application needs in the database's schema, and nothing more."""
    conn = db.connect_raw(url)
    try:
        if conn.sqlite:
            raise BadInput("an application role is for PostgreSQL: on SQLite whoever may write the file may change "
                           "everything in it")
        conn.begin()
        _refuse_unfit(conn, role)
        schema, who = _quoted(conn.scalar("SELECT current_schema()")), _quoted(role)
        read_only = [table for table in READ_ONLY if conn.scalar("SELECT to_regclass(:t)", {"t": table})]
        for statement in (
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {who}",
            f"REVOKE CREATE ON SCHEMA {schema} FROM {who}",
            f"GRANT USAGE ON SCHEMA {schema} TO {who}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {who}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}",
            *(f"REVOKE INSERT, UPDATE, DELETE ON {table} FROM {who}" for table in read_only),
            *(f"REVOKE UPDATE, DELETE ON {table} FROM {who}" for table in APPEND_ONLY),
        ):
            conn.execute(statement)
        conn.commit()
        return {"role": role, "schema": conn.scalar("SELECT current_schema()")}
    finally:
        conn.close()


def _refuse_unfit(conn, role: str) -> None:
    found = conn.one("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :role", {"role": role})
    if found is None:
        raise NotFound("no role '{login}' on the database server: create it first (docs/deployment.md)", login=role)
    if found["rolsuper"] or found["rolbypassrls"]:
        raise Refused("the role '{login}' is a superuser: the application must log in as a role of least privilege",
                      login=role)
    owner = conn.scalar("SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass('audit')")
    if conn.scalar("SELECT pg_has_role(:role, :owner, 'USAGE')", {"role": role, "owner": owner}):
        raise Refused("the role '{login}' owns the tables (or acts as their owner): the application must log in as "
                      "another role", login=role)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
