"""The same day's work as test_flow.py, in a browser that runs no JavaScript at all (a context made with
java_script_enabled=False): every page works without its script, which only improves it (progressive
enhancement). Reception registers a notice, first with mistakes the server says on the page; the nurse
signs in with a password and a code, finds the child through the search form and books through the slot
picker (radio buttons and a submit button); the results with an obstacle (a <details> the browser opens
by itself); reception sees "hinder: ja"; the school's step sent from a page gone stale is refused in words,
then the start with adaptations; the coordinator's overview refreshed with its link (no script to do it)
and the breach attributed to reception.

axe needs JavaScript, so it runs in the other browser tests only; here every wait has a timeout (the
context's, 20 s) so that nothing can hang. Every person and text is invented."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import PASSWORD, VIEWPORT, WALKER, enter
from tests.e2e.support import COORDINATOR, HC, RECEPTION, SCHOOL

NOTE = "Påhittad anteckning utan skript: IGRA positiv"
REASON = "Anpassad start utan skript (påhittat)"
WAIT = 20_000  # ms: the longest any action or navigation may take (the machine may be busy)


@pytest.fixture
def bare(browser, server):
    """A page in a new context of its own with JavaScript off (not the shared `tab`)."""
    context = browser.new_context(viewport=VIEWPORT, locale="sv-SE", timezone_id="Europe/Stockholm",
                                  base_url=server.base, java_script_enabled=False)
    context.set_default_timeout(WAIT)
    context.set_default_navigation_timeout(WAIT)
    page = context.new_page()
    yield page
    context.close()


def _as(page, server, user: str) -> None:
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "screening_session", "value": server.session(user), "url": server.base}])


def _submit(page, button) -> None:
    """Click a submit button (the browser sends its form itself) or a link, and wait for the page it loads."""
    with page.expect_navigation(timeout=WAIT):
        button.click()


def _main(page) -> str:
    """What the page says, for a failure's message (no wait: the page may have none)."""
    main = page.locator("main")
    return f"{page.url}: " + (main.inner_text(timeout=WAIT)[:400] if main.count() else page.content()[:600])


def _send(step):
    """The step's own submit button (not one that only shows the form again, which has a name)."""
    return step.locator("button[type=submit]:not([name])")


def _do(page, event: str) -> None:
    form = page.locator(f"#step-{event}")
    assert form.count() == 1, f"{event} not offered: {_main(page)}"
    _submit(page, _send(form))
    assert "?done=" + event in page.url, _main(page)


