"""Sign-in through an identity provider (issue 18), on SQLite and PostgreSQL, against a real OpenID
provider on 127.0.0.1 (tests/oidc/provider: real discovery, keys, PKCE and signed ID tokens): the way
in for a person with two factors linked to a user, and the drills that must all be refused (wrong
state, a replayed callback, wrong nonce, wrong audience, an expired ID token, one factor only, a
person no user is linked to, a disabled user), each leaving no session and no new user.

The product's clock is set (a simulation); the ID tokens' times are the provider's, which is the
system's, so the RP's real clock follows the system here too, moved on where a drill needs it.
Every person and HSA-id is invented."""

from __future__ import annotations

import hashlib
import logging
import warnings
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from screening import oidc
from screening.bootstrap import App, Clock
from screening.services import identity_provider, users
from screening.settings import Settings
from screening.storage.unit_of_work import SqlUnitOfWork
from tests.api.conftest import T
from web.oidc import FLOW_COOKIE
from web.people import COOKIE

SECRET = "test-secret-of-the-screening-client-0001"
OTHER = ("other-app", "test-secret-of-another-application-0002", "http://other-app.example.test/callback")
TWO, ONE = "http://id.example.test/loa3", "http://id.example.test/loa2"
HSA = {"anna-two-factor": "SE0000000000-T0001", "bo-one-factor": "SE0000000000-T0002",
       "dan-hardware-key": "SE0000000000-T0004", "eva-disabled": "SE0000000000-T0005"}


def wall() -> datetime:
    return datetime.now(UTC)


class Site:
    """The demo database with a user for each of the provider's invented people (but one), at a set time."""

    def __init__(self, url: str, issuer: str):
        self.url, self.issuer = url, issuer
        self.env = {"SCREENING_BASE_URL": "http://testserver",
                    "SCREENING_OIDC_DISCOVERY": issuer + "/.well-known/openid-configuration",
                    "SCREENING_OIDC_CLIENT_ID": "screening", "SCREENING_OIDC_CLIENT_SECRET": SECRET,
                    "SCREENING_OIDC_TWO_FACTOR_ACR": TWO}
        with self.app().reads() as reads:
            found = reads.users()
        self.admin = users.identify(self.app(), next(u["id"] for u in found if u["role"] == "admin"))
        org = next(u for u in found if u["role"] == "health_centre")["org"]
        with SqlUnitOfWork(url) as uow:
            for account, hsa_id in HSA.items():
                uow.directory.add_user("u-" + account, "health_centre", org, name=account, hsa_id=hsa_id)
            uow.commit()
        for account in HSA:
            identity_provider.link(self.app(), self.admin, "u-" + account, None, account)
        users.disable_user(self.app(), self.admin, "u-eva-disabled")

    def app(self, later: timedelta = timedelta(0), **env) -> App:
        return App(self.url, Settings({**self.env, **env}), Clock(T, system=lambda: wall() + later))

    def client(self, app: App | None = None):
        from web.app import create

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from starlette.testclient import TestClient

            return TestClient(create(app or self.app()), raise_server_exceptions=False, follow_redirects=False)

    def start(self, client) -> str:
        """`GET /signin/oidc`: the provider's authorization URL (the flow's cookie set in `client`)."""
        answer = client.get("/signin/oidc")
        assert answer.status_code == 303, answer.text
        assert client.cookies.get(FLOW_COOKIE)
        return answer.headers["location"]

    def login(self, authorization: str, account: str) -> str:
        """The person signs in at the provider: its redirect back to the callback (path and query)."""
        with httpx.Client(follow_redirects=False, timeout=10) as browser:
            interaction = browser.get(authorization)
            assert interaction.status_code == 303, interaction.text
            uid = interaction.headers["location"].rstrip("/").rsplit("/", 1)[-1]
            resumed = browser.post(f"{self.issuer}/interaction/{uid}/login", data={"account": account})
            back = browser.get(resumed.headers["location"])
        location = back.headers["location"]
        assert location.startswith("http://testserver/signin/oidc/callback?"), location
        return location.removeprefix("http://testserver")

    def sign_in(self, account: str, app: App | None = None, **headers):
        client = self.client(app)
        return client, client.get(self.login(self.start(client), account), headers=headers)

    def sessions(self) -> int:
        with SqlUnitOfWork(self.url) as uow:
            return uow.conn.scalar("SELECT COUNT(*) FROM web_session")

    def audit(self, action: str) -> list[dict]:
        with SqlUnitOfWork(self.url) as uow:
            return [row for row in uow.audit.administration((action,))]


