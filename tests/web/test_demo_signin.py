"""The demo's sign-in shortcut, on SQLite and PostgreSQL: on a simulation database, /signin links to
/demo, which lists the demo's invented people by role and organisation, each a button that starts a
session as them (audited as a sign-in `{"via": "demo"}`), from this server's own page only (Origin).
On a database for real use nothing of it exists: every address of it answers as one that does not, and
the service refuses too."""

from __future__ import annotations

import re

import pytest

from screening.bootstrap import App, Clock
from screening.errors import NotFound
from screening.services import accounts, demo
from screening.settings import Settings
from screening.storage.unit_of_work import SqlUnitOfWork
from tests.web.conftest import Site

OURS = {"origin": "http://testserver"}


def _trail(url: str) -> list[dict]:
    with SqlUnitOfWork(url) as uow:
        return uow.audit.administration(accounts.AUDITED)


def test_the_sign_in_page_links_to_the_shortcut_which_lists_the_demo_people_by_role(site):
    browser = site.browser()
    signin = browser.get("/signin")
    assert 'href="/demo"' in signin.text
    page = browser.get("/demo")
    assert page.status_code == 200 and "<script" not in page.text
    assert re.findall(r"<h2 id=\"demo-([a-z_]+)\">", page.text) == ["first", "everyone"]
    headings = re.findall(r"<h3 id=\"demo-([a-z_]+)\">", page.text)
    assert headings == ["health_centre", "reception", "school", "preschool", "school_health", "bvc", "coordinator",
                        "admin"]
    first, everyone = page.text.split('id="demo-everyone"')
    users = re.findall(r'name="user" value="([^"]+)"', everyone)
    assert {"hc-lugnvik", "ostersund-reception", "region-coordinator", "admin", "are-bvc-2"} <= set(users)
    assert len(users) == len(set(users)) == 160
    # to begin with: one for each role, in one municipality (Östersund's units share their children)
    assert re.findall(r'name="user" value="([^"]+)"', first) == [
        "hc-lugnvik", "ostersund-reception", "ostersund-school-norrby", "ostersund-preschool-solrosen",
        "ostersund-school-health", "ostersund-bvc", "region-coordinator", "admin"]
    assert "Hälsocentralen Lugnvik" in page.text and "csrf" not in page.text  # before sign-in: no session


def test_a_button_starts_a_session_as_that_person_audited_as_a_demo_sign_in(site):
    browser = site.browser()
    before = browser.post("/demo", data={"user": "ostersund-reception"}, headers=OURS, follow_redirects=False)
    assert before.status_code == 303
    first_cookie = browser.cookies["screening_session"]
    sent = browser.post("/demo", data={"user": "hc-lugnvik"}, headers=OURS, follow_redirects=False)
    assert sent.status_code == 303 and sent.headers["location"] == "/"
    assert browser.cookies["screening_session"] != first_cookie  # a new session; the old one ended
    assert site.browser(cookies={"screening_session": first_cookie}).get("/api/me").status_code == 401
    assert browser.get("/api/me").json()["id"] == "hc-lugnvik"
    assert "Hälsocentralen Lugnvik" in browser.get("/profile").text
    signins = [row for row in _trail(site.url) if row["action"] == "signin"]
    assert [(row["user_id"], row["detail"]) for row in signins] == [("ostersund-reception", {"via": "demo"}),
                                                                   ("hc-lugnvik", {"via": "demo"})]


def test_a_post_from_another_site_or_for_someone_not_of_the_demo_starts_nothing(site):
    browser = site.browser()
    elsewhere = browser.post("/demo", data={"user": "admin"}, headers={"origin": "https://evil.example"},
                             follow_redirects=False)
    assert elsewhere.status_code == 403 and "screening_session" not in browser.cookies
    for user in ("nobody", "", "admin' OR '1'='1"):
        refused = browser.post("/demo", data={"user": user}, headers=OURS, follow_redirects=False)
        assert refused.status_code == 404 and "screening_session" not in browser.cookies, user
    assert not [row for row in _trail(site.url) if row["action"] == "signin"]


def test_a_disabled_person_is_not_listed_and_cannot_be_signed_in_as(site):
    from screening.services import users

    users.disable_user(site.app, site.admin(), "hc-lugnvik-2")
    browser = site.browser()
    assert 'value="hc-lugnvik-2"' not in browser.get("/demo").text
    assert browser.post("/demo", data={"user": "hc-lugnvik-2"}, headers=OURS, follow_redirects=False).status_code \
        != 303


@pytest.fixture
def real_site(db_url) -> Site:
    """A database for real use (no simulation) with the demo region's people in it."""
    from screening.directory import load_directory
    from screening.services.users import store_directory
    from screening.storage import migrate

    migrate.upgrade(db_url)
    with SqlUnitOfWork(db_url) as uow:
        store_directory(uow, load_directory(None), demo_users=True)
    return Site(db_url)


def test_a_database_for_real_use_has_no_shortcut_at_all(real_site):
    browser = real_site.browser()
    assert real_site.app.simulation is False
    assert 'href="/demo"' not in browser.get("/signin").text
    missing = browser.get("/no-such-page")
    for method, path in (("GET", "/demo"), ("POST", "/demo")):
        answer = browser.request(method, path, data={"user": "admin"} if method == "POST" else None, headers=OURS,
                                 follow_redirects=False)
        assert (answer.status_code, answer.text) == (404, missing.text), (method, path)
    assert "screening_session" not in browser.cookies
    real = App(real_site.url, Settings({}), Clock())
    with pytest.raises(NotFound):
        demo.people(real)
    with pytest.raises(NotFound):
        demo.sign_in(real, "admin")
    assert not [row for row in _trail(real_site.url) if row["action"] == "signin"]
