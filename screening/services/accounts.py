"""Local accounts: a password (Argon2id) AND a TOTP code or a one-time recovery code; lock-out after
repeated failures; an admin resets a lost factor. Sign-in gives one answer for every failure, and
verifies a password hash every time (a dummy one for an unknown user): no user is told apart."""

from __future__ import annotations

from screening import access, clock
from screening import accounts as rules
from screening.errors import NotFound, Refused
from screening.model import Actor, AuditEntry


AUDITED = ("signin", "signin_failed", "locked", "signout", "password", "totp", "factor_reset")  # migration 0023


class SignInFailed(Refused):
    """The same for an unknown user, a wrong password, a wrong or replayed code, a locked or disabled account."""

    code = "signin_failed"


def _refused() -> SignInFailed:
    return SignInFailed("the user, the password or the code is wrong (or the account is locked for a while)")


def set_password(app, actor: Actor, user_id: str, password: str | None = None) -> dict:
    """A user sets their own password; an admin sets another's as a one-time password (made here when
    none is given, and returned once), which its person changes after signing in. Audited, never the password."""
    own = actor.user_id == user_id
    if not own:
        access.require_command(actor, "user_admin")
    made = password is None
    password = rules.new_password() if made else password
    rules.check_password(password, user_id)
    now = app.clock.now()
    with app.uow() as uow:
        account = _account(uow, user_id, now)
        account.update(password_hash=rules.hash_password(password), password_temporary=not own, changed_at=now)
        uow.accounts.put(account)
        _audit(uow, app, "password", actor.user_id, {"user": user_id, "temporary": not own})
        uow.commit()
    return {"user": user_id, "temporary": not own, **({"password": password} if made else {})}


def enrol_totp(app, actor: Actor, user_id: str) -> dict:
    """A new TOTP secret for the user (themselves, or an admin at the terminal with them): the otpauth URI
    for their authenticator app. Not in force until `confirm_totp` is given a right code. Refused while
    a confirmed factor exists: an admin resets it first."""
    if actor.user_id != user_id:
        access.require_command(actor, "user_admin")
    now = app.clock.now()
    with app.uow() as uow:
        account = _account(uow, user_id, now)
        if account["totp_confirmed_at"] is not None:
            raise Refused("user '{user}' has a second factor already; an admin resets it first", user=user_id)
        secret = rules.new_totp_secret()
        account.update(totp_secret=secret, totp_last_step=None, changed_at=now)
        uow.accounts.put(account)
        uow.commit()
    return {"user": user_id, "uri": rules.totp_uri(secret, user_id)}


def confirm_totp(app, actor: Actor, user_id: str, code: str) -> dict:
    """The first code from the authenticator app: right, the factor is in force, and the user's ten
    one-time recovery codes are made and returned (shown once; only their hashes are kept)."""
    if actor.user_id != user_id:
        access.require_command(actor, "user_admin")
    now = app.clock.now()
    with app.uow() as uow:
        account = uow.accounts.get(user_id)
        if account is None or account["totp_secret"] is None or account["totp_confirmed_at"] is not None:
            raise Refused("user '{user}' has no second factor waiting to be confirmed", user=user_id)
        step = rules.totp_step(account["totp_secret"], code, now, account["totp_last_step"])
        if step is None:
            raise Refused("the code is wrong: give the one the app shows now")
        codes = rules.new_recovery_codes()
        account.update(totp_confirmed_at=now, totp_last_step=step, changed_at=now)
        uow.accounts.put(account)
        uow.accounts.replace_codes(user_id, [rules.recovery_hash(c) for c in codes])
        _audit(uow, app, "totp", actor.user_id, {"user": user_id})
        uow.commit()
    return {"user": user_id, "recovery_codes": codes}


