"""Attacks on the sign-in pages, on SQLite and PostgreSQL: a POST without the session's CSRF token,
session fixation, a password alone for an account with a second factor, a replayed code, guessing
until the account locks (and the lock's end), guessing from one address until 429, and telling an
unknown user from a wrong password. The clock is the test's (`Site.later`)."""

from __future__ import annotations

import re

import pytest

from screening import accounts as rules
from screening.services import sessions, tokens
from tests.e2e.conftest import snapshot
from tests.fakes import Counting
from tests.web.conftest import OWN_PASSWORD, PERSON, csrf_of, sign_in

WRONG = "fel-lösenord-som-är-långt"
OTHER = "hc-lugnvik-2"  # another person of the same health centre


def signed_in(site, browser, totp) -> str:
    """A full session in the browser: its CSRF token."""
    site.later(seconds=30)
    assert sign_in(browser, PERSON, OWN_PASSWORD, totp.at(site.now)).headers["location"] == "/"
    return csrf_of(browser.get("/").text)


@pytest.mark.parametrize("given", ["missing", "another session's", "altered"])
def test_every_post_without_the_sessions_csrf_token_is_refused_and_changes_nothing(site, given):
    setup_browser, full = site.browser(), site.browser()
    totp = site.set_up(full)
    csrf = signed_in(site, full, totp)
    token_id = tokens.create(site.app, site.admin(), PERSON, 30)["id"]
    sign_in(setup_browser, OTHER, site.one_time_password(OTHER))  # a session that may only enrol
    setup_csrf = csrf_of(setup_browser.get("/totp").text)
    other_csrf = sessions.start(site.app, PERSON)["csrf"]  # a real session's token, of the same person
    wrong = {"missing": lambda right: None, "another session's": lambda right: other_csrf,
             "altered": lambda right: right[:-1] + ("0" if right[-1] != "0" else "1")}[given]
    posts = [
        (full, "/signout", {}, csrf),
        (full, "/password", {"current": OWN_PASSWORD, "new": "granskog-vinterväg-kaffe-9",
                             "repeat": "granskog-vinterväg-kaffe-9"}, csrf),
        (full, "/tokens", {"action": "create", "days": "30"}, csrf),
        (full, "/tokens", {"action": "revoke", "id": token_id}, csrf),
        (setup_browser, "/totp", {"code": "123456"}, setup_csrf),
        (setup_browser, "/signout", {}, setup_csrf),
    ]
    before = snapshot(site.url)
    for browser, path, fields, right in posts:
        token = wrong(right)
        answer = browser.post(path, data={**fields, **({"csrf": token} if token is not None else {})},
                              follow_redirects=False)
        assert answer.status_code == 403 and "<html" in answer.text, (path, fields)
        answer = browser.post(path, data=fields, headers={"X-CSRF-Token": token or ""}, follow_redirects=False)
        assert answer.status_code == 403, (path, fields)
    assert snapshot(site.url) == before  # no password, token, factor or sign-out: nothing written
    assert full.get("/profile", follow_redirects=False).status_code == 200  # still signed in
    assert full.post("/signout", data={"csrf": csrf}, follow_redirects=False).status_code == 303  # the right one works


def test_a_session_id_planted_before_sign_in_is_not_the_session_after_and_is_ended(site):
    browser = site.browser()
    totp = site.set_up(browser)
    planted = sessions.start(site.app, OTHER)["session"]  # the attacker's own, valid session, set in the browser
    browser.cookies.clear()
    browser.cookies.set("screening_session", planted, domain="testserver.local")
    site.later(seconds=30)
    signed = sign_in(browser, PERSON, OWN_PASSWORD, totp.at(site.now))
    assert signed.status_code == 303
    given = browser.cookies["screening_session"]
    assert given != planted
    assert sessions.resume(site.app, planted) is None  # the planted one ended on the server
    assert sessions.resume(site.app, given).user_id == PERSON
    attacker = site.browser(cookies={"screening_session": planted})
    assert attacker.get("/api/me").status_code == 401
    invented = rules.new_session_id()  # a value the attacker made up is not kept either
    browser.cookies.clear()
    browser.cookies.set("screening_session", invented, domain="testserver.local")
    site.later(seconds=30)
    sign_in(browser, PERSON, OWN_PASSWORD, totp.at(site.now))
    assert browser.cookies["screening_session"] != invented


def test_a_password_alone_is_refused_for_an_account_with_a_second_factor(site):
    browser = site.browser()
    site.set_up(browser)
    for code in ("", "      ", OWN_PASSWORD, "12345"):
        answer = sign_in(browser, PERSON, OWN_PASSWORD, code)
        assert answer.status_code == 200 and "set-cookie" not in answer.headers
        assert browser.get("/", follow_redirects=False).headers["location"] == "/signin"
    site.later(seconds=15)
    # a one-time password given after the factor holds still needs the factor's code
    one_time = site.one_time_password()
    assert sign_in(browser, PERSON, one_time).status_code == 200


