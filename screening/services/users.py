"""Who is acting, and the directory they act in: organisations, users, a region's directory."""

from __future__ import annotations

import re

from screening import access, clock
from screening.directory import ROLE_FOR_KIND, ROLES, Directory, sound_email
from screening.directory import changes as directory_changes
from screening.errors import BadInput, NotFound, Refused
from screening.model import Actor, AuditEntry
from screening.services import sessions
from screening.text import ID_LIMIT, NAME_LIMIT, check_line

# An HSA-id: the issuing organisation's number with the country's prefix (SE + 10 digits), a hyphen and
# its own part, letters and digits (SE2321000032-abc123); at most 64 characters in all.
HSA_ID = re.compile(r"SE[0-9]{10}-[A-Za-z0-9]{1,31}")


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
    if row.get("disabled_at") is not None:
        raise Refused("the user '{user}' is disabled", user=user_id)
    return Actor(row["id"], row["role"], row["org_id"], row["kind"], row["municipality"])


def organisations(app) -> list[dict]:
    """The directory's organisations (not secret: no actor needed)."""
    with app.reads() as reads:
        return [{k: o[k] for k in ("id", "kind", "name", "municipality")} for o in reads.organisations()]


def list_users(app, actor: Actor) -> list[dict]:
    """Users: the person, their role and organisation, and whether they are disabled (admin)."""
    access.require_command(actor, "user_admin")
    with app.reads() as reads:
        return [user_view(row) for row in reads.users()]


def user_view(row: dict) -> dict:
    """A user as `user list` shows them: id, role, org, the person's name, e-mail, HSA-id and
    `disabled` (when, or None)."""
    return {"id": row["id"], "role": row["role"], "org": row.get("org", row.get("org_id")), "name": row.get("name"),
            "email": row.get("email"), "hsa_id": row.get("hsa_id"),
            "disabled": clock.local_iso(row["disabled_at"]) if row.get("disabled_at") else None}


def person(name: str | None, email: str | None, hsa_id: str | None) -> dict:
    """A person's name, e-mail address and HSA-id as given, checked (BadInput names which is wrong);
    an empty value is none."""
    found = {"name": (name or "").strip(" ") or None, "email": (email or "").strip(" ") or None,
             "hsa_id": (hsa_id or "").strip(" ") or None}  # spaces around dropped; a line break is refused
    if found["name"] is not None:
        try:
            check_line(found["name"], NAME_LIMIT)
        except BadInput as error:
            raise BadInput("the name {error}", error=error) from None
    if found["email"] is not None and not sound_email(found["email"]):
        raise BadInput("bad e-mail address '{email}': one address as name@domain.example, at most 254 characters, "
                       "without a display name or spaces", email=found["email"][:254])
    if found["hsa_id"] is not None and (len(found["hsa_id"]) > ID_LIMIT or not HSA_ID.fullmatch(found["hsa_id"])):
        raise BadInput("bad HSA-id '{hsa_id}': SE, ten digits, a hyphen and up to 31 letters or digits "
                       "(SE2321000032-abc123)", hsa_id=found["hsa_id"][:ID_LIMIT])
    return found


