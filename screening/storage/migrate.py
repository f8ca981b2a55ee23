"""Create or upgrade a database to the newest schema with Alembic."""

from __future__ import annotations

from pathlib import Path

import migrations
from screening.storage import db


def upgrade(url: str, revision: str = "head") -> str:
    """Upgrade the database at `url` to `revision` (the newest by default); returns the revision."""
    from alembic import command

    _run(url, command.upgrade, revision)
    return current_revision(url)


def downgrade(url: str, revision: str) -> str | None:
    """Downgrade the database at `url` to `revision` (for tests and benchmarks of a migration, which start
    from the schema before it); returns the revision."""
    from alembic import command

    _run(url, command.downgrade, revision)
    return current_revision(url)


def _run(url: str, step, revision: str) -> None:
    """An Alembic command over the project's migrations, in one transaction on the database at `url`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    with db.engine(url).begin() as connection:
        config.attributes["connection"] = connection
        step(config, revision)


def current_revision(url: str) -> str | None:
    from sqlalchemy import inspect, text

    with db.engine(url).connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def revisions() -> list[str]:
    """Every revision the migrations know, oldest first."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    return [script.revision for script in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]


def users_before_upgrade(url: str, user_id: str | None) -> tuple[bool, dict | None]:
    """Whether the database, at whatever schema (or not made yet), has users, and the row (id, role,
    org_id) of `user_id` there: read before an upgrade, so that a refusal changes nothing."""
    try:
        conn = db.connect_raw(url)
    except db.SchemaOutdated:  # no SQLite file yet
        return False, None
    try:
        made = (conn.scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'app_user'") if conn.sqlite
                else conn.scalar("SELECT to_regclass('app_user') IS NOT NULL"))
        if not made:
            return False, None
        any_user = conn.one("SELECT id FROM app_user LIMIT 1") is not None
        row = conn.one("SELECT * FROM app_user WHERE id = :id", {"id": user_id}) if user_id else None  # any schema
        return any_user, row
    finally:
        conn.close()
