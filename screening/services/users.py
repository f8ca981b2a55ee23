"""Who is acting, and the directory they act in: organisations, users, a region's directory."""

from __future__ import annotations

from screening import access
from screening.directory import ROLE_FOR_KIND, ROLES, Directory
from screening.errors import BadInput, NotFound
from screening.model import Actor


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
        uow.directory.add_user(user_id, role, org_id)
        uow.commit()
    return {"id": user_id, "role": role, "org": org_id}


def store_directory(uow, directory: Directory, *, demo_users: bool) -> int:
    """Load a region's organisations (and, for the demo, an admin and one user per organisation)."""
    uow.directory.replace(directory)
    if demo_users:
        coordinator = directory.of_kind("coordinator")[0]
        if uow.directory.user("admin") is None:
            uow.directory.add_user("admin", "admin", coordinator.id)
        for org in directory.organisations:
            if org.kind in ROLE_FOR_KIND and uow.directory.user(org.id) is None:
                uow.directory.add_user(org.id, ROLE_FOR_KIND[org.kind], org.id)
    uow.commit()
    return len(directory.organisations)
