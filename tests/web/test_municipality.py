"""The municipality's pages in-process, on SQLite and PostgreSQL: the reception unit's arrival notice
(`/register`: checked field by field, nothing registered while anything is wrong, 303 to the new case's
page) and its children with status only (`/children`: never a result or a note, overdue first, pages of
50, reads audited); the school's and the vaccinating units' children with their steps. Every child,
number and text is invented."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from screening.clock import STOCKHOLM
from screening.services import events, registration, sessions, users
from screening.services.registration import Registration
from screening.storage import db
from tests.e2e.support import BVC, HC, RECEPTION, SCHOOL, SCHOOL_HEALTH, pnr
from tests.e2e.test_secrecy import EXAM_NOTE, PREFIX, RESULTS_NOTE
from tests.web.conftest import csrf_of

BORN = date(2019, 4, 2)
KROKOM_RECEPTION = "krokom-reception"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=STOCKHOLM)


def browser_of(site, user: str):
    """A browser with a session of `user` (started by the service, as a sign-in would)."""
    browser = site.browser()
    browser.cookies.set("screening_session", sessions.start(site.app, user)["session"])
    return browser


def register(site, user=RECEPTION, municipality="Östersund", **given) -> str:
    reg = Registration(birth_date=given.pop("birth_date", BORN), municipality=municipality, **given)
    return registration.register(site.app, users.identify(site.app, user), reg)["id"]


def event(site, user, case_id, name, when, **values):
    site.at(at(when))
    events.apply(site.app, users.identify(site.app, user), case_id, name, values)


def cases_of(site) -> list[dict]:
    with db.engine(site.app.url).connect() as conn:
        from sqlalchemy import text

        return [dict(row) for row in conn.execute(text("SELECT * FROM screening_case")).mappings()]


def case_count(site) -> int:
    return len(cases_of(site))


def notice(csrf: str, **fields) -> dict:
    return {"csrf": csrf, "birth_date": BORN.isoformat(), "municipality": "Östersund", **fields}


# --- /register --------------------------------------------------------------------------------


def test_a_notice_registered_on_the_form_is_a_case_with_its_values_and_leads_to_its_page(site):
    browser = browser_of(site, RECEPTION)
    page = browser.get("/register")
    assert page.status_code == 200 and 'id="birth_date"' in page.text
    assert '<script src="/static/register.js" defer></script>' in page.text
    assert 'value="krokom-school-granbacka"' not in page.text  # the unit's own municipality's choices only
    number = pnr(BORN, "238")
    done = browser.post("/register", data=notice(
        csrf_of(page.text), name="Testbarn Påhittadsson", personnummer=number, dossier="12-345678", language="ti",
        interpreter="on", permit="asylum", arrival="2026-11-20", notice_at="2026-11-23T09:30",
        health_centre="hc-odensala", school=SCHOOL, preschool="ostersund-preschool-solrosen"),
        follow_redirects=False)
    assert done.status_code == 303, done.text
    case_id = re.fullmatch(r"/cases/(SC-[A-Z0-9]{8})", done.headers["location"]).group(1)
    [case] = cases_of(site)
    assert case["id"] == case_id and case["name"] == "Testbarn Påhittadsson"
    assert case["personnummer"] == number.replace("-", "") and case["dossier"] == "12345678"
    assert (case["language"], case["interpreter"], case["unaccompanied"], case["permit"]) == ("ti", True, False, "asylum")
    assert (case["health_centre_id"], case["school_id"], case["preschool_id"]) == (
        "hc-odensala", SCHOOL, "ostersund-preschool-solrosen")


def test_the_language_is_chosen_by_name_those_with_a_letter_first_or_written_when_not_listed(site):
    browser = browser_of(site, RECEPTION)
    page = browser.get("/register").text
    lettered = page.split('<optgroup label="Kallelsen finns på språket">')[1].split("</optgroup>")[0]
    others = page.split('<optgroup label="Övriga språk (kallelse på svenska och engelska)">')[1].split("</optgroup>")[0]
    assert '<option value="ti">tigrinja</option>' in lettered and '<option value="prs">dari</option>' in lettered
    assert '<option value="sw">swahili</option>' in others and 'value="sv"' not in lettered
    assert 'value="dari"' not in page  # one language, once: under the code its letter uses
    names = re.findall(r'<option value="[a-z]+">([^<]+)</option>', lettered)
    assert names == sorted(names, key=lambda name: name.translate(str.maketrans("åäö", "{|}")))
    csrf = csrf_of(page)
    missing = browser.post("/register", data=notice(csrf, language="other", name="Språklös Påhittad"))
    assert missing.status_code == 422 and 'id="language_other-error"' in missing.text
    assert "skriv vilket språk, eller välj ett i listan" in missing.text and case_count(site) == 0
    assert '<option value="other" selected>' in missing.text  # the choice is kept
    written = browser.post("/register", data=notice(csrf, language="other", language_other="ln"),
                           follow_redirects=False)
    assert written.status_code == 303 and [case["language"] for case in cases_of(site)] == ["ln"]


def test_the_birth_date_left_empty_is_taken_from_the_identity_number_or_else_named_missing(site):
    browser = browser_of(site, RECEPTION)
    csrf = csrf_of(browser.get("/register").text)
    number = pnr(BORN, "246")
    done = browser.post("/register", data=notice(csrf, birth_date="", personnummer=number), follow_redirects=False)
    assert done.status_code == 303
    assert [str(case["birth_date"])[:10] for case in cases_of(site)] == [BORN.isoformat()]
    missing = browser.post("/register", data=notice(csrf, birth_date="", dossier="12-345679"))
    assert missing.status_code == 422 and "födelsedatum saknas" in missing.text and case_count(site) == 1


def test_missing_and_wrong_fields_are_each_named_and_nothing_is_registered(site):
    browser = browser_of(site, RECEPTION)
    csrf = csrf_of(browser.get("/register").text)
    wrong = pnr(BORN, "238")[:-1] + ("0" if pnr(BORN, "238")[-1] != "0" else "1")  # the check digit off by one
    refused = browser.post("/register", data=notice(csrf, birth_date="", personnummer=wrong, dossier="12-34",
                                                    arrival="2026-13-01", name="Kvar Här"))
    assert refused.status_code == 422
    text = refused.text
    for name in ("birth_date", "personnummer", "dossier", "arrival"):
        assert f'id="{name}-error"' in text, name
        assert f'href="#{name}"' in text, name  # the summary links to the field
    assert 'aria-invalid="true"' in text and "födelsedatum saknas" in text and "kontrollsiffran" in text.lower()
    assert 'id="error-summary"' in text and 'role="alert"' in text
    assert 'value="Kvar Här"' in text and f'value="{wrong}"' in text  # what was typed is kept
    assert case_count(site) == 0


def test_a_cross_check_of_the_registration_is_shown_at_its_field(site):
    browser = browser_of(site, RECEPTION)
    csrf = csrf_of(browser.get("/register").text)
    refused = browser.post("/register", data=notice(csrf, birth_date="2027-01-01"))
    assert refused.status_code == 422 and 'id="birth_date-error"' in refused.text
    older = browser.post("/register", data=notice(csrf, birth_date="2000-01-01"))
    assert older.status_code == 422 and 'id="adult-error"' in older.text
    assert case_count(site) == 0


def test_another_municipalitys_values_are_refused(site):
    browser = browser_of(site, RECEPTION)
    csrf = csrf_of(browser.get("/register").text)
    elsewhere = browser.post("/register", data=notice(csrf, municipality="Krokom"))
    assert elsewhere.status_code == 422 and 'id="municipality-error"' in elsewhere.text
    school = browser.post("/register", data=notice(csrf, school="krokom-school-granbacka"))
    assert school.status_code == 422 and 'id="school-error"' in school.text and "Krokom" in school.text
    assert case_count(site) == 0


def test_a_notice_without_the_sessions_csrf_token_is_refused(site):
    browser = browser_of(site, RECEPTION)
    refused = browser.post("/register", data={"birth_date": BORN.isoformat(), "municipality": "Östersund"})
    assert refused.status_code == 403
    wrong = browser.post("/register", data=notice("not-the-token"))
    assert wrong.status_code == 403
    assert case_count(site) == 0


def test_only_the_reception_unit_registers(site):
    browser = browser_of(site, SCHOOL)
    assert browser.get("/register").status_code == 403
    refused = browser.post("/register", data=notice(csrf_of(browser.get("/children").text)))
    assert refused.status_code == 403 and case_count(site) == 0


# --- /children ----------------------------------------------------------------------------------


@pytest.fixture
def scenario(site):
    """Child A through the health track with an obstacle and planted medical notes; child B notified
    and booked; child C not notified (overdue on the reception unit's side); child K in Krokom."""
    site.at(at("2026-11-23T10:05"))
    s = {"a": register(site, name="Testbarn Påhittadsson", school=SCHOOL, arrival=date(2026, 11, 25),
                       notice_at=at("2026-11-23T10:00")),
         "b": register(site, name="Prövbarn Låtsasdotter", personnummer=pnr(BORN, "246"), school=SCHOOL,
                       notice_at=at("2026-11-23T10:01")),
         "c": register(site, name="Sentbarn Uppdiktad", notice_at=at("2026-11-23T10:02")),
         "k": register(site, user=KROKOM_RECEPTION, municipality="Krokom", name="Krokombarn Fiktiv",
                       notice_at=at("2026-11-23T10:03"))}
    event(site, RECEPTION, s["a"], "notify_parties", "2026-11-23T10:30")
    event(site, RECEPTION, s["b"], "notify_parties", "2026-11-23T10:35")
    event(site, HC, s["a"], "book_health_conversation", "2026-11-23T14:00", start="2026-11-24T09:00")
    event(site, HC, s["b"], "book_health_conversation", "2026-11-23T14:05", start="2026-11-26T13:00")
    event(site, HC, s["a"], "hold_health_conversation", "2026-11-24T10:00")
    event(site, HC, s["a"], "record_results", "2026-11-27T11:00", obstacle="yes", note=RESULTS_NOTE)
    event(site, HC, s["a"], "book_examination", "2026-11-27T11:15", start="2026-12-01T09:00")
    event(site, HC, s["a"], "hold_examination", "2026-12-01T10:00", note=EXAM_NOTE)
    site.at(at("2026-12-02T09:00"))
    return s


def rows_of(html: str) -> dict[str, str]:
    """Each child's row in the list's table, by case id (the last table's: the whole list)."""
    body = html.split('id="list-heading"')[1]
    return {m.group(1): m.group(0) for m in re.finditer(r'<tr>\s*<th scope="row"><a href="/cases/(SC-\w+)">.*?</tr>',
                                                          body, re.DOTALL)}


def test_receptions_children_show_status_in_words_and_never_a_result_or_a_note(site, scenario):
    page = browser_of(site, RECEPTION).get("/children")
    assert page.status_code == 200
    assert PREFIX not in page.text and RESULTS_NOTE not in page.text and EXAM_NOTE not in page.text
    rows = rows_of(page.text)
    assert set(rows) == {scenario["a"], scenario["b"], scenario["c"]}
    assert "hinder: ja" in rows[scenario["a"]] and "hinder: nej" not in rows[scenario["a"]]
    assert "inte känt än" in rows[scenario["b"]]
    assert "26 nov 13:00" in rows[scenario["b"]]  # the booked time
    assert re.search(r"<td>ja</td>\s*<td><strong>hinder: ja", rows[scenario["a"]])  # examined: ja
    assert browser_of(site, HC).get("/children").status_code == 403  # the health centre has its own pages


def test_the_health_centre_sees_the_planted_notes_so_the_check_above_can_fail(site, scenario):
    from screening.services import cases

    shown = cases.show(site.app, users.identify(site.app, HC), scenario["a"])
    assert shown["results"]["note"] == RESULTS_NOTE and shown["examination"]["note"] == EXAM_NOTE


def test_what_is_overdue_on_the_municipalitys_side_comes_first(site, scenario):
    page = browser_of(site, RECEPTION).get("/children").text
    late = page.split('id="late-heading"')[1].split('id="list-heading"')[0]
    assert scenario["c"] in late and scenario["a"] not in late and scenario["b"] not in late
    assert "underrätta parterna" in late
    only = browser_of(site, RECEPTION).get("/children?overdue=true").text
    assert set(rows_of(only)) == {scenario["c"]} and 'id="late-heading"' not in only
    assert "Försenat hos kommunen</h2>" in page and "Försenat hos er" not in page


def test_a_unit_other_than_the_reception_unit_reads_of_what_is_overdue_at_its_own(site, scenario):
    for user in (SCHOOL, "ostersund-bvc"):
        page = browser_of(site, user).get("/children").text
        assert "Försenat hos er</h2>" in page and "Bara försenade hos er" in page
        assert "hos kommunen" not in page  # its list puts its own overdue steps first, not the municipality's


def test_the_list_is_read_as_case_list_in_the_audit_trail(site, scenario):
    from sqlalchemy import text

    browser_of(site, RECEPTION).get("/children?show=all&overdue=false")
    with db.engine(site.app.url).connect() as conn:
        rows = conn.execute(text("SELECT case_id FROM audit_trail WHERE action = 'list' AND user_id = :user"),
                            {"user": RECEPTION}).all()
    assert {row[0] for row in rows} >= {scenario["a"], scenario["b"], scenario["c"]}


def test_krokoms_children_are_never_on_ostersunds_list_nor_the_other_way(site, scenario):
    ostersund = browser_of(site, RECEPTION).get("/children?show=all").text
    assert scenario["k"] not in ostersund and "Krokombarn" not in ostersund
    krokom = browser_of(site, KROKOM_RECEPTION).get("/children?show=all").text
    assert set(rows_of(krokom)) == {scenario["k"]} and "Testbarn" not in krokom


def test_the_list_comes_in_pages_of_fifty(site):
    site.at(at("2026-11-23T10:00"))
    made = [register(site, name=f"Sidbarn {i}", notice_at=at(f"2026-11-2{1 + i // 30}T0{i % 9}:{i % 60:02d}"))
            for i in range(55)]
    browser = browser_of(site, RECEPTION)
    first = browser.get("/children").text
    assert len(rows_of(first)) == 50
    after = re.search(r'href="(/children\?show=open&amp;after=SC-\w+)"', first).group(1).replace("&amp;", "&")
    second = browser.get(after).text
    assert len(rows_of(second)) == 5 and not set(rows_of(first)) & set(rows_of(second))
    assert set(rows_of(first)) | set(rows_of(second)) == set(made)


def test_the_schools_children_show_its_steps_and_no_medical_content(site, scenario):
    event(site, SCHOOL, scenario["a"], "invite_intro_meeting", "2026-12-02T09:00")
    page = browser_of(site, SCHOOL).get("/children")
    assert page.status_code == 200 and PREFIX not in page.text
    rows = rows_of(page.text)
    assert set(rows) == {scenario["a"], scenario["b"]}  # the school's children only, not C (no school)
    assert "inbjuden till inskolningssamtal" in rows[scenario["a"]] and "skolstart" in rows[scenario["a"]]
    assert "Hälsosamtal" not in page.text and "Läkarundersökning" not in page.text


def test_the_vaccinating_unit_sees_the_vaccination_steps_of_its_children_only(site, scenario):
    young = register(site, name="Småbarn Påhittad", birth_date=date(2023, 5, 10), preschool="ostersund-preschool-solrosen",
                     notice_at=at("2026-12-01T09:00"))
    page = browser_of(site, BVC).get("/children?show=all")
    assert page.status_code == 200 and PREFIX not in page.text
    rows = rows_of(page.text)
    assert set(rows) == {scenario["a"], scenario["b"], scenario["c"], young}  # the municipality's children
    assert re.search(r"<td>ja</td>\s*<td>ej påbörjad</td>", rows[young])  # BVC's child: its vaccination track
    assert re.search(r"<td>nej \(elevhälsa\)</td>\s*<td>–</td>", rows[scenario["a"]])  # school health's
    assert "underrätta parterna" not in page.text  # the reception unit's late step is not BVC's
    health = rows_of(browser_of(site, SCHOOL_HEALTH).get("/children?show=all").text)
    assert re.search(r"<td>ja</td>\s*<td>ej påbörjad</td>", health[scenario["a"]])


def test_bvc_and_school_health_list_first_the_children_whose_vaccinations_they_give(site, scenario):
    from workflows.routing import responsible_unit

    young = register(site, name="Småbarn Påhittad", birth_date=date(2023, 5, 10), notice_at=at("2026-12-01T09:00"))
    six = register(site, name="Sexåring Påhittad", birth_date=date(2020, 6, 1), notice_at=at("2026-12-01T09:05"))
    everyone = {scenario["a"], scenario["b"], scenario["c"], young, six}
    today = date(2026, 12, 2)
    unit_of = {case_id: responsible_unit(_row(site, case_id), today) for case_id in everyone}
    assert unit_of[young] == "bvc" and unit_of[six] is None and unit_of[scenario["a"]] == "school_health"
    for user, unit in ((BVC, "bvc"), (SCHOOL_HEALTH, "school_health")):
        browser = browser_of(site, user)
        page = browser.get("/children").text
        assert 'id="show-ours" name="show" value="ours" checked' in page
        assert set(rows_of(page)) == {case_id for case_id, its in unit_of.items() if its == unit}
        assert set(rows_of(browser.get("/children?show=open").text)) == everyone  # the municipality's, open
        assert set(rows_of(browser.get("/children?show=all").text)) == everyone
    reception = browser_of(site, RECEPTION).get("/children?show=ours").text  # not a choice of the reception unit
    assert 'value="ours"' not in reception and set(rows_of(reception)) == {scenario["a"], scenario["b"], scenario["c"],
                                                                          young, six}


def _row(site, case_id: str) -> dict:
    row = next(row for row in cases_of(site) if row["id"] == case_id)
    return {**row, "birth_date": date.fromisoformat(str(row["birth_date"]))}  # SQLite gives the text


def test_each_units_row_holds_its_status_and_steps_and_nothing_else(site, scenario):
    from screening.services import children

    keys = {"id", "name", "birth_date", "age", "health", "late"}
    expected = {RECEPTION: keys | {"notified", "notified_at", "booked", "examination", "examined", "obstacle", "school",
                                   "preschool"},
                SCHOOL: keys | {"track", "obstacle", "arrival", "due"},
                BVC: keys | {"responsible", "unit", "track", "doses", "due"}}
    for user, wanted in expected.items():
        rows = children.page(site.app, users.identify(site.app, user), open_only=False)["rows"]
        assert rows and all(set(row) == wanted for row in rows), user
        assert PREFIX not in repr(rows)


def test_the_pages_speak_english_to_a_browser_that_asks_for_it(site, scenario):
    browser = browser_of(site, RECEPTION)
    children = browser.get("/children", headers={"Accept-Language": "en"}).text
    assert '<html lang="en">' in children and "obstacle: yes" in children and "Overdue on the municipality" in children
    form = browser.get("/register", headers={"Accept-Language": "en"}).text
    refused = browser.post("/register", data=notice(csrf_of(form), birth_date=""), headers={"Accept-Language": "en"})
    assert refused.status_code == 422 and "the birth date is missing" in refused.text and "Birth date" in refused.text