@pytest.fixture
def site(demo_db, provider) -> Site:
    return Site(demo_db, provider)


def refused(site: Site, answer, status: int, reason: str, caplog) -> None:
    """A refusal: its status and error document, its reason in the server's log (no token there),
    and no session begun."""
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == "signin_failed"
    assert COOKIE not in answer.headers.get("set-cookie", "")
    reasons = [r.getMessage() for r in caplog.records if r.name == "screening.signin"]
    assert reasons and f"reason={reason} " in reasons[-1], reasons
    assert "eyJ" not in caplog.text and "code=" not in caplog.text  # no ID token, no code
    assert site.sessions() == 0


def test_a_person_with_two_factors_signs_in_as_the_user_linked_to_them(site):
    client, answer = site.sign_in("anna-two-factor")
    assert answer.status_code == 303 and answer.headers["location"] == "/"
    assert client.cookies.get(COOKIE) and not client.cookies.get(FLOW_COOKIE)
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    me = client.get("/api/me")
    assert me.status_code == 200 and me.json()["id"] == "u-anna-two-factor"
    signin = site.audit("signin")[-1]
    assert signin["user_id"] == "u-anna-two-factor"
    assert signin["detail"] == {"via": "oidc", "issuer": site.issuer, "subject": "anna-two-factor", "acr": TWO,
                                "amr": ["pwd", "otp"]}


def test_the_start_keeps_only_the_state_hash_and_binds_the_flow_to_the_browser(site):
    client = site.client()
    authorization = site.start(client)
    asked = parse_qs(urlsplit(authorization).query)
    state = client.cookies.get(FLOW_COOKIE)
    assert asked["state"] == [state] and asked["code_challenge_method"] == ["S256"]
    assert asked["client_id"] == ["screening"] and asked["nonce"][0] and asked["code_challenge"][0]
    with SqlUnitOfWork(site.url) as uow:
        rows = uow.conn.all("SELECT state_hash, nonce, code_verifier FROM oidc_flow")
    assert [row["state_hash"] for row in rows] == [hashlib.sha256(state.encode()).hexdigest()]
    assert rows[0]["nonce"] == asked["nonce"][0] and rows[0]["code_verifier"] not in authorization


def test_the_hsa_id_claim_finds_the_user_when_configured(site):
    with SqlUnitOfWork(site.url) as uow:
        uow.conn.execute("DELETE FROM oidc_identity")
        uow.commit()
    client, answer = site.sign_in("anna-two-factor", site.app(SCREENING_OIDC_CLAIM="employeeHsaId"))
    assert answer.status_code == 303
    assert client.get("/api/me").json()["id"] == "u-anna-two-factor"


def test_a_callback_with_another_state_or_from_another_browser_is_refused(site, caplog):
    caplog.set_level(logging.INFO, "screening.signin")
    client = site.client()
    callback = site.login(site.start(client), "anna-two-factor")
    state = parse_qs(urlsplit(callback).query)["state"][0]
    refused(site, client.get(callback.replace(state, state[:-2] + "xy")), 401, "state", caplog)
    stranger = site.client()  # the same answer in a browser that did not start the flow
    refused(site, stranger.get(callback), 401, "state", caplog)


