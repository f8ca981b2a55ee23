"""Personal API tokens through the command line (`token create/list/revoke`) and the service:
shown once, stored as a hash, for oneself (another person's: an admin), revoked by their owner or
an admin, audited without the secret; a disabled person's token is refused."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import T, app_at
from tests.e2e.conftest import snapshot
from tests.e2e.support import ADMIN, HC, RECEPTION

NOW = "2026-11-23T10:00"


def audit_rows(url: str, action: str) -> list[dict]:
    from screening.storage import db

    conn = db.connect_raw(url)
    try:
        return conn.all("SELECT a.detail FROM audit a JOIN audit_kind k ON k.no = a.kind WHERE k.action = :action "
                        "ORDER BY a.id", {"action": action})
    finally:
        conn.close()


def test_a_token_is_printed_once_and_acts_as_its_person(run, api):
    made = run("token", "create", "--days", "30", db=api.url, user=HC, now=NOW)
    assert made.code == 0, made.err
    token = made.data["token"]
    assert token.startswith(f"scr_{made.data['id']}_") and made.data["user"] == HC
    listed = run("token", "list", db=api.url, user=HC, now=NOW)
    assert token.split("_", 2)[2] not in listed.out and [t["id"] for t in listed.data] == [made.data["id"]]
    assert set(listed.data[0]) >= {"id", "user", "state", "created_at", "expires_at", "revoked_at", "last_used_at"}
    human = run("token", "create", db=api.url, user=HC, now=NOW, json_output=False)
    assert human.code == 0 and [line for line in human.out.splitlines() if line.startswith("scr_")]
    from datetime import datetime

    from screening.bootstrap import bootstrap
    from screening.clock import STOCKHOLM
    from screening.services import tokens

    real = bootstrap(api.url, env={})  # the command line's token keeps the system's clock, as the server does
    assert tokens.authenticate(real, token).user_id == HC
    assert datetime.fromisoformat(made.data["expires_at"]) > datetime.now(STOCKHOLM)


def test_only_an_admin_makes_a_token_for_another_person(run, api):
    before = snapshot(api.url)["api_token"]
    refused = run("token", "create", "--user", ADMIN, db=api.url, user=RECEPTION, now=NOW)
    assert refused.code == 1 and refused.data["error"]["code"] == "refused"
    assert snapshot(api.url)["api_token"] == before
    made = run("token", "create", "--user", RECEPTION, db=api.url, user=ADMIN, now=NOW)
    assert made.code == 0, made.err
    assert api.get("/api/me", token=made.data["token"]).json()["id"] == RECEPTION  # its person, not the admin


@pytest.mark.parametrize("days", ["0", "366", "-1"])
def test_a_token_lives_1_to_365_days(run, api, days):
    result = run("token", "create", "--days", days, db=api.url, user=HC, now=NOW)
    assert result.code == 2 and result.data["error"]["code"] == "bad_input"


def test_a_revoked_token_stops_at_once_and_another_persons_is_unknown(run, api):
    token = api.token(HC)
    token_id = token.split("_")[1]
    assert api.get("/api/me", token=token).status_code == 200
    theirs = run("token", "revoke", token_id, db=api.url, user=RECEPTION, now=NOW)
    nobody = run("token", "revoke", "0123456789ab", db=api.url, user=RECEPTION, now=NOW)
    assert theirs.code == nobody.code == 2
    assert theirs.data["error"]["message"].replace(token_id, "X") == nobody.data["error"]["message"].replace(
        "0123456789ab", "X")
    assert api.get("/api/me", token=token).status_code == 200
    assert run("token", "list", db=api.url, user=RECEPTION, now=NOW).data == []  # nor listed to another
    assert token_id in [t["id"] for t in run("token", "list", db=api.url, user=ADMIN, now=NOW).data]
    revoked = run("token", "revoke", token_id, db=api.url, user=HC, now=NOW)
    assert revoked.code == 0 and revoked.data["state"] == "revoked"
    assert api.get("/api/me", token=token).status_code == 401
    other = api.token(RECEPTION)
    assert run("token", "revoke", other.split("_")[1], db=api.url, user=ADMIN, now=NOW).code == 0
    assert api.get("/api/me", token=other).status_code == 401


def test_making_and_revoking_are_audited_without_the_secret(run, api):
    token = api.token(HC)
    token_id, secret = token.split("_")[1], token.split("_", 2)[2]
    assert run("token", "revoke", token_id, db=api.url, user=HC, now=NOW).code == 0
    made, revoked = audit_rows(api.url, "token_created"), audit_rows(api.url, "token_revoked")
    assert [json.loads(row["detail"])["token"] for row in made] == [token_id]
    assert json.loads(revoked[0]["detail"]) == {"token": token_id, "user": HC}
    assert secret not in json.dumps(made + revoked)


def test_a_disabled_persons_token_is_refused(api):
    from screening.services import users

    token = api.token(RECEPTION)
    assert api.get("/api/me", token=token).status_code == 200
    app = app_at(api.url, T)
    users.disable_user(app, users.identify(app, ADMIN), RECEPTION)
    response = api.get("/api/me", token=token)
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"
