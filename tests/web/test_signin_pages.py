"""The sign-in pages of a local account, end to end on SQLite and PostgreSQL: the first sign-in with a
one-time password to a session that may only set the account up, the factor's enrolment from the
page's QR code or key, the recovery codes shown once, one's own password, the full session, the
tokens page, sign-out on the server; and the session cookie's attributes."""

from __future__ import annotations

import re

import pyotp

from screening import accounts as rules
from screening.storage.unit_of_work import SqlUnitOfWork
from tests.web.conftest import OWN_PASSWORD, PERSON, csrf_of, secret_of, sign_in


def test_the_first_sign_in_sets_the_account_up_then_works_as_a_full_session_until_sign_out(site):
    browser = site.browser()
    one_time = site.one_time_password()
    first = sign_in(browser, PERSON, one_time)  # the one-time password alone: no factor yet
    assert first.status_code == 303 and first.headers["location"] == "/totp"
    cookie = browser.cookies["screening_session"]

    # set-up only: every other page sends the person to the step missing; the API refuses
    for path in ("/", "/tokens", "/password"):
        sent = browser.get(path, follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"] == "/totp", path
    refused = browser.get("/api/me")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "setup_required"
    assert browser.get("/api/cases").status_code == 403

    page = browser.get("/totp")
    assert page.status_code == 200 and "<svg" in page.text and "<script" not in page.text
    totp = pyotp.TOTP(secret_of(page.text))
    csrf = csrf_of(page.text)
    assert browser.get("/totp").text.count(totp.secret[:4]) == 1  # shown again, the same secret (kept)
    wrong = "000000" if totp.at(site.now) != "000000" else "111111"
    again = browser.post("/totp", data={"csrf": csrf, "code": wrong})
    assert again.status_code == 200 and 'aria-invalid="true"' in again.text and secret_of(again.text) == totp.secret
    shown = browser.post("/totp", data={"csrf": csrf, "code": totp.at(site.now)})
    codes = re.findall(r"<li><code>([a-z2-7-]{19})</code></li>", shown.text)
    assert shown.status_code == 200 and len(set(codes)) == 10
    assert 'href="/password"' in shown.text  # the one-time password still to change
    assert "redan en andra faktor" in browser.get("/totp").text  # no second enrolment over a confirmed one

    assert browser.get("/", follow_redirects=False).headers["location"] == "/password"
    site.later(seconds=30)
    same = browser.post("/password", data={"csrf": csrf, "current": one_time, "new": one_time, "repeat": one_time})
    assert same.status_code == 200 and 'id="new-error"' in same.text
    done = browser.post("/password", data={"csrf": csrf, "current": one_time, "new": OWN_PASSWORD,
                                           "repeat": OWN_PASSWORD}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/"

    # a full session now: the start page names the person, the API answers
    start = browser.get("/")
    assert start.status_code == 200 and "Yusuf Haidari" in start.text and "Hälsocentralen Lugnvik" in start.text
    assert browser.get("/api/me").json()["id"] == PERSON
    assert browser.cookies["screening_session"] == cookie  # the same session, set up

    made = browser.post("/tokens", data={"csrf": csrf, "action": "create", "days": "30"})
    token = re.search(r'id="made-token">(scr_[^<]+)<', made.text).group(1)
    assert site.browser().get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    token_id = token.split("_")[1]
    assert browser.get("/tokens").text.count(token) == 0  # shown once
    revoked = browser.post("/tokens", data={"csrf": csrf, "action": "revoke", "id": token_id}, follow_redirects=False)
    assert revoked.status_code == 303
    assert site.browser().get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401

    out = browser.post("/signout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/signin"
    old = site.browser(cookies={"screening_session": cookie})
    assert old.get("/", follow_redirects=False).headers["location"] == "/signin"
    assert old.get("/api/me").status_code == 401

    site.later(minutes=1)  # the full sign-in now: password AND code; the one-time password no more
    assert sign_in(browser, PERSON, one_time, totp.at(site.now)).status_code == 200
    assert sign_in(browser, PERSON, OWN_PASSWORD, totp.at(site.now)).headers["location"] == "/"
    assert sign_in(site.browser(), PERSON, OWN_PASSWORD, codes[0]).headers["location"] == "/"  # a recovery code


def test_a_setup_session_enrols_the_factor_before_the_password(site):
    browser = site.browser()
    sign_in(browser, PERSON, site.one_time_password())
    # the factor first: a password of one's own without a factor could never sign in again
    assert browser.get("/password", follow_redirects=False).headers["location"] == "/totp"
    csrf = csrf_of(browser.get("/totp").text)
    refused = browser.post("/password", data={"csrf": csrf, "current": "x", "new": OWN_PASSWORD,
                                              "repeat": OWN_PASSWORD}, follow_redirects=False)
    assert refused.headers["location"] == "/totp"
    with SqlUnitOfWork(site.url) as uow:
        assert uow.accounts.get(PERSON)["password_temporary"]


def test_a_password_that_is_not_one_time_signs_in_to_nothing_without_a_factor(site):
    from screening.model import Actor
    from screening.services import accounts

    accounts.set_password(site.app, Actor(PERSON, "health_centre", PERSON, "health_centre", None), PERSON,
                          OWN_PASSWORD)
    answer = sign_in(site.browser(), PERSON, OWN_PASSWORD)
    assert answer.status_code == 200 and "screening_session" not in answer.headers.get("set-cookie", "")


def test_the_admins_reset_gives_a_new_one_time_password_and_the_factor_is_enrolled_again(site):
    from screening.services import accounts

    browser = site.browser()
    totp = site.set_up(browser)
    reset = accounts.reset_factor(site.app, site.admin(), PERSON)
    assert len(reset["password"]) == 20
    site.later(minutes=1)
    assert sign_in(browser, PERSON, OWN_PASSWORD, totp.at(site.now)).status_code == 200  # neither works now
    assert sign_in(browser, PERSON, reset["password"]).headers["location"] == "/totp"


def test_the_session_cookie_is_httponly_lax_and_secure_only_over_https_from_a_trusted_proxy(demo_db):
    from tests.web.conftest import Site

    site = Site(demo_db, {"SCREENING_TRUSTED_PROXIES": "10.0.0.0/8"})
    password = site.one_time_password()

    def cookie(**options) -> str:
        headers = options.pop("headers", {})
        answer = site.browser(**options).post("/signin", data={"user": PERSON, "password": password, "code": ""},
                                              headers=headers, follow_redirects=False)
        assert answer.status_code == 303
        return answer.headers["set-cookie"].lower()

    plain = cookie()
    assert "httponly" in plain and "samesite=lax" in plain and "path=/" in plain and "secure" not in plain
    assert "secure" in cookie(base_url="https://testserver")
    proxied = {"X-Forwarded-Proto": "https"}
    assert "secure" in cookie(client=("10.1.2.3", 50000), headers=proxied)
    assert "secure" not in cookie(client=("192.0.2.7", 50000), headers=proxied)  # not a trusted proxy


def test_a_page_without_a_session_sends_the_browser_to_sign_in(site):
    browser = site.browser()
    for path in ("/", "/tokens", "/password", "/totp"):
        sent = browser.get(path, follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"] == "/signin", path
    browser.cookies.set("screening_session", rules.new_session_id())
    assert browser.get("/", follow_redirects=False).headers["location"] == "/signin"


def test_the_pages_speak_english_when_asked_and_swedish_by_default(site):
    browser = site.browser()
    swedish = browser.get("/signin")
    assert '<html lang="sv">' in swedish.text and "Logga in" in swedish.text
    english = browser.get("/signin", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert '<html lang="en">' in english.text and "Sign in" in english.text and "Logga in" not in english.text


def test_the_pages_and_their_style_sheet_keep_to_the_content_security_policy(site):
    browser = site.browser()
    page = browser.get("/signin")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["content-type"].startswith("text/html")
    sheet = browser.get("/static/screening.css")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/css")
    assert ":focus-visible" in sheet.text
    assert re.search(r'<link rel="stylesheet" href="/static/screening.css">', page.text)
    assert '<a class="skip" href="#main">' in page.text and '<main id="main"' in page.text
    assert all(f'<label for="{name}">' in page.text for name in ("user", "password", "code"))


def test_the_words_of_the_pages_are_the_same_keys_in_both_languages():
    from web.pages import words

    said = words()
    assert set(said) == {"sv", "en"} and set(said["sv"]) == set(said["en"])
    assert all(text.strip() for language in said.values() for text in language.values())


def test_no_template_has_inline_script_style_or_event_handlers_and_each_field_has_a_label():
    from web.pages import STATIC, TEMPLATES

    for template in TEMPLATES.glob("*.html"):
        text = template.read_text(encoding="utf-8")
        # a script only as a file the server serves, empty in the page: <script src="/static/…" defer></script>
        outside = re.sub(r'<script src="/static/[a-z_]+\.js" defer></script>', "", text)
        assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=|javascript:", outside, re.IGNORECASE), template.name
        assert "http://" not in text and "https://" not in text, template.name  # nothing from elsewhere
    fields = (TEMPLATES / "fields.html").read_text(encoding="utf-8")
    assert '<label for="{{ name }}">' in fields and 'aria-describedby=' in fields and 'aria-invalid="true"' in fields
    assert "@import" not in (STATIC / "screening.css").read_text(encoding="utf-8")


def test_the_qr_code_is_an_svg_without_script_or_style():
    from web.pages import qr_svg

    svg = str(qr_svg("otpauth://totp/Screening:x?secret=JBSWY3DPEHPK3PXP&issuer=Screening", "QR <kod>"))
    assert svg.startswith("<svg") and "<title>QR &lt;kod&gt;</title>" in svg
    assert not re.search(r"<script|style=|\son[a-z]+=", svg)


def test_the_audit_rows_of_a_browsers_session_name_the_page_as_their_door(site):
    from screening.storage import db

    browser = site.browser()
    totp = site.set_up(browser)
    assert sign_in(browser, PERSON, OWN_PASSWORD, totp.at(site.now)).status_code == 303
    page = browser.get("/tokens")
    assert browser.post("/tokens", data={"csrf": csrf_of(page.text), "days": "7"}).status_code == 200
    conn = db.connect_raw(site.url)
    try:
        rows = conn.all("SELECT k.action, a.door FROM audit a JOIN audit_kind k ON k.no = a.kind "
                        "ORDER BY a.id DESC LIMIT 2")
    finally:
        conn.close()
    assert [(row["action"], row["door"]) for row in rows] == [("token_created", "page"), ("signin", "page")]
