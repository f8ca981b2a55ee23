"""The search among the municipality's children (`/children?q=`), in-process on SQLite and PostgreSQL: by
case id, number or the beginnings of the name's words, the unit's own children only, status only (never
a result or a note), pages of 50, each child shown recorded as read; a text that cannot be searched for
said at the field (422). Every child, number and text is invented."""

from __future__ import annotations

import re

from sqlalchemy import text

from screening.services import children as children_service
from screening.storage import db
from tests.e2e.support import RECEPTION, SCHOOL, pnr
from tests.e2e.test_secrecy import EXAM_NOTE, PREFIX, RESULTS_NOTE
from tests.web import test_municipality
from tests.web.test_municipality import BORN, KROKOM_RECEPTION, at, browser_of, register

scenario = test_municipality.scenario  # children A, B, C of Östersund (A with planted notes) and K of Krokom


def found(html: str) -> dict[str, str]:
    """The search's rows by case id (none when there is no results' table)."""
    if 'id="found-heading"' not in html:
        return {}
    body = html.split('id="found-heading"')[1]
    return {m.group(1): m.group(0) for m in re.finditer(r'<tr>\s*<th scope="row"><a href="/cases/(SC-\w+)">.*?</tr>',
                                                          body, re.DOTALL)}


def test_the_reception_unit_finds_its_children_by_the_beginnings_of_their_names(site, scenario):
    browser = browser_of(site, RECEPTION)
    page = browser.get("/children", params={"q": "testb påhitt"})
    assert page.status_code == 200 and set(found(page.text)) == {scenario["a"]}
    assert 'role="search"' in page.text and 'value="testb påhitt"' in page.text
    assert set(found(browser.get("/children", params={"q": "PROVB"}).text)) == {scenario["b"]}  # ö folded to o
    assert found(browser.get("/children", params={"q": "barn"}).text) == {}  # inside a word: no
    by_number = browser.get("/children", params={"q": pnr(BORN, "246")})
    assert set(found(by_number.text)) == {scenario["b"]}
    by_id = browser.get("/children", params={"q": scenario["c"].lower()})
    assert set(found(by_id.text)) == {scenario["c"]}
    assert 'id="list-heading"' not in by_id.text  # the results instead of the list


def test_the_results_show_status_only_never_a_result_or_a_note(site, scenario):
    page = browser_of(site, RECEPTION).get("/children", params={"q": "Testbarn"})
    assert PREFIX not in page.text and RESULTS_NOTE not in page.text and EXAM_NOTE not in page.text
    row = found(page.text)[scenario["a"]]
    assert "hinder: ja" in row and re.search(r"<td>ja</td>\s*<td><strong>hinder: ja", row)


def test_another_municipalitys_child_is_never_found(site, scenario):
    for text_ in ("Krokombarn", scenario["k"]):
        page = browser_of(site, RECEPTION).get("/children", params={"q": text_})
        assert page.status_code == 200 and found(page.text) == {} and "Fiktiv" not in page.text
        assert "Inget av era barn matchar" in page.text
    krokom = browser_of(site, KROKOM_RECEPTION).get("/children", params={"q": "krokombarn"})
    assert set(found(krokom.text)) == {scenario["k"]}


def test_a_school_finds_its_own_children_only(site, scenario):
    page = browser_of(site, SCHOOL).get("/children", params={"q": "sentbarn"})  # C has no school
    assert page.status_code == 200 and found(page.text) == {}
    assert set(found(browser_of(site, SCHOOL).get("/children", params={"q": "testbarn"}).text)) == {scenario["a"]}


def test_every_child_shown_is_recorded_as_read_and_no_other(site, scenario):
    def listed() -> list[str]:
        with db.engine(site.app.url).connect() as conn:
            return [row[0] for row in conn.execute(text(
                "SELECT case_id FROM audit_trail WHERE action = 'list' AND user_id = :user"), {"user": RECEPTION})]

    before = listed()
    browser_of(site, RECEPTION).get("/children", params={"q": "Prövbarn"})
    assert sorted(listed()) == sorted(before + [scenario["b"]])


def test_a_text_that_cannot_be_searched_for_is_said_at_the_field(site, scenario):
    page = browser_of(site, RECEPTION).get("/children", params={"q": "x"})
    assert page.status_code == 422 and 'aria-invalid="true"' in page.text and 'href="#q"' in page.text
    assert found(page.text) == {}


def test_the_results_come_in_pages_without_repeating_a_child(site, monkeypatch):
    monkeypatch.setattr(children_service, "PAGE", 2)
    site.at(at("2026-11-23T10:00"))
    made = {register(site, name=f"Sidbarn Nummer{i}", notice_at=at(f"2026-11-23T09:0{i}")) for i in range(5)}
    register(site, name="Annat Barn", notice_at=at("2026-11-23T09:30"))
    browser, seen, address = browser_of(site, RECEPTION), [], "/children?q=sidbarn"
    while address:
        page = browser.get(address).text
        rows = found(page)
        assert len(rows) <= 2
        seen += list(rows)
        more = re.search(r'<a href="([^"]+)" rel="next">', page)
        address = more.group(1).replace("&amp;", "&") if more else None
    assert sorted(seen) == sorted(made)
