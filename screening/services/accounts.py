"""Local accounts: a password (Argon2id) AND a TOTP code or a one-time recovery code; lock-out after
repeated failures; an admin resets a lost factor. Sign-in gives one answer for every failure, and
verifies a password hash every time (a dummy one for an unknown user): no user is told apart.

The first sign-in, and the one after an admin's reset of the factor: an admin gives a one-time
password; an account with one and no confirmed factor signs in with it alone, to a session that may
only set the account up (`screening.accounts.setup_step`: enrol the factor, then a password of one's
own). The TOTP secret is kept encrypted (`screening.accounts.seal_secret`) under the deployment's
secrets key (SCREENING_SECRETS_KEY); a simulation database without one uses `DEMO_SECRETS_KEY`."""

from __future__ import annotations

from screening import access, clock
from screening import accounts as rules
from screening.errors import BadInput, NotFound, Refused
from screening.model import Actor, AuditEntry

AUDITED = ("signin", "signin_failed", "locked", "signout", "password", "totp", "factor_reset")  # migration 0023
# The key a simulation database's TOTP secrets are sealed with when SCREENING_SECRETS_KEY is unset:
# known to everyone who reads this, so never one for real data (a real database refuses to go without a key).
DEMO_SECRETS_KEY = b"screening simulation: a demo key known to all, never for real use"


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


def change_password(app, actor: Actor, current: str, new: str) -> dict:
    """A person changes their own password, proving the current one (a one-time one included): the new
    one follows the policy and differs from it. Audited, never a password."""
    rules.check_password(new, actor.user_id)
    with app.uow() as uow:
        account = uow.accounts.get(actor.user_id)
    if not rules.verify_password(account["password_hash"] if account else None, current):
        raise Refused("the current password is wrong")
    if current == new:
        raise BadInput("the new password must differ from the current one")
    return set_password(app, actor, actor.user_id, new)


def enrol_totp(app, actor: Actor, user_id: str, *, keep: bool = False) -> dict:
    """A new TOTP secret for the user (themselves, or an admin at the terminal with them): the otpauth URI
    for their authenticator app and the secret to type in. Not in force until `confirm_totp` is given a
    right code. `keep`: a secret waiting to be confirmed is given again instead (a page shown twice).
    Refused while a confirmed factor exists (an admin resets it first), and on a database for real use
    without SCREENING_SECRETS_KEY (the secret is kept encrypted)."""
    if actor.user_id != user_id:
        access.require_command(actor, "user_admin")
    key = secrets_key(app)
    now = app.clock.now()
    with app.uow() as uow:
        account = _account(uow, user_id, now)
        if account["totp_confirmed_at"] is not None:
            raise Refused("user '{user}' has a second factor already; an admin resets it first", user=user_id)
        secret = rules.open_secret(key, user_id, account["totp_secret"]) if keep else None
        if secret is None:
            secret = rules.new_totp_secret()
            account.update(totp_secret=rules.seal_secret(key, user_id, secret), totp_last_step=None, changed_at=now)
            uow.accounts.put(account)
            uow.commit()
    return {"user": user_id, "uri": rules.totp_uri(secret, user_id), "secret": secret}