def test_a_replayed_code_is_refused(site):
    browser = site.browser()
    totp = site.set_up(browser)
    site.later(seconds=30)
    code = totp.at(site.now)
    assert sign_in(browser, PERSON, OWN_PASSWORD, code).status_code == 303
    site.later(seconds=5)
    thief = site.browser()
    assert sign_in(thief, PERSON, OWN_PASSWORD, code).status_code == 200
    assert "screening_session" not in thief.cookies


def test_guessing_locks_the_account_for_a_while_then_it_opens(site):
    browser = site.browser()
    totp = site.set_up(browser)
    for _ in range(5):
        site.later(seconds=20)
        assert sign_in(browser, PERSON, WRONG, totp.at(site.now)).status_code == 200
    site.later(seconds=30)
    locked = sign_in(browser, PERSON, OWN_PASSWORD, totp.at(site.now))  # the right password and code
    assert locked.status_code == 200 and "set-cookie" not in locked.headers
    site.later(minutes=14)
    assert sign_in(browser, PERSON, OWN_PASSWORD, totp.at(site.now)).status_code == 200  # still locked
    site.later(minutes=2)
    assert sign_in(browser, PERSON, OWN_PASSWORD, totp.at(site.now)).headers["location"] == "/"


def test_too_many_failures_from_one_address_are_answered_429_until_the_window_passes(site):
    browser = site.browser()
    for n in range(20):  # unknown people: no account locks, the address is what is counted
        assert sign_in(browser, f"ingen-{n}", WRONG).status_code == 200
    refused = sign_in(browser, "ingen-21", WRONG)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "600" and "<html" in refused.text
    assert sign_in(site.browser(client=("192.0.2.9", 50000)), "ingen-22", WRONG).status_code == 200  # another address
    site.later(minutes=11)
    assert sign_in(browser, "ingen-23", WRONG).status_code == 200


def test_an_unknown_user_and_a_wrong_password_get_the_same_page_after_the_same_work(site, monkeypatch):
    browser = site.browser()
    totp = site.set_up(browser)
    counting = Counting(rules._hasher)
    monkeypatch.setattr(rules, "_hasher", counting)
    pages = []
    for user, password in [("ingen-sådan-person", OWN_PASSWORD), (PERSON, WRONG), ("admin", OWN_PASSWORD)]:
        before = counting.verified
        answer = sign_in(browser, user, password, totp.at(site.now))
        page = answer.text.replace(f'value="{user}"', 'value="USER"')  # the id typed is given back, as typed
        pages.append((answer.status_code, page, counting.verified - before))
    assert len(set(pages)) == 1 and pages[0][2] == 1  # one Argon2id verification each, the dummy's too
    assert re.search(r'role="alert">[^<]+<', pages[0][1])


def test_a_sign_in_form_posted_from_another_site_is_refused(site):
    browser = site.browser()
    password = site.one_time_password()
    forged = browser.post("/signin", data={"user": PERSON, "password": password, "code": ""},
                          headers={"Origin": "https://elsewhere.example"}, follow_redirects=False)
    assert forged.status_code == 403 and "set-cookie" not in forged.headers
    own = browser.post("/signin", data={"user": PERSON, "password": password, "code": ""},
                       headers={"Origin": "http://testserver"}, follow_redirects=False)
    assert own.status_code == 303


def test_changing_the_password_needs_the_current_one(site):
    browser = site.browser()
    totp = site.set_up(browser)
    csrf = signed_in(site, browser, totp)
    new = "granskog-vinterväg-kaffe-9"
    wrong = browser.post("/password", data={"csrf": csrf, "current": WRONG, "new": new, "repeat": new})
    assert wrong.status_code == 200 and 'id="current-error"' in wrong.text
    assert 'aria-describedby="current-hint current-error"' in wrong.text
    site.later(seconds=30)
    assert sign_in(site.browser(), PERSON, new, totp.at(site.now)).status_code == 200  # not changed
    done = browser.post("/password", data={"csrf": csrf, "current": OWN_PASSWORD, "new": new, "repeat": new},
                        follow_redirects=False)
    assert done.status_code == 303
    site.later(seconds=30)
    assert sign_in(site.browser(), PERSON, new, totp.at(site.now)).headers["location"] == "/"


def test_behind_the_proxy_the_sign_in_form_of_the_servers_public_address_is_accepted(demo_db):
    from tests.web.conftest import Site

    site = Site(demo_db, {"SCREENING_TRUSTED_PROXIES": "10.0.0.0/8", "SCREENING_BASE_URL": "https://screening.example"})
    password = site.one_time_password()

    def post(origin: str, **options):
        return site.browser(**options).post("/signin", data={"user": PERSON, "password": password, "code": ""},
                                            headers={"Origin": origin, "X-Forwarded-Host": "proxied.example"},
                                            follow_redirects=False).status_code

    assert post("https://screening.example") == 303  # the configured address
    assert post("https://proxied.example", client=("10.0.0.2", 50000)) == 303  # a trusted proxy's word
    assert post("https://proxied.example", client=("192.0.2.7", 50000)) == 403  # anyone else's: not believed
    assert post("null") == 403
