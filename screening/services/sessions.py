"""Sessions on the server: a browser holds 32 random bytes, the table their SHA-256. A session ends
after an idle period, after its absolute lifetime (settings), at sign-out, and when its user is
disabled or their factor reset. Every sign-in starts a new one (no fixation).

A session of a local account that is not yet set up (no confirmed second factor, or a one-time
password) may only set it up: `current` says which step is missing, from the account as it is at
each request (nothing about it is kept in the session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from screening import accounts as rules
from screening.model import Actor, AuditEntry

TOUCH_EVERY = timedelta(minutes=1)  # how exactly the idle time is kept


def start(app, user_id: str) -> dict:
    """A new session for a user who has just proved who they are (a local sign-in, the identity
    provider): `{"session", "csrf"}`, the id given once."""
    with app.uow() as uow:
        started = start_in(uow, user_id, app.clock.now())
        uow.commit()
    return started


def start_in(uow, user_id: str, now) -> dict:
    token = rules.new_session_id()
    uow.sessions.add(rules.session_hash(token), user_id, now)
    return {"session": token, "csrf": rules.csrf_token(token)}


@dataclass(frozen=True)
class Current:
    """A session still open: its person, the step their local account must take before anything else
    ("totp", "password"; None: none), and how pages name them and their organisation."""

    actor: Actor
    setup: str | None
    name: str | None
    org_name: str | None
    language: str | None = None  # the pages' language the person chose (None: the browser's)


def resume(app, token: str | None) -> Actor | None:
    """The person of a session still open (its last use noted now), or None: unknown, signed out, idle
    too long, past its lifetime, or its user disabled. (Whether the session may only set its account
    up: `current`.)"""
    found = current(app, token)
    return found.actor if found else None


def current(app, token: str | None) -> Current | None:
    """The session still open (its last use noted now) with its person and the set-up step their local
    account still needs, or None: unknown, signed out, idle too long, past its lifetime, or its user
    disabled."""
    if not token:
        return None
    now = app.clock.now()
    with app.uow() as uow:
        session = uow.sessions.get(rules.session_hash(token))
        if session is None or session["revoked_at"] is not None:
            return None
        if now - session["last_seen_at"] > app.settings.session_idle or \
                now - session["created_at"] > app.settings.session_lifetime:
            return None
        person = uow.directory.actor(session["user_id"])
        if person is None or person.get("disabled_at") is not None:
            return None
        setup = rules.setup_step(uow.accounts.get(session["user_id"]))
        org = uow.directory.organisation(person["org_id"]) or {}
        if now - session["last_seen_at"] >= TOUCH_EVERY:  # not a write for every request
            uow.sessions.touch(session["id_hash"], now)
            uow.commit()
    actor = Actor(person["id"], person["role"], person["org_id"], person["kind"], person["municipality"])
    return Current(actor, setup, person.get("name"), org.get("name"), person.get("language"))


def end(app, token: str | None) -> None:
    """Sign-out: the session ends on the server (its cookie is worth nothing after). Audited."""
    if not token:
        return
    now = app.clock.now()
    with app.uow() as uow:
        session = uow.sessions.get(rules.session_hash(token))
        if session is None or session["revoked_at"] is not None:
            return
        uow.sessions.revoke(session["id_hash"], now)
        uow.audit.record(AuditEntry(None, "signout", None, now, app.clock.real(), session["user_id"]))
        uow.commit()


def end_all(uow, user_id: str, now) -> int:
    """Every session of the user ended (the user disabled): in the caller's unit of work; how many."""
    return uow.sessions.revoke_user(user_id, now)


def check_csrf(token: str | None, given: str | None) -> bool:
    """Whether a state-changing request from the session carries its CSRF token (constant time)."""
    return bool(token) and rules.csrf_matches(token, given)
