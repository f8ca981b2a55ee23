"""Personal API tokens: made for a person (by them, or by an admin), listed, revoked; and the person a
token names, for the server (`authenticate`).

A token is `scr_<id>_<secret>`: the id is public and finds the row, the secret is 32 random bytes of
which only the SHA-256 is stored; it is shown once, when made. Tokens keep the system's time (the
server's), whatever clock a simulation is at. Made and revoked tokens are in the audit trail (the id
and the person, never the secret); a use is not (the reads and changes it makes are).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from screening import access, clock
from screening.errors import BadInput, NotFound, NotSignedIn
from screening.model import Actor, AuditEntry

PREFIX = "scr"
DEFAULT_DAYS = 90
MAX_DAYS = 365
TOUCH_EVERY = timedelta(minutes=5)  # last_used_at is written at most this often (a write per request is costly)
_NOBODY = hashlib.sha256(b"").hexdigest()  # compared against when the id is unknown: the same work either way


def create(app, actor: Actor, user_id: str | None = None, days: int = DEFAULT_DAYS) -> dict:
    """A new token for `user_id` (default: the actor; another person's: an admin only), valid `days` days.
    The token itself is in the result, and nowhere else ever again."""
    user_id = user_id or actor.user_id
    if not 1 <= days <= MAX_DAYS:
        raise BadInput("a token is valid 1 to {max} days, not {value}", max=MAX_DAYS, value=days)
    if user_id != actor.user_id:
        access.require_command(actor, "token_admin")
    token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    made = app.clock.real()
    expires = made + timedelta(days=days)
    with app.uow() as uow:
        if uow.directory.user(user_id) is None:
            raise NotFound("unknown user '{user}'", user=user_id)
        uow.tokens.add(token_id, user_id, _digest(secret), made, actor.user_id, expires)
        uow.audit.record(AuditEntry(None, "token_created", None, app.clock.now(), made, actor.user_id,
                                    {"token": token_id, "user": user_id, "expires_at": clock.local_iso(expires)}))
        uow.commit()
    return {"id": token_id, "user": user_id, "expires_at": clock.local_iso(expires),
            "token": f"{PREFIX}_{token_id}_{secret}"}


def listing(app, actor: Actor) -> list[dict]:
    """The actor's tokens (an admin: everyone's), newest first; never a secret or its hash."""
    everyone = actor.role in access.COMMANDS["token_admin"]
    with app.uow() as uow:
        rows = uow.tokens.listing(None if everyone else actor.user_id)
    now = app.clock.real()
    return [_view(row, now) for row in rows]


def revoke(app, actor: Actor, token_id: str) -> dict:
    """Revoke a token: the actor's own, or any (an admin). Another's is answered as an unknown one."""
    now = app.clock.real()
    with app.uow() as uow:
        row = uow.tokens.get(token_id)
        if row is None or (row["user_id"] != actor.user_id and actor.role not in access.COMMANDS["token_admin"]):
            raise NotFound("unknown token '{token}'", token=token_id)
        if row["revoked_at"] is None:
            uow.tokens.revoke(token_id, now)
            uow.audit.record(AuditEntry(None, "token_revoked", None, app.clock.now(), now, actor.user_id,
                                        {"token": token_id, "user": row["user_id"]}))
            uow.commit()
            row = uow.tokens.get(token_id)
    return _view(row, now)


def authenticate(app, token: str | None) -> Actor:
    """The person a token names, as an Actor; NotSignedIn for no token, or one malformed, unknown,
    expired, revoked, or whose person is disabled (all answered alike)."""
    prefix, token_id, secret = _parts(token)
    now = app.clock.real()
    with app.uow() as uow:
        row = uow.tokens.get(token_id) if prefix == PREFIX else None
        matches = hmac.compare_digest(row["hash"] if row else _NOBODY, _digest(secret))
        if row is None or not matches or row["revoked_at"] is not None or row["expires_at"] <= now:
            raise NotSignedIn("not signed in: give a valid personal token (Authorization: Bearer)")
        user = uow.directory.user(row["user_id"])
        if user is None or user.get("disabled_at") is not None:
            raise NotSignedIn("not signed in: give a valid personal token (Authorization: Bearer)")
        if row["last_used_at"] is None or now - row["last_used_at"] >= TOUCH_EVERY:
            uow.tokens.used(token_id, now)
            uow.commit()
        from screening.services.users import actor_in

        return actor_in(uow, row["user_id"])


def _parts(token: str | None) -> tuple[str, str, str]:
    prefix, _, rest = (token or "").partition("_")
    token_id, _, secret = rest.partition("_")
    return prefix, token_id, secret


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "replace")).hexdigest()


def _view(row: dict, now) -> dict:
    state = ("revoked" if row["revoked_at"] is not None else "expired" if row["expires_at"] <= now else "active")
    return {"id": row["id"], "user": row["user_id"], "state": state, "created_by": row["created_by"],
            **{name: clock.local_iso(row[name]) for name in ("created_at", "expires_at", "revoked_at", "last_used_at")}}


def person(app, actor: Actor) -> dict:
    """Who is acting: `{"id", "name", "role", "org"}` (the name once users are people; else None)."""
    with app.uow() as uow:
        user = uow.directory.user(actor.user_id) or {}
    return {"id": actor.user_id, "name": user.get("name"), "role": actor.role, "org": actor.org_id}
