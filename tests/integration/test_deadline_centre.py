"""The work list reads a health centre's open steps from the deadlines' own index (`ix_deadline_centre_open`,
migration 0028): each deadline holds its case's health centre, written with it and moved with a change of
centre; the migration fills it for the deadlines already there; SQLite's plan walks that index."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import text

from screening.bootstrap import App, Clock
from screening.clock import STOCKHOLM
from screening.services import users, worklist
from screening.settings import Settings
from screening.storage import db, migrate
from screening.storage import worklist as queries
from tests.e2e.support import RECEPTION, call

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM)


def held(url: str, case_id: str, column: str, status: str = "= 'open'") -> set[str | None]:
    """What the case's open deadlines hold in `column` (`status`: another condition on the status)."""
    with db.engine(url).connect() as conn:
        rows = conn.execute(text(f"SELECT {column} FROM deadline WHERE case_id = :id AND status {status}"),
                            {"id": case_id})
        return {row[0] for row in rows}


def centres_of(url: str, case_id: str, status: str = "= 'open'") -> set[str | None]:
    return held(url, case_id, "health_centre_id", status)


def listed(url: str, centre: str) -> set[str]:
    app = App(url, Settings({}), Clock(NOW))
    return {step["case_id"] for step in worklist.steps(app, users.identify(app, centre))["steps"]}


def test_each_deadline_holds_its_cases_centre_and_moves_with_it(demo_db):
    case_id = call(demo_db, "case", "register", "--birth-date", "2019-04-02", "--municipality", "Östersund",
                   "--name", "Flytt Påhittad", user=RECEPTION, now="2026-11-20T09:00")["id"]
    call(demo_db, "case", "event", case_id, "notify_parties", user=RECEPTION, now="2026-11-20T09:05")
    assert centres_of(demo_db, case_id) == {"hc-lugnvik"}  # Östersund's default centre
    assert case_id in listed(demo_db, "hc-lugnvik") and case_id not in listed(demo_db, "hc-odensala")
    call(demo_db, "case", "event", case_id, "update_details", "--set", "health_centre=hc-odensala", user=RECEPTION,
         now="2026-11-20T09:10")
    assert centres_of(demo_db, case_id) == {"hc-odensala"}  # every open deadline
    assert centres_of(demo_db, case_id, "<> 'open'") == {None}  # a closed one holds none (0029): notify_parties met
    assert case_id in listed(demo_db, "hc-odensala") and case_id not in listed(demo_db, "hc-lugnvik")


def test_the_migration_gives_the_deadlines_already_there_their_cases_centre(db_url):
    migrate.upgrade(db_url, "0027")
    stamp = (lambda t: int(t.timestamp())) if db.is_sqlite(db_url) else (lambda t: t)
    with db.engine(db_url).begin() as conn:
        conn.execute(text("INSERT INTO organisation (id, position, kind, name, municipality, details) VALUES "
                          "(:id, :n, 'health_centre', :id, 'Berg', '{}')"),
                     [{"id": centre, "n": n} for n, centre in enumerate(("hc-lugnvik", "hc-odensala"))])
        conn.execute(text("INSERT INTO screening_case (id, version, municipality, birth_date, interpreter, "
                          "unaccompanied, notice_at, already_in_sweden, health_state, school_state, "
                          "vaccination_state, created_at, updated_at, doses_given, health_centre_id) VALUES (:id, 1, "
                          "'Berg', :born, false, false, :t, false, 'registered', 'not_started', 'not_started', :t, "
                          ":t, 0, :centre)"),
                     [{"id": f"SC-OLD0000{n}", "born": date(2019, 4, 2), "t": stamp(NOW), "centre": centre}
                      for n, centre in enumerate(("hc-lugnvik", "hc-odensala", None))])
        conn.execute(text("INSERT INTO deadline (case_id, rule, owner, starts, due, status) VALUES "
                          "(:case, :rule, 'health_centre', :starts, :due, 'open')"),
                     [{"case": f"SC-OLD0000{n}", "rule": rule, "starts": stamp(NOW), "due": stamp(NOW + timedelta(days=5))}
                      for n in range(3) for rule in ("book_health_conversation", "results_ready")])
    assert migrate.upgrade(db_url) == db.SCHEMA_REVISION
    assert [centres_of(db_url, f"SC-OLD0000{n}") for n in range(3)] == [{"hc-lugnvik"}, {"hc-odensala"}, {None}]


def test_sqlite_walks_the_centres_open_steps_by_due_and_stops_at_the_page(demo_db):
    if not db.is_sqlite(demo_db):
        return  # PostgreSQL chooses by its statistics
    conn = db.connect_raw(demo_db)
    asked = {}

    class Asked:
        sqlite = True

        def timestamp(self, value):
            return conn.timestamp(value)

        def all(self, sql, params):
            asked.update(sql=sql, params=params)
            return []

    try:
        queries.open_steps(Asked(), "hc-lugnvik", owed="d.status = 'open' AND c.ended_at IS NULL", rules=None,
                           due_from=None, due_before=None, after=None, limit=51)
        plan = [row["detail"] for row in conn.all("EXPLAIN QUERY PLAN " + asked["sql"], asked["params"])]
    finally:
        conn.close()
    assert plan[0].startswith("SEARCH d USING INDEX ix_deadline_centre_open (health_centre_id=? AND owner=?)"), plan
    assert not any("TEMP B-TREE" in step or "ix_screening_case_centre" in step for step in plan), plan
