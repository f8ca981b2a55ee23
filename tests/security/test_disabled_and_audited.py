"""A disabled person's doors close for good (sessions ended, tokens revoked, in the one unit of work
that disables them), and the administration's trail (`audit history`) shows the local accounts'
sign-ins, failures, lock-outs and factor resets and the tokens made and revoked, to coordinators and
admins. On SQLite and PostgreSQL; every name, password and code is invented; the clock is set."""

from __future__ import annotations

import json
from datetime import timedelta

import pyotp
import pytest

from screening.errors import BadInput, Refused
from screening.model import Actor
from screening.services import accounts, admin, sessions, tokens, users
from screening.services.accounts import SignInFailed
from screening.storage import db
from tests.api.conftest import Api, T, app_at
from tests.e2e.support import ADMIN, COORDINATOR, HC, RECEPTION

PERSON = "hc-lugnvik-2"  # a demo nurse of the health centre
PASSWORD = "kardemumma-fjällbäck-ugglor-7"
WRONG = "fel-lösenord-men-långt-nog"
NOW = T.strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def api(cli_db) -> Api:
    return Api(cli_db)


def rows(url: str, sql: str, params: dict | None = None) -> list[dict]:
    conn = db.connect_raw(url)
    try:
        return conn.all(sql, params or {})
    finally:
        conn.close()


def disabled_detail(url: str) -> dict:
    [row] = rows(url, "SELECT detail FROM audit_trail WHERE action = 'directory' ORDER BY id DESC LIMIT 1")
    return json.loads(row["detail"])


def enable_again(url: str, user_id: str) -> None:
    """As an operator would, in the database (there is no command for it): the person may act again."""
    conn = db.connect_raw(url)
    try:
        conn.begin()
        conn.execute("UPDATE app_user SET disabled_at = NULL WHERE id = :id", {"id": user_id})
        conn.commit()
    finally:
        conn.close()


# --- disabling ends the sessions and revokes the tokens ---------------------------------------------


def test_disabling_ends_every_session_and_revokes_every_token_for_good(api):
    app = app_at(api.url)
    keep, spare, old = (api.token(PERSON, days=d) for d in (30, 60, 90))
    tokens.revoke(app, users.identify(app, PERSON), old.split("_")[1])  # revoked already: not counted again
    first, second, gone = (sessions.start(app, PERSON)["session"] for _ in range(3))
    sessions.end(app, gone)  # signed out already
    other = sessions.start(app, HC)["session"]
    others_token = api.token(HC)
    assert api.get("/api/me", token=keep).status_code == 200 and sessions.resume(app, first).user_id == PERSON

    users.disable_user(app, users.identify(app, ADMIN), PERSON)

    assert disabled_detail(api.url) == {"users_disabled": [{"id": PERSON, "role": "health_centre", "org": HC,
                                                            "sessions_ended": 2, "tokens_revoked": 2}]}
    held = rows(api.url, "SELECT id, revoked_at FROM api_token WHERE user_id = :u", {"u": PERSON})
    assert len(held) == 3 and all(row["revoked_at"] is not None for row in held)
    enable_again(api.url, PERSON)  # the tokens and sessions stay dead: the person makes new ones
    for token in (keep, spare, old):
        response = api.get("/api/me", token=token)
        assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"
    assert sessions.resume(app, first) is None and sessions.resume(app, second) is None
    assert users.identify(app, PERSON).user_id == PERSON  # really enabled: a new token would work
    assert api.get("/api/me", token=api.token(PERSON, days=5)).json()["id"] == PERSON
    # nobody else's door was closed
    assert api.get("/api/me", token=others_token).status_code == 200 and sessions.resume(app, other).user_id == HC


def test_a_disabling_that_fails_closes_no_door(api, monkeypatch):
    from screening.storage.repository import SqlAuditLog

    app = app_at(api.url)
    token = api.token(PERSON, days=30)
    session = sessions.start(app, PERSON)["session"]

    def broken(self, entry):
        raise RuntimeError("the audit trail is unreachable")

    monkeypatch.setattr(SqlAuditLog, "record", broken)
    with pytest.raises(RuntimeError):
        users.disable_user(app, users.identify(app, ADMIN), PERSON)
    monkeypatch.undo()
    assert api.get("/api/me", token=token).status_code == 200
    assert sessions.resume(app, session).user_id == PERSON
    assert rows(api.url, "SELECT disabled_at FROM app_user WHERE id = :u", {"u": PERSON})[0]["disabled_at"] is None


def test_the_command_line_records_the_counts(api, run):
    api.token(PERSON, days=30)
    sessions.start(app_at(api.url), PERSON)
    assert run("user", "disable", PERSON, db=api.url, user=ADMIN, now=NOW).code == 0
    assert disabled_detail(api.url)["users_disabled"][0] == {
        "id": PERSON, "role": "health_centre", "org": HC, "sessions_ended": 1, "tokens_revoked": 1}


# --- the administration's trail shows the accounts and the tokens ---------------------------------------


