"""The search by name reads the index of the names' words (`case_name_word`, migration 0027), which the
storage layer keeps as the names are written: at registration, at `update_details`, by the migration for
the cases already there. On SQLite and PostgreSQL (`demo_db`). Every child and name is invented."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import text

from screening.bootstrap import App, Clock
from screening.clock import STOCKHOLM
from screening.errors import Refused
from screening.services import users, worklist
from screening.settings import Settings
from screening.storage import db, migrate
from screening.storage import worklist as queries
from tests.e2e.support import HC, RECEPTION, call, pnr

T = datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM)


def register(url: str, name: str | None, serial: str, *options: str) -> str:
    named = ("--name", name) if name is not None else ()
    return call(url, "case", "register", "--birth-date", "2019-04-02", "--municipality", "Östersund", *named,
                "--personnummer", pnr(serial=serial), *options, user=RECEPTION, now="2026-11-20T09:00")["id"]


def search(url: str, text_: str, user: str = HC, **options) -> list[str]:
    app = App(url, Settings({}), Clock(T, system=lambda: T))
    return [row["id"] for row in worklist.search(app, users.identify(app, user), text_, **options)["cases"]]


def stored_words(url: str, case_id: str) -> dict[str, list[str]]:
    """The case's words under each of its scopes."""
    found: dict[str, list[str]] = {}
    with db.engine(url).connect() as conn:
        for scope, word in conn.execute(text("SELECT scope, word FROM case_name_word WHERE case_id = :id "
                                             "ORDER BY scope, word"), {"id": case_id}):
            found.setdefault(scope, []).append(word)
    return found


@pytest.fixture
def children(demo_db) -> dict[str, str]:
    url = demo_db
    return {"ali": register(url, "Ali Hassan", "238"), "alimi": register(url, "Hassan Alimi", "246"),
            "khalil": register(url, "Khalil Öberg", "254"), "asa": register(url, "Åsa Zoë Ödman", "262"),
            "nameless": register(url, None, "270"),
            "odensala": register(url, "Ali Hassanen", "288", "--health-centre", "hc-odensala")}


def test_a_word_of_the_name_is_found_by_its_beginning_whatever_its_case_and_accents(demo_db, children):
    assert sorted(search(demo_db, "ali")) == sorted([children["ali"], children["alimi"]])
    assert search(demo_db, "lim") == []  # inside a word: not its beginning
    assert search(demo_db, "KHAL") == [children["khalil"]]
    assert search(demo_db, "asa") == search(demo_db, "ÅSA") == search(demo_db, "odm") == [children["asa"]]
    assert search(demo_db, "zoe ob") == []  # every word given must begin a word of the same name
    assert search(demo_db, "Zoë Åsa") == [children["asa"]]  # in any order
    assert search(demo_db, "ali hassan") == sorted([children["ali"], children["alimi"]])
    assert search(demo_db, "al-hass") == sorted([children["ali"], children["alimi"]])  # the sign splits words


def test_the_search_keeps_the_searchers_scope_and_pages_by_id(demo_db, children, monkeypatch):
    assert children["odensala"] not in search(demo_db, "hassanen")  # another centre's: as if it did not exist
    assert search(demo_db, "hassanen", user="hc-odensala") == [children["odensala"]]
    monkeypatch.setattr(worklist, "PAGE", 1)
    app = App(demo_db, Settings({}), Clock(T, system=lambda: T))
    nurse = users.identify(app, HC)
    first = worklist.search(app, nurse, "hassan")
    second = worklist.search(app, nurse, "hassan", after=first["next"])
    assert [first["cases"][0]["id"], second["cases"][0]["id"]] == sorted([children["ali"], children["alimi"]])
    assert second["next"] is None and first["by"] == "name"


def test_a_name_changed_by_update_details_is_found_by_its_new_words_only(demo_db, children):
    case = children["ali"]
    call(demo_db, "case", "event", case, "update_details", "--set", "name=Yusuf Hassan", user=RECEPTION,
         now="2026-11-21T09:00")
    assert stored_words(demo_db, case) == {"c:hc-lugnvik": ["hassan", "yusuf"], "m:Östersund": ["hassan", "yusuf"]}
    assert search(demo_db, "yus") == [case]
    assert case not in search(demo_db, "ali")
    call(demo_db, "case", "event", children["nameless"], "update_details", "--set", "name=Nour Ödman",
         user=RECEPTION, now="2026-11-21T09:00")
    assert search(demo_db, "odman") == sorted([children["asa"], children["nameless"]])
    call(demo_db, "case", "event", case, "update_details", "--set", "name=", user=RECEPTION, now="2026-11-21T10:00")
    assert stored_words(demo_db, case) == {} and search(demo_db, "yusuf") == []


def test_another_detail_changed_leaves_the_words_as_they_are(demo_db, children):
    case = children["khalil"]
    call(demo_db, "case", "event", case, "update_details", "--set", "language=ar", user=RECEPTION,
         now="2026-11-21T09:00")
    assert stored_words(demo_db, case) == {"c:hc-lugnvik": ["khalil", "oberg"], "m:Östersund": ["khalil", "oberg"]}