def add_user(app, acting_user: str | None, user_id: str, role: str, org_id: str, *, name: str | None = None,
             email: str | None = None, hsa_id: str | None = None) -> dict:
    """Add a user, a person (their name, e-mail address and HSA-id, each optional); needs an admin, except
    while no user exists (then nobody need be acting)."""
    with app.uow() as uow:
        if uow.directory.any_user():
            if acting_user is None:
                raise NotFound("no acting user: users exist, so an admin must add this one")
            access.require_command(actor_in(uow, acting_user), "user_admin")
        if not user_id or len(user_id) > 64 or not user_id.isprintable() or any(ch.isspace() for ch in user_id):
            raise BadInput("user '{user}': an id is 1-64 characters, without spaces or control characters",
                           user=user_id[:64])
        given = person(name, email, hsa_id)
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
        if given["hsa_id"] is not None and uow.directory.user_by_hsa_id(given["hsa_id"]) is not None:
            raise BadInput("the HSA-id '{hsa_id}' is another user's already", hsa_id=given["hsa_id"])
        first = not uow.directory.any_user()
        uow.directory.add_user(user_id, role, org_id, **given)
        added = {"users_added": [{"id": user_id, "role": role, "org": org_id,
                                  **{k: v for k, v in given.items() if v is not None}}]}
        # the first user: the directory as it stood, loaded while nobody could be named, is recorded as theirs
        detail = {"first": True, **directory_changes(None, uow.directory.load()), **added} if first else added
        record_directory(uow, user_id if first else acting_user, detail, now=app.clock.now(),
                         recorded_at=app.clock.real())
        uow.commit()
    return {"id": user_id, "role": role, "org": org_id, **given}


def disable_user(app, actor: Actor, user_id: str) -> dict:
    """Disable a user (admin): they can no longer act; their sessions end and their API tokens are revoked
    (for good: enabled again, they make new ones). Recorded as a change of the directory, with how many
    sessions ended and tokens were revoked. An admin cannot disable themselves (so that one admin always
    remains)."""
    access.require_command(actor, "user_admin")
    with app.uow() as uow:
        access.require_command(actor_in(uow, actor.user_id), "user_admin")  # still an admin, still enabled
        user = uow.directory.user(user_id)
        if user is None:
            raise NotFound("unknown user '{user}'", user=user_id)
        if user_id == actor.user_id:
            raise Refused("an admin cannot disable themselves: another admin does it")
        if user.get("disabled_at") is not None:
            raise Refused("the user '{user}' is disabled", user=user_id)
        now, real = app.clock.now(), app.clock.real()
        uow.directory.disable_user(user_id, now)
        ended = sessions.end_all(uow, user_id, now)
        revoked = uow.tokens.revoke_user(user_id, real)  # tokens keep the system's time (tokens.py)
        record_directory(uow, actor.user_id, {"users_disabled": [{"id": user_id, "role": user["role"],
                                                                  "org": user["org_id"], "sessions_ended": ended,
                                                                  "tokens_revoked": revoked}]},
                         now=now, recorded_at=real)
        uow.commit()
    return {"id": user_id, "disabled": clock.local_iso(now)}


def set_language(app, actor: Actor, language: str | None) -> dict:
    """The language a person chooses for the pages (sv, en; None: the browser's). Their own only."""
    from screening.sayings import LANGUAGES

    if language is not None and language not in LANGUAGES:
        raise BadInput("the language must be one of {values}, not '{value}'", values=LANGUAGES, value=language)
    with app.uow() as uow:
        actor_in(uow, actor.user_id)  # still a user, still enabled
        uow.directory.set_language(actor.user_id, language)
        uow.commit()
    return {"id": actor.user_id, "language": language}


def store_directory(uow, directory: Directory, *, demo_users: bool) -> list[dict]:
    """Load a region's organisations (and, for the demo, its invented people: an admin and two or three
    users per organisation, `screening.demo_people`), and commit; the users added."""
    added = put_directory(uow, directory, demo_users=demo_users)
    uow.commit()
    return added


def put_directory(uow, directory: Directory, *, demo_users: bool) -> list[dict]:
    """The same, in the unit of work, not committed."""
    from screening.demo_people import people

    uow.directory.replace(directory)
    added = []
    if demo_users:
        for user in people(directory):
            if uow.directory.user(user["id"]) is None:
                uow.directory.add_user(user["id"], user["role"], user["org"], name=user["name"], email=user["email"])
                added.append(user)
    return added


def record_directory(uow, user_id: str, detail: dict, *, now, recorded_at) -> None:
    """A change of the directory (organisations, the region, users) in the audit trail, with what
    changed; without a case."""
    uow.audit.record(AuditEntry(None, "directory", None, now, recorded_at, user_id, detail))
