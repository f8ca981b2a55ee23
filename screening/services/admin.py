"""The database itself: create or upgrade it, load a directory, back it up, restore it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from screening import access, clock
from screening.errors import NotFound, Refused
from screening.model import Actor, AuditEntry
from screening.services.accounts import AUDITED


def init(app, acting_user: str | None = None, *, directory_file: str | None = None, demo: bool = False,
         simulation: bool = False, app_role: str | None = None) -> dict:
    """Create or upgrade the database to the newest schema (never loses data); with `demo` or a
    directory file, load the region's organisations too (with `demo`, its demo users). A file in
    error writes nothing. Once a user exists, only an admin loads a directory (refused before anything
    is done, the upgrade too), and each load is in the audit trail with what it changed. With `demo` or `simulation` the database becomes a simulation, whose clock
    may be set: only while it holds no case (a database for real use never becomes one). With
    `app_role` (PostgreSQL), that role is granted what the application needs and no more: it may append
    to the audit trail and read it, never change it (`screening.storage.roles`)."""
    from screening.directory import BUNDLED
    from screening.directory import load_directory as read_directory
    from screening.storage import db, migrate

    from screening.storage import guards, roles

    if directory_file or demo:
        _require_directory_admin(*migrate.users_before_upgrade(app.url, acting_user), acting_user)
    region = read_directory(directory_file) if (directory_file or demo) else None
    migrate.upgrade(app.url)
    restored = guards.ensure(app.url)  # the audit trail's guards, put back if someone dropped them
    granted = roles.grant_application(app.url, app_role) if app_role else None  # PostgreSQL: least privilege
    if demo or simulation:
        _make_simulation(app)
    loaded = {}
    if region is not None:
        with app.uow() as uow:
            changed = load_directory_in(uow, acting_user, region, demo_users=demo,
                                        source=Path(directory_file or BUNDLED).name, now=app.clock.now(),
                                        recorded_at=app.clock.real())
        loaded = {"directory": {part: len(changed.get(part, ())) for part in ("added", "changed", "absent")}}
    return {"db": db.redact(app.url), **({"guards_restored": restored} if restored else {}),
            **({"app_role": granted["role"]} if granted else {}),
            **({"simulation": True} if app.simulation else {}), **loaded}


def load_directory_in(uow, acting_user: str | None, region, *, demo_users: bool, source: str, now: datetime,
                      recorded_at: datetime) -> dict:
    """Load the region's directory (with the demo's users) and commit, with a row in the audit trail
    saying what changed (`screening.directory.changes`, the file's name, the users added): by the
    acting admin once users exist. Loaded before any user exists, the directory is recorded as it
    stands when the first user is made (the demo's admin here, else by `users.add_user`): nobody
    could be named before, and no case can exist without a user. Returns the changes."""
    from screening.directory import changes
    from screening.services.users import put_directory, record_directory

    any_user = uow.directory.any_user()
    _require_directory_admin(any_user, uow.directory.user(acting_user) if acting_user else None, acting_user)
    try:
        old = uow.directory.load() if any_user else None
    except NotFound:  # users, and no directory: a restored database of an older version, say
        old = None
    detail = {"file": source, **({} if any_user else {"first": True}), **changes(old, region)}
    added = put_directory(uow, region, demo_users=demo_users)
    if added:
        detail["users_added"] = added
    if any_user or added:
        record_directory(uow, acting_user if any_user else added[0]["id"], detail, now=now, recorded_at=recorded_at)
    uow.commit()
    return detail


def _require_directory_admin(any_user: bool, user: dict | None, acting_user: str | None) -> None:
    """Once a user exists, only an admin loads the region's directory: it decides whose cases each
    organisation sees and where its mail goes. While none exists, nobody can be named."""
    if not any_user:
        return
    if acting_user is None:
        raise Refused("no acting user: users exist, so only an admin may load the region's directory")
    if user is None:
        raise NotFound("unknown user '{user}'", user=acting_user)
    if user.get("disabled_at") is not None:
        raise Refused("the user '{user}' is disabled", user=acting_user)
    access.require_command(Actor(user["id"], user["role"], user["org_id"], "", None), "directory")


def _make_simulation(app) -> None:
    from screening.errors import Refused
    from screening.storage import db, deployment

    conn = db.checkout(app.url)
    try:
        conn.begin()
        if not deployment.is_simulation(conn):
            if deployment.holds_cases(conn):
                raise Refused("this database is for real use and holds cases: a simulation needs a database of its own")
            deployment.make_simulation(conn, app.clock.real())
        conn.commit()
    finally:
        db.release(app.url, conn)


def backup(app, actor: Actor, target: str) -> dict:
    """A consistent copy of the whole database while it is in use (admin). The file holds medical
    content: it is made readable by its owner only."""
    from screening.storage import backup as copies

    access.require_command(actor, "backup")
    return copies.backup(app.url, target)


def restore(app, acting_user: str | None, source: str, *, operator: str = "") -> dict:
    """A backup restored into a new, empty database (the app's): all of it or nothing; then upgraded
    to the newest schema and recorded in its audit trail (the file's name, when, by which of the
    backup's admins, and `operator`, the account that ran it). A backup that holds users is restored
    by one of its admins only: refused before anything is written. One without users holds no case
    and names nobody to record."""
    from screening.storage import backup as copies
    from screening.storage import migrate

    users: dict[str, dict] = {}

    def admitted(held: dict[str, dict]) -> None:
        users.update(held)
        if not held:
            return
        if acting_user is None:
            raise Refused("no acting user: the backup has users, so one of its admins must restore it")
        user = held.get(acting_user)
        if user is None:
            raise NotFound("unknown user '{user}'", user=acting_user)
        if user.get("disabled_at") is not None:
            raise Refused("the user '{user}' is disabled", user=acting_user)
        access.require_command(Actor(user["id"], user["role"], user["org_id"], "", None), "restore")

    done = copies.restore(source, app.url, admitted)
    migrate.upgrade(app.url)  # a backup of an older version: its rows kept, its schema this version's
    if users:
        real = app.clock.real()
        with app.uow() as uow:
            uow.audit.record(AuditEntry(None, "restore", None, real, real, acting_user, {
                "file": Path(source).name, "operator": operator, "cases": done.get("cases"),
                "audit_rows": done.get("audit_rows"), "guards_restored": done.get("guards_restored", [])}))
            uow.commit()
    return done


# sign-ins (local or through the identity provider), failed ones, lock-outs, sign-outs, passwords, TOTP,
# factor resets; an identity provider's subject linked to a user or unlinked
# (`screening.services.identity_provider.AUDITED`, named here: that module loads the OIDC libraries)
ACCOUNTS = AUDITED + ("oidc_link", "oidc_unlink")
TOKENS = ("token_created", "token_revoked")  # screening.services.tokens
ADMINISTRATION = ("directory", "restore", "sample", "review", "rules") + ACCOUNTS + TOKENS
GROUPS = {"accounts": ACCOUNTS, "tokens": TOKENS}  # a `kind` that stands for several
KINDS = ADMINISTRATION + tuple(GROUPS)


def administration(app, actor: Actor, kind: str | None = None) -> list[dict]:
    """The administration's audit trail, oldest first: the directory's changes with what changed (old
    -> new), restores, the access log's samples and their reviews, the local accounts' sign-ins,
    failures, lock-outs and factor resets, and the API tokens made and revoked (coordinator, admin);
    `kind`: one of them only, or `accounts` or `tokens` for all of theirs."""
    from screening.errors import BadInput

    access.require_command(actor, "audit_history")
    if kind is not None and kind not in KINDS:
        raise BadInput("unknown kind '{value}'; one of: {values}", value=kind, values=KINDS)
    with app.uow() as uow:
        rows = uow.audit.administration(GROUPS.get(kind, (kind,)) if kind else ADMINISTRATION)
    return [{"id": row["id"], "action": row["action"], "at": clock.local_iso(row["at"]),
             "recorded_at": clock.local_iso(row["recorded_at"]), "user": row["user_id"], "name": row.get("user_name"),
             "org": row["org_id"], "door": row.get("door"), "detail": row["detail"]} for row in rows]
