"""The municipality's pages in Chromium: the reception unit's children and arrival notice, the school's
children; each accessible (axe, WCAG 2.1 AA); the notice registered with the keyboard only, its identity
number checked as it is typed (a message in a live region), and the server's own checks named in a summary that links to each field.
Every child and number is invented."""

from __future__ import annotations

import re
from datetime import date, timedelta

from tests.browser.axe import assert_accessible
from tests.browser.conftest import screenshot
from tests.e2e.support import HC, RECEPTION, SCHOOL, pnr
from tests.e2e.test_secrecy import PREFIX, RESULTS_NOTE

BORN = date(2019, 4, 2)


def signed_in(tab, server, user: str) -> None:
    tab.context.add_cookies([{"name": "screening_session", "value": server.session(user), "url": server.base}])


def tab_to(page, element_id: str, most: int = 40) -> None:
    """Tab until the element has the focus (keyboard only)."""
    for _ in range(most):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} never had the focus")


def plant(server) -> dict[str, str]:
    """Three children of Östersund on the server's clock: one not notified a week after the notice
    (overdue on the municipality's side), one booked, one with results, an obstacle and a planted note."""
    from screening.services import events, registration, users
    from screening.services.registration import Registration

    app = server.app()
    now = app.clock.now().replace(microsecond=0)
    reception, hc = users.identify(app, RECEPTION), users.identify(app, HC)

    def child(name: str, days_ago: int, **given) -> str:
        reg = Registration(birth_date=BORN, municipality="Östersund", name=name, school=SCHOOL,
                           notice_at=now - timedelta(days=days_ago), **given)
        return registration.register(app, reception, reg)["id"]

    def step(actor, case_id, name, when, **values):
        events.apply(app, actor, case_id, name, values, at=when)

    late = child("Sentbarn Uppdiktad", 8, language="ar", interpreter=True)
    booked = child("Bokbarn Påhittad", 3)
    step(reception, booked, "notify_parties", now - timedelta(days=3, hours=-1))
    step(hc, booked, "book_health_conversation", now - timedelta(days=2),
         start=(now + timedelta(days=3)).replace(hour=9, minute=0).isoformat())
    results = child("Svarbarn Låtsasson", 12, personnummer=pnr(BORN, "612"))
    step(reception, results, "notify_parties", now - timedelta(days=12, hours=-1))
    step(hc, results, "book_health_conversation", now - timedelta(days=11),
         start=(now - timedelta(days=10)).replace(hour=9, minute=0).isoformat())
    step(hc, results, "hold_health_conversation", (now - timedelta(days=10)).replace(hour=10, minute=0))
    step(hc, results, "record_results", now - timedelta(days=5), obstacle="yes", note=RESULTS_NOTE)
    return {"late": late, "booked": booked, "results": results}


def test_the_reception_units_children_are_accessible_and_hold_status_only(tab, server, axe_source):
    page = tab.page
    planted = plant(server)
    signed_in(tab, server, RECEPTION)
    page.goto("/children")
    assert page.locator("h1").inner_text() == "Barnen"
    assert page.locator('nav.pages a[aria-current="page"]').inner_text() == "Barnen"
    assert PREFIX not in page.content()
    late, results = planted["late"], planted["results"]
    assert page.locator(f'section[aria-labelledby="late-heading"] a[href="/cases/{late}"]').count() == 1
    row = page.locator("section[aria-labelledby='list-heading'] tr", has=page.locator(f'a[href="/cases/{results}"]'))
    assert "hinder: ja" in row.inner_text()
    assert_accessible(page, axe_source)
    screenshot(page, "reception", mask=[page.locator('table.children th[scope="row"], table.children td.when')])
    page.locator("#show-all").check()
    page.get_by_role("button", name="Visa listan").click()
    page.wait_for_url(re.compile(r"/children\?show=all"))
    assert_accessible(page, axe_source)


def test_the_schools_children_are_accessible(tab, server, axe_source):
    page = tab.page
    signed_in(tab, server, SCHOOL)
    page.goto("/children")
    assert page.locator("h1").inner_text() == "Barnen"
    assert page.locator('a[href="/register"]').count() == 0
    assert_accessible(page, axe_source)


def test_a_notice_is_registered_with_the_keyboard_and_its_number_checked_as_it_is_typed(tab, server, axe_source):
    page = tab.page
    signed_in(tab, server, RECEPTION)
    page.goto("/register")
    assert page.locator("h1").inner_text() == "Ny anmälan"
    assert_accessible(page, axe_source)
    good = pnr(BORN, "531")
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)

    tab_to(page, "birth_date")
    page.keyboard.type(BORN.isoformat())
    tab_to(page, "name")
    page.keyboard.type("Tangentbarn Påhittad")
    tab_to(page, "personnummer")
    page.keyboard.type(bad)
    check = page.locator("#personnummer-check")
    assert check.get_attribute("aria-live") == "polite"
    page.wait_for_function("() => document.getElementById('personnummer-check').textContent.includes('Kontrollsiffran')")
    assert page.locator("#personnummer").get_attribute("aria-invalid") == "true"
    assert "personnummer-check" in page.locator("#personnummer").get_attribute("aria-describedby")
    assert_accessible(page, axe_source)
    page.evaluate("() => window.scrollTo(0, 0)")
    screenshot(page, "register")

    page.keyboard.press("Control+a")
    page.keyboard.type(good)
    page.wait_for_function("() => document.getElementById('personnummer-check').textContent.includes('ser rätt ut')")
    assert page.locator("#personnummer").get_attribute("aria-invalid") is None
    tab_to(page, "interpreter")
    page.keyboard.press("Space")
    tab_to(page, "school")
    page.keyboard.press("ArrowDown")  # the first of the municipality's schools
    tab_to(page, "register-submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/cases/SC-[A-Z0-9]{8}$", page.url), page.url


def test_the_servers_checks_name_each_mistake_and_the_summary_takes_the_focus(tab, server, axe_source):
    page = tab.page
    signed_in(tab, server, RECEPTION)
    page.goto("/register")
    page.locator("#birth_date").fill("2019-02-30")
    page.locator("#dossier").fill("12-34")
    with page.expect_navigation():
        page.locator("#register-submit").click()
    summary = page.locator("#error-summary")
    assert summary.is_visible()
    assert summary.locator('a[href="#birth_date"]').count() == 1 and summary.locator('a[href="#dossier"]').count() == 1
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    assert page.locator("#dossier").input_value() == "12-34"  # what was typed is kept
    assert_accessible(page, axe_source)
    summary.locator('a[href="#dossier"]').press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "dossier"