def test_a_replayed_callback_is_refused(site, caplog):
    caplog.set_level(logging.INFO, "screening.signin")
    client = site.client()
    callback = site.login(site.start(client), "anna-two-factor")
    state = client.cookies.get(FLOW_COOKIE)
    assert client.get(callback).status_code == 303
    with SqlUnitOfWork(site.url) as uow:
        uow.conn.execute("DELETE FROM web_session")
        uow.commit()
    replayer = site.client()
    refused(site, replayer.get(callback, headers={"cookie": f"{FLOW_COOKIE}={state}"}), 401, "state", caplog)


def test_a_wrong_nonce_is_refused(site, caplog):
    caplog.set_level(logging.INFO, "screening.signin")
    client = site.client()
    callback = site.login(site.start(client), "anna-two-factor")
    with SqlUnitOfWork(site.url) as uow:
        uow.oidc.set_nonce(hashlib.sha256(client.cookies.get(FLOW_COOKIE).encode()).hexdigest(), "another-nonce")
        uow.commit()
    refused(site, client.get(callback), 401, "nonce", caplog)


def test_an_id_token_for_another_client_is_refused(site, caplog, monkeypatch):
    """The token endpoint's answer carries a real ID token the provider made for another application
    (same person, same nonce): its audience is not ours."""
    caplog.set_level(logging.INFO, "screening.signin")
    client = site.client()
    authorization = site.start(client)
    nonce = parse_qs(urlsplit(authorization).query)["nonce"][0]
    foreign = other_client_id_token(site, nonce)
    real_exchange = oidc.exchange
    monkeypatch.setattr(oidc, "exchange", lambda *args: {**real_exchange(*args), "id_token": foreign})
    refused(site, client.get(site.login(authorization, "anna-two-factor")), 401, "audience", caplog)


def other_client_id_token(site: Site, nonce: str) -> str:
    from authlib.common.security import generate_token
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    client_id, secret, redirect = OTHER
    verifier = generate_token(64)
    found = httpx.get(site.env["SCREENING_OIDC_DISCOVERY"]).json()
    query = {"client_id": client_id, "response_type": "code", "scope": "openid", "redirect_uri": redirect,
             "state": "s", "nonce": nonce, "code_challenge": create_s256_code_challenge(verifier),
             "code_challenge_method": "S256"}
    with httpx.Client(follow_redirects=False, timeout=10) as browser:
        interaction = browser.get(found["authorization_endpoint"], params=query)
        uid = interaction.headers["location"].rstrip("/").rsplit("/", 1)[-1]
        resumed = browser.post(f"{site.issuer}/interaction/{uid}/login", data={"account": "anna-two-factor"})
        back = browser.get(resumed.headers["location"]).headers["location"]
    code = parse_qs(urlsplit(back).query)["code"][0]
    tokens = httpx.post(found["token_endpoint"], auth=(client_id, secret),
                        data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect,
                              "code_verifier": verifier}).json()
    return tokens["id_token"]


def test_an_expired_id_token_is_refused(site, caplog):
    caplog.set_level(logging.INFO, "screening.signin")
    late = site.app(later=timedelta(hours=2))  # the ID tokens live ten minutes (server.js)
    client = site.client(late)
    refused(site, client.get(site.login(site.start(client), "anna-two-factor")), 401, "expired", caplog)


def test_a_flow_older_than_ten_minutes_is_refused(site, caplog):
    caplog.set_level(logging.INFO, "screening.signin")
    client = site.client()
    callback = site.login(site.start(client), "anna-two-factor")
    late = site.client(site.app(later=timedelta(minutes=11)))
    refused(site, late.get(callback, headers={"cookie": f"{FLOW_COOKIE}={client.cookies.get(FLOW_COOKIE)}"}),
            401, "expired_flow", caplog)


def test_one_factor_is_refused_and_audited(site, caplog):
    caplog.set_level(logging.INFO, "screening.signin")
    _, answer = site.sign_in("bo-one-factor")
    refused(site, answer, 403, "one_factor", caplog)
    failed = site.audit("signin_failed")[-1]
    assert failed["user_id"] == "u-bo-one-factor"
    assert failed["detail"]["reason"] == "one_factor" and failed["detail"]["acr"] == ONE


