"""The coordinator's and admin's pages in Chromium: the region's overview refreshing itself (and paused
with its button), an alert acknowledged with the keyboard, the § 10 report with its charts, the access
log's sample drawn and reviewed, the users and the directory; each accessible (axe, WCAG 2.1 AA).
Screenshots: docs/screens/region.png (the coordinator's first page) and docs/screens/report.png.

The server keeps the system's clock; the children are registered in Krokom some weeks before today
(the database is a simulation, whose clock the command line sets), so that steps are late whatever
the date the tests run. Every child and person is invented."""

from __future__ import annotations

import contextlib
import io
import json
import re
from datetime import datetime, timedelta

import pytest

import cli
from screening.clock import STOCKHOLM
from tests.browser.axe import assert_accessible
from tests.browser.conftest import screenshot
from tests.e2e.support import ADMIN, COORDINATOR

KROKOM = "krokom-reception"


def _cli(url: str, user: str, now: datetime, *args: str) -> dict | list:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["--db", url, "--as", user, "--now", now.strftime("%Y-%m-%dT%H:%M"), "--json", *args])
    assert code == 0, (args, err.getvalue())
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def krokom(server) -> list[str]:
    """Six children of Krokom registered four weeks ago, three of them notified; the sweep run now."""
    now = datetime.now(STOCKHOLM).replace(second=0, microsecond=0)
    then = (now - timedelta(days=28)).replace(hour=10, minute=0)
    children = [_cli(server.url, KROKOM, then, "case", "register", "--birth-date", f"2017-05-{10 + n:02d}",
                     "--municipality", "Krokom", "--name", f"Provbarn {n} Låtsasson", "--language", "so",
                     "--interpreter")["id"] for n in range(6)]
    for case_id in children[:3]:
        _cli(server.url, KROKOM, then + timedelta(minutes=30), "case", "event", case_id, "notify_parties")
    _cli(server.url, COORDINATOR, now, "sweep")
    return children


def signed_in(tab, server, user: str) -> None:
    tab.context.add_cookies([{"name": "screening_session", "value": server.session(user), "url": server.base}])


def test_the_overview_is_accessible_refreshes_itself_and_pauses(tab, server, axe_source, krokom):
    page = tab.page
    signed_in(tab, server, COORDINATOR)
    page.clock.install()  # the page's timers, moved on by the test
    page.goto("/")
    assert page.url.endswith("/region") and page.locator("h1").inner_text() == "Regionen"
    assert page.locator('nav a[aria-current="page"]').inner_text() == "Regionen"
    assert page.locator("#overview").get_by_text(krokom[0]).count() + page.locator("#overview table").count() > 0
    assert_accessible(page, axe_source)
    screenshot(page, "region", mask=[page.locator(".as-of")])

    page.evaluate("() => { document.querySelector('#overview').dataset.old = 'yes'; "
                  "document.querySelector('.as-of').textContent = 'old'; }")
    page.clock.run_for(61_000)
    page.wait_for_function("() => document.querySelector('.as-of').textContent !== 'old'")
    assert page.locator("#overview-status").inner_text().startswith("Uppdaterad")
    assert page.locator("#overview-status").get_attribute("aria-live") == "polite"

    pause = page.get_by_role("button", name="Pausa uppdateringen")
    pause.focus()
    page.keyboard.press("Enter")
    assert page.locator("#overview-status").inner_text() == "Uppdateringen är pausad."
    page.evaluate("() => { document.querySelector('.as-of').textContent = 'old'; }")
    page.clock.run_for(121_000)
    page.wait_for_timeout(200)
    assert page.locator(".as-of").inner_text() == "old"  # paused: nothing fetched
    assert page.get_by_role("button", name="Fortsätt uppdatera").is_visible()
    assert_accessible(page, axe_source)


def test_without_script_the_overview_has_a_link_that_refreshes_it(browser, server, krokom):
    from tests.browser.conftest import VIEWPORT

    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORT, base_url=server.base,
                                  locale="sv-SE")
    try:
        context.add_cookies([{"name": "screening_session", "value": server.session(COORDINATOR),
                              "url": server.base}])
        page = context.new_page()
        page.goto("/region")
        assert page.locator("#overview-pause").count() == 0
        with page.expect_navigation():
            page.get_by_role("link", name="Uppdatera").click()
        assert page.url.endswith("/region") and page.locator("#overview table").count() >= 1
    finally:
        context.close()


def test_an_alert_is_acknowledged_with_the_keyboard(tab, server, axe_source, krokom):
    page = tab.page
    signed_in(tab, server, COORDINATOR)
    page.goto("/alerts")
    assert page.locator("h1").inner_text() == "Larm"
    assert_accessible(page, axe_source)
    row = page.locator("tbody tr").filter(has=page.get_by_role("button", name=re.compile("^Kvittera"))).first
    alert_id = row.get_attribute("id")
    row.get_by_role("button").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("p.notice[role=status]").inner_text() == "Larmet är kvitterat."
    assert page.locator(f"#{alert_id}").count() == 0
    page.goto("/alerts?done=1")
    assert page.locator(f"#{alert_id}").count() == 1
    assert_accessible(page, axe_source)


