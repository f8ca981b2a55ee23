"""Who is acting, and the directory they act in: organisations, users, a region's directory."""

from __future__ import annotations

from screening import access
from screening.directory import ROLE_FOR_KIND, ROLES, Directory
from screening.directory import changes as directory_changes
from screening.errors import BadInput, NotFound
from screening.model import Actor, AuditEntry


def identify(app, user_id: str) -> Actor:
    """The person acting, with what their organisation decides about their scope."""
    with app.reads() as reads:
        row = reads.actor_row(user_id)
    return _actor(row, user_id)


def actor_in(uow, user_id: str) -> Actor:
    """The same, read inside a unit of work."""
    return _actor(uow.directory.actor(user_id), user_id)


def _actor(row: dict | None, user_id: str) -> Actor:
    if row is None:
        raise NotFound("unknown user '{user}'", user=user_id)
    return Actor(row["id"], row["role"], row["org_id"], row["kind"], row["municipality"])


def organisations(app) -> list[dict]:
    """The directory's organisations (not secret: no actor needed)."""
    with app.reads() as reads:
        return [{k: o[k] for k in ("id", "kind", "name", "municipality")} for o in reads.organisations()]


def list_users(app, actor: Actor) -> list[dict]:
    """Users and their roles (admin)."""
    access.require_command(actor, "user_admin")
    with app.reads() as reads:
        return reads.users()


def add_user(app, acting_user: str | None, user_id: str, role: str, org_id: str) -> dict:
    """Add a user; needs an admin, except while no user exists (then nobody need be acting)."""
    with app.uow() as uow:
        if uow.directory.any_user():
            if acting_user is None:
                raise NotFound("no acting user: users exist, so an admin must add this one")
            access.require_command(actor_in(uow, acting_user), "user_admin")
        if not user_id or len(user_id) > 64 or not user_id.isprintable() or any(ch.isspace() for ch in user_id):
            raise BadInput("user '{user}': an id is 1-64 characters, without spaces or control characters",
                           user=user_id[:64])
        if role not in ROLES:
            raise BadInput("unknown role '{value}'; one of: {values}", value=role, values=ROLES)
        org = uow.directory.organisation(org_id)
        if org is None:
            raise NotFound("unknown organisation '{org}'", org=org_id)
        if role != "admin" and ROLE_FOR_KIND.get(org["kind"]) != role:  # an interpreter service has no users
            raise BadInput("the role '{value}' does not fit organisation '{org}' ({kind_of_org})", value=role, org=org_id,
                           kind_of_org=org["kind"])
        if uow.directory.user(user_id) is not None:
            raise BadInput("user '{user}' exists already", user=user_id)
        first = not uow.directory.any_user()
        uow.directory.add_user(user_id, role, org_id)
        added = {"users_added": [{"id": user_id, "role": role, "org": org_id}]}
        # the first user: the directory as it stood, loaded while nobody could be named, is recorded as theirs
        detail = {"first": True, **directory_changes(None, uow.directory.load()), **added} if first else added
        record_directory(uow, user_id if first else acting_user, detail, now=app.clock.now(),
                         recorded_at=app.clock.real())
        uow.commit()
    return {"id": user_id, "role": role, "org": org_id}


def store_directory(uow, directory: Directory, *, demo_users: bool) -> list[dict]:
    """Load a region's organisations (and, for the demo, an admin and one user per organisation), and
    commit; the users added."""
    added = put_directory(uow, directory, demo_users=demo_users)
    uow.commit()
    return added


def put_directory(uow, directory: Directory, *, demo_users: bool) -> list[dict]:
    """The same, in the unit of work, not committed."""
    uow.directory.replace(directory)
    added = []
    if demo_users:
        coordinator = directory.of_kind("coordinator")[0]
        wanted = [("admin", "admin", coordinator.id)] + [(org.id, ROLE_FOR_KIND[org.kind], org.id)
                                                         for org in directory.organisations if org.kind in ROLE_FOR_KIND]
        for user_id, role, org_id in wanted:
            if uow.directory.user(user_id) is None:
                uow.directory.add_user(user_id, role, org_id)
                added.append({"id": user_id, "role": role, "org": org_id})
    return added


def record_directory(uow, user_id: str, detail: dict, *, now, recorded_at) -> None:
    """A change of the directory (organisations, the region, users) in the audit trail, with what
    changed; without a case."""
    uow.audit.record(AuditEntry(None, "directory", None, now, recorded_at, user_id, detail))
