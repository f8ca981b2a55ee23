"""`init` creates or upgrades the schema with Alembic and never loses data."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from screening import clock
from screening.model import Case
from screening.storage import db, migrate
from screening.storage.unit_of_work import SqlUnitOfWork


def test_upgrade_creates_the_newest_schema(db_url):
    assert migrate.current_revision(db_url) is None
    assert migrate.upgrade(db_url) == db.SCHEMA_REVISION


def test_schema_revision_constant_is_the_alembic_head():
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    import migrations

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    assert ScriptDirectory.from_config(config).get_current_head() == db.SCHEMA_REVISION


def test_migrated_schema_matches_the_table_classes(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    import screening.storage.tables  # noqa: F401

    migrate.upgrade(db_url)
    with db.engine(db_url).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_upgrading_again_keeps_every_case(demo_db):
    notice = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    with SqlUnitOfWork(demo_db) as uow:
        uow.cases.add(Case(id="SC-KEEP0001", municipality="Berg", birth_date=date(2018, 5, 1),
                           notice_at=notice, health_state="registered", created_at=notice, updated_at=notice))
        uow.commit()
    assert migrate.upgrade(demo_db) == db.SCHEMA_REVISION
    with SqlUnitOfWork(demo_db) as uow:
        case = uow.cases.get("SC-KEEP0001")
    assert case.municipality == "Berg" and case.notice_at == notice


def test_commands_refuse_a_database_that_was_never_initialised(db_url):
    from screening.storage.queries import ReadModel

    with pytest.raises(db.SchemaOutdated):
        with SqlUnitOfWork(db_url):
            pass
    if db.is_sqlite(db_url):
        with pytest.raises(db.SchemaOutdated):
            ReadModel(db_url)


def test_the_audit_trail_is_append_only(demo_db):
    from sqlalchemy.exc import DBAPIError

    now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    engine = db.engine(demo_db)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO audit (case_id, kind, at, recorded_at, user_no) VALUES ('SC-X', "
                          "(SELECT no FROM audit_kind WHERE event = 'register'), :t, :t, "
                          "(SELECT no FROM app_user WHERE id = 'admin'))"), {"t": now})
    for statement in ("UPDATE audit SET user_no = user_no + 1", "DELETE FROM audit"):
        with pytest.raises(DBAPIError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT user_id, org_id, event FROM audit_trail")).all() == [
            ("admin", "region-coordinator", "register")]


def test_upgrading_from_the_first_schema_keeps_cases_and_audit(db_url):
    notice = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    assert migrate.upgrade(db_url, "0001") == "0001"
    with db.engine(db_url).begin() as conn:
        conn.execute(text("INSERT INTO region (id, name, municipalities) VALUES ('r', 'R', '[\"Berg\"]')"))
        conn.execute(text("INSERT INTO organisation (id, position, kind, name, municipality, details) "
                          "VALUES ('berg-reception', 0, 'reception_unit', 'Berg', 'Berg', '{}')"))
        conn.execute(text(
            "INSERT INTO screening_case (id, version, municipality, birth_date, interpreter, unaccompanied, "
            "notice_at, already_in_sweden, health_state, school_state, vaccination_state, created_at, updated_at) "
            "VALUES ('SC-OLD00001', 3, 'Berg', :born, false, false, :t, false, 'parties_notified', "
            "'not_started', 'not_started', :t, :t)"), {"born": date(2015, 1, 2), "t": notice})
        conn.execute(text("INSERT INTO app_user (id, role, org_id) VALUES ('u', 'reception', 'berg-reception')"))
        conn.execute(text("INSERT INTO audit (case_id, action, event, at, recorded_at, user_id) "
                          "VALUES ('SC-OLD00001', 'event', 'register', :t, :t, 'u')"), {"t": notice})
    assert migrate.upgrade(db_url) == db.SCHEMA_REVISION
    with SqlUnitOfWork(db_url) as uow:
        case = uow.cases.get("SC-OLD00001")
    assert (case.version, case.health_state, case.notice_at, case.doses_given) == (3, "parties_notified", notice, 0)
    with db.engine(db_url).connect() as conn:
        assert conn.execute(text("SELECT case_id, action, event, user_id, org_id FROM audit_trail")).all() == [
            ("SC-OLD00001", "event", "register", "u", "berg-reception")]


def test_upgrading_from_0003_keeps_times_deadlines_and_the_append_only_audit(db_url):
    """0004 stores SQLite's times as Unix seconds and keys deadlines by (case, rule): same values after."""
    from sqlalchemy.exc import DBAPIError

    notice = datetime(2026, 11, 23, 9, 0, 30, tzinfo=timezone.utc)
    due = datetime(2026, 11, 30, 22, 59, 59, tzinfo=timezone.utc)
    assert migrate.upgrade(db_url, "0003") == "0003"
    with db.engine(db_url).begin() as conn:
        conn.execute(text("INSERT INTO organisation (id, position, kind, name, municipality, details) "
                          "VALUES ('berg-reception', 0, 'reception_unit', 'Berg', 'Berg', '{}')"))
        conn.execute(text("INSERT INTO app_user (id, role, org_id) VALUES ('u', 'reception', 'berg-reception')"))
        conn.execute(text(
            "INSERT INTO screening_case (id, version, municipality, birth_date, interpreter, unaccompanied, "
            "notice_at, already_in_sweden, health_state, school_state, vaccination_state, created_at, updated_at, "
            "parties_notified_at, doses_given) VALUES ('SC-OLD00002', 2, 'Berg', :born, false, false, :t, false, "
            "'parties_notified', 'not_started', 'not_started', :t, :t, :t, 0)"),
            {"born": date(2015, 1, 2), "t": notice})
        for rule, status in (("book_health_conversation", "open"), ("notify_parties", "met")):
            conn.execute(text("INSERT INTO deadline (case_id, rule, owner, starts, due, status, met_at) "
                              "VALUES ('SC-OLD00002', :rule, 'health_centre', :t, :due, :status, :met)"),
                         {"rule": rule, "t": notice, "due": due, "status": status,
                          "met": notice if status == "met" else None})
        conn.execute(text("INSERT INTO audit (case_id, action, event, at, recorded_at, user_id) "
                          "VALUES ('SC-OLD00002', 'event', 'register', :t, :t, 'u')"), {"t": notice})
    assert migrate.upgrade(db_url) == db.SCHEMA_REVISION
    with SqlUnitOfWork(db_url) as uow:
        case = uow.cases.get("SC-OLD00002")
        deadlines = uow.deadlines.for_case("SC-OLD00002")
        [audit] = uow.conn.all("SELECT at, recorded_at FROM audit")
        past_due = uow.conn.all("SELECT case_id, rule FROM deadline WHERE status = 'open' AND due < :now",
                                {"now": uow.conn.timestamp(due + timedelta(seconds=1))})
    assert (case.version, case.notice_at, case.parties_notified_at) == (2, notice, notice)
    assert {rule: (clock.from_db(d["due"]), d["status"], clock.from_db(d["met_at"])) for rule, d in deadlines.items()} \
        == {"book_health_conversation": (due, "open", None), "notify_parties": (due, "met", notice)}
    assert clock.from_db(audit["at"]) == clock.from_db(audit["recorded_at"]) == notice
    assert past_due == [{"case_id": "SC-OLD00002", "rule": "book_health_conversation"}]
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine(db_url).begin() as conn:
            conn.execute(text("DELETE FROM audit"))
    with pytest.raises(DBAPIError):  # (case, rule) is the deadline's key now
        with db.engine(db_url).begin() as conn:
            conn.execute(text("INSERT INTO deadline (case_id, rule, owner, starts, due, status) "
                              "VALUES ('SC-OLD00002', 'notify_parties', 'reception_unit', :t, :t, 'open')"),
                         {"t": notice})