def sign_in(app, user_id: str, password: str, code: str) -> dict:
    """The password AND a code of the authenticator app (or an unused recovery code). Any failure is
    one answer (`SignInFailed`), counted; enough of them in a row lock the account for a while (the
    failures and the lock in the audit trail). On success a new session starts: `{"user", "session",
    "csrf", "must_change_password"}`."""
    from screening.services import sessions

    now = app.clock.now()
    with app.uow() as uow:
        account = uow.accounts.get(user_id)
        person = uow.directory.actor(user_id) if account is not None else None
        right_password = rules.verify_password(account["password_hash"] if account else None, password)
        if account is None or person is None:
            raise _refused()
        locked = account["locked_until"] is not None and account["locked_until"] > now
        step = used_code = None
        if right_password and not locked and not _disabled(person) and account["totp_confirmed_at"] is not None:
            step = rules.totp_step(account["totp_secret"], code, now, account["totp_last_step"])
            if step is None:
                used_code = uow.accounts.use_code(user_id, rules.recovery_hash(code), now)
        if locked or not (step is not None or used_code):
            _failed(uow, app, account, now, locked=locked)
            raise _refused()
        if rules.needs_rehash(account["password_hash"]):
            account["password_hash"] = rules.hash_password(password)
        account.update(failures=0, locked_until=None, totp_last_step=step or account["totp_last_step"])
        uow.accounts.put(account)
        detail = {"recovery_code": True, "codes_left": uow.accounts.codes_left(user_id)} if used_code else None
        _audit(uow, app, "signin", user_id, detail)
        started = sessions.start_in(uow, user_id, now)
        uow.commit()
    return {"user": user_id, **started, "must_change_password": account["password_temporary"]}


def reset_factor(app, actor: Actor, user_id: str) -> dict:
    """An admin resets a user's lost second factor: the TOTP secret and the recovery codes go, the lock
    is lifted, and every session of the user ends. The user enrols again (`enrol_totp`). Audited."""
    access.require_command(actor, "user_admin")
    now = app.clock.now()
    with app.uow() as uow:
        account = uow.accounts.get(user_id)
        if account is None:
            if uow.directory.user(user_id) is None:
                raise NotFound("unknown user '{user}'", user=user_id)
            raise Refused("user '{user}' has no local account", user=user_id)
        account.update(totp_secret=None, totp_confirmed_at=None, totp_last_step=None, failures=0, locked_until=None,
                       changed_at=now)
        uow.accounts.put(account)
        uow.accounts.replace_codes(user_id, [])
        ended = uow.sessions.revoke_user(user_id, now)
        _audit(uow, app, "factor_reset", actor.user_id, {"user": user_id, "sessions_ended": ended})
        uow.commit()
    return {"user": user_id, "sessions_ended": ended}


def locked(app, actor: Actor) -> list[dict]:
    """The local accounts locked now, and until when (admin)."""
    access.require_command(actor, "user_admin")
    with app.uow() as uow:
        found = uow.accounts.locked(app.clock.now())
    return [{"user": row["user_id"], "locked_until": clock.local_iso(row["locked_until"])} for row in found]


def _failed(uow, app, account: dict, now, *, locked: bool) -> None:
    """A failure counted and audited (committed: the caller raises after); the lock when they are enough."""
    user_id = account["user_id"]
    if locked:
        _audit(uow, app, "signin_failed", user_id, {"locked": True})
    else:
        failures = account["failures"] + 1
        account["failures"] = failures
        _audit(uow, app, "signin_failed", user_id, {"failures": failures})
        if failures >= app.settings.signin_attempts:
            account.update(failures=0, locked_until=now + app.settings.signin_lock)
            _audit(uow, app, "locked", user_id, {"until": account["locked_until"].isoformat(), "failures": failures})
        uow.accounts.put(account)
    uow.commit()


def _disabled(person: dict) -> bool:
    return person.get("disabled_at") is not None


def _account(uow, user_id: str, now) -> dict:
    account = uow.accounts.get(user_id)
    if account is not None:
        return account
    if uow.directory.user(user_id) is None:
        raise NotFound("unknown user '{user}'", user=user_id)
    return {"user_id": user_id, "password_hash": None, "password_temporary": False, "totp_secret": None,
            "totp_confirmed_at": None, "totp_last_step": None, "failures": 0, "locked_until": None, "changed_at": now}


def _audit(uow, app, action: str, user_id: str, detail: dict | None) -> None:
    uow.audit.record(AuditEntry(None, action, None, app.clock.now(), app.clock.real(), user_id, detail))
