"""The coordinator's and admin's pages in-process, on SQLite and PostgreSQL: the region's overview,
alerts acknowledged, the § 10 report (its figures those of `report --json`, kept per period, computed
in the background), the access log's sample and review, users (disable, a second factor reset, a
one-time password shown once) and the directory; every other role a 403 page; no medical content on
any of them. Every child, person and note is invented."""

from __future__ import annotations

import re
import threading
import time
from datetime import date, datetime

import pytest

from screening.clock import STOCKHOLM
from screening.services import (
    accounts,
    admin,
    alerts,
    cases,
    events,
    follow_up,
    registration,
    sessions,
    users,
)
from tests.web.conftest import T, csrf_of

COORDINATOR, ADMIN, HC, RECEPTION = "region-coordinator", "admin", "hc-lugnvik", "ostersund-reception"
MARKER = "MARKER-7f3a"  # as tests/e2e/test_secrecy.py: never on a page for these roles
RESULTS_NOTE = f"{MARKER}-TUBERKULOS-IGRA-POSITIV"
DECLINE_REASON = f"{MARKER}-AVBOJT-HEPATIT-B"
PAGES = ("/region", "/region/now", "/alerts", "/alerts?done=1", "/report", "/audit", "/users", "/directory")
FROM, TO = "2026-01-01", "2026-11-23"


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=STOCKHOLM)


@pytest.fixture
def region(site):
    """Six invented children of Östersund registered on 2 November, one through its results with a
    planted note, one declined with a planted reason; the sweep on 23 November raised the alerts."""
    app = site.app
    site.at(at(2))
    reception, hc = users.identify(app, RECEPTION), users.identify(app, HC)
    site.cases = []
    for n in range(6):
        made = registration.register(app, reception, registration.Registration(
            birth_date=date(2016, 3, 1 + n), municipality="Östersund", name=f"Testbarn {n} Påhittadsson",
            language="ti", interpreter=True))
        site.cases.append(made["id"])
    first, second = site.cases[:2]
    for case_id in site.cases[:3]:
        events.apply(app, reception, case_id, "notify_parties", {})
    site.at(at(3))
    events.apply(app, hc, first, "book_health_conversation", {"start": "2026-11-05T09:00"})
    site.at(at(5))
    events.apply(app, hc, first, "hold_health_conversation", {})
    site.at(at(10))
    events.apply(app, hc, first, "record_results", {"obstacle": "yes", "note": RESULTS_NOTE})
    events.apply(app, hc, second, "decline", {"reason": DECLINE_REASON})
    site.at(T)
    alerts.sweep(app, users.identify(app, COORDINATOR))
    return site


def signed_in(site, user: str):
    """A browser with a session of `user` (started by the service, as a sign-in would)."""
    browser = site.browser()
    browser.cookies.set("screening_session", sessions.start(site.app, user)["session"])
    return browser


def csrf(browser, path: str = "/region") -> str:
    return csrf_of(browser.get(path).text)


@pytest.mark.parametrize("user", [COORDINATOR, ADMIN])
def test_each_page_answers_the_coordinator_and_the_admin(region, user):
    browser = signed_in(region, user)
    for path in PAGES:
        page = browser.get(path)
        assert page.status_code == 200, (path, page.text[-500:])
    assert browser.get("/", follow_redirects=False).headers["location"] == "/region"
    overview = browser.get("/region").text
    assert re.search(r'<a href="/region" aria-current="page">Regionen</a>', overview)
    assert '<script src="/static/region.js" defer></script>' in overview
    assert 'href="/region" id="overview-refresh"' in overview  # without script: a link that refreshes
    assert "http-equiv" not in overview
    fragment = browser.get("/region/now").text
    assert "<html" not in fragment and "Längst väntande barn" in fragment
    assert any(case_id in overview for case_id in region.cases)


def list_reads(site, user: str) -> list[str]:
    """The cases recorded as listed (`list`) by `user`, one a row."""
    from screening.services import cases

    hc = users.identify(site.app, ADMIN)
    found = []
    for case_id in site.cases:
        found += [case_id for row in cases.history(site.app, hc, case_id, reads_too=True)
                  if row.get("event") == "list" and row.get("user") == user]
    return found