def confirm_totp(app, actor: Actor, user_id: str, code: str) -> dict:
    """The first code from the authenticator app: right, the factor is in force, and the user's ten
    one-time recovery codes are made and returned (shown once; only their hashes are kept)."""
    if actor.user_id != user_id:
        access.require_command(actor, "user_admin")
    key = secrets_key(app)
    now = app.clock.now()
    with app.uow() as uow:
        account = uow.accounts.get(user_id)
        secret = rules.open_secret(key, user_id, account["totp_secret"]) if account else None
        if secret is None or account["totp_confirmed_at"] is not None:
            raise Refused("user '{user}' has no second factor waiting to be confirmed", user=user_id)
        step = rules.totp_step(secret, code, now, account["totp_last_step"])
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
    """The password AND a code of the authenticator app (or an unused recovery code); or, for an account
    with a one-time password and no confirmed factor yet, that password alone, for a session that may
    only set the account up. Any failure is one answer (`SignInFailed`), counted; enough of them in a
    row lock the account for a while (the failures and the lock in the audit trail). On success a new
    session starts: `{"user", "session", "csrf", "must_change_password", "setup"}`, `setup` the step the
    account must take first ("totp", "password") or None."""
    from screening.services import sessions

    key = secrets_key(app)  # the same for every user: a server without its key tells nobody apart
    now = app.clock.now()
    with app.uow() as uow:
        account = uow.accounts.get(user_id)
        person = uow.directory.actor(user_id) if account is not None else None
        right_password = rules.verify_password(account["password_hash"] if account else None, password)
        if account is None or person is None:
            raise _refused()
        locked = account["locked_until"] is not None and account["locked_until"] > now
        step = used_code = None
        open_to = right_password and not locked and not _disabled(person)
        first = open_to and account["totp_confirmed_at"] is None and account["password_temporary"]
        if open_to and account["totp_confirmed_at"] is not None:
            secret = rules.open_secret(key, user_id, account["totp_secret"])
            step = rules.totp_step(secret, code, now, account["totp_last_step"]) if secret else None
            if step is None:
                used_code = uow.accounts.use_code(user_id, rules.recovery_hash(code), now)
        if locked or not (step is not None or used_code or first):
            _failed(uow, app, account, now, locked=locked)
            raise _refused()
        if rules.needs_rehash(account["password_hash"]):
            account["password_hash"] = rules.hash_password(password)
        account.update(failures=0, locked_until=None, totp_last_step=step or account["totp_last_step"])
        uow.accounts.put(account)
        detail = {"recovery_code": True, "codes_left": uow.accounts.codes_left(user_id)} if used_code else None
        setup = rules.setup_step(account)
        if setup is not None:
            detail = {**(detail or {}), "setup": setup}
        _audit(uow, app, "signin", user_id, detail)
        started = sessions.start_in(uow, user_id, now)
        uow.commit()
    return {"user": user_id, **started, "must_change_password": account["password_temporary"], "setup": setup}


def reset_factor(app, actor: Actor, user_id: str) -> dict:
    """An admin resets a user's lost second factor: the TOTP secret and the recovery codes go, the lock
    is lifted, every session of the user ends, and a new one-time password is made (returned once, for
    the admin to hand over in person: a password alone, perhaps known to someone else, never enrols a
    new factor). The user signs in with it, enrols again, then sets a password of their own. Audited."""
    access.require_command(actor, "user_admin")
    now = app.clock.now()
    with app.uow() as uow:
        account = uow.accounts.get(user_id)
        if account is None:
            if uow.directory.user(user_id) is None:
                raise NotFound("unknown user '{user}'", user=user_id)
            raise Refused("user '{user}' has no local account", user=user_id)
        password = rules.new_password()
        account.update(totp_secret=None, totp_confirmed_at=None, totp_last_step=None, failures=0, locked_until=None,
                       password_hash=rules.hash_password(password), password_temporary=True, changed_at=now)
        uow.accounts.put(account)
        uow.accounts.replace_codes(user_id, [])
        ended = uow.sessions.revoke_user(user_id, now)
        _audit(uow, app, "factor_reset", actor.user_id, {"user": user_id, "sessions_ended": ended})
        uow.commit()
    return {"user": user_id, "sessions_ended": ended, "password": password}


def locked(app, actor: Actor) -> list[dict]:
    """The local accounts locked now, and until when (admin)."""
    access.require_command(actor, "user_admin")
    with app.uow() as uow:
        found = uow.accounts.locked(app.clock.now())
    return [{"user": row["user_id"], "locked_until": clock.local_iso(row["locked_until"])} for row in found]


def secrets_key(app) -> bytes:
    """The key TOTP secrets are sealed with: SCREENING_SECRETS_KEY's; without one, the demo key on a
    simulation database (or an App over a fake unit of work, which holds no real data); else refused."""
    key = app.settings.secrets_key
    if key is not None:
        return key
    if app.unit_of_work is not None or app.simulation:
        return DEMO_SECRETS_KEY
    raise Refused("the second factor's secret is kept encrypted and this server has no key for it: set "
                  "SCREENING_SECRETS_KEY or SCREENING_SECRETS_KEY_FILE (at least 32 characters)")


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
