"""Sign-in drills on SQLite and PostgreSQL (issue 18): a password alone for a TOTP account, a replayed
code, a recovery code twice, lock-out and its expiry, an unknown user told apart from a wrong password
(by the answer or the work done), sessions past their idle or absolute timeout, fixation, sign-out,
CSRF; the TOTP secret encrypted at rest (bound to its user, useless under another key, refused on a
real database without one); the admin's reset handing out a one-time password. Every name and password
is invented; the clock is set (the database is a simulation, except where a real one is the point)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pyotp
import pytest

from screening import accounts as rules
from screening.bootstrap import App, Clock
from screening.model import Actor
from screening.services import accounts, sessions, users
from screening.services.accounts import SignInFailed
from screening.settings import Settings
from screening.storage.unit_of_work import SqlUnitOfWork
from tests.fakes import Counting

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
PASSWORD = "blåbär-regnrock-fyrtorn-3"
WRONG = "fel-lösenord-som-är-långt"


class Site:
    """The demo database, its admin and a health-centre user with a local account, at a set time."""

    def __init__(self, url: str):
        self.url = url
        with self.app(NOW).reads() as reads:
            found = reads.users()
        self.admin = users.identify(self.app(NOW), next(u["id"] for u in found if u["role"] == "admin"))
        self.user = next(u["id"] for u in found if u["role"] == "health_centre")
        accounts.set_password(self.app(NOW), Actor(self.user, "health_centre", "", "", None), self.user, PASSWORD)
        uri = accounts.enrol_totp(self.app(NOW), self.admin, self.user)["uri"]
        self.totp = pyotp.parse_uri(uri)
        self.codes = accounts.confirm_totp(self.app(NOW), self.admin, self.user, self.totp.at(NOW))["recovery_codes"]

    def app(self, when: datetime, **env) -> App:
        return App(self.url, Settings({k: str(v) for k, v in env.items()}), Clock(when, lambda: when))

    def sign_in(self, when: datetime, password: str = PASSWORD, code: str | None = None, user: str | None = None):
        return accounts.sign_in(self.app(when), user or self.user, password,
                                self.totp.at(when) if code is None else code)

    def audit_actions(self) -> list[str]:
        with SqlUnitOfWork(self.url) as uow:
            return [row["action"] for row in uow.audit.administration(accounts.AUDITED)]


@pytest.fixture
def site(demo_db) -> Site:
    return Site(demo_db)


def test_the_password_alone_is_refused_for_a_totp_account(site):
    for code in ("", "      ", PASSWORD):
        with pytest.raises(SignInFailed):
            site.sign_in(NOW + timedelta(minutes=1), code=code)
    assert site.sign_in(NOW + timedelta(minutes=1))["user"] == site.user


def test_a_replayed_totp_code_is_refused(site):
    when = NOW + timedelta(minutes=2)
    site.sign_in(when)
    with pytest.raises(SignInFailed):
        site.sign_in(when + timedelta(seconds=5), code=site.totp.at(when))


def test_a_recovery_code_works_once(site):
    when = NOW + timedelta(minutes=1)
    assert site.sign_in(when, code=site.codes[3])["user"] == site.user
    with pytest.raises(SignInFailed):
        site.sign_in(when, code=site.codes[3])
    with SqlUnitOfWork(site.url) as uow:
        assert uow.accounts.codes_left(site.user) == 9


def test_the_lock_out_works_is_audited_and_expires(site):
    for n in range(5):
        with pytest.raises(SignInFailed):
            site.sign_in(NOW + timedelta(seconds=30 * n), password=WRONG)
    locked_at = NOW + timedelta(minutes=3)
    with pytest.raises(SignInFailed):  # the right password and code: still locked
        site.sign_in(locked_at)
    assert [a["user"] for a in accounts.locked(site.app(locked_at), site.admin)] == [site.user]
    trail = site.audit_actions()
    assert trail.count("signin_failed") == 6 and trail.count("locked") == 1
    with SqlUnitOfWork(site.url) as uow:
        details = repr(uow.audit.administration(accounts.AUDITED))
    assert PASSWORD not in details and WRONG not in details and site.totp.secret not in details
    opened = NOW + timedelta(minutes=2, seconds=15 + 15 * 60)
    assert site.sign_in(opened)["user"] == site.user


def test_an_unknown_user_and_a_wrong_password_are_answered_alike(site, monkeypatch):
    counting = Counting(rules._hasher)
    monkeypatch.setattr(rules, "_hasher", counting)
    when = NOW + timedelta(minutes=1)
    answers, fastest = [], []
    for user, password in [("ingen-sådan-person", PASSWORD), (site.user, WRONG), (site.admin.user_id, PASSWORD)]:
        times = []
        for _ in range(3):  # below the lock's five
            before, started = counting.verified, time.perf_counter()
            with pytest.raises(SignInFailed) as refused:
                site.sign_in(when, password=password, user=user)
            times.append(time.perf_counter() - started)
            answers.append((refused.value.code, refused.value.message, counting.verified - before))
        fastest.append(min(times))
    assert len(set(answers)) == 1 and answers[0][2] == 1  # one Argon2id verification each, the dummy's too
    assert max(fastest) < 2 * min(fastest)  # coarse: the hash's time dominates, not the lookup's


def test_sessions_end_when_idle_and_at_their_lifetime(site):
    token = sessions.start(site.app(NOW), site.user)["session"]
    assert sessions.resume(site.app(NOW + timedelta(minutes=25)), token).user_id == site.user
    assert sessions.resume(site.app(NOW + timedelta(minutes=56)), token) is None  # 31 min idle
    busy = sessions.start(site.app(NOW), site.user)["session"]
    for minutes in range(25, 12 * 60, 25):
        assert sessions.resume(site.app(NOW + timedelta(minutes=minutes)), busy) is not None
    assert sessions.resume(site.app(NOW + timedelta(hours=12, minutes=1)), busy) is None


def test_sign_in_always_starts_a_new_session_and_sign_out_ends_it(site):
    first = site.sign_in(NOW + timedelta(minutes=1))
    second = site.sign_in(NOW + timedelta(minutes=2))
    assert first["session"] != second["session"]
    with SqlUnitOfWork(site.url) as uow:  # the table holds the id's hash, never the id
        assert uow.sessions.get(first["session"]) is None
        assert uow.sessions.get(rules.session_hash(first["session"]))["user_id"] == site.user
    sessions.end(site.app(NOW + timedelta(minutes=3)), first["session"])
    assert sessions.resume(site.app(NOW + timedelta(minutes=3)), first["session"]) is None
    assert sessions.resume(site.app(NOW + timedelta(minutes=3)), second["session"]).user_id == site.user
    assert "signout" in site.audit_actions()


def test_the_factor_reset_ends_every_session_of_the_user(site):
    session = site.sign_in(NOW + timedelta(minutes=1))["session"]
    accounts.reset_factor(site.app(NOW + timedelta(minutes=2)), site.admin, site.user)
    assert sessions.resume(site.app(NOW + timedelta(minutes=2)), session) is None
    with pytest.raises(SignInFailed):
        site.sign_in(NOW + timedelta(minutes=3))
    assert "factor_reset" in site.audit_actions()


def test_a_request_without_the_sessions_csrf_token_is_refused(site):
    one, other = (sessions.start(site.app(NOW), site.user) for _ in range(2))
    assert sessions.check_csrf(one["session"], one["csrf"])
    for given in (None, "", other["csrf"], one["csrf"][:-1], one["session"]):
        assert not sessions.check_csrf(one["session"], given)


def test_a_disabled_user_neither_signs_in_nor_keeps_a_session(site):
    session = site.sign_in(NOW + timedelta(minutes=1))["session"]
    users.disable_user(site.app(NOW + timedelta(minutes=2)), site.admin, site.user)
    assert sessions.resume(site.app(NOW + timedelta(minutes=3)), session) is None
    with pytest.raises(SignInFailed):
        site.sign_in(NOW + timedelta(minutes=4))


def test_the_totp_secret_is_kept_encrypted_and_opens_for_its_own_user_only(site):
    import base64

    with SqlUnitOfWork(site.url) as uow:
        stored = uow.accounts.get(site.user)["totp_secret"]
    raw = base64.b32decode(site.totp.secret)
    assert stored.startswith("v1:") and len(stored) <= 64
    assert site.totp.secret not in stored and site.totp.secret.lower() not in stored.lower()
    assert raw.hex() not in stored and base64.b64encode(raw).decode() not in stored
    assert rules.open_secret(accounts.DEMO_SECRETS_KEY, site.user, stored) == site.totp.secret
    assert rules.open_secret(accounts.DEMO_SECRETS_KEY, site.admin.user_id, stored) is None
    with pytest.raises(SignInFailed):  # the right code under another key: the secret does not open
        accounts.sign_in(site.app(NOW + timedelta(minutes=1), SCREENING_SECRETS_KEY="k" * 40), site.user, PASSWORD,
                         site.totp.at(NOW + timedelta(minutes=1)))
    # the row copied to another person (who knows their own password) gives them nothing
    other = site.admin.user_id
    accounts.set_password(site.app(NOW), site.admin, other, "granskog-vinterväg-kaffe-9")
    with SqlUnitOfWork(site.url) as uow:
        account = uow.accounts.get(other)
        account.update(totp_secret=stored, totp_confirmed_at=NOW, password_temporary=False)
        uow.accounts.put(account)
        uow.commit()
    with pytest.raises(SignInFailed):
        accounts.sign_in(site.app(NOW + timedelta(minutes=2)), other, "granskog-vinterväg-kaffe-9",
                         site.totp.at(NOW + timedelta(minutes=2)))


def test_a_real_database_enrols_a_factor_only_under_the_deployments_secrets_key(db_url):
    from screening.directory import load_directory
    from screening.errors import BadInput, Refused
    from screening.services.users import store_directory
    from screening.storage import migrate

    migrate.upgrade(db_url)  # not a simulation: the system's clock, no demo key
    with SqlUnitOfWork(db_url) as uow:
        store_directory(uow, load_directory(None), demo_users=True)
    real = App(db_url, Settings({}), Clock())
    admin = users.identify(real, "admin")
    with pytest.raises(Refused, match="SCREENING_SECRETS_KEY"):
        accounts.enrol_totp(real, admin, "hc-lugnvik")
    with pytest.raises(BadInput, match="at least 32"):
        accounts.enrol_totp(App(db_url, Settings({"SCREENING_SECRETS_KEY": "kort"}), Clock()), admin, "hc-lugnvik")
    keyed = App(db_url, Settings({"SCREENING_SECRETS_KEY": "en-nyckel-som-bara-servern-har-0123456789"}), Clock())
    made = accounts.enrol_totp(keyed, admin, "hc-lugnvik")
    with SqlUnitOfWork(db_url) as uow:
        stored = uow.accounts.get("hc-lugnvik")["totp_secret"]
    assert made["secret"] not in stored
    assert rules.open_secret(accounts.DEMO_SECRETS_KEY, "hc-lugnvik", stored) is None  # not the demo key's


def test_the_admins_reset_of_a_factor_hands_out_a_one_time_password_for_the_set_up_only(site):
    when = NOW + timedelta(minutes=1)
    reset = accounts.reset_factor(site.app(when), site.admin, site.user)
    assert len(reset["password"]) == 20
    with SqlUnitOfWork(site.url) as uow:
        assert reset["password"] not in repr(uow.audit.administration(accounts.AUDITED))
    with pytest.raises(SignInFailed):  # the old password, even with a code, opens nothing
        site.sign_in(when + timedelta(minutes=1))
    started = accounts.sign_in(site.app(when), site.user, reset["password"], "")
    assert started["setup"] == "totp"
    current = sessions.current(site.app(when), started["session"])
    assert current.setup == "totp" and current.actor.user_id == site.user