def test_the_overview_shows_the_figures_of_overview_json_and_records_each_persons_reads_once(region):
    expected = follow_up.overview(region.app, users.identify(region.app, ADMIN), oldest=10,
                                  audited=set(region.cases))  # read here, recorded by nobody
    browser = signed_in(region, COORDINATOR)
    page = browser.get("/region").text
    for row in expected["oldest"]:
        assert '<a href="/cases/{0}">{0}</a>'.format(row["case"]) in page
        assert f'<td class="number">{row["days_overdue"]}</td>' in page
    assert f'<td class="number">{expected["total"]["breaches"]}</td>' in page
    listed = [row["case"] for row in expected["oldest"]]
    assert sorted(list_reads(region, COORDINATOR)) == sorted(listed)
    browser.get("/region/now")
    region.later(minutes=1)
    browser.get("/region/now")
    assert sorted(list_reads(region, COORDINATOR)) == sorted(listed)  # shown again: not recorded again
    signed_in(region, ADMIN).get("/region")  # another person: their own reads, the figures shared
    assert sorted(list_reads(region, ADMIN)) == sorted(listed)


def test_the_overviews_figures_are_shared_for_thirty_seconds_then_read_again(region):
    from screening.services import region_pages

    browser = signed_in(region, COORDINATOR)
    total = follow_up.overview(region.app, users.identify(region.app, ADMIN), audited=set(region.cases))["total"]
    unacknowledged = f'<td class="number">{total["unacknowledged_alerts"]}</td></tr>\n  </tfoot>'
    assert unacknowledged in browser.get("/region").text
    alert_id = alerts.listing(region.app, users.identify(region.app, ADMIN), open_only=True)[0]["id"]
    alerts.acknowledge(region.app, users.identify(region.app, ADMIN), alert_id)
    region.later(seconds=20)
    assert unacknowledged in browser.get("/region/now").text  # the figures of 20 s ago
    region.later(seconds=11)
    fewer = f'<td class="number">{total["unacknowledged_alerts"] - 1}</td></tr>\n  </tfoot>'
    assert unacknowledged in browser.get("/region/now").text  # shown at once, newer ones read meanwhile
    assert region_pages.overview_settled(10)
    assert fewer in browser.get("/region/now").text


def test_figures_a_few_minutes_old_are_shown_with_a_word_that_newer_ones_are_counted(region):
    from screening.services import region_pages

    browser = signed_in(region, COORDINATOR)
    total = follow_up.overview(region.app, users.identify(region.app, ADMIN), audited=set(region.cases))["total"]
    unacknowledged = f'<td class="number">{total["unacknowledged_alerts"]}</td></tr>\n  </tfoot>'
    first = browser.get("/region").text
    assert unacknowledged in first and 'id="overview-stale"' not in first
    alert_id = alerts.listing(region.app, users.identify(region.app, ADMIN), open_only=True)[0]["id"]
    alerts.acknowledge(region.app, users.identify(region.app, ADMIN), alert_id)
    region.later(minutes=5)  # a screen left unwatched: its figures shown, said to be old, read again meanwhile
    stale = browser.get("/region/now").text
    assert unacknowledged in stale and "nya räknas fram" in stale
    assert region_pages.overview_settled(10)
    fewer = f'<td class="number">{total["unacknowledged_alerts"] - 1}</td></tr>\n  </tfoot>'
    now = browser.get("/region/now").text
    assert fewer in now and 'id="overview-stale"' not in now


