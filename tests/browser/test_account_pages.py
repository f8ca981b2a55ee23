"""One's own account in Chromium: the second factor's enrolment after a first sign-in with a one-time
password (QR code, recovery codes, a password of one's own), the API tokens page (a token shown once,
working, revoked), and sign-out; each page accessible (axe, WCAG 2.1 AA)."""

from __future__ import annotations

import re

import httpx
import pyotp

from tests.browser.axe import assert_accessible
from tests.browser.conftest import HOLDER, NEWCOMER, enter, screenshot

OWN_PASSWORD = "granskog-vinterljus-9-tåg"


def signed_in(tab, server, user: str) -> str:
    """A session of `user` in the tab's browser, as its cookie: the session id."""
    session = server.session(user)
    tab.context.add_cookies([{"name": "screening_session", "value": session, "url": server.base}])
    return session


def test_a_first_sign_in_enrols_the_factor_from_the_qr_code_then_a_password_of_ones_own(tab, server, axe_source):
    page = tab.page
    one_time = server.one_time_password(NEWCOMER)
    page.goto("/signin")
    page.locator("#user").fill(NEWCOMER)
    page.locator("#password").fill(one_time)
    enter(page, page.locator("#password"), "/totp")
    qr = page.locator("svg.qr-code")
    assert qr.is_visible() and qr.bounding_box()["width"] >= 100
    assert qr.locator("title").text_content().strip()  # the code is named for a screen reader
    assert_accessible(page, axe_source)
    screenshot(page, "totp", mask=[qr, page.locator("#secret")])

    totp = pyotp.TOTP(page.locator("#secret").inner_text().replace(" ", ""))
    page.locator("#code").fill(totp.now())
    enter(page, page.locator("#code"), "/totp")
    assert page.locator("h1").inner_text() == "Dina återställningskoder"
    assert page.locator("ol.codes li").count() == 10
    assert_accessible(page, axe_source)

    page.get_by_role("link", name="Fortsätt").click()
    page.wait_for_url(re.compile(r"/password$"))
    assert "engångslösenord" in page.locator(".notice").inner_text()
    assert_accessible(page, axe_source)
    page.locator("#current").fill(one_time)
    page.locator("#new").fill(OWN_PASSWORD)
    page.locator("#repeat").fill(OWN_PASSWORD)
    enter(page, page.locator("#repeat"), "/worklist")  # set up: on to the health centre's first page
    assert page.locator("h1").inner_text() == "Arbetslista"


def test_a_token_is_shown_once_works_and_can_be_revoked(tab, server, axe_source):
    page = tab.page
    signed_in(tab, server, HOLDER)
    page.goto("/tokens")
    assert page.locator("h1").inner_text() == "API-nycklar"
    assert_accessible(page, axe_source)
    page.locator("#days").fill("30")
    enter(page, page.locator("#days"), "/tokens")
    token = page.locator("#made-token").inner_text().strip()
    assert token.count("_") >= 2
    assert page.locator(".made").get_attribute("role") == "status"
    assert_accessible(page, axe_source)
    changing = ".made code, .made p:last-child, td:nth-child(1), td:nth-child(3), td:nth-child(4)"  # id, times
    screenshot(page, "tokens", mask=[page.locator(changing)])

    answer = httpx.get(f"{server.base}/api/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json()["id"] == HOLDER
    page.goto("/tokens")
    assert token not in page.content()  # shown once: never again
    token_id = token.split("_")[1]
    page.get_by_role("button", name=re.compile(token_id)).click()
    page.wait_for_load_state()
    assert httpx.get(f"{server.base}/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_sign_out_ends_the_session_on_the_server(tab, server):
    page = tab.page
    session = signed_in(tab, server, HOLDER)
    page.goto("/")
    page.get_by_role("button", name="Logga ut").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/signin$"))
    from screening.services import sessions

    assert sessions.resume(server.app(), session) is None
    page.goto("/")
    assert page.url.endswith("/signin")


def test_the_profile_is_accessible_and_its_language_is_chosen_by_keyboard(tab, server, axe_source):
    page = tab.page
    signed_in(tab, server, HOLDER)
    page.goto("/profile")
    assert page.locator("h1").inner_text() == "Min profil"
    assert page.locator('nav a[aria-current="page"]').inner_text() == "Min profil"
    assert_accessible(page, axe_source)
    screenshot(page, "profile")
    page.locator("#language-en").focus()
    page.keyboard.press("Space")
    enter(page, page.locator("#language-en"), "/profile")
    assert page.locator("html").get_attribute("lang") == "en" and page.locator("h1").inner_text() == "My profile"
    assert_accessible(page, axe_source)
    page.locator("#language-browser").check()
    enter(page, page.locator("#language-browser"), "/profile")
    assert page.locator("html").get_attribute("lang") == "sv"