class Doors:
    """A local account for PERSON that signs in, fails until locked, signs out, has its factor reset;
    a token made and revoked. Times set (the database is a simulation)."""

    def __init__(self, api):
        self.url = api.url
        self.admin = users.identify(self.app(), ADMIN)
        me = Actor(PERSON, "health_centre", HC, "health_centre", "Östersund")
        accounts.set_password(self.app(), me, PERSON, PASSWORD)
        self.totp = pyotp.parse_uri(accounts.enrol_totp(self.app(), me, PERSON)["uri"])
        accounts.confirm_totp(self.app(), me, PERSON, self.totp.at(T))
        signed = accounts.sign_in(self.app(1), PERSON, PASSWORD, self.totp.at(T + timedelta(minutes=1)))
        sessions.end(self.app(2), signed["session"])
        for n in range(self.app().settings.signin_attempts):
            with pytest.raises(SignInFailed):
                accounts.sign_in(self.app(3 + n), PERSON, WRONG, self.totp.at(T + timedelta(minutes=3 + n)))
        accounts.reset_factor(self.app(20), self.admin, PERSON)
        self.token = tokens.create(self.app(21), self.admin, PERSON, 5)
        tokens.revoke(self.app(22), self.admin, self.token["id"])

    def app(self, minutes: int = 0):
        return app_at(self.url, T + timedelta(minutes=minutes))

    def secrets(self) -> list[str]:
        return [PASSWORD, WRONG, self.totp.secret, self.token["token"].split("_", 2)[2]]


@pytest.fixture
def doors(api) -> Doors:
    return Doors(api)


def test_the_trail_shows_sign_ins_failures_the_lock_out_and_the_tokens(doors):
    attempts = doors.app().settings.signin_attempts
    for who in (ADMIN, COORDINATOR):
        actor = users.identify(doors.app(), who)
        shown = admin.administration(doors.app(30), actor, "accounts")
        actions = [row["action"] for row in shown]
        assert actions == ["password", "totp", "signin", "signout", *["signin_failed"] * attempts, "locked",
                           "factor_reset"], actions
        [lock] = admin.administration(doors.app(30), actor, "locked")
        assert lock["user"] == PERSON and lock["detail"]["failures"] == attempts and "until" in lock["detail"]
        assert [row["action"] for row in admin.administration(doors.app(30), actor, "signin")] == ["signin"]
        made = admin.administration(doors.app(30), actor, "tokens")
        assert [(row["action"], row["user"], row["detail"]["user"]) for row in made] == [
            ("token_created", ADMIN, PERSON), ("token_revoked", ADMIN, PERSON)]
        everything = [row["action"] for row in admin.administration(doors.app(30), actor)]
        assert {"locked", "signin", "signin_failed", "factor_reset", "token_created", "token_revoked",
                "directory"} <= set(everything)
        assert not [s for s in doors.secrets() if s in json.dumps(everything + shown + made, default=str)]


@pytest.mark.parametrize("user", [HC, RECEPTION])
def test_only_coordinators_and_admins_see_the_accounts_trail(doors, user):
    with pytest.raises(Refused):
        admin.administration(doors.app(30), users.identify(doors.app(), user), "accounts")


def test_an_unknown_kind_is_refused_and_names_the_kinds(doors):
    with pytest.raises(BadInput) as refused:
        admin.administration(doors.app(30), doors.admin, "signins")
    for kind in ("accounts", "tokens", "locked", "signin_failed", "token_created", "directory"):
        assert kind in str(refused.value)


def test_audit_history_on_the_command_line_shows_the_lock_out(doors, run):
    attempts = doors.app().settings.signin_attempts
    for user in (COORDINATOR, ADMIN):
        locked = run("audit", "history", "--kind", "locked", db=doors.url, user=user, now=NOW)
        assert locked.code == 0, locked.err
        assert [(row["action"], row["user"]) for row in locked.data] == [("locked", PERSON)]
        failed = run("audit", "history", "--kind", "signin_failed", db=doors.url, user=user, now=NOW).data
        assert len(failed) == attempts and {row["user"] for row in failed} == {PERSON}
        grouped = run("audit", "history", "--kind", "accounts", db=doors.url, user=user, now=NOW).data
        assert {row["action"] for row in grouped} == {"password", "totp", "signin", "signout", "signin_failed",
                                                      "locked", "factor_reset"}
        made = run("audit", "history", "--kind", "tokens", db=doors.url, user=user, now=NOW).data
        assert [row["action"] for row in made] == ["token_created", "token_revoked"]
        human = run("audit", "history", db=doors.url, user=user, now=NOW, json_output=False)
        assert human.code == 0 and PERSON in human.out
        for output in (locked.out, json.dumps(grouped + made), human.out):
            assert not [s for s in doors.secrets() if s in output]
    refused = run("audit", "history", "--kind", "accounts", db=doors.url, user=HC, now=NOW)
    assert refused.code == 1 and refused.data["error"]["code"] == "refused"
    unknown = run("audit", "history", "--kind", "sign-in", db=doors.url, user=ADMIN, now=NOW)
    assert unknown.code == 2 and "accounts" in unknown.data["error"]["message"]


def test_every_kind_the_trail_offers_is_one_the_product_writes(api):
    from screening.services import identity_provider

    assert set(accounts.AUDITED) | set(identity_provider.AUDITED) <= set(admin.GROUPS["accounts"])
    stored = {row["action"] for row in rows(api.url, "SELECT action FROM audit_kind")}
    assert set(admin.ADMINISTRATION) <= stored, set(admin.ADMINISTRATION) - stored