def test_figures_an_hour_old_are_not_shown_but_read_while_one_waits_a_moment(region, monkeypatch):
    from screening.services import region_pages

    monkeypatch.setattr(region_pages, "OVERVIEW_WAIT", 30)  # a moment here: however loaded the machine is
    browser = signed_in(region, COORDINATOR)
    total = follow_up.overview(region.app, users.identify(region.app, ADMIN), audited=set(region.cases))["total"]
    assert f'<td class="number">{total["unacknowledged_alerts"]}</td></tr>\n  </tfoot>' in browser.get("/region").text
    alert_id = alerts.listing(region.app, users.identify(region.app, ADMIN), open_only=True)[0]["id"]
    alerts.acknowledge(region.app, users.identify(region.app, ADMIN), alert_id)
    region.later(hours=1)
    browser = signed_in(region, COORDINATOR)  # the session of an hour ago has timed out
    fewer = f'<td class="number">{total["unacknowledged_alerts"] - 1}</td></tr>\n  </tfoot>'
    page = browser.get("/region/now").text
    assert fewer in page and 'id="overview-stale"' not in page


def test_while_the_figures_are_counted_the_page_says_so_and_shows_them_once_counted(region, monkeypatch):
    import threading

    from screening.services import region_pages
    from screening.storage import overview

    released, read = threading.Event(), overview.read

    def slow(*args, **kwargs):
        assert released.wait(30)
        return read(*args, **kwargs)

    monkeypatch.setattr(overview, "read", slow)
    monkeypatch.setattr(region_pages, "OVERVIEW_WAIT", 0.05)
    browser = signed_in(region, COORDINATOR)
    for path in ("/region", "/region/now"):
        page = browser.get(path)
        assert page.status_code == 200
        assert 'id="overview-working"' in page.text and "Läget räknas fram" in page.text
        assert not any(case_id in page.text for case_id in region.cases)
    assert list_reads(region, COORDINATOR) == []  # nothing shown, nothing recorded
    released.set()
    assert region_pages.overview_settled(10)
    total = follow_up.overview(region.app, users.identify(region.app, ADMIN), audited=set(region.cases))["total"]
    page = browser.get("/region/now").text
    assert 'id="overview-working"' not in page
    assert f'<td class="number">{total["breaches"]}</td>' in page


@pytest.mark.parametrize("user", [HC, RECEPTION])
def test_another_role_gets_a_403_page_and_none_of_the_data(region, user):
    browser = signed_in(region, user)
    token = csrf(browser, "/profile")
    for path in PAGES + ("/report/report.csv", "/report/chart.png", "/audit/abcd1234"):
        page = browser.get(path)
        assert page.status_code == 403, path
        assert "samordnare och administratörer" in page.text
        assert not any(case_id in page.text for case_id in region.cases), path
    alert_id = alerts.listing(region.app, users.identify(region.app, ADMIN))[0]["id"]
    assert browser.post(f"/alerts/{alert_id}/ack", data={"csrf": token}).status_code == 403
    assert browser.post(f"/users/{HC}/disable", data={"csrf": token}).status_code == 403
    assert not alerts.listing(region.app, users.identify(region.app, ADMIN))[0]["acknowledged"]


def test_signed_out_the_pages_lead_to_the_sign_in(region):
    browser = region.browser()
    for path in PAGES:
        answer = browser.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/signin"


