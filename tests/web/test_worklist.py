"""The health centre's work list (/worklist) and the search for a case (/cases), in-process on SQLite
and PostgreSQL over the demo region, the cases made at fixed times and the page read on Monday
23 November 2026 at 10:00. Every child, name and number is invented."""

from __future__ import annotations

import re
from datetime import date

import pytest

from screening.services import worklist
from tests.e2e.support import HC, RECEPTION, call, pnr
from tests.web.conftest import OWN_PASSWORD, T, sign_in

MARKER = "MEDICAL-MARKER-WL-7731"  # a medical note's text: never on a list


def _case(url: str, name: str, serial: str, notified: str | None, *options: str) -> str:
    found = call(url, "case", "register", "--birth-date", "2019-04-02", "--municipality", "Östersund",
                 "--name", name, "--personnummer", pnr(serial=serial), *options, user=RECEPTION,
                 now=notified or "2026-11-20T09:00")
    if notified:
        call(url, "case", "event", found["id"], "notify_parties", user=RECEPTION, now=notified)
    return found["id"]


@pytest.fixture
def cases(site) -> dict[str, str]:
    """Lugnvik's children at known steps, and one of Odensala's (another centre of the same municipality)."""
    url = site.url
    made = {
        "late": _case(url, "Amina Testsson", "238", "2026-11-09T10:00"),  # to book by mon 16 nov: 5 working days late
        "today": _case(url, "Bilal Provsson", "246", "2026-11-16T10:00"),  # to book by mon 23 nov: due today
        "fresh": _case(url, "Cyrus Exempelsson", "254", "2026-11-20T10:00"),  # to book by fri 27 nov: in time
        "booked": _case(url, "Dana Påhittad", "262", "2026-11-20T10:00", "--language", "ar", "--interpreter"),
        "results": _case(url, "Elin Åslund", "270", "2026-11-02T10:00"),
        "other": _case(url, "Amir Annanstans", "288", "2026-11-09T10:00", "--health-centre", "hc-odensala"),
    }
    call(url, "case", "book", made["booked"], "--start", "2026-11-24T09:00", user=HC, now="2026-11-20T11:00")
    results = made["results"]
    call(url, "case", "book", results, "--start", "2026-11-05T09:00", "--force", user=HC, now="2026-11-03T10:00")
    call(url, "case", "event", results, "hold_health_conversation", "--at", "2026-11-05T10:30", user=HC,
         now="2026-11-05T11:00")
    call(url, "case", "event", results, "record_results", "--set", "obstacle=yes", "--set", f"note={MARKER}",
         user=HC, now="2026-11-19T09:00")  # to inform by fri 20 nov (1 day late); to book the doctor by mon 23 nov
    site.at(T)
    return made


def signed_in(site, user: str = HC):
    browser = site.browser()
    totp = site.set_up(browser, user)
    assert sign_in(browser, user, OWN_PASSWORD, totp.at(site.now)).status_code == 303
    return browser


def rows(html: str, table: str) -> list[str]:
    """The rows of the table of this class, each its text without tags."""
    body = re.search(rf'<table class="{table}">(.*?)</table>', html, re.DOTALL)
    if body is None:
        return []
    found = re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1).split("<tbody>")[1], re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in found]


def listed_reads(site, case_ids, user: str = HC) -> set[str]:
    with site.app.reads() as reads:
        found = reads.conn.all("SELECT case_id FROM audit_trail WHERE action = 'list' AND user_id = :user", {"user": user})
    return {row["case_id"] for row in found} & set(case_ids)


def test_the_work_list_puts_the_overdue_first_with_their_working_days_late(site, cases):
    browser = signed_in(site)
    page = browser.get("/worklist")
    assert page.status_code == 200 and '<a href="/worklist" aria-current="page">Arbetslista</a>' in page.text
    steps = rows(page.text, "wl-steps")
    order = [re.search(r"SC-\w{8}", row).group(0) for row in steps]
    results = cases["results"]
    assert order[:3] == [cases["late"], results, results] and order[5] == cases["fresh"]
    assert sorted(order[3:5]) == sorted([results, cases["today"]])  # both due at the end of today: by case id
    assert steps[0].startswith(f"{cases['late']} Amina Testsson boka hälsosamtal")
    assert "Försenat 5 arbetsdagar" in steps[0] and steps[0].endswith("steg 3")
    assert "informera familjen" in steps[1] and "Försenat 1 arbetsdag steg 6" in steps[1]
    assert "informera mottagningsenheten" in steps[2] and steps[2].endswith("steg 7")
    assert all("Förfaller i dag" in step for step in steps[3:5])
    assert any("boka läkarundersökning" in step and "steg 6, 9" in step for step in steps[3:5])
    assert "Öppet, i tid" in steps[5] and "fre 27 nov" in steps[5]
    assert f'<a href="/cases/{cases["late"]}">' in page.text