def test_a_child_moved_to_another_health_centre_or_given_a_school_is_searched_there(demo_db, children):
    case = children["khalil"]
    call(demo_db, "case", "event", case, "update_details", "--set", "health_centre=hc-odensala",
         "--set", "school=ostersund-school-norrby", user=RECEPTION, now="2026-11-21T09:00")
    assert stored_words(demo_db, case) == {"c:hc-odensala": ["khalil", "oberg"], "m:Östersund": ["khalil", "oberg"],
                                           "s:ostersund-school-norrby": ["khalil", "oberg"]}
    assert search(demo_db, "khalil") == [] and search(demo_db, "khalil", user="hc-odensala") == [case]


def test_only_the_health_centre_searches_its_work_list(demo_db, children):
    with pytest.raises(Refused):
        search(demo_db, "ali", user=RECEPTION)


def test_the_migration_fills_the_words_of_the_cases_already_there(db_url):
    """0027 over a database at 0026: every named case's words, in batches (a batch of 2 here)."""
    import importlib

    migrate.upgrade(db_url, "0026")
    notice = datetime(2026, 11, 20, 9, 0, tzinfo=STOCKHOLM)
    stamp = int(notice.timestamp()) if db.is_sqlite(db_url) else notice
    with db.engine(db_url).begin() as conn:
        conn.execute(text("INSERT INTO screening_case (id, version, municipality, birth_date, name, interpreter, "
                          "unaccompanied, notice_at, already_in_sweden, health_state, school_state, "
                          "vaccination_state, created_at, updated_at, doses_given) VALUES (:id, 1, 'Berg', :born, "
                          ":name, false, false, :t, false, 'registered', 'not_started', 'not_started', :t, :t, 0)"),
                     [{"id": f"SC-OLD0000{n}", "born": date(2019, 4, 2), "name": name, "t": stamp}
                      for n, name in enumerate(("Åsa Öberg", "Ali al-Hassan", None, "Ali", "Zoë"))])
    module = importlib.import_module("migrations.versions.0027_case_name_words")
    original = module.BATCH
    module.BATCH = 2
    try:
        assert migrate.upgrade(db_url) == db.SCHEMA_REVISION
    finally:
        module.BATCH = original
    with db.engine(db_url).connect() as conn:
        found = conn.execute(text("SELECT case_id, scope, word FROM case_name_word ORDER BY case_id, scope, word"))
        found = [tuple(row) for row in found]
    assert found == [
        ("SC-OLD00000", "m:Berg", "asa"), ("SC-OLD00000", "m:Berg", "oberg"), ("SC-OLD00001", "m:Berg", "al"),
        ("SC-OLD00001", "m:Berg", "ali"), ("SC-OLD00001", "m:Berg", "hassan"), ("SC-OLD00003", "m:Berg", "ali"),
        ("SC-OLD00004", "m:Berg", "zoe")]
    conn = db.connect_raw(db_url)
    try:
        found = queries.find_cases(conn, ("municipality", "Berg"), words=["ali"], after=None, limit=10)
    finally:
        conn.close()
    assert [row["id"] for row in found] == ["SC-OLD00001", "SC-OLD00003"]


def plan_of(url: str, **found) -> list[str]:
    """SQLite's plan for Lugnvik's search (`find_cases`'s statement, asked without running it)."""

    class Asked:
        def all(self, sql, params):
            self.sql, self.params = sql, params
            return []

    asked = Asked()
    queries.find_cases(asked, ("health_centre_id", "hc-lugnvik"), **found, limit=51)
    conn = db.connect_raw(url)
    try:
        return [row["detail"] for row in conn.all("EXPLAIN QUERY PLAN " + asked.sql, asked.params)]
    finally:
        conn.close()


def test_sqlite_reads_the_names_from_the_index_never_every_case_in_scope(demo_db, children):
    """The plan: a range of `case_name_word`'s key within the scope for each word, then the page's cases by
    their key (no scan of the cases)."""
    if not db.is_sqlite(demo_db):
        pytest.skip("SQLite's plan; PostgreSQL chooses by its statistics")

    plan = plan_of(demo_db, words=["ali", "has"], after="SC-2")
    assert sum("SEARCH case_name_word USING PRIMARY KEY (scope=? AND word>? AND word<?)" in step
               for step in plan) == 2, plan
    assert any(step.startswith("SEARCH c USING INDEX sqlite_autoindex_screening_case") for step in plan), plan
    assert not any(step.startswith("SCAN c") or "ix_screening_case_centre" in step for step in plan), plan


@pytest.mark.parametrize("found", [{"number": "201605041233"}, {"dossier": "12345678"}, {"case_id": "SC-7K2M9QXA"}])
def test_sqlite_finds_an_id_or_a_number_by_its_own_index_then_checks_the_scope(demo_db, found):
    """By a number, the number's unique index is read and the scope checked on its few rows: never the
    scope's index, which would walk every case of the centre (0.8 s in a centre of 300,000)."""
    if not db.is_sqlite(demo_db):
        pytest.skip("SQLite's plan; PostgreSQL chooses by its statistics")

    plan = plan_of(demo_db, **found, after=None)
    assert any("USING INDEX sqlite_autoindex_screening_case" in step for step in plan), plan
    assert not any("ix_screening_case_centre" in step or step.startswith("SCAN c") for step in plan), plan
