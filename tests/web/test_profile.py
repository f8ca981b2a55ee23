"""Everyone's profile page (the pages' language chosen per person), the header's navigation by role,
and `/` leading to the role's start page, on SQLite and PostgreSQL. Every person is invented."""

from __future__ import annotations

import re

from tests.web.conftest import OWN_PASSWORD, PERSON, csrf_of, sign_in


def signed_in(site):
    browser = site.browser()
    totp = site.set_up(browser)
    assert sign_in(browser, PERSON, OWN_PASSWORD, totp.at(site.now)).status_code == 303
    return browser


def test_the_profile_names_the_person_and_their_organisation(site):
    page = signed_in(site).get("/profile")
    assert page.status_code == 200
    assert "Hälsocentralen Lugnvik" in page.text and PERSON in page.text
    assert re.search(r'<a href="/profile" aria-current="page">Min profil</a>', page.text)


def test_a_person_chooses_english_for_the_pages_whatever_the_browser_asks(site):
    browser = signed_in(site)
    page = browser.get("/profile", headers={"Accept-Language": "sv"})
    assert '<html lang="sv">' in page.text
    done = browser.post("/profile", data={"csrf": csrf_of(page.text), "language": "en"}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/profile"
    again = browser.get("/profile", headers={"Accept-Language": "sv"})
    assert '<html lang="en">' in again.text and "My profile" in again.text
    browser.post("/profile", data={"csrf": csrf_of(again.text), "language": ""})
    assert '<html lang="sv">' in browser.get("/profile", headers={"Accept-Language": "sv"}).text


def test_an_unknown_language_is_refused_on_the_page_and_nothing_changes(site):
    browser = signed_in(site)
    page = browser.get("/profile")
    refused = browser.post("/profile", data={"csrf": csrf_of(page.text), "language": "de"})
    assert refused.status_code == 422 and 'id="language-error"' in refused.text and "&#39;de&#39;" in refused.text
    with site.app.uow() as uow:
        assert uow.directory.user(PERSON)["language"] is None


def test_the_language_is_not_changed_without_the_sessions_csrf_token(site):
    browser = signed_in(site)
    refused = browser.post("/profile", data={"language": "en"})
    assert refused.status_code == 403
    with site.app.uow() as uow:
        assert uow.directory.user(PERSON)["language"] is None


def test_the_start_leads_to_the_roles_first_page_that_exists(site):
    browser = signed_in(site)
    moved = browser.get("/", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/worklist"
    assert '<a href="/worklist">Arbetslista</a>' in browser.get("/profile").text
    browser.app.state.pages = browser.app.state.pages - {"/worklist"}  # as if the first page were not served
    moved = browser.get("/", follow_redirects=False)
    assert moved.status_code == 303 and moved.headers["location"] == "/cases"
    browser.app.state.pages = frozenset({"/profile"})  # none of the role's pages
    assert browser.get("/", follow_redirects=False).status_code == 200
    assert '<a href="/worklist">' not in browser.get("/profile").text
