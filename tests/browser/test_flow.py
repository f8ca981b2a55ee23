"""Issue 19's flow end to end in Chromium, each party on its own pages as a new user would work: a notice
registered by reception on /register (received three weeks ago) and the
parties told late; booked by the nurse through the slot picker on the case page; results with an
obstacle and a note; reception sees "hinder: ja" and never the note; the school's plain start refused
in words with nothing changed, then a start with adaptations; the coordinator sees the breach
attributed to the right party: the late notification reception's, the booking in time (it runs from the
parties' notification, step 3), so nothing against the health centre.

The server keeps the system's clock, so the times here are the system's, and the notice's time is set
relative to it (21 days back: the notification late whatever the day). Every person and
text is invented."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from tests.browser.axe import assert_accessible
from tests.e2e.support import COORDINATOR, HC, RECEPTION, SCHOOL

NOTE = "Påhittad anteckning: IGRA positiv, lungröntgen bokas"  # the medical note no other party may see
REASON = "Anpassad start enligt smittskyddets råd (påhittat)"


def _as(tab, server, user: str) -> None:
    """The tab's browser signed in as `user` (a new session, the cookie replaced)."""
    tab.context.clear_cookies()
    tab.context.add_cookies([{"name": "screening_session", "value": server.session(user), "url": server.base}])


def _step(page, event: str):
    """The case page's form of `event` (a button, or a form inside its <details>)."""
    return page.locator(f"#step-{event}")


def _do(page, event: str) -> None:
    """Press the step's button (a step without values); the page comes back saying it is done."""
    form = _step(page, event)
    assert form.count() == 1, f"{event} not offered: {page.locator('#steps-heading + *').inner_text()[:300]}"
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "?done=" + event in page.url, page.locator("main").inner_text()[:400]


def _children_row(page, case_id: str):
    """The reception's row of the case in /children, following the list's pages."""
    page.goto("/children?show=all")
    for _ in range(40):
        row = page.locator("table.children tbody tr", has=page.locator(f'a[href="/cases/{case_id}"]'))
        if row.count():
            return row.first
        more = page.locator("nav.paging a", has_text=re.compile("Nästa|Next"))
        assert more.count(), f"{case_id} not among the reception's children"
        more.first.click()
        page.wait_for_load_state()
    raise AssertionError(f"{case_id} not found in 40 pages")


def test_notice_booking_results_obstacle_school_start_and_the_breach_attributed(tab, server, axe_source):
    page = tab.page
    now = datetime.now()
    notice_at = (now - timedelta(days=21)).replace(hour=9, minute=0).strftime("%Y-%m-%d %H:%M")
    born = f"{now.year - 8}-03-14"

    # reception registers the notice on /register, then tells the parties (late: three weeks on)
    _as(tab, server, RECEPTION)
    page.goto("/register")
    page.locator("#birth_date").fill(born)
    page.locator("#name").fill("Flödesbarn Påhittadsson")
    page.locator("#language").select_option("ti")
    page.locator("#interpreter").check()
    page.locator("#notice_at").fill(notice_at)
    page.locator("#health_centre").select_option(HC)
    page.locator("#school").select_option(SCHOOL)
    with page.expect_navigation():
        page.locator("form.register button[type=submit]").click()
    path = urlsplit(page.url).path
    assert re.fullmatch(r"/cases/SC-[A-Z0-9]+", path), page.locator("main").inner_text()[:400]
    case_id = path.rsplit("/", 1)[1]
    _do(page, "notify_parties")

    # the nurse books the health conversation through the slot picker, holds it, records the results
    _as(tab, server, HC)
    page.goto(path)
    picker = _step(page, "book_health_conversation")
    assert picker.get_attribute("open") is not None  # opened: the times are what there is to do
    first_time = picker.locator("input[name=start]").first
    chosen = first_time.get_attribute("value")
    first_time.check()
    assert_accessible(page, axe_source)
    with page.expect_navigation():
        picker.locator("button[type=submit]").click()
    assert "?done=book_health_conversation" in page.url, page.locator("main").inner_text()[:400]
    booked = page.locator("#bookings-heading + dl").inner_text()
    assert chosen[11:16] in booked, (chosen, booked)
    _do(page, "hold_health_conversation")
    results = _step(page, "record_results")
    results.locator("summary").click()
    results.locator("input[name=obstacle][value=yes]").check()
    results.locator("textarea[name=note]").fill(NOTE)
    with page.expect_navigation():
        results.locator("button[type=submit]").click()
    assert "?done=record_results" in page.url and NOTE in page.content()

    # reception: "hinder: ja" in its list of children, and the note nowhere
    _as(tab, server, RECEPTION)
    row = _children_row(page, case_id)
    assert "hinder: ja" in row.inner_text()
    assert NOTE not in page.content()
    page.goto(path)
    assert NOTE not in page.content() and "IGRA" not in page.content()

    # the school: introduction meeting and plan; a plain start refused in words, nothing changed; then adapted
    _as(tab, server, SCHOOL)
    page.goto(path)
    assert NOTE not in page.content()
    for event in ("invite_intro_meeting", "hold_intro_meeting", "make_intro_plan"):
        _do(page, event)
    assert _step(page, "start_school").count() == 0  # not offered with an obstacle
    version = page.locator("#step-start_with_adaptations input[name=if_version]").input_value()
    # a page from before the results (or a forged form) asks for the plain start anyway: refused on the page
    with page.expect_navigation():
        page.evaluate("""() => {
            const form = document.querySelector('#step-start_with_adaptations form');
            form.querySelector('input[name=event]').value = 'start_school';
            form.noValidate = true;
            form.submit();
        }""")
    problem = page.locator("#problem")
    assert problem.is_visible() and problem.get_attribute("role") == "alert"
    assert page.locator("#step-start_with_adaptations input[name=if_version]").input_value() == version  # unchanged
    assert_accessible(page, axe_source)
    adapted = _step(page, "start_with_adaptations")
    if adapted.locator("summary").count() and adapted.get_attribute("open") is None:
        adapted.locator("summary").click()
    adapted.locator("textarea[name=reason], input[name=reason]").first.fill(REASON)
    with page.expect_navigation():
        adapted.locator("button[type=submit]").click()
    assert "?done=start_with_adaptations" in page.url, page.locator("main").inner_text()[:400]

    # the coordinator: the region's overview, and the late booking answered for by reception (upstream)
    _as(tab, server, COORDINATOR)
    page.goto("/region")
    assert page.locator("h1").count() == 1
    assert_accessible(page, axe_source)
    page.goto(path)
    deadlines = {row.locator("th").inner_text().strip(): row.inner_text()
                 for row in page.locator("section.track tbody tr").all()}
    notified, booking = deadlines["underrätta parterna"], deadlines["boka hälsosamtal"]
    assert "mottagningsenhet" in notified and "klar för sent" in notified, notified  # reception's breach
    assert "klar i tid" in booking, booking  # the nurse booked in time: nothing against the health centre
    assert NOTE not in page.content()
