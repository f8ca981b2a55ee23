"""Local accounts and sessions on the in-memory unit of work: the password policy, enrolment of the
second factor, sign-in with password AND code, replay, recovery codes, lock-out, the admin's reset,
sessions' timeouts and their CSRF token. Every name and password here is invented."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest

from screening import accounts as rules
from screening.errors import BadInput, NotFound, Refused
from screening.model import Actor
from screening.services import accounts, sessions
from screening.services.accounts import SignInFailed
from tests.fakes import Counting, FakeUnitOfWork, fake_app
from tests.unit.test_administration import BUNDLED, load
from tests.unit.test_services import ADMIN, HC, NOW

PASSWORD = "lingon-moln-kastrull-7"
USER = HC.user_id


@pytest.fixture
def uow() -> FakeUnitOfWork:
    fake = FakeUnitOfWork()
    load(fake, None, BUNDLED, demo_users=True)
    return fake


def at(uow, when, **env):
    return fake_app(uow, when, {key: str(value) for key, value in env.items()})


def enrolled(uow, user=USER, when=NOW) -> tuple[pyotp.TOTP, list[str]]:
    """The user with a password and a confirmed TOTP factor: their authenticator, their recovery codes."""
    app = at(uow, when)
    accounts.set_password(app, Actor(user, "health_centre", "hc-lugnvik", "health_centre", None), user, PASSWORD)
    uri = accounts.enrol_totp(app, ADMIN, user)["uri"]
    totp = pyotp.parse_uri(uri)
    codes = accounts.confirm_totp(app, ADMIN, user, totp.at(when))["recovery_codes"]
    return totp, codes


def actions(uow) -> list[str]:
    return [entry.action for entry in uow.committed["audit"] if entry.case_id is None]


# --- the password -------------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["kort-ord-1", "password1234", "Sommaren2026", "x" * 20,
                                      f"{USER}-hemligt", "y" * 1025])
def test_a_short_common_repetitive_or_self_naming_password_is_refused(password):
    with pytest.raises(BadInput):
        rules.check_password(password, USER)


def test_an_admin_sets_a_one_time_password_shown_once_and_never_audited(uow):
    done = accounts.set_password(at(uow, NOW), ADMIN, USER)
    assert done["temporary"] and len(done["password"]) == 20
    stored = uow.committed["accounts"][USER]["password_hash"]
    assert stored.startswith("$argon2id$") and done["password"] not in stored
    assert "password" in actions(uow) and done["password"] not in repr(uow.committed["audit"])


def test_nobody_but_an_admin_sets_another_persons_password(uow):
    with pytest.raises(Refused):
        accounts.set_password(at(uow, NOW), HC, ADMIN.user_id, PASSWORD)
    with pytest.raises(NotFound):
        accounts.set_password(at(uow, NOW), ADMIN, "nobody-here", PASSWORD)


# --- enrolment and sign-in ----------------------------------------------------------------------

def test_enrolment_gives_an_otpauth_uri_and_holds_only_after_a_right_first_code(uow):
    app = at(uow, NOW)
    accounts.set_password(app, HC, USER, PASSWORD)  # their own: a one-time password alone signs in to set up
    uri = accounts.enrol_totp(app, ADMIN, USER)["uri"]
    assert uri.startswith(f"otpauth://totp/Screening:{USER}?secret=")
    with pytest.raises(Refused):
        accounts.confirm_totp(app, ADMIN, USER, "000000" if pyotp.parse_uri(uri).at(NOW) != "000000" else "111111")
    assert uow.committed["accounts"][USER]["totp_confirmed_at"] is None
    with pytest.raises(SignInFailed):  # not confirmed: the password alone is not enough
        accounts.sign_in(app, USER, PASSWORD, "")
    codes = accounts.confirm_totp(app, ADMIN, USER, pyotp.parse_uri(uri).at(NOW))["recovery_codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert not any(code in repr(uow.committed) for code in codes)  # only their hashes are kept
    assert pyotp.parse_uri(uri).secret not in repr(uow.committed["audit"])


def test_a_password_alone_never_signs_in(uow):
    enrolled(uow)
    for code in ("", "000000x", PASSWORD):
        with pytest.raises(SignInFailed):
            accounts.sign_in(at(uow, NOW + timedelta(minutes=1)), USER, PASSWORD, code)


def test_password_and_code_sign_in_with_a_new_session_each_time(uow):
    totp, _ = enrolled(uow)
    first_at, second_at = NOW + timedelta(minutes=1), NOW + timedelta(minutes=2)
    first = accounts.sign_in(at(uow, first_at), USER, PASSWORD, totp.at(first_at))
    second = accounts.sign_in(at(uow, second_at), USER, PASSWORD, totp.at(second_at))
    assert first["session"] != second["session"] and first["csrf"] != second["csrf"]
    assert first["session"] not in repr(uow.committed["sessions"])  # only its hash
    assert sessions.resume(at(uow, second_at), second["session"]).user_id == USER
    assert "signin" in actions(uow)


def test_a_replayed_code_is_refused(uow):
    totp, _ = enrolled(uow)
    when = NOW + timedelta(minutes=5)
    accounts.sign_in(at(uow, when), USER, PASSWORD, totp.at(when))
    with pytest.raises(SignInFailed):
        accounts.sign_in(at(uow, when + timedelta(seconds=10)), USER, PASSWORD, totp.at(when))


def test_a_code_of_the_enrolment_cannot_be_used_again_to_sign_in(uow):
    totp, _ = enrolled(uow)
    with pytest.raises(SignInFailed):
        accounts.sign_in(at(uow, NOW), USER, PASSWORD, totp.at(NOW))


def test_a_recovery_code_works_once(uow):
    _, codes = enrolled(uow)
    when = NOW + timedelta(minutes=3)
    done = accounts.sign_in(at(uow, when), USER, PASSWORD, codes[0].upper())
    assert done["user"] == USER
    with pytest.raises(SignInFailed):
        accounts.sign_in(at(uow, when), USER, PASSWORD, codes[0])
    assert accounts.sign_in(at(uow, when), USER, PASSWORD, codes[1])["user"] == USER


def test_a_recovery_code_with_a_wrong_password_is_not_spent(uow):
    _, codes = enrolled(uow)
    with pytest.raises(SignInFailed):
        accounts.sign_in(at(uow, NOW), USER, "fel-lösenord-helt-och-hållet", codes[0])
    assert accounts.sign_in(at(uow, NOW), USER, PASSWORD, codes[0])["user"] == USER


# --- lock-out -----------------------------------------------------------------------------------

def test_five_failures_lock_the_account_for_fifteen_minutes_then_it_opens(uow):
    totp, _ = enrolled(uow)
    for n in range(5):
        with pytest.raises(SignInFailed):
            accounts.sign_in(at(uow, NOW + timedelta(seconds=n)), USER, "fel-lösenord-nummer-ett", "123456")
    assert actions(uow).count("signin_failed") == 5 and actions(uow).count("locked") == 1
    assert [a["user"] for a in accounts.locked(at(uow, NOW + timedelta(minutes=1)), ADMIN)] == [USER]
    during = NOW + timedelta(minutes=14)
    with pytest.raises(SignInFailed):  # the right password and code, but locked: the same answer
        accounts.sign_in(at(uow, during), USER, PASSWORD, totp.at(during))
    after = NOW + timedelta(minutes=15, seconds=10)
    assert accounts.sign_in(at(uow, after), USER, PASSWORD, totp.at(after))["user"] == USER
    assert accounts.locked(at(uow, after), ADMIN) == []
    with pytest.raises(Refused):
        accounts.locked(at(uow, after), HC)


def test_the_attempts_and_the_lock_are_settings(uow):
    enrolled(uow)
    env = {"SCREENING_SIGNIN_ATTEMPTS": 2, "SCREENING_SIGNIN_LOCK_MINUTES": 60}
    for _ in range(2):
        with pytest.raises(SignInFailed):
            accounts.sign_in(at(uow, NOW, **env), USER, "fel-lösenord-nummer-två", "123456")
    assert uow.committed["accounts"][USER]["locked_until"] == NOW + timedelta(minutes=60)


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer_after_the_same_work(uow, monkeypatch):
    totp, _ = enrolled(uow)
    counting = Counting(rules._hasher)
    monkeypatch.setattr(rules, "_hasher", counting)
    answers = []
    for user, password, code in [("nobody-here", PASSWORD, totp.at(NOW)), (USER, "fel-lösenord-nummer-tre", "1"),
                                 (USER, PASSWORD, "000000"), (ADMIN.user_id, PASSWORD, "123456")]:
        before = counting.verified
        with pytest.raises(SignInFailed) as refused:
            accounts.sign_in(at(uow, NOW + timedelta(minutes=1)), user, password, code)
        answers.append((refused.value.message, refused.value.code, counting.verified - before))
    assert len(set(answers)) == 1 and answers[0][2] == 1


# --- the admin's reset, and the disabled --------------------------------------------------------

def test_an_admin_resets_a_lost_factor_which_ends_the_users_sessions(uow):
    totp, codes = enrolled(uow)
    when = NOW + timedelta(minutes=1)
    session = accounts.sign_in(at(uow, when), USER, PASSWORD, totp.at(when))["session"]
    with pytest.raises(Refused):
        accounts.reset_factor(at(uow, when), HC, USER)
    assert accounts.reset_factor(at(uow, when), ADMIN, USER)["sessions_ended"] == 1
    assert sessions.resume(at(uow, when), session) is None
    later = when + timedelta(minutes=1)
    for code in (totp.at(later), codes[1]):
        with pytest.raises(SignInFailed):
            accounts.sign_in(at(uow, later), USER, PASSWORD, code)
    assert "factor_reset" in actions(uow)
    assert accounts.enrol_totp(at(uow, later), ADMIN, USER)["uri"].startswith("otpauth://")


def test_a_second_enrolment_is_refused_while_a_factor_holds(uow):
    enrolled(uow)
    with pytest.raises(Refused):
        accounts.enrol_totp(at(uow, NOW), ADMIN, USER)


def test_a_disabled_user_neither_signs_in_nor_resumes(uow):
    totp, _ = enrolled(uow)
    when = NOW + timedelta(minutes=1)
    session = accounts.sign_in(at(uow, when), USER, PASSWORD, totp.at(when))["session"]
    uow.committed["users"][USER]["disabled_at"] = when  # as migration 0021's column, when the directory gives it
    assert sessions.resume(at(uow, when), session) is None
    later = when + timedelta(minutes=1)
    with pytest.raises(SignInFailed):
        accounts.sign_in(at(uow, later), USER, PASSWORD, totp.at(later))


# --- sessions -----------------------------------------------------------------------------------

def test_a_session_ends_after_thirty_idle_minutes(uow):
    token = sessions.start(at(uow, NOW), USER)["session"]
    assert sessions.resume(at(uow, NOW + timedelta(minutes=29)), token).user_id == USER
    assert sessions.resume(at(uow, NOW + timedelta(minutes=58)), token).user_id == USER  # touched at 29
    assert sessions.resume(at(uow, NOW + timedelta(minutes=89)), token) is None


def test_a_session_ends_after_twelve_hours_however_busy(uow):
    token = sessions.start(at(uow, NOW), USER)["session"]
    for minutes in range(20, 12 * 60 + 1, 20):
        assert sessions.resume(at(uow, NOW + timedelta(minutes=minutes)), token) is not None
    assert sessions.resume(at(uow, NOW + timedelta(hours=12, minutes=5)), token) is None


def test_the_timeouts_are_settings(uow):
    token = sessions.start(at(uow, NOW), USER)["session"]
    assert sessions.resume(at(uow, NOW + timedelta(minutes=6), SCREENING_SESSION_IDLE_MINUTES=5), token) is None
    with pytest.raises(BadInput):
        sessions.resume(at(uow, NOW, SCREENING_SESSION_HOURS="tolv"), token)


def test_sign_out_ends_the_session_on_the_server(uow):
    token = sessions.start(at(uow, NOW), USER)["session"]
    sessions.end(at(uow, NOW), token)
    assert sessions.resume(at(uow, NOW), token) is None
    assert "signout" in actions(uow)
    assert sessions.resume(at(uow, NOW), "") is None and sessions.resume(at(uow, NOW), "made-up") is None


def test_the_csrf_token_is_the_sessions_own(uow):
    one, other = sessions.start(at(uow, NOW), USER), sessions.start(at(uow, NOW), USER)
    assert sessions.check_csrf(one["session"], one["csrf"])
    assert not sessions.check_csrf(one["session"], other["csrf"])
    assert not sessions.check_csrf(one["session"], None) and not sessions.check_csrf(one["session"], "")
    assert not sessions.check_csrf(None, one["csrf"])