def test_an_alert_is_acknowledged_with_its_button(region):
    browser = signed_in(region, COORDINATOR)
    page = browser.get("/alerts")
    first = re.search(r'action="/alerts/(\d+)/ack"', page.text).group(1)
    done = browser.post(f"/alerts/{first}/ack", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/alerts?acked={first}"
    assert "Larmet är kvitterat." in browser.get(done.headers["location"]).text
    listed = {a["id"]: a for a in alerts.listing(region.app, users.identify(region.app, ADMIN))}
    assert listed[int(first)]["acknowledged"]
    assert f'action="/alerts/{first}/ack"' not in browser.get("/alerts").text
    assert f'id="alert-{first}"' in browser.get("/alerts?done=1").text


def test_an_acknowledgement_without_the_csrf_token_is_refused_and_changes_nothing(region):
    browser = signed_in(region, COORDINATOR)
    first = re.search(r'action="/alerts/(\d+)/ack"', browser.get("/alerts").text).group(1)
    for data in ({}, {"csrf": "not-the-token"}):
        assert browser.post(f"/alerts/{first}/ack", data=data).status_code == 403
    assert not any(a["acknowledged"] for a in alerts.listing(region.app, users.identify(region.app, ADMIN)))


def test_the_alerts_ticked_on_the_page_are_acknowledged_together_with_their_audit(region):
    browser = signed_in(region, COORDINATOR)
    page = browser.get("/alerts")
    ticks = re.findall(r'<input type="checkbox" name="(alert-\d+)" value="1" form="alerts-ack"', page.text)
    assert len(ticks) >= 3 and '<form method="post" action="/alerts/ack" id="alerts-ack">' in page.text
    chosen = ticks[:2]
    done = browser.post("/alerts/ack", data={"csrf": csrf_of(page.text), **{name: "1" for name in chosen}},
                        follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/alerts?acked_many=2"
    assert "2 larm är kvitterade." in browser.get(done.headers["location"]).text
    listed = {a["id"]: a["acknowledged"] for a in alerts.listing(region.app, users.identify(region.app, ADMIN))}
    assert {alert_id for alert_id, acked in listed.items() if acked} == {int(name[6:]) for name in chosen}
    admin = users.identify(region.app, ADMIN)
    case_of = {a["id"]: a["case"] for a in alerts.listing(region.app, admin)}
    chosen_cases = [case_of[int(name[6:])] for name in chosen]
    for case_id in set(chosen_cases):
        acks = [entry["user"] for entry in cases.history(region.app, admin, case_id)
                if entry["event"] == "acknowledge_alert"]
        assert acks == [COORDINATOR] * chosen_cases.count(case_id)


def test_a_tick_for_an_unknown_alert_or_none_at_all_acknowledges_nothing(region):
    browser = signed_in(region, COORDINATOR)
    page = browser.get("/alerts")
    known = re.findall(r'name="(alert-\d+)"', page.text)[0]
    for ticked, words in (({known: "1", "alert-999999999": "1"}, "Okänt larm"),
                          ({}, "välj minst ett larm att kvittera")):
        answer = browser.post("/alerts/ack", data={"csrf": csrf_of(page.text), **ticked})
        assert answer.status_code in (404, 422) and words.lower() in answer.text.lower()
    assert not any(a["acknowledged"] for a in alerts.listing(region.app, users.identify(region.app, ADMIN)))
    assert browser.post("/alerts/ack", data={known: "1"}).status_code == 403  # no CSRF token


def test_the_alerts_come_a_page_of_fifty_at_a_time(region, monkeypatch):
    from screening.services import region_pages

    monkeypatch.setattr(region_pages, "PAGE", 2)
    browser = signed_in(region, COORDINATOR)
    total = len(alerts.listing(region.app, users.identify(region.app, ADMIN), open_only=True))
    assert total > 2
    seen, path = [], "/alerts"
    while path:
        page = browser.get(path).text
        seen += re.findall(r'id="alert-(\d+)"', page)
        more = re.search(r'<a href="(/alerts\?after=[^"]+)">Fler larm</a>', page)
        path = more.group(1).replace("&amp;", "&") if more else None
    assert len(seen) == len(set(seen)) == total


def report_json(url: str, *options: str) -> dict:
    """`screening report --json` as the coordinator at T, in-process."""
    import io
    import json
    from contextlib import redirect_stderr, redirect_stdout

    import cli

    out, err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8"), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["--db", url, "--as", COORDINATOR, "--now", T.strftime("%Y-%m-%dT%H:%M"), "--json", "report",
                         *options])
    assert code == 0, err.getvalue()
    out.flush()
    return json.loads(out.buffer.getvalue().decode("utf-8"))