def test_the_groups_and_kinds_filter_the_list_and_the_summary_counts_them(site, cases):
    browser = signed_in(site)
    page = browser.get("/worklist")
    assert re.search(r"Försenade: <strong>3</strong>", page.text)
    assert re.search(r"Förfaller i dag: <strong>2</strong>", page.text)
    assert re.search(r"Hälsosamtal att boka: <strong>3</strong>", page.text)
    assert re.search(r"Att informera om provsvar: <strong>2</strong>", page.text)
    assert re.search(r"Läkarundersökning att boka: <strong>1</strong>", page.text)
    assert re.search(r"Besök i dag och i morgon: <strong>1</strong>", page.text)
    overdue = rows(browser.get("/worklist?when=overdue").text, "wl-steps")
    assert len(overdue) == 3 and all("Försenat" in row for row in overdue)
    today = rows(browser.get("/worklist?when=today").text, "wl-steps")
    assert len(today) == 2 and all("Förfaller i dag" in row for row in today)
    inform = rows(browser.get("/worklist?kind=inform").text, "wl-steps")
    assert len(inform) == 2 and all(cases["results"] in row for row in inform)
    booking = rows(browser.get("/worklist?kind=book&when=overdue").text, "wl-steps")
    assert [row.split()[0] for row in booking] == [cases["late"]]
    refused = browser.get("/worklist?when=someday")
    assert refused.status_code == 422 and 'id="wl-filter-error"' in refused.text and "someday" in refused.text


def test_todays_and_tomorrows_appointments_name_the_interpreters_language(site, cases):
    browser = signed_in(site)
    appointments = rows(browser.get("/worklist").text, "wl-appointments")
    assert len(appointments) == 1
    assert cases["booked"] in appointments[0] and "Dana Påhittad" in appointments[0]
    assert "i morgon" in appointments[0] and "tis 24 nov 09:00" in appointments[0] and "arabiska" in appointments[0]
    site.at(T.replace(day=26))  # thursday: the appointment of tuesday is past
    assert rows(browser.get("/worklist").text, "wl-appointments") == []


def test_the_list_is_paged_with_a_cursor_and_never_repeats_a_step(site, cases, monkeypatch):
    monkeypatch.setattr(worklist, "PAGE", 2)
    browser = signed_in(site)
    seen, address = [], "/worklist"
    for _ in range(5):
        page = browser.get(address)
        assert page.status_code == 200
        seen += rows(page.text, "wl-steps")
        more = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        if more is None:
            break
        address = more.group(1).replace("&amp;", "&")
        assert "after=" in address
    assert len(seen) == 6 and len(set(seen)) == 6
    assert browser.get("/worklist?after=SC-NOTHERE:book_health_conversation").status_code == 422
    other = browser.get(f"/worklist?after={cases['other']}:book_health_conversation")
    assert other.status_code == 422  # another centre's step is no place to continue from


def test_another_centres_case_is_never_listed_nor_found(site, cases):
    browser = signed_in(site)
    other = cases["other"]
    assert other not in browser.get("/worklist").text
    assert other not in browser.get("/worklist?when=overdue&kind=book").text
    for text in (other, "Annanstans", pnr(serial="288")):
        page = browser.get("/cases", params={"q": text})
        assert page.status_code == 200 and rows(page.text, "wl-found") == [] and "Amir" not in page.text
        assert "Inget av hälsocentralens ärenden matchar" in page.text


def test_a_case_is_found_by_its_id_its_name_or_its_number(site, cases):
    browser = signed_in(site)
    by_id = rows(browser.get("/cases", params={"q": cases["late"].lower()}).text, "wl-found")
    assert len(by_id) == 1 and by_id[0].startswith(f"{cases['late']} Amina Testsson")
    by_name = rows(browser.get("/cases", params={"q": "testsson"}).text, "wl-found")
    assert [row.split()[0] for row in by_name] == [cases["late"]]
    short = pnr(serial="246")[2:]  # ten digits: the century from today's date
    by_number = rows(browser.get("/cases", params={"q": short}).text, "wl-found")
    assert [row.split()[0] for row in by_number] == [cases["today"]]
    bad = browser.get("/cases", params={"q": "20190402-2381"})
    assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text and "kontrollsiffran" in bad.text
    assert browser.get("/cases", params={"q": "x"}).status_code == 422
    folded = rows(browser.get("/cases", params={"q": "åslund"}).text, "wl-found")  # not ASCII: SQLite's LOWER
    assert [row.split()[0] for row in folded] == [cases["results"]]
    assert rows(browser.get("/cases", params={"q": "xslund"}).text, "wl-found") == []
    everyone = browser.get("/cases", params={"q": "%"})
    assert rows(everyone.text, "wl-found") == []  # a wildcard is a character like any other


