"""Migration 0021 (people): users gain a name, an e-mail, an HSA-id (unique when given) and a time they were
disabled; audit rows gain the door they came in by. Rows written before it verify as they did (the
chain covers a door only where one is set); rows after it are covered with theirs. SQLite and PostgreSQL.
Every name and id here is invented."""

from __future__ import annotations

from datetime import datetime

import pytest

from screening.audit_chain import content, link
from screening.bootstrap import bootstrap
from screening.clock import STOCKHOLM
from screening.model import AuditEntry
from screening.services import chain as service
from screening.storage import db, migrate
from screening.storage.unit_of_work import SqlUnitOfWork

WHEN = datetime(2026, 11, 23, 9, 0, 30, tzinfo=STOCKHOLM)


def _at_0020_with_two_chained_rows(url: str) -> None:
    assert migrate.upgrade(url, "0020") == "0020"
    conn = db.connect_raw(url)
    try:
        conn.begin()
        conn.execute("INSERT INTO region (id, name, municipalities) VALUES ('r', 'R', '[\"Berg\"]')")
        conn.execute("INSERT INTO organisation (id, position, kind, name, municipality, details) "
                     "VALUES ('berg-reception', 0, 'reception_unit', 'Berg', 'Berg', '{}')")
        conn.execute("INSERT INTO app_user (id, no, role, org_id) VALUES ('u', 1, 'reception', 'berg-reception')")
        previous, stamp = None, conn.timestamp(WHEN)
        for n in range(2):
            previous = link(None, previous, content(f"SC-OLD0000{n}", "show", None, stamp, stamp, "u", None))
            conn.execute("INSERT INTO audit (case_id, kind, at, recorded_at, user_no, chain) VALUES (:case, "
                         "(SELECT no FROM audit_kind WHERE action = 'show'), :t, :t, 1, :chain)",
                         {"case": f"SC-OLD0000{n}", "t": stamp, "chain": previous})
        conn.commit()
    finally:
        conn.close()


def test_rows_from_before_people_verify_as_they_did_and_new_rows_carry_their_door(db_url):
    _at_0020_with_two_chained_rows(db_url)
    app = bootstrap(db_url, env={})

    migrate.upgrade(db_url)
    migrated = service.check(app)
    with SqlUnitOfWork(db_url, door="cli:invented-operator") as uow:
        uow.audit.record(AuditEntry("SC-NEW00001", "show", None, WHEN, WHEN, "u"))
        uow.commit()
    followed = service.check(app)

    assert (migrated["ok"], migrated["rows"]) == (True, 2)
    assert (followed["ok"], followed["rows"]) == (True, 3)
    conn = db.connect_raw(db_url)
    try:
        assert conn.all("SELECT case_id, user_id, user_name, org_id, door FROM audit_trail ORDER BY id") == [
            {"case_id": "SC-OLD00000", "user_id": "u", "user_name": None, "org_id": "berg-reception", "door": None},
            {"case_id": "SC-OLD00001", "user_id": "u", "user_name": None, "org_id": "berg-reception", "door": None},
            {"case_id": "SC-NEW00001", "user_id": "u", "user_name": None, "org_id": "berg-reception",
             "door": "cli:invented-operator"}]
        assert conn.one("SELECT name, email, hsa_id, disabled_at FROM app_user WHERE id = 'u'") == {
            "name": None, "email": None, "hsa_id": None, "disabled_at": None}
    finally:
        conn.close()


def test_the_database_holds_an_hsa_id_once_and_many_users_without_one(db_url):
    migrate.upgrade(db_url)
    conn = db.connect_raw(db_url)
    try:
        conn.begin()
        conn.execute("INSERT INTO region (id, name, municipalities) VALUES ('r', 'R', '[\"Berg\"]')")
        conn.execute("INSERT INTO organisation (id, position, kind, name, municipality, details) "
                     "VALUES ('berg-reception', 0, 'reception_unit', 'Berg', 'Berg', '{}')")
        for no, (user, hsa_id) in enumerate([("a", None), ("b", None), ("c", "SE2321000032-x1")], start=1):
            conn.execute("INSERT INTO app_user (id, no, role, org_id, hsa_id) VALUES (:id, :no, 'reception', "
                         "'berg-reception', :hsa)", {"id": user, "no": no, "hsa": hsa_id})
        conn.commit()
        conn.begin()
        with pytest.raises(Exception, match="(?i)unique"):
            conn.execute("INSERT INTO app_user (id, no, role, org_id, hsa_id) VALUES ('d', 4, 'reception', "
                         "'berg-reception', 'SE2321000032-x1')")
        conn.rollback()
    finally:
        conn.close()


def test_downgrading_0021_takes_the_people_and_doors_away_and_upgrading_brings_them_back(db_url):
    _at_0020_with_two_chained_rows(db_url)
    migrate.upgrade(db_url)

    migrate.downgrade(db_url, "0020")
    conn = db.connect_raw(db_url)
    try:
        trail = conn.all("SELECT * FROM audit_trail ORDER BY id")
        users = conn.all("SELECT * FROM app_user")
    finally:
        conn.close()

    assert [set(row) for row in trail] == [{"id", "case_id", "action", "event", "at", "recorded_at", "user_id",
                                            "org_id", "detail"}] * 2
    assert set(users[0]) == {"id", "no", "role", "org_id"}
    assert migrate.upgrade(db_url) == db.SCHEMA_REVISION
    assert service.check(bootstrap(db_url, env={}))["ok"] is True