def test_the_report_shows_its_table_and_charts_and_takes_a_period_by_keyboard(tab, server, axe_source, krokom):
    page = tab.page
    signed_in(tab, server, COORDINATOR)
    page.goto("/report")
    page.wait_for_selector("table.report", timeout=30_000)  # or after the progress page asked again
    assert_accessible(page, axe_source)
    today = datetime.now(STOCKHOLM).date()
    page.locator("#from").fill(f"{today.year}-01-01")
    page.locator("#to").fill(today.isoformat())
    page.locator("#by-health_centre").focus()
    page.keyboard.press("Space")
    with page.expect_navigation():
        page.locator("#to").press("Enter")
    page.wait_for_selector("table.report", timeout=30_000)
    assert "by=health_centre" in page.url
    image = page.locator("figure.chart img")
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    assert "tabellen ovan" in image.get_attribute("alt")
    assert page.get_by_role("link", name=re.compile("CSV")).get_attribute("href").startswith("/report/report.csv?")
    assert_accessible(page, axe_source)
    page.evaluate("() => document.getElementById('report-form-heading').scrollIntoView()")
    changing = "#report-table-heading, table.report caption, #from, #to"  # the period ends today
    screenshot(page, "report", mask=[page.locator(changing)])


def test_a_sample_is_drawn_and_reviewed_with_the_keyboard(tab, server, axe_source, krokom):
    page = tab.page
    signed_in(tab, server, COORDINATOR)
    page.goto("/region")  # reads of cases, to sample
    page.goto("/audit")
    assert_accessible(page, axe_source)
    page.locator("#size").fill("5")
    with page.expect_navigation():
        page.locator("#size").press("Enter")
    assert re.search(r"/audit/[0-9a-f]{8}$", page.url)
    assert_accessible(page, axe_source)
    page.get_by_role("button", name="Anteckna").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "granskat utan anmärkning" in page.locator("#review-done").inner_text()


@pytest.mark.parametrize("user", [COORDINATOR, ADMIN])
def test_the_users_and_the_directory_are_accessible(tab, server, axe_source, user):
    page = tab.page
    signed_in(tab, server, user)
    for path, heading in (("/users", "Användare"), ("/directory", "Katalogen")):
        page.goto(path)
        assert page.locator("h1").inner_text() == heading
        assert_accessible(page, axe_source)
    page.goto("/users")
    assert (page.get_by_role("button", name=re.compile("^Stäng av")).count() > 0) == (user == ADMIN)


def test_an_admin_gives_a_one_time_password_with_the_keyboard(tab, server, axe_source):
    page = tab.page
    signed_in(tab, server, ADMIN)
    page.goto("/users")
    page.get_by_role("button", name="Ge engångslösenord: are-bvc-2").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#one-time-password").inner_text().strip()
    assert page.locator("#users-done").get_attribute("role") == "status"
    assert_accessible(page, axe_source)


def counting_page(server, monkeypatch) -> str:
    """The overview's page while its figures are being counted, as the server answers it then: made in-process
    over the same database, the read held back (a region of a million children takes seconds to count)."""
    import threading

    from starlette.testclient import TestClient

    from screening.services import region_pages
    from screening.storage import overview
    from web.app import create

    held, read = threading.Event(), overview.read

    def slow(*args, **kwargs):
        held.wait(30)
        return read(*args, **kwargs)

    monkeypatch.setattr(overview, "read", slow)
    monkeypatch.setattr(region_pages, "OVERVIEW_WAIT", 0.05)
    client = TestClient(create(server.app()), raise_server_exceptions=True)
    client.cookies.set("screening_session", server.session(COORDINATOR))
    try:
        answer = client.get("/region")
    finally:
        held.set()
        region_pages.overview_settled(30)
    assert answer.status_code == 200 and 'id="overview-working"' in answer.text
    return answer.text


def test_while_the_figures_are_counted_the_page_says_so_accessibly_and_asks_again(tab, server, axe_source, krokom,
                                                                                  monkeypatch):
    html = counting_page(server, monkeypatch)
    page = tab.page
    signed_in(tab, server, COORDINATOR)
    page.clock.install()
    page.route("**/region", lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8",
                                                        body=html))
    page.goto("/region")
    working = page.locator("#overview-working")
    assert working.is_visible() and working.get_by_role("heading").inner_text() == "Läget räknas fram"
    assert page.locator("#overview table").count() == 0
    assert_accessible(page, axe_source)
    page.clock.run_for(3_100)  # region.js asks /region/now again after three seconds (the live server's figures)
    page.wait_for_function("() => !document.getElementById('overview-working')")
    assert page.locator("#overview .as-of time").count() == 1
    assert page.locator("#overview-status").inner_text().startswith("Uppdaterad")