def test_downgrading_0004_gives_back_text_times_and_the_deadline_id(db_url):
    notice = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    migrate.upgrade(db_url)
    with SqlUnitOfWork(db_url) as uow:
        uow.cases.add(Case(id="SC-DOWN0001", municipality="Berg", birth_date=date(2018, 5, 1), notice_at=notice,
                           health_state="registered", created_at=notice, updated_at=notice))
        uow.commit()
    migrate.downgrade(db_url, "0003")
    with db.engine(db_url).connect() as conn:
        stored = conn.execute(text("SELECT notice_at FROM screening_case")).scalar()
        assert conn.execute(text("SELECT count(id) FROM deadline")).scalar() == 0
    assert clock.from_db(stored) == notice
    assert migrate.upgrade(db_url) == db.SCHEMA_REVISION


def test_upgrading_from_0006_gives_open_deadlines_their_reminder_times(db_url):
    """0007: an open deadline not yet reminded is looked at next at its reminder time; one
    reminded already, and one without reminders, at its due."""
    from screening.clock import STOCKHOLM

    notice = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    monday_due = datetime(2026, 11, 30, 23, 59, 59, tzinfo=STOCKHOLM)
    assert migrate.upgrade(db_url, "0006") == "0006"
    with db.engine(db_url).begin() as conn:
        _stored_case(conn, db_url, "SC-OLD00003", notice)
        for rule, status in (("book_health_conversation", "open"), ("inform_family", "open"),
                             ("school_start", "open"), ("notify_parties", "met")):
            due = clock.to_epoch(monday_due) if db.is_sqlite(db_url) else monday_due
            conn.execute(text("INSERT INTO deadline (case_id, rule, owner, starts, due, status) "
                              "VALUES ('SC-OLD00003', :rule, 'health_centre', :due, :due, :status)"),
                         {"rule": rule, "due": due, "status": status})
        conn.execute(text("INSERT INTO alert (case_id, rule, kind, owner, due, raised_at, last_raised_at, "
                          "raise_count) VALUES ('SC-OLD00003', 'inform_family', 'reminder', 'health_centre', :due, "
                          ":due, :due, 1)"), {"due": clock.to_epoch(monday_due) if db.is_sqlite(db_url) else monday_due})
    assert migrate.upgrade(db_url) == db.SCHEMA_REVISION
    with SqlUnitOfWork(db_url) as uow:
        found = {rule: clock.from_db(row["next_alert_at"]) for rule, row in uow.deadlines.for_case("SC-OLD00003").items()}
    assert found == {
        "book_health_conversation": datetime(2026, 11, 27, 0, 0, tzinfo=STOCKHOLM),  # the Friday before
        "inform_family": monday_due,  # reminded already
        "school_start": monday_due,  # a soft target: no reminder
        "notify_parties": monday_due,  # met
    }


