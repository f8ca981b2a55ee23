"""The municipality's overdue steps are read from the deadlines' own index (`ix_deadline_municipality_open`,
migration 0029): each deadline holds its case's municipality, written with it; the migration fills it for
the deadlines already there; the list of overdue children is a range of that index on SQLite. A school's and
a preschool's lists walk their own cases by notice (`ix_screening_case_school_notice`, `…_preschool_notice`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import text

from screening.bootstrap import App, Clock
from screening.clock import STOCKHOLM
from screening.services import children, users
from screening.settings import Settings
from screening.storage import db, migrate
from screening.storage.queries import ReadModel
from tests.e2e.support import COORDINATOR, PRESCHOOL, RECEPTION, SCHOOL, call
from tests.integration.test_deadline_centre import held

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM)


def municipalities_of(url: str, case_id: str, status: str = "= 'open'") -> set[str | None]:
    return held(url, case_id, "municipality", status)


def overdue(url: str, user: str, now: datetime) -> set[str]:
    app = App(url, Settings({}), Clock(now))
    return {row["id"] for row in children.page(app, users.identify(app, user), overdue=True)["rows"]}


def test_each_deadline_holds_its_cases_municipality_and_the_overdue_list_reads_it(demo_db):
    here = call(demo_db, "case", "register", "--birth-date", "2019-04-02", "--municipality", "Östersund",
                "--name", "Sen Påhittad", user=RECEPTION, now="2026-11-16T09:00")["id"]
    there = call(demo_db, "case", "register", "--birth-date", "2019-04-02", "--municipality", "Berg",
                 "--name", "Annan Påhittad", user="berg-reception", now="2026-11-16T09:00")["id"]
    assert municipalities_of(demo_db, here) == {"Östersund"} and municipalities_of(demo_db, there) == {"Berg"}
    assert here in overdue(demo_db, RECEPTION, NOW)  # nobody told the parties: the reception's step is late
    assert there not in overdue(demo_db, RECEPTION, NOW) and there in overdue(demo_db, "berg-reception", NOW)
    assert here not in overdue(demo_db, RECEPTION, datetime(2026, 11, 16, 9, 30, tzinfo=STOCKHOLM))  # not yet due
    call(demo_db, "case", "event", here, "notify_parties", user=RECEPTION, now="2026-11-23T09:00")
    assert here not in overdue(demo_db, RECEPTION, NOW)  # done, late: no longer owed
    assert municipalities_of(demo_db, here) == {"Östersund"}  # the steps still open (the booking)
    assert municipalities_of(demo_db, here, "<> 'open'") == {None}  # a closed step holds none


def test_a_municipalitys_overdue_cases_owe_what_the_sweep_says_they_owe(demo_db):
    """Read from the index alone, the past-due steps are still owed as `still_owed_sql` says: a declined
    child owes no health step, a case that ended owes nothing."""
    waiting, declined, closed = (call(demo_db, "case", "register", "--birth-date", "2019-04-02", "--municipality",
                                      "Östersund", "--name", f"Barn{n} Påhittad", user=RECEPTION,
                                      now="2026-11-02T09:00")["id"] for n in range(3))
    for case_id in (waiting, declined, closed):
        call(demo_db, "case", "event", case_id, "notify_parties", user=RECEPTION, now="2026-11-02T09:05")

    def listed() -> list[str]:
        return [row["id"] for row in call(demo_db, "case", "list", "--overdue", "--municipality", "Östersund",
                                          user=COORDINATOR, now="2026-11-23T10:00")]

    assert sorted(listed()) == sorted([waiting, declined, closed])  # none booked in five working days
    call(demo_db, "case", "event", declined, "decline", "--set=reason=avböjt", user="hc-lugnvik",
         now="2026-11-20T09:00")
    call(demo_db, "case", "event", closed, "close", "--set=reason=återvänt", user=RECEPTION, now="2026-11-20T09:00")
    assert listed() == [waiting]


def test_the_migration_gives_the_deadlines_already_there_their_cases_municipality(db_url):
    migrate.upgrade(db_url, "0028")
    stamp = (lambda t: int(t.timestamp())) if db.is_sqlite(db_url) else (lambda t: t)
    with db.engine(db_url).begin() as conn:
        conn.execute(text("INSERT INTO screening_case (id, version, municipality, birth_date, interpreter, "
                          "unaccompanied, notice_at, already_in_sweden, health_state, school_state, "
                          "vaccination_state, created_at, updated_at, doses_given) VALUES (:id, 1, :m, :born, "
                          "false, false, :t, false, 'registered', 'not_started', 'not_started', :t, :t, 0)"),
                     [{"id": f"SC-OLD0000{n}", "m": place, "born": date(2019, 4, 2), "t": stamp(NOW)}
                      for n, place in enumerate(("Berg", "Östersund"))])
        conn.execute(text("INSERT INTO deadline (case_id, rule, owner, starts, due, status) VALUES "
                          "(:case, :rule, 'reception_unit', :starts, :due, 'open')"),
                     [{"case": f"SC-OLD0000{n}", "rule": rule, "starts": stamp(NOW),
                       "due": stamp(NOW + timedelta(days=1))}
                      for n in range(2) for rule in ("notify_parties", "renotify_arrival_change")])
        conn.execute(text("UPDATE deadline SET status = 'met', health_centre_id = 'hc-lugnvik' "
                          "WHERE rule = 'renotify_arrival_change'"))
    assert migrate.upgrade(db_url) == db.SCHEMA_REVISION
    assert [municipalities_of(db_url, f"SC-OLD0000{n}") for n in range(2)] == [{"Berg"}, {"Östersund"}]
    with db.engine(db_url).connect() as conn:  # a closed one holds neither its municipality nor its centre
        assert conn.execute(text("SELECT DISTINCT municipality, health_centre_id FROM deadline "
                                 "WHERE status = 'met'")).all() == [(None, None)]


def plan_of_the_list(url: str, user: str, *, overdue: bool) -> list[str]:
    """SQLite's plan of the unit's list of cases (a page of 50, open ones, overdue first or not)."""
    app = App(url, Settings({}), Clock(NOW))
    actor = users.identify(app, user)
    asked = []
    reads = ReadModel(url)
    execute = reads.conn.execute

    def explained(sql, params=None):
        if sql.startswith("SELECT id FROM screening_case"):
            asked.append([row[3] for row in execute("EXPLAIN QUERY PLAN " + sql, params)])
        return execute(sql, params)

    try:
        reads.conn.execute = explained
        reads._case_ids(actor, municipality=None, health_centre=None, overdue=overdue, open_only=True, limit=50,
                        after=None, at=NOW, rules=None, owners=children.owners_of(actor) if overdue else None)
    finally:
        reads.conn.execute = execute
        reads.close()
    return asked[0]


def test_sqlite_reads_the_reception_units_overdue_steps_from_the_municipalitys_index(demo_db):
    if not db.is_sqlite(demo_db):
        return  # PostgreSQL chooses by its statistics
    plan = plan_of_the_list(demo_db, RECEPTION, overdue=True)
    assert any("USING COVERING INDEX ix_deadline_municipality_open (municipality=? AND owner=? AND due<?)" in step
               for step in plan), plan
    assert not any("ix_deadline_open_next_alert" in step for step in plan), plan


def test_sqlite_walks_a_schools_and_a_preschools_own_cases_in_list_order(demo_db):
    if not db.is_sqlite(demo_db):
        return  # PostgreSQL chooses by its statistics
    for user, unit in ((SCHOOL, "school"), (PRESCHOOL, "preschool")):
        plan = plan_of_the_list(demo_db, user, overdue=False)
        index = f"ix_screening_case_{unit}_notice ({unit}_id=?)"
        assert plan[0].startswith(f"SEARCH screening_case USING INDEX {index}"), plan
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan  # in list order (ties by id sorted as they come)