def test_the_search_is_paged(site, cases, monkeypatch):
    monkeypatch.setattr(worklist, "PAGE", 2)
    more_of_them = [_case(site.url, name, serial, None) for name, serial in (("Fia Testsson", "296"),
                                                                           ("Gus Testsson", "304"))]
    browser = signed_in(site)
    first = browser.get("/cases", params={"q": "tests"})  # Amina, Fia and Gus Testsson: a name's word begun
    found = rows(first.text, "wl-found")
    more = re.search(r'<a href="([^"]+)" rel="next">', first.text).group(1).replace("&amp;", "&")
    found += rows(browser.get(more).text, "wl-found")
    assert sorted(row.split()[0] for row in found) == sorted([cases["late"], *more_of_them])
    assert "rel=\"next\"" not in browser.get(more).text


def test_every_case_a_page_names_is_recorded_as_read(site, cases):
    browser = signed_in(site)
    mine = [cases[k] for k in ("late", "today", "fresh", "booked", "results")]
    assert listed_reads(site, mine) == set()
    browser.get("/worklist")
    assert listed_reads(site, mine) == set(mine)  # the steps' cases and the appointment's
    assert listed_reads(site, [cases["other"]]) == set()
    with site.app.reads() as reads:
        before = reads.conn.one("SELECT COUNT(*) AS n FROM audit_trail WHERE action = 'list'")["n"]
        browser.get("/cases", params={"q": "Testsson"})
        after = reads.conn.one("SELECT COUNT(*) AS n FROM audit_trail WHERE action = 'list'")["n"]
    assert after == before + 1


def test_no_medical_note_and_no_result_is_on_the_list_or_the_search(site, cases):
    browser = signed_in(site)
    for address in ("/worklist", "/worklist?kind=inform", "/cases?q=" + cases["results"], "/cases?q=åSLUND"):
        page = browser.get(address)
        assert page.status_code == 200 and cases["results"] in page.text
        assert MARKER not in page.text and "hinder" not in page.text.lower()


def test_the_pages_are_the_health_centres(site, cases):
    browser = signed_in(site, RECEPTION)
    for address in ("/worklist", "/cases?q=Testsson"):
        page = browser.get(address)
        assert page.status_code == 403 and "Testsson" not in page.text and cases["late"] not in page.text
    assert site.browser().get("/worklist", follow_redirects=False).headers["location"] == "/signin"


def test_a_coordinator_searches_the_region_by_number_anywhere_and_by_name_within_a_municipality(site, cases):
    browser = signed_in(site, "region-coordinator")
    start = browser.get("/region").text
    assert '<a href="/cases"' in start  # in the coordinator's navigation
    assert browser.get("/worklist").status_code == 403  # the work list stays the centres'
    by_id = browser.get("/cases", params={"q": cases["other"]})
    assert [row.split()[0] for row in rows(by_id.text, "wl-found")] == [cases["other"]]  # another centre's too
    unplaced = browser.get("/cases", params={"q": "Testsson"})
    assert unplaced.status_code == 422 and "välj kommunen att söka namnet i" in unplaced.text
    assert cases["late"] not in unplaced.text
    form = browser.get("/cases").text
    assert '<select id="municipality" name="municipality"' in form and '<option value="Östersund">' in form
    found = browser.get("/cases", params={"q": "Testsson", "municipality": "Östersund"})
    assert [row.split()[0] for row in rows(found.text, "wl-found")] == [cases["late"]]
    assert rows(browser.get("/cases", params={"q": "Testsson", "municipality": "Krokom"}).text, "wl-found") == []
    assert listed_reads(site, [cases["late"], cases["other"]], "region-coordinator") == {cases["late"], cases["other"]}


def test_the_work_list_speaks_english_when_asked(site, cases):
    browser = signed_in(site)
    page = browser.get("/worklist", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in page.text and "Late by 5 working days" in page.text
    assert "book the health conversation" in page.text and "step 3" in page.text
    assert "tomorrow" in page.text and "Arabic" in page.text


def test_the_working_days_late_skip_the_weekend_and_holidays(site, cases):
    site.at(T.replace(day=28, hour=12))  # saturday, five days after monday: four working days more
    browser = signed_in(site)
    first = rows(browser.get("/worklist?when=overdue&kind=book").text, "wl-steps")[0]
    assert cases["late"] in first and "Försenat 9 arbetsdagar" in first
    assert date(2026, 11, 28).weekday() == 5


def test_a_step_due_on_friday_is_late_by_less_than_a_working_day_over_the_weekend(site, cases):
    site.at(T.replace(day=21, hour=12))  # saturday: informing the family was due at the end of friday
    browser = signed_in(site)
    inform = rows(browser.get("/worklist?kind=inform").text, "wl-steps")
    assert len(inform) == 2 and all("Försenat, mindre än en arbetsdag" in row for row in inform)