def test_upgrading_from_0007_leaves_swept_breaches_open_behind_the_sweeps_mark(db_url):
    """0008: what the sweeps marked breached is stored open (shown breached) and not read again."""
    from screening.clock import STOCKHOLM

    raised = datetime(2026, 12, 1, 8, 0, tzinfo=STOCKHOLM)
    due = datetime(2026, 11, 30, 23, 59, 59, tzinfo=STOCKHOLM)
    stamp = (lambda t: clock.to_epoch(t)) if db.is_sqlite(db_url) else (lambda t: t)
    assert migrate.upgrade(db_url, "0007") == "0007"
    with db.engine(db_url).begin() as conn:
        _stored_case(conn, db_url, "SC-OLD00004", raised)
        conn.execute(text("INSERT INTO deadline (case_id, rule, owner, starts, due, status, attributed_to, "
                          "next_alert_at) VALUES ('SC-OLD00004', 'book_health_conversation', 'health_centre', :due, "
                          ":due, 'breached', 'health_centre', :due)"), {"due": stamp(due)})
        conn.execute(text("INSERT INTO alert (case_id, rule, kind, owner, due, raised_at, last_raised_at, raise_count) "
                          "VALUES ('SC-OLD00004', 'book_health_conversation', 'breach', 'health_centre', :due, :t, "
                          ":t, 1)"), {"due": stamp(due), "t": stamp(raised)})
    assert migrate.upgrade(db_url) == db.SCHEMA_REVISION
    with SqlUnitOfWork(db_url) as uow:
        [deadline] = uow.conn.all("SELECT status, next_alert_at FROM deadline")
        swept_to = clock.from_db(uow.conn.scalar("SELECT swept_to FROM sweep_mark WHERE id = 1"))
    assert deadline["status"] == "open" and clock.from_db(deadline["next_alert_at"]) < swept_to == raised
    with pytest.raises(Exception):  # still one alert per case, rule, kind and due
        with db.engine(db_url).begin() as conn:
            conn.execute(text("INSERT INTO alert (case_id, rule, kind, owner, due, raised_at, last_raised_at, "
                              "raise_count) VALUES ('SC-OLD00004', 'book_health_conversation', 'breach', "
                              "'health_centre', :due, :t, :t, 1)"), {"due": stamp(due), "t": stamp(raised)})


def _stored_case(conn, url: str, case_id: str, at: datetime) -> None:
    """A case row written as the schema since 0004 stores it (times as Unix seconds on SQLite)."""
    conn.execute(text(
        "INSERT INTO screening_case (id, version, municipality, birth_date, interpreter, unaccompanied, "
        "notice_at, already_in_sweden, health_state, school_state, vaccination_state, created_at, updated_at, "
        "doses_given) VALUES (:id, 1, 'Berg', '2015-01-02', false, false, :t, false, "
        "'parties_notified', 'not_started', 'not_started', :t, :t, 0)"),
        {"id": case_id, "t": clock.to_epoch(at) if db.is_sqlite(url) else at})