def report_cells(html: str) -> list[str]:
    table = html.split('<table class="report">', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<td class="number">([^<]*)</td>', table)


@pytest.mark.parametrize("by", ["municipality", "health_centre"])
def test_the_report_pages_figures_are_those_of_report_json(region, by):
    from screening.report import figure_names
    from screening.report_formats import cell
    expected = report_json(region.url, "--from", FROM, "--to", TO, "--by", by)
    assert expected["rows"][-1]["notices"] == 6
    page = signed_in(region, COORDINATOR).get(f"/report?from={FROM}&to={TO}&by={by}")
    assert page.status_code == 200 and "report-working" not in page.text
    assert report_cells(page.text) == [cell(name, row[name]) for name in figure_names() for row in expected["rows"]]
    assert f'src="/report/chart.png?from={FROM}&amp;to={TO}&amp;by={by}"' in page.text
    assert 'alt="Diagram över uppföljningen' in page.text


def test_the_reports_downloads_are_its_csv_and_its_charts(region):
    from screening.report_formats import csv_bytes

    browser = signed_in(region, ADMIN)
    query = f"from={FROM}&to={TO}&by=municipality"
    data = follow_up.report(region.app, users.identify(region.app, ADMIN), since=date(2026, 1, 1),
                            until=date(2026, 11, 23))
    csv = browser.get(f"/report/report.csv?{query}")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.content == csv_bytes(data)
    png = browser.get(f"/report/chart.png?{query}")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n") and len(png.content) > 10_000


def test_the_report_is_computed_once_per_period_and_again_once_cases_changed_and_it_is_older(region, monkeypatch):
    computed = []
    real = follow_up.report

    def counted(*args, **kwargs):
        computed.append(kwargs.get("since"))
        return real(*args, **kwargs)

    monkeypatch.setattr(follow_up, "report", counted)
    browser = signed_in(region, COORDINATOR)
    first = browser.get(f"/report?from={FROM}&to={TO}")
    again = browser.get(f"/report?from={FROM}&to={TO}")
    assert len(computed) == 1 and report_cells(first.text) == report_cells(again.text)
    browser.get(f"/report/chart.png?from={FROM}&to={TO}")
    browser.get(f"/report/report.csv?from={FROM}&to={TO}")
    assert len(computed) == 1
    browser.get("/report?from=2026-11-01&to=2026-11-23")  # another period: computed for itself
    assert len(computed) == 2

    region.later(minutes=5)
    events.apply(region.app, users.identify(region.app, RECEPTION), region.cases[3], "notify_parties", {})
    changed = browser.get(f"/report?from={FROM}&to={TO}")  # younger than ten minutes: kept
    assert len(computed) == 2 and 'id="report-refreshing"' not in changed.text
    region.later(minutes=10)
    older = browser.get(f"/report?from={FROM}&to={TO}")  # the old figures, the newer ones under way
    assert 'id="report-refreshing"' in older.text and report_cells(older.text) == report_cells(first.text)
    for _ in range(600):  # the newer report replaces the older once computed
        kept = next(job for job in browser.app.state.reports._jobs.values() if job.key[0] == date(2026, 1, 1))
        if len(computed) == 3 and kept.done.is_set() and kept.newer is None:
            break
        time.sleep(0.05)
    newer = browser.get(f"/report?from={FROM}&to={TO}")
    assert len(computed) == 3 and 'id="report-refreshing"' not in newer.text
    assert report_cells(newer.text) != report_cells(first.text)  # the fourth child notified is counted


def test_a_slow_report_shows_its_progress_then_its_figures(region, monkeypatch):
    from web import region as pages

    release = threading.Event()
    real = follow_up.report

    def slow(*args, **kwargs):
        release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(follow_up, "report", slow)
    monkeypatch.setattr(pages, "REPORT_WAIT", 0.05)
    browser = signed_in(region, COORDINATOR)
    working = browser.get(f"/report?from={FROM}&to={TO}")
    assert working.status_code == 200 and 'id="report-working"' in working.text
    assert "<progress" in working.text and f'href="/report?from={FROM}&amp;to={TO}"' in working.text
    assert '<table class="report">' not in working.text
    release.set()
    monkeypatch.setattr(pages, "REPORT_WAIT", 10)
    done = browser.get(f"/report?from={FROM}&to={TO}")
    assert '<table class="report">' in done.text and 'id="report-working"' not in done.text


def test_a_report_with_a_bad_date_says_which_field(region):
    page = signed_in(region, COORDINATOR).get("/report?from=2026-13-01&to=")
    assert page.status_code == 422
    assert 'id="from-error"' in page.text and 'href="#from"' in page.text


def test_a_sample_is_drawn_shown_and_its_review_recorded(region):
    browser = signed_in(region, COORDINATOR)
    browser.get("/region")  # reads of cases to sample
    page = browser.get("/audit")
    drawn = browser.post("/audit", data={"csrf": csrf_of(page.text), "size": "5", "from": "2026-11-01",
                                         "to": "2026-11-23"}, follow_redirects=False)
    assert drawn.status_code == 303
    sample_id = drawn.headers["location"].rsplit("/", 1)[1]
    shown = browser.get(drawn.headers["location"])
    assert shown.status_code == 200 and f"Stickprov {sample_id}" in shown.text
    assert len(re.findall(r"<tr><th scope=\"row\">", shown.text)) == 5
    reviewed = browser.post(f"/audit/{sample_id}/review", data={"csrf": csrf_of(shown.text), "outcome": "ok"},
                            follow_redirects=False)
    assert reviewed.status_code == 303
    recorded = admin.administration(region.app, users.identify(region.app, ADMIN), kind="review")
    assert [(r["detail"]["sample"], r["detail"]["outcome"], r["user"]) for r in recorded] == \
        [(sample_id, "ok", COORDINATOR)]
    assert "granskat utan anmärkning" in browser.get(f"/audit/{sample_id}").text
    assert "granskat utan anmärkning" in browser.get("/audit").text
    again = browser.post(f"/audit/{sample_id}/review", data={"csrf": csrf_of(shown.text), "outcome": "ok"})
    assert again.status_code == 403
    assert len(admin.administration(region.app, users.identify(region.app, ADMIN), kind="review")) == 1


def test_a_finding_is_recorded_in_the_reviewers_words_and_an_empty_one_refused(region):
    browser = signed_in(region, ADMIN)
    page = browser.get("/audit")
    sample_path = browser.post("/audit", data={"csrf": csrf_of(page.text), "size": "3"},
                               follow_redirects=False).headers["location"]
    sample_id = sample_path.rsplit("/", 1)[1]
    token = csrf_of(browser.get(sample_path).text)
    empty = browser.post(f"{sample_path}/review", data={"csrf": token, "outcome": "finding", "finding": "  "})
    assert empty.status_code == 422 and 'id="finding-error"' in empty.text
    assert not admin.administration(region.app, users.identify(region.app, ADMIN), kind="review")
    no_token = browser.post(f"{sample_path}/review", data={"outcome": "ok"})
    assert no_token.status_code == 403
    assert not admin.administration(region.app, users.identify(region.app, ADMIN), kind="review")
    browser.post(f"{sample_path}/review", data={"csrf": token, "outcome": "finding",
                                                "finding": "hc-lugnvik läste ett ärende utanför sin tjänst"})
    recorded = admin.administration(region.app, users.identify(region.app, ADMIN), kind="review")
    assert recorded[0]["detail"] == {"sample": sample_id, "outcome": "finding",
                                     "finding": "hc-lugnvik läste ett ärende utanför sin tjänst"}


def test_a_bad_sample_size_is_said_by_its_field_and_nothing_is_drawn(region):
    browser = signed_in(region, COORDINATOR)
    page = browser.get("/audit")
    refused = browser.post("/audit", data={"csrf": csrf_of(page.text), "size": "501"})
    assert refused.status_code == 422 and 'id="size-error"' in refused.text
    assert not admin.administration(region.app, users.identify(region.app, ADMIN), kind="sample")


def test_disabling_a_user_ends_their_sessions(region):
    theirs = sessions.start(region.app, HC)["session"]
    assert sessions.resume(region.app, theirs) is not None
    browser = signed_in(region, ADMIN)
    page = browser.get("/users?after=hc-")  # the users by id, fifty a page
    assert f'action="/users/{HC}/disable"' in page.text
    done = browser.post(f"/users/{HC}/disable", data={"csrf": csrf_of(page.text)})
    assert done.status_code == 200 and "är avstängd" in done.text
    assert sessions.resume(region.app, theirs) is None
    with region.app.uow() as uow:
        assert uow.directory.user(HC)["disabled_at"] is not None


def test_a_user_is_not_disabled_without_the_csrf_token(region):
    browser = signed_in(region, ADMIN)
    assert browser.post(f"/users/{HC}/disable", data={}).status_code == 403
    with region.app.uow() as uow:
        assert uow.directory.user(HC)["disabled_at"] is None


def test_a_reset_shows_the_new_one_time_password_once(region):
    region.one_time_password(HC)  # a local account to reset
    browser = signed_in(region, ADMIN)
    page = browser.get("/users")
    done = browser.post(f"/users/{HC}/reset", data={"csrf": csrf_of(page.text)})
    assert done.status_code == 200
    password = re.search(r'id="one-time-password">([^<]+)<', done.text).group(1)
    assert password not in browser.get("/users").text  # shown once
    signed = accounts.sign_in(region.app, HC, password, "")
    assert signed["setup"] == "totp"  # the one-time password signs in to enrol the factor anew


def test_an_admin_gives_a_one_time_password_shown_once(region):
    browser = signed_in(region, ADMIN)
    done = browser.post(f"/users/{RECEPTION}/password", data={"csrf": csrf(browser, "/users")})
    password = re.search(r'id="one-time-password">([^<]+)<', done.text).group(1)
    assert password not in browser.get("/users").text
    assert accounts.sign_in(region.app, RECEPTION, password, "")["must_change_password"]


def test_the_coordinator_reads_the_users_and_changes_none(region):
    browser = signed_in(region, COORDINATOR)
    page = browser.get("/users?after=hc-")
    assert page.status_code == 200 and f'id="user-{HC}"' in page.text
    assert 'action="/users/' not in page.text and "Låsta konton" not in page.text
    refused = browser.post(f"/users/{HC}/disable", data={"csrf": csrf_of(page.text)})
    assert refused.status_code == 403
    with region.app.uow() as uow:
        assert uow.directory.user(HC)["disabled_at"] is None


def test_the_directory_names_the_regions_organisations(region):
    page = signed_in(region, COORDINATOR).get("/directory")
    assert "Hälsocentralen Lugnvik" in page.text and "<caption>" in page.text


@pytest.mark.parametrize("user", [COORDINATOR, ADMIN])
def test_no_medical_content_on_any_of_these_pages(region, user):
    with region.app.uow() as uow:  # the markers are really there (otherwise this proves nothing)
        assert uow.cases.get(region.cases[0]) is not None
    hc = users.identify(region.app, HC)
    from screening.services import cases

    assert RESULTS_NOTE in str(cases.show(region.app, hc, region.cases[0]))
    browser = signed_in(region, user)
    page = browser.get("/audit")
    sample_path = browser.post("/audit", data={"csrf": csrf_of(page.text), "size": "20"},
                               follow_redirects=False).headers["location"]
    shown = [browser.get(path).text for path in PAGES + (sample_path, f"/report?from={FROM}&to={TO}&by=health_centre")]
    shown.append(browser.get(f"/report/report.csv?from={FROM}&to={TO}").content.decode("utf-8"))
    assert all(MARKER not in text for text in shown)


def test_a_read_of_the_figures_that_fails_is_said_not_counted_for_ever(region, monkeypatch):
    from screening.services import region_pages
    from screening.storage import overview

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(overview, "read", broken)
    monkeypatch.setattr(region_pages, "OVERVIEW_WAIT", 30)  # the read fails at once; nothing waits that long
    browser = signed_in(region, COORDINATOR)
    page = browser.get("/region")
    assert page.status_code == 500 and 'id="overview-working"' not in page.text
    assert "the database went away" not in page.text  # the cause is in the server's log, not on the page
    monkeypatch.undo()
    assert region_pages.overview_settled(10)
    again = browser.get("/region")
    assert again.status_code == 200 and 'id="overview-working"' not in again.text  # read again, and shown
