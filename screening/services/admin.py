"""The database itself: create or upgrade it, load a directory, back it up, restore it."""

from __future__ import annotations

from screening import access
from screening.model import Actor


def init(app, *, directory_file: str | None = None, demo: bool = False) -> dict:
    """Create or upgrade the database to the newest schema (never loses data); with `demo` or a
    directory file, load the region's organisations too (with `demo`, its demo users). A file in
    error writes nothing."""
    from screening.directory import load_directory as read_directory
    from screening.services.users import store_directory
    from screening.storage import db, migrate

    from screening.storage import guards

    region = read_directory(directory_file) if (directory_file or demo) else None
    migrate.upgrade(app.url)
    restored = guards.ensure(app.url)  # the audit trail's guards, put back if someone dropped them
    if region is not None:
        with app.uow() as uow:
            store_directory(uow, region, demo_users=demo)
    return {"db": db.redact(app.url), **({"guards_restored": restored} if restored else {})}


def backup(app, actor: Actor, target: str) -> dict:
    """A consistent copy of the whole database while it is in use (admin). The file holds medical
    content: it is made readable by its owner only."""
    from screening.storage import backup as copies

    access.require_command(actor, "backup")
    return copies.backup(app.url, target)


def restore(app, source: str) -> dict:
    """A backup restored into a new, empty database (the app's): all of it or nothing."""
    from screening.storage import backup as copies

    return copies.restore(source, app.url)
