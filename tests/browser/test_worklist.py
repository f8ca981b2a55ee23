"""The nurse's work list and the search for a case in Chromium, over the demo region: accessible
(axe, WCAG 2.1 AA), the filter and the search used with the keyboard alone, and the picture of the
health centre's first page (docs/screens/worklist.png)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from screening.clock import STOCKHOLM
from screening.workdays import default_calendar
from tests.browser.axe import assert_accessible
from tests.browser.conftest import screenshot
from tests.e2e.support import call, pnr

NURSE, RECEPTION = "hc-sveg", "harjedalen-reception"  # a centre no other page's test gives children
NAMES = ("Sara Påhittsdotter", "Omid Testsson", "Hana Exempel", "Yonas Låtsas", "Lina Provsdotter")


@pytest.fixture(scope="module")
def nurse(server) -> str:
    """Härjedalen's children at steps a few working days before and after today (the server keeps
    the system's clock): one late, one due today, one in time, one with results in, one booked tomorrow."""
    now = datetime.now(STOCKHOLM).replace(second=0, microsecond=0)
    calendar, today = default_calendar(), now.date()

    def back(days: int) -> str:  # the working day `days` working days before today, at 09:00
        day = today
        for _ in range(days):
            day -= timedelta(days=1)
            while not calendar.is_working_day(day):
                day -= timedelta(days=1)
        return f"{day.isoformat()}T09:00"

    def child(n: int, notified: str, *options: str) -> str:
        found = call(server.url, "case", "register", "--birth-date", "2018-05-14", "--municipality", "Härjedalen",
                     "--name", NAMES[n], "--personnummer", pnr(datetime(2018, 5, 14).date(), serial=f"3{n}1"),
                     *options, user=RECEPTION, now=notified)
        call(server.url, "case", "event", found["id"], "notify_parties", user=RECEPTION, now=notified)
        return found["id"]

    child(0, back(8))
    child(1, back(5))
    child(2, back(1))
    results = child(3, back(12), "--language", "ti", "--interpreter")
    call(server.url, "case", "book", results, "--start", back(10), "--force", user=NURSE, now=back(11))
    call(server.url, "case", "event", results, "hold_health_conversation", "--at", back(10).replace("09:", "10:"),
         user=NURSE, now=back(10).replace("09:", "11:"))
    call(server.url, "case", "event", results, "record_results", "--set", "obstacle=yes", "--set",
         "note=MEDICAL-MARKER-BROWSER", user=NURSE, now=back(2))
    booked = child(4, back(1), "--language", "ar", "--interpreter")
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time()).replace(hour=9)
    call(server.url, "case", "book", booked, "--start", tomorrow.isoformat(timespec="minutes"), "--force",
         user=NURSE, now=now.isoformat(timespec="minutes"))
    server.account(NURSE)
    return NURSE


def signed_in(tab, server, user: str) -> None:
    tab.context.add_cookies([{"name": "screening_session", "value": server.session(user), "url": server.base}])


def test_the_work_list_is_accessible_and_filtered_with_the_keyboard(tab, server, axe_source, nurse):
    page = tab.page
    signed_in(tab, server, nurse)
    page.goto("/")
    page.wait_for_url(re.compile(r"/worklist$"))
    assert page.locator("h1").inner_text() == "Arbetslista"
    assert page.locator("nav.pages a[aria-current=page]").inner_text() == "Arbetslista"
    assert page.locator("table.wl-steps caption").count() == 1
    assert page.locator(".wl-steps tbody tr").count() >= 4 and "MEDICAL-MARKER" not in page.content()
    assert "Sara Påhittsdotter" in page.locator(".wl-steps tbody tr").first.inner_text()  # the latest first
    assert_accessible(page, axe_source)
    changing = page.locator(".wl-steps td:nth-child(4), .wl-appointments th[scope=row]")  # the dates
    page.set_viewport_size({"width": 1280, "height": 1100})  # the list itself in the picture, below the summary
    screenshot(page, "worklist", mask=[changing])
    page.set_viewport_size({"width": 1280, "height": 800})

    page.locator("#when").focus()
    page.keyboard.press("ArrowDown")  # "Försenade"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "kind"
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    query = parse_qs(urlsplit(page.url).query)
    assert urlsplit(page.url).path == "/worklist" and query.get("when") == ["overdue"]
    assert page.locator("#when").input_value() == "overdue"
    states = page.locator(".wl-steps tbody td:nth-child(5)").all_inner_texts()
    assert all(state.startswith("Försenat") for state in states)
    assert_accessible(page, axe_source)


def test_a_case_is_found_with_the_keyboard_and_the_search_is_accessible(tab, server, axe_source, nurse):
    page = tab.page
    signed_in(tab, server, nurse)
    page.goto("/worklist")
    first = page.locator(".wl-steps tbody th a, .wl-appointments tbody td a").first.inner_text()
    page.goto("/cases")
    assert page.locator("h1").inner_text() == "Sök ärende"
    assert_accessible(page, axe_source)
    page.keyboard.press("Tab")  # the skip link, then on through the header to the field
    for _ in range(12):
        if page.evaluate("document.activeElement.id") == "q":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type(first.lower())
    with page.expect_navigation():
        page.keyboard.press("Enter")
    found = page.locator("table.wl-found tbody th a")
    assert found.all_inner_texts() == [first] and found.first.get_attribute("href") == f"/cases/{first}"
    assert_accessible(page, axe_source)

    page.locator("#q").fill("x")
    with page.expect_navigation():
        page.locator("#q").press("Enter")
    assert page.locator("#q").get_attribute("aria-invalid") == "true"
    assert page.locator(".wl-error-summary a").get_attribute("href") == "#q"
    assert_accessible(page, axe_source)