def test_the_amr_mapping_admits_a_hardware_key_where_it_is_configured(site, caplog):
    caplog.set_level(logging.INFO, "screening.signin")
    _, answer = site.sign_in("dan-hardware-key")
    refused(site, answer, 403, "one_factor", caplog)
    client, answer = site.sign_in("dan-hardware-key", site.app(SCREENING_OIDC_TWO_FACTOR_AMR="hwk,otp"))
    assert answer.status_code == 303
    assert client.get("/api/me").json()["id"] == "u-dan-hardware-key"


def test_a_person_no_user_is_linked_to_is_refused_and_no_user_is_made(site, caplog):
    caplog.set_level(logging.INFO, "screening.signin")
    with site.app().reads() as reads:
        before = [u["id"] for u in reads.users()]
    _, answer = site.sign_in("cilla-unknown")
    refused(site, answer, 403, "unknown_person", caplog)
    _, answer = site.sign_in("cilla-unknown", site.app(SCREENING_OIDC_CLAIM="employeeHsaId"))
    refused(site, answer, 403, "unknown_person", caplog)
    with site.app().reads() as reads:
        assert [u["id"] for u in reads.users()] == before


def test_a_disabled_user_is_refused_and_audited(site, caplog):
    caplog.set_level(logging.INFO, "screening.signin")
    _, answer = site.sign_in("eva-disabled")
    refused(site, answer, 403, "disabled", caplog)
    assert site.audit("signin_failed")[-1]["detail"]["reason"] == "disabled"


def test_a_sign_in_the_provider_refused_is_refused_here_too(site, caplog):
    caplog.set_level(logging.INFO, "screening.signin")
    client = site.client()
    callback = site.login(site.start(client), "nobody-at-the-provider")
    assert "error=access_denied" in callback and "code=" not in callback
    refused(site, client.get(callback), 401, "provider_error", caplog)


def test_a_refusal_is_a_page_in_swedish_for_a_browser(site):
    _, answer = site.sign_in("bo-one-factor", accept="text/html", **{"accept-language": "sv"})
    assert answer.status_code == 403 and answer.headers["content-type"].startswith("text/html")
    assert "intygade inte två faktorer" in answer.text and "Traceback" not in answer.text
    _, answer = site.sign_in("bo-one-factor", accept="application/json", **{"accept-language": "en"})
    assert "did not vouch for two factors" in answer.json()["error"]["message"]


def test_without_a_provider_configured_there_is_no_such_address(demo_db):
    from web.app import create

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

        client = TestClient(create(App(demo_db, Settings({}), Clock(T, system=wall))), follow_redirects=False)
    assert client.get("/signin/oidc").status_code == 404
    assert client.get("/signin/oidc/callback?state=a&code=b").status_code == 404


def test_the_signin_page_offers_the_provider_only_where_one_is_set_up(site):
    page = site.client().get("/signin", headers={"accept-language": "sv"})
    assert page.status_code == 200 and 'href="/signin/oidc"' in page.text and "identitetsleverantör" in page.text
    bare = site.client(App(site.url, Settings({}), Clock(T, system=wall)))
    assert 'href="/signin/oidc"' not in bare.get("/signin").text


def test_links_are_made_and_undone_by_an_admin_only_and_audited(site):
    from screening.errors import Refused

    app = site.app()
    nurse = users.identify(app, "u-anna-two-factor")
    with pytest.raises(Refused):
        identity_provider.link(app, nurse, "u-anna-two-factor", None, "someone-else")
    listed = identity_provider.links(app, site.admin, "u-bo-one-factor")
    assert [(row["issuer"], row["subject"]) for row in listed] == [(site.issuer, "bo-one-factor")]
    identity_provider.unlink(app, site.admin, None, "bo-one-factor")
    assert identity_provider.links(app, site.admin, "u-bo-one-factor") == []
    assert site.audit("oidc_unlink")[-1]["detail"] == {"user": "u-bo-one-factor", "issuer": site.issuer,
                                                       "subject": "bo-one-factor"}
    assert len(site.audit("oidc_link")) == len(HSA)