def test_the_days_work_with_javascript_off(bare, server):
    page = bare
    now = datetime.now()
    notice_at = (now - timedelta(days=21)).replace(hour=9, minute=0).strftime("%Y-%m-%d %H:%M")
    born = f"{now.year - 8}-03-14"

    # 1. reception: the notice with a wrong personnummer and no birth date; the server says so on the page
    _as(page, server, RECEPTION)
    page.goto("/register")
    assert page.locator("script[src='/static/register.js']").count() == 1  # the script is there, not run
    page.locator("#name").fill("Skriptlös Påhittadsson")
    page.locator("#personnummer").fill("190101-0000")
    page.locator("#personnummer").blur()
    assert page.locator("#personnummer-check").inner_text() == ""  # register.js would have said it here
    _submit(page, page.locator("#register-submit"))
    assert urlsplit(page.url).path == "/register"
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert", _main(page)
    assert summary.locator("a[href='#birth_date']").count() == 1 and summary.locator("a[href='#personnummer']").count() == 1
    assert page.locator("#personnummer").get_attribute("aria-invalid") == "true"
    assert "personnummer-error" in page.locator("#personnummer").get_attribute("aria-describedby").split()
    assert page.locator("#personnummer-error").inner_text().strip()
    assert page.locator("#name").input_value() == "Skriptlös Påhittadsson"  # what was typed is kept

    # ... corrected and sent again: the case page
    page.locator("#personnummer").fill("")
    page.locator("#birth_date").fill(born)
    page.locator("#language").select_option("ti")
    page.locator("#interpreter").check()
    page.locator("#notice_at").fill(notice_at)
    page.locator("#health_centre").select_option(HC)
    page.locator("#school").select_option(SCHOOL)
    _submit(page, page.locator("#register-submit"))
    path = urlsplit(page.url).path
    assert re.fullmatch(r"/cases/SC-[A-Z0-9]+", path), _main(page)
    case_id = path.rsplit("/", 1)[1]
    _do(page, "notify_parties")

    # 2. the nurse signs in with the form, finds the child with the search form, books a time
    page.context.clear_cookies()
    page.goto("/signin")
    page.locator("#user").fill(WALKER)
    page.locator("#password").fill(PASSWORD)
    page.locator("#code").fill(server.accounts[WALKER].code())
    enter(page, page.locator("#code"), "/worklist")
    page.goto("/cases")
    page.locator("#q").fill(case_id)
    enter(page, page.locator("#q"), "/cases")
    found = page.locator(f"table.wl-found a[href='/cases/{case_id}']")
    assert found.count() == 1, _main(page)
    _submit(page, found)
    assert urlsplit(page.url).path == path
    picker = page.locator("#step-book_health_conversation")
    assert picker.get_attribute("open") is not None
    first_time = picker.locator("input[name=start]").first
    chosen = first_time.get_attribute("value")
    first_time.check()
    _submit(page, _send(picker))
    assert "?done=book_health_conversation" in page.url, _main(page)
    assert chosen[11:16] in page.locator("#bookings-heading + dl").inner_text()
    _do(page, "hold_health_conversation")
    results = page.locator("#step-record_results")
    assert results.get_attribute("open") is None
    results.locator("summary").click()  # the browser opens <details> itself
    assert results.get_attribute("open") is not None
    results.locator("input[name=obstacle][value=yes]").check()
    results.locator("textarea[name=note]").fill(NOTE)
    _submit(page, _send(results))
    assert "?done=record_results" in page.url and NOTE in page.content()
    assert page.locator(".made[role=status]").count() == 1

    # 3. reception: "hinder: ja" in its list of children (the filter form sent with its button), no note
    _as(page, server, RECEPTION)
    page.goto("/children")
    page.locator("#show-all").check()
    _submit(page, page.locator("form.filters button[type=submit]"))
    assert "show=all" in page.url
    for _ in range(40):
        row = page.locator("table.children tbody tr", has=page.locator(f'a[href="/cases/{case_id}"]'))
        if row.count():
            break
        more = page.locator("nav.paging a", has_text=re.compile("Nästa|Next"))
        assert more.count(), f"{case_id} not among the reception's children"
        _submit(page, more.first)
    assert "hinder: ja" in row.first.inner_text()
    assert NOTE not in page.content()

    # 4. the school: a step sent from a page gone stale is refused in words; then the start with adaptations
    _as(page, server, SCHOOL)
    page.goto(path)
    for event in ("invite_intro_meeting", "hold_intro_meeting"):
        _do(page, event)
    stale = page.context.new_page()
    stale.goto(path)  # a second tab, left open on the same step
    _do(page, "make_intro_plan")
    _submit(stale, _send(stale.locator("#step-make_intro_plan")))
    problem = stale.locator("#problem")
    assert problem.get_attribute("role") == "alert" and problem.locator(".error").inner_text().strip(), _main(stale)
    assert "?done=" not in stale.url
    history = "section[aria-labelledby=history-heading] tbody tr"
    recorded = stale.locator(history).count()
    stale.close()
    page.reload()
    assert page.locator(history).count() == recorded  # the refused step recorded nothing
    assert page.locator("#step-start_school").count() == 0  # not offered with an obstacle
    adapted = page.locator("#step-start_with_adaptations")
    if adapted.get_attribute("open") is None:
        adapted.locator("summary").click()
    adapted.locator("textarea[name=reason], input[name=reason]").first.fill(REASON)
    _submit(page, _send(adapted))
    assert "?done=start_with_adaptations" in page.url, _main(page)

    # 5. the coordinator: the overview, refreshed with its link (no pause button: that is the script's)
    _as(page, server, COORDINATOR)
    page.goto("/region")
    assert page.locator("#overview-pause").count() == 0
    assert page.locator("#overview h2").count() == 3
    refresh = page.locator("a#overview-refresh")
    assert refresh.is_visible()
    _submit(page, refresh)
    assert urlsplit(page.url).path == "/region" and page.locator("#overview .as-of time").count() == 1

    # ... the § 10 report: a date that is none said at its field; the figures reached by the page's own link
    page.goto("/report")
    page.locator("#from").fill("2026-13-45")
    with page.expect_navigation(timeout=WAIT) as sent:
        page.locator("#from").press("Enter")
    assert sent.value.status == 422 and urlsplit(page.url).path == "/report"
    assert page.locator("#from").get_attribute("aria-invalid") == "true"
    assert page.locator("#from-error").inner_text().strip(), _main(page)
    page.locator("#from").fill("")
    enter(page, page.locator("#from"), "/report")
    for _ in range(30):  # while it is computed, the page's link asks again (region.js would, every 3 s)
        if page.locator("table.report").count():
            break
        assert page.locator("#report-working").count() == 1, _main(page)
        page.wait_for_timeout(500)
        _submit(page, page.locator("#report-working a[href^='/report?']"))
    assert page.locator("table.report").count() == 1, _main(page)
    page.goto(path)
    deadlines = {row.locator("th").inner_text().strip(): row.inner_text()
                 for row in page.locator("section.track tbody tr").all()}
    notified, booking = deadlines["underrätta parterna"], deadlines["boka hälsosamtal"]
    assert "mottagningsenhet" in notified and "klar för sent" in notified, notified
    assert "klar i tid" in booking, booking
    assert NOTE not in page.content()
