"""Storage through the repositories and the unit of work, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from screening.directory import load_directory
from screening.errors import Refused, StaleWrite
from screening.model import Case
from screening.services.registration import Registration, register_in
from screening.services.users import actor_in, store_directory
from screening.storage.unit_of_work import ConflictOnCommit, SqlUnitOfWork
from tests.unit.test_directory import APPOINTMENTS

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=timezone.utc)


def a_case(case_id: str = "SC-TEST0001", **overrides) -> Case:
    values = dict(id=case_id, municipality="Östersund", birth_date=date(2019, 4, 2), notice_at=NOW,
                  health_state="registered", created_at=NOW, updated_at=NOW, health_centre_id="hc-lugnvik")
    values.update(overrides)
    return Case(**values)


def test_a_case_survives_a_fresh_unit_of_work_unchanged(demo_db):
    stockholm_notice = datetime(2026, 7, 1, 16, 5, tzinfo=timezone(timedelta(hours=2)))
    case = a_case(notice_at=stockholm_notice, dossier="12345678", language="ti", interpreter=True,
                  arrival=date(2026, 7, 3), unaccompanied=True)
    with SqlUnitOfWork(demo_db) as uow:
        uow.cases.add(case)
        uow.commit()
    with SqlUnitOfWork(demo_db) as uow:
        stored = uow.cases.get(case.id)
    assert stored == case
    assert stored.notice_at.utcoffset() == timedelta(0)  # UTC in storage
    assert stored.notice_at == stockholm_notice


def test_nothing_is_written_without_a_commit(demo_db):
    with SqlUnitOfWork(demo_db) as uow:
        uow.cases.add(a_case())
    with SqlUnitOfWork(demo_db) as uow:
        assert uow.cases.get("SC-TEST0001") is None


def test_a_write_based_on_a_stale_read_is_refused(demo_db):
    with SqlUnitOfWork(demo_db) as uow:
        uow.cases.add(a_case())
        uow.commit()
    with SqlUnitOfWork(demo_db) as first:
        mine = first.cases.get("SC-TEST0001")
    with SqlUnitOfWork(demo_db) as second:
        theirs = second.cases.get("SC-TEST0001")
        theirs.language = "so"
        second.cases.save(theirs)
        second.commit()
    with SqlUnitOfWork(demo_db) as first:
        mine.language = "ar"
        with pytest.raises(StaleWrite, match="changed by someone else"):
            first.cases.save(mine)
    with SqlUnitOfWork(demo_db) as uow:
        stored = uow.cases.get("SC-TEST0001")
    assert (stored.language, stored.version) == ("so", 2)


@pytest.mark.postgres
def test_a_deadlock_between_two_writers_is_a_conflict_for_one_of_them(request):
    """PostgreSQL breaks a deadlock by failing one transaction (40P01): that writer is refused
    (exit 1, read again and retry), never an internal or database error."""
    import threading

    from tests.conftest import pg_schema_url

    schema = pg_schema_url()
    url = next(schema)
    request.addfinalizer(schema.close)
    from screening.storage import migrate

    migrate.upgrade(url)
    with SqlUnitOfWork(url) as uow:
        store_directory(uow, load_directory(None), demo_users=True)
        uow.cases.add(a_case("SC-TEST0001"))
        uow.cases.add(a_case("SC-TEST0002"))
        uow.commit()
    barrier, outcomes = threading.Barrier(2), []

    def writer(first: str, second: str) -> None:
        try:
            with SqlUnitOfWork(url) as uow:
                update = "UPDATE screening_case SET language = 'so' WHERE id = :id"
                uow.conn.execute(update, {"id": first})
                barrier.wait(timeout=30)
                uow.conn.execute(update, {"id": second})
                uow.commit()
            outcomes.append("saved")
        except ConflictOnCommit as error:
            outcomes.append(f"conflict: {error.message}")

    threads = [threading.Thread(target=writer, args=pair) for pair in
               (("SC-TEST0001", "SC-TEST0002"), ("SC-TEST0002", "SC-TEST0001"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "saved"], outcomes


def test_two_cases_cannot_share_an_identity_number(demo_db):
    with SqlUnitOfWork(demo_db) as uow:
        uow.cases.add(a_case("SC-TEST0001", personnummer="201904022389"))
        uow.commit()
    with pytest.raises(ConflictOnCommit, match="personnummer"):
        with SqlUnitOfWork(demo_db) as uow:
            uow.cases.add(a_case("SC-TEST0002", personnummer="201904022389"))
            uow.commit()
    with SqlUnitOfWork(demo_db) as uow:
        assert uow.cases.get("SC-TEST0002") is None


def test_the_directory_reads_back_in_the_regions_order(demo_db):
    bundled = load_directory(None)
    with SqlUnitOfWork(demo_db) as uow:
        stored = uow.directory.load()
    assert stored == bundled
    for municipality in bundled.municipalities:
        assert stored.default_health_centre(municipality) == bundled.default_health_centre(municipality)


AWKWARD_DIRECTORY = """
[region]
id = "r"
name = "R"
municipalities = ["Ås", "Åsele", "100%_By", "Back\\\\slash", "Quo\\"te", "Ödsby"]

[[organisations]]
id = "coord"
kind = "coordinator"
name = "Åsele"
""" + "".join(f"""
[[organisations]]
id = "{oid}"
kind = "health_centre"
name = "{name}"
serves = [{serves}]
""" + APPOINTMENTS for oid, name, serves in [
    ("hc-z", "Ås", '"Åsele", "Quo\\"te"'),          # named like a municipality it does not serve
    ("hc-a", "A", '"Ås", "Åsele"'),                  # second in order for Åsele: not its default
    ("hc-pct", "P", '"100%_By", "Back\\\\slash"'),
    ("hc-odd", "O", '"Ödsby"'),
])


def test_registration_lookups_agree_with_the_whole_directory(db_url):
    """Registration reads the municipality and the named organisations only (a country's directory
    holds thousands); what it finds must be what the whole directory says, whatever the names hold."""
    from screening.directory import parse_directory
    from screening.errors import BadInput, NotFound
    from screening.storage import migrate

    directory = parse_directory(AWKWARD_DIRECTORY, "awkward.toml")
    migrate.upgrade(db_url)
    with SqlUnitOfWork(db_url) as uow:
        store_directory(uow, directory, demo_users=True)
    with SqlUnitOfWork(db_url) as uow:
        stored = uow.directory
        for name in directory.municipalities:
            for spelling in (name, name.upper(), f"  {name.lower()} "):
                assert stored.municipality(spelling) == directory.municipality(spelling) == name
            assert stored.default_health_centre(name) == directory.default_health_centre(name)
        assert stored.default_health_centre("Åsele").id == "hc-z"
        assert stored.default_health_centre("Ås").id == "hc-a"
        for org in directory.organisations:
            assert stored.get(org.id) == directory.get(org.id)
        for unknown in ("Asel", "100%", "%", "_"):
            with pytest.raises(BadInput, match="unknown municipality"):
                stored.municipality(unknown)
        with pytest.raises(NotFound, match="unknown organisation 'hc-nope'"):
            stored.get("hc-nope")


def test_loading_the_directory_again_changes_nothing(demo_db):
    with SqlUnitOfWork(demo_db) as uow:
        store_directory(uow, load_directory(None), demo_users=True)
    with SqlUnitOfWork(demo_db) as uow:
        assert uow.directory.load() == load_directory(None)
        assert uow.directory.user("admin")["role"] == "admin"


def register(url: str, **fields):
    reg = Registration(**{"birth_date": date(2019, 4, 2), "municipality": "Östersund",
                                   "notice_at": NOW, **fields})
    with SqlUnitOfWork(url) as uow:
        return register_in(uow, actor_in(uow, "ostersund-reception"), reg, now=NOW, recorded_at=NOW)


def test_a_later_personnummer_attaches_to_the_case_registered_by_dossier(demo_db):
    case_id, attached = register(demo_db, dossier="12-345678")
    assert not attached
    again, attached = register(demo_db, dossier="12345678", personnummer="190402-2389")
    assert (again, attached) == (case_id, True)
    with SqlUnitOfWork(demo_db) as uow:
        case = uow.cases.get(case_id)
    assert (case.dossier, case.personnummer, case.version) == ("12345678", "201904022389", 2)


def test_identifiers_of_two_different_cases_are_not_merged(demo_db):
    register(demo_db, dossier="12345678")
    register(demo_db, personnummer="20190402-2389")
    with pytest.raises(Refused, match="two different cases"):
        register(demo_db, dossier="12345678", personnummer="20190402-2389")


def test_every_event_and_read_the_product_records_has_an_audit_kind(db_url):
    """The audit trail stores what was done as a number from `audit_kind`, seeded by the migrations."""
    from screening.storage import migrate
    from workflows.events import EVENTS

    migrate.upgrade(db_url)
    with SqlUnitOfWork(db_url) as uow:
        kinds = {(row["action"], row["event"]) for row in uow.conn.all("SELECT action, event FROM audit_kind")}
    recorded = {("event", name) for name in [*EVENTS, "register", "attach_identity", "acknowledge_alert"]}
    recorded |= {(read, "") for read in ("show", "list", "history")}
    assert recorded <= kinds, sorted(recorded - kinds)


def test_an_audit_row_is_a_few_numbers_and_reads_back_by_name(demo_db):
    notice = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    from screening.model import AuditEntry

    with SqlUnitOfWork(demo_db) as uow:
        uow.audit.record(AuditEntry("SC-TEST0009", "event", "notify_parties", notice, notice, "berg-reception",
                                    {"added": ["dossier"]}))
        uow.audit.record(AuditEntry("SC-TEST0009", "show", None, notice, notice, "hc-lugnvik"))
        uow.commit()
    with SqlUnitOfWork(demo_db) as uow:
        stored = uow.conn.all("SELECT kind, user_no FROM audit ORDER BY id")
        trail = uow.conn.all("SELECT action, event, user_id, org_id FROM audit_trail ORDER BY id")
    assert all(isinstance(row["kind"], int) and isinstance(row["user_no"], int) for row in stored)
    assert trail == [
        {"action": "event", "event": "notify_parties", "user_id": "berg-reception", "org_id": "berg-reception"},
        {"action": "show", "event": None, "user_id": "hc-lugnvik", "org_id": "hc-lugnvik"},
    ]
