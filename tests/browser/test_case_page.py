"""The case page in Chromium: accessible (axe, WCAG 2.1 AA) for the health centre and the reception
unit (its correction form too, and the access log's pages), a booking made with the keyboard alone
through the slot picker (radio buttons by day), and the interpreter tick bringing the times for the
visit at once (the page's script). The
server runs on the system's clock: the child is registered and notified now, and the times offered are
those free now. Every child is invented."""

from __future__ import annotations

import re
from datetime import date, datetime

from tests.browser.axe import assert_accessible
from tests.browser.conftest import screenshot

HC, RECEPTION = "hc-lugnvik", "ostersund-reception"


def notified_case(server) -> str:
    """A new child of Östersund at Hälsocentralen Lugnvik, the parties notified: the centre's to book."""
    from screening.services import events, users
    from screening.services.registration import Registration, register

    app = server.app()
    reception = users.identify(app, RECEPTION)
    notice = Registration(birth_date=date(2018, 9, 14), municipality="Östersund", name="Provbarn Låtsasdotter",
                          school="ostersund-school-norrby", language="ti", interpreter=True,
                          health_centre="hc-lugnvik")
    case_id = register(app, reception, notice)["id"]
    events.apply(app, reception, case_id, "notify_parties", {})
    return case_id


def signed_in(tab, server, user: str) -> None:
    tab.context.add_cookies([{"name": "screening_session", "value": server.session(user), "url": server.base}])


def test_the_health_centre_books_with_the_keyboard_through_the_slot_picker(tab, server, axe_source):
    page = tab.page
    case_id = notified_case(server)
    signed_in(tab, server, HC)
    page.goto(f"/cases/{case_id}")
    assert page.locator("h1").inner_text() == "Ärende"
    assert_accessible(page, axe_source)
    screenshot(page, "case", mask=[page.locator(".case-id, .slot-day legend")])  # new each run: the id, the days

    times = page.locator('#step-book_health_conversation input[name="start"]')
    assert times.count() >= 2
    second = times.nth(1).get_attribute("value")
    page.locator("#step-book_health_conversation .slot-other").focus()  # the link to the other need's times
    page.keyboard.press("Tab")  # into the times: one stop for the group
    assert page.evaluate("document.activeElement.name") == "start"
    page.keyboard.press("ArrowDown")  # the next time, chosen
    assert page.evaluate("document.activeElement.value") == second
    page.keyboard.press("Tab")  # out of the group: when it happened (left empty: now), then the form's button
    assert page.evaluate("document.activeElement.name") == "at"
    for _ in range(8):  # the date and time's parts, each a stop
        if page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Boka hälsosamtal"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(rf"/cases/{case_id}\?done=book_health_conversation$", page.url)
    assert "Registrerat" in page.locator('[role="status"]').inner_text()

    from screening.services import cases, users

    app = server.app()
    booked = cases.show(app, users.identify(app, HC), case_id)["bookings"]["health_conversation"]
    assert datetime.fromisoformat(booked) == datetime.fromisoformat(second)
    assert page.get_by_role("link", name=re.compile("Skriv ut brevet")).count() == 1
    assert_accessible(page, axe_source)


def test_the_reception_units_case_page_is_accessible_and_offers_no_medical_step(tab, server, axe_source):
    page = tab.page
    case_id = notified_case(server)
    signed_in(tab, server, RECEPTION)
    page.goto(f"/cases/{case_id}")
    assert_accessible(page, axe_source)
    assert page.locator("#step-record_results").count() == 0
    assert page.locator("#step-change_arrival").count() == 1
    page.locator("#step-change_arrival summary").focus()
    page.keyboard.press("Enter")  # the step's form opens from the keyboard
    assert page.locator("#step-change_arrival-arrival").is_visible()
    assert_accessible(page, axe_source)
    page.locator("#step-update_details summary").click()  # the correction: "Töm" ticks, the units by name
    assert page.locator("#step-update_details-name-clear").is_visible()
    assert page.locator("#step-update_details-school option").first.inner_text() == "Oförändrat"
    assert_accessible(page, axe_source)


def _starts(page) -> list[str]:
    return page.locator('#step-book_health_conversation input[name="start"]').evaluate_all(
        "inputs => inputs.map(input => input.value)")


def test_the_interpreter_tick_brings_the_times_for_the_visit_at_once(tab, server, axe_source):
    page = tab.page
    case_id = notified_case(server)
    signed_in(tab, server, HC)
    page.goto(f"/cases/{case_id}")
    with_interpreter = _starts(page)
    assert page.locator('button[name="show"]').count() == 0  # the times follow the tick: no button needed
    without = re.findall(r'name="start" value="([^"]+)"',
                         page.request.get(f"/cases/{case_id}?interpreter=no").text())
    assert without != with_interpreter  # a visit without an interpreter is shorter: other times

    tick = page.locator("#step-book_health_conversation-start-interpreter")
    tick.focus()
    page.keyboard.press("Space")  # untick: the times for a visit without an interpreter, the page not left
    status = page.locator("#step-book_health_conversation-start-status")
    status.filter(has_text="utan tolk").wait_for()
    assert _starts(page) == without and page.url.endswith(f"/cases/{case_id}")
    assert "utan tolk" in page.locator("#step-book_health_conversation .slots legend").first.inner_text()
    assert_accessible(page, axe_source)
    assert not tab.csp_violations()
    page.keyboard.press("Space")  # ticked again: the longer visit's times
    status.filter(has_text="med tolk").wait_for()
    assert _starts(page) == with_interpreter
    page.keyboard.press("Space")
    status.filter(has_text="utan tolk").wait_for()

    picked = page.locator('#step-book_health_conversation input[name="start"]').nth(1)
    value = picked.get_attribute("value")
    picked.check()
    with page.expect_navigation():
        page.locator("#step-book_health_conversation button[type=submit]").click()
    assert "Registrerat" in page.locator('[role="status"]').inner_text()

    from screening.services import cases, users

    app = server.app()
    seen = cases.show(app, users.identify(app, HC), case_id)
    assert datetime.fromisoformat(seen["bookings"]["health_conversation"]) == datetime.fromisoformat(value)
    assert seen["interpreter"] is False  # the tick as it was sent


def test_the_access_log_pages_are_accessible(tab, server, axe_source):
    page = tab.page
    case_id = notified_case(server)
    from screening.services import users

    app = server.app()
    school = users.identify(app, "ostersund-school-norrby")
    with app.reads() as reads:
        now = datetime.now().astimezone()
        reads.record_reads(school, [case_id] * 70, "show", now, now)
    signed_in(tab, server, HC)
    page.goto(f"/cases/{case_id}?reads=1")
    assert page.locator("table.case-log tbody tr").count() == 50
    assert_accessible(page, axe_source)
    with page.expect_navigation():
        page.get_by_role("link", name="Tidigare i åtkomstloggen").click()
    assert 0 < page.locator("table.case-log tbody tr").count() < 50
    assert page.get_by_role("link", name="Till de senaste").count() == 1
    assert_accessible(page, axe_source)
