"""The audit trail is tamper-evident (finding 4): each row carries a hash chained to the one before,
keyed with a secret the database does not hold. A row forged (even with a plausible hash made without
the key), a row taken out and a row changed (re-attributed to another user) are all found by
`audit verify`, which names the first row where the chain breaks (exit 1); a whole chain verifies
(exit 0). The scheduler checks it nightly and tells the coordinators of a break, and of an end cut off
since the night before. Appends from two writers at once keep the chain whole. On PostgreSQL the
application's login may append to the trail but never change it.

Every child, name and date here is invented. The databases are made by `init --demo` (the key set
first where a test says `keyed_db`), then changed by hand as someone who can write them would."""

from __future__ import annotations

import os
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest

from screening.audit_chain import KEYED, content, link
from screening.bootstrap import bootstrap
from screening.clock import STOCKHOLM
from screening.model import AuditEntry, Actor
from screening.storage import db
from screening.storage.codec import audit_kind, user_number
from tests.e2e.support import HC, NOW, RECEPTION, register

KEY = "invented-audit-key-for-tests-0123456789abcdef"
ADMIN, COORDINATOR, OTHER_HC = "admin", "region-coordinator", "hc-krokom"  # hc-krokom cannot see Östersund's cases
NIGHT = datetime(2026, 11, 24, 3, 15, tzinfo=STOCKHOLM)


@pytest.fixture
def keyed_db(run, db_url, monkeypatch):
    """A database made by `init --demo` with the audit key set from the start (every row keyed)."""
    monkeypatch.setenv("SCREENING_AUDIT_KEY", KEY)
    assert run("init", "--demo", db=db_url).code == 0
    return db_url


@contextmanager
def raw(url: str):
    """A connection of someone who can write the database (the file's owner, PostgreSQL's superuser)."""
    conn = db.connect_raw(url)
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def guards_aside(conn):
    """The append-only guards stepped around, as whoever can write the database can: SQLite's triggers
    dropped and put back afterwards; on PostgreSQL a superuser's session that fires no triggers."""
    if conn.sqlite:
        conn.execute("DROP TRIGGER audit_no_update")
        conn.execute("DROP TRIGGER audit_no_delete")
    else:
        conn.execute("SET session_replication_role = replica")
    yield
    if conn.sqlite:
        for verb in ("UPDATE", "DELETE"):
            conn.execute(f"CREATE TRIGGER audit_no_{verb.lower()} BEFORE {verb} ON audit "
                         "BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END")
    else:
        conn.execute("RESET session_replication_role")


def worked(run, url: str) -> str:
    """A case registered, shown, listed and acted on: a handful of audit rows."""
    case_id = register(run, url)
    assert run("case", "show", case_id, db=url, user=HC, now=NOW).code == 0
    assert run("case", "list", db=url, user=RECEPTION, now=NOW).code == 0
    assert run("case", "event", case_id, "notify_parties", db=url, user=RECEPTION, now=NOW).code == 0
    return case_id


def verify(run, url: str):
    return run("audit", "verify", db=url, user=ADMIN)


def audit_ids(url: str) -> list[int]:
    with raw(url) as conn:
        return [row["id"] for row in conn.all("SELECT id FROM audit ORDER BY id")]


def forge_read(url: str, case_id: str, chain_of) -> int:
    """A row saying that another municipality's centre read the case, inserted with raw SQL; its link
    made by `chain_of(previous link, content)`. Returns its id."""
    when = datetime(2026, 11, 23, 11, 0, tzinfo=STOCKHOLM)
    with raw(url) as conn:
        previous = bytes(conn.scalar("SELECT chain FROM audit ORDER BY id DESC LIMIT 1"))
        stamp = conn.timestamp(when)
        row = {"case_id": case_id, "kind": audit_kind(conn, "show", None), "at": stamp, "recorded_at": stamp,
               "user_no": user_number(conn, OTHER_HC)}
        row["chain"] = chain_of(previous, content(case_id, "show", None, stamp, stamp, OTHER_HC, None))
        conn.execute("INSERT INTO audit (case_id, kind, at, recorded_at, user_no, chain) "
                     "VALUES (:case_id, :kind, :at, :recorded_at, :user_no, :chain)", row)
        return conn.scalar("SELECT MAX(id) FROM audit")


# --- a whole chain, and what the check says of it ----------------------------------------------


def test_a_whole_keyed_chain_verifies_row_by_row(run, keyed_db):
    worked(run, keyed_db)

    result = verify(run, keyed_db)

    assert result.code == 0, result.err
    ids = audit_ids(keyed_db)
    assert result.data["ok"] is True and result.data["first_break"] is None
    assert (result.data["rows"], result.data["last"]["id"]) == (len(ids), ids[-1])
    assert (result.data["keyed"], result.data["unkeyed_rows"]) == (True, 0)
    with raw(keyed_db) as conn:  # every row keyed, none unchained
        assert {bytes(row["chain"])[:1] for row in conn.all("SELECT chain FROM audit")} == {KEYED}


def test_an_unkeyed_chain_says_that_a_forger_who_computes_it_again_would_pass(run, cli_db):
    """Without a key the chain still finds a row changed or taken out; a forger who recomputes the
    plain SHA-256 link passes, and the check says so (stderr, JSON `keyed`)."""
    case_id = worked(run, cli_db)
    forge_read(cli_db, case_id, lambda previous, row: link(None, previous, row))

    result = verify(run, cli_db)

    assert result.code == 0 and result.data["keyed"] is False
    assert "SCREENING_AUDIT_KEY" in result.err and "klarar kontrollen" in result.err


def test_people_read_the_verdict_in_swedish(run, keyed_db):
    worked(run, keyed_db)

    whole = run("audit", "verify", db=keyed_db, user=ADMIN, json_output=False)

    assert whole.code == 0 and "Loggens hashkedja är hel: " in whole.out


def test_only_an_admin_verifies(run, keyed_db):
    result = run("audit", "verify", db=keyed_db, user=COORDINATOR)

    assert result.code == 1 and result.data["error"]["code"] == "refused"


# --- a forged, a deleted and a changed row --------------------------------------------------------

FORGERIES = {
    "a plain SHA-256 link (made without the key)": (lambda previous, row: link(None, previous, row), "unkeyed"),
    "a SHA-256 link labelled keyed": (lambda previous, row: KEYED + link(None, previous, row)[1:], "altered"),
    "a link keyed with a guessed key": (lambda previous, row: link(b"guessed-" + KEY.encode(), previous, row),
                                        "altered"),
    "no link at all": (lambda previous, row: None, "unchained"),
}


@pytest.mark.parametrize("forgery", FORGERIES, ids=list(FORGERIES))
def test_a_forged_read_is_found_at_its_row(run, keyed_db, forgery):
    case_id = worked(run, keyed_db)
    chain_of, reason = FORGERIES[forgery]
    forged = forge_read(keyed_db, case_id, chain_of)
    assert run("case", "show", case_id, db=keyed_db, user=HC, now=NOW).code == 0  # work goes on after it

    result = verify(run, keyed_db)

    assert result.code == 1, result.out
    assert result.data["ok"] is False
    assert result.data["first_break"] == {"id": forged, "reason": reason, "after": forged - 1}
    assert result.data["rows"] == forged - 1


def test_a_deleted_row_breaks_the_chain_at_the_row_after_it(run, keyed_db):
    worked(run, keyed_db)
    ids = audit_ids(keyed_db)
    gone = ids[len(ids) // 2]
    with raw(keyed_db) as conn, guards_aside(conn):
        conn.execute("DELETE FROM audit WHERE id = :id", {"id": gone})

    result = verify(run, keyed_db)

    assert result.code == 1
    assert result.data["first_break"] == {"id": ids[ids.index(gone) + 1], "reason": "altered",
                                          "after": ids[ids.index(gone) - 1]}


def test_a_row_re_attributed_to_another_user_is_found(run, keyed_db):
    case_id = worked(run, keyed_db)
    with raw(keyed_db) as conn:
        shown = conn.scalar("SELECT MIN(id) FROM audit_trail WHERE case_id = :id AND action = 'show'", {"id": case_id})
        with guards_aside(conn):
            conn.execute("UPDATE audit SET user_no = :no WHERE id = :id",
                         {"no": user_number(conn, OTHER_HC), "id": shown})

    result = verify(run, keyed_db)

    assert result.code == 1
    assert result.data["first_break"] == {"id": shown, "reason": "altered", "after": shown - 1}
    assert "bruten vid rad" in run("audit", "verify", db=keyed_db, user=ADMIN, json_output=False).out


def test_user_numbers_swapped_in_app_user_are_found(run, keyed_db):
    """The link covers the user by id, not by the number `audit` stores: swapping two users' numbers
    (the foreign keys off, as a file's owner or a superuser may) re-attributes no row unseen."""
    worked(run, keyed_db)
    with raw(keyed_db) as conn:
        if conn.sqlite:
            conn.execute("PRAGMA foreign_keys = OFF")
        mine, theirs = user_number(conn, HC), user_number(conn, OTHER_HC)
        with guards_aside(conn):
            for user, number in ((HC, -1), (OTHER_HC, mine), (HC, theirs)):
                conn.execute("UPDATE app_user SET no = :no WHERE id = :id", {"no": number, "id": user})
        first = conn.scalar("SELECT MIN(id) FROM audit WHERE user_no IN (:a, :b)", {"a": mine, "b": theirs})

    result = verify(run, keyed_db)

    assert result.data["first_break"] == {"id": first, "reason": "altered", "after": first - 1}


def test_a_keyed_chain_is_not_verified_without_its_key(run, keyed_db, monkeypatch):
    worked(run, keyed_db)
    monkeypatch.delenv("SCREENING_AUDIT_KEY")

    result = verify(run, keyed_db)

    assert result.code == 1 and "SCREENING_AUDIT_KEY" in result.data["error"]["message"]


# --- the key as a setting ------------------------------------------------------------------------


def test_the_key_may_come_from_a_file_its_owner_alone_reads(run, keyed_db, monkeypatch, tmp_path):
    worked(run, keyed_db)
    key_file = tmp_path / "audit.key"
    key_file.write_text(KEY + "\n")
    monkeypatch.delenv("SCREENING_AUDIT_KEY")
    monkeypatch.setenv("SCREENING_AUDIT_KEY_FILE", str(key_file))

    key_file.chmod(0o644)
    readable = verify(run, keyed_db)
    key_file.chmod(0o600)
    private = verify(run, keyed_db)

    assert readable.code == 2 and "chmod" in readable.data["error"]["message"]
    assert private.code == 0 and private.data["keyed"] is True


@pytest.mark.parametrize("value", ["short", "x" * 31])
def test_a_key_too_short_to_keep_a_secret_is_refused(run, cli_db, monkeypatch, value):
    monkeypatch.setenv("SCREENING_AUDIT_KEY", value)

    result = run("case", "list", db=cli_db, user=RECEPTION, now=NOW)

    assert result.code == 2 and "32" in result.data["error"]["message"]


# --- reading a page at a time --------------------------------------------------------------------


def test_the_check_reads_the_trail_a_page_at_a_time_and_still_finds_a_break_on_a_later_page(run, keyed_db,
                                                                                             monkeypatch):
    from screening.services import chain as service
    from screening.storage import chain

    for _ in range(3):
        worked(run, keyed_db)
    ids = audit_ids(keyed_db)
    pages = []
    real = db.RawConnection.all

    def counted(conn, sql, params=None):
        if sql == chain.PAGE_SQL:
            pages.append(params["after"])
        return real(conn, sql, params)

    monkeypatch.setattr(chain, "PAGE", 4)
    monkeypatch.setattr(db.RawConnection, "all", counted)
    app = bootstrap(keyed_db, env={"SCREENING_AUDIT_KEY": KEY})
    whole = service.check(app)
    with raw(keyed_db) as conn, guards_aside(conn):
        conn.execute("UPDATE audit SET detail = '{}' WHERE id = :id", {"id": ids[-3]})
    broken = service.check(app)

    assert whole["ok"] and whole["rows"] == len(ids)
    assert pages[:3] == [0, ids[3], ids[7]] and len(pages) >= len(ids) // 4
    assert broken["first_break"] == {"id": ids[-3], "reason": "altered", "after": ids[-4]}


# --- two writers at once -------------------------------------------------------------------------


def test_appends_from_several_writers_at_once_keep_the_chain_whole(demo_db):
    """Units of work and the read model's batches of reads, from four threads on connections of their
    own: on PostgreSQL the advisory lock, on SQLite BEGIN IMMEDIATE, keep id order and chain order one."""
    from screening.services import chain as service
    from screening.storage.queries import ReadModel
    from screening.storage.unit_of_work import SqlUnitOfWork

    key, actor = KEY.encode(), Actor(COORDINATOR, "coordinator", COORDINATOR, "coordinator", None)
    start, failures = threading.Barrier(4), []
    when = datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM)

    def writer(number: int) -> None:
        try:
            start.wait()
            for turn in range(15):
                if turn % 2:
                    with ReadModel(demo_db, key) as reads:
                        reads.record_reads(actor, [f"SC-T{number}{turn:02d}{n}" for n in range(3)], "list", when,
                                           when)
                else:
                    with SqlUnitOfWork(demo_db, key) as uow:
                        for n in range(2):
                            uow.audit.record(AuditEntry(f"SC-U{number}{turn:02d}{n}", "show", None, when, when,
                                                        COORDINATOR))
                        uow.commit()
        except Exception as error:  # noqa: BLE001 - reported by the test
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    checked = service.check(bootstrap(demo_db, env={"SCREENING_AUDIT_KEY": KEY}))
    assert failures == []
    assert checked["ok"], checked["first_break"]
    assert checked["rows"] == len(audit_ids(demo_db)) >= 4 * (8 * 2 + 7 * 3)


# --- the scheduler's nightly check ---------------------------------------------------------------


class Collected:
    """A channel keeping what it is given."""

    def __init__(self):
        self.sent = []

    def send(self, message) -> None:
        self.sent.append(message)


def audit_breaks(url: str) -> list[dict]:
    with raw(url) as conn:
        return conn.all("SELECT key, case_id, payload FROM outbox WHERE topic = 'audit_break' ORDER BY id")


def test_the_nightly_check_tells_the_coordinators_of_a_break_once_and_names_no_case(run, keyed_db):
    from notifications import outbox
    from screening.storage.unit_of_work import SqlUnitOfWork
    from workflows import scheduler

    case_id = worked(run, keyed_db)
    app = bootstrap(keyed_db, env={"SCREENING_AUDIT_KEY": KEY})
    seen: dict = {}
    assert scheduler.audit_job(app, seen, now=NIGHT)["ok"] and audit_breaks(keyed_db) == []
    forged = forge_read(keyed_db, case_id, lambda previous, row: link(None, previous, row))

    first = scheduler.audit_job(app, seen, now=NIGHT + timedelta(days=1))
    again = scheduler.audit_job(app, seen, now=NIGHT + timedelta(days=2))

    assert first["first_break"] == again["first_break"] == {"id": forged, "reason": "unkeyed", "after": forged - 1}
    [queued] = audit_breaks(keyed_db)
    assert (queued["key"], queued["case_id"]) == (f"audit_break:{forged}", None)
    channel = Collected()
    with SqlUnitOfWork(keyed_db) as uow:
        outbox.dispatch(uow, channel, NIGHT + timedelta(days=2, hours=1), lang="sv")
    [message] = [m for m in channel.sent if m.key == f"audit_break:{forged}"]
    assert message.subject == f"Loggen är bruten vid rad {forged}"
    assert f"rad {forged - 1}" in message.body and "onsdag 25 november 2026" in message.body  # the check's night
    assert case_id not in message.body + message.subject
    with SqlUnitOfWork(keyed_db) as uow:
        coordinators = outbox.party_addresses(uow.directory.load(), {}, "coordinator")
    assert coordinators and set(message.to) == set(coordinators)


def test_the_nightly_check_finds_the_end_of_the_trail_cut_off_since_the_night_before(run, keyed_db):
    from workflows import scheduler

    worked(run, keyed_db)
    app = bootstrap(keyed_db, env={"SCREENING_AUDIT_KEY": KEY})
    seen: dict = {}
    last = audit_ids(keyed_db)[-1]
    assert scheduler.audit_job(app, seen, now=NIGHT)["ok"] and seen["anchor"][0] == last
    with raw(keyed_db) as conn, guards_aside(conn):
        conn.execute("DELETE FROM audit WHERE id >= :id", {"id": last - 1})

    checked = scheduler.audit_job(app, seen, now=NIGHT + timedelta(days=1))

    assert checked["first_break"] == {"id": last, "reason": "truncated", "after": last - 2}
    assert [row["key"] for row in audit_breaks(keyed_db)] == [f"audit_break:{last}"]
    assert verify(run, keyed_db).code == 0  # what is left is whole: only the remembered end tells


# --- the migration that brought the chain --------------------------------------------------------


def test_the_rows_before_the_chain_are_chained_by_its_migration_and_keyed_rows_follow(db_url):
    """0018 links the rows already there with plain SHA-256 (a migration holds no key); the product's
    rows after them are keyed, and the check counts the plain ones at the start."""
    from screening.services import chain as service
    from screening.storage import migrate
    from screening.storage.unit_of_work import SqlUnitOfWork

    when = datetime(2026, 11, 23, 9, 0, 30, tzinfo=STOCKHOLM)
    assert migrate.upgrade(db_url, "0017") == "0017"
    with raw(db_url) as conn:
        conn.begin()
        conn.execute("INSERT INTO region (id, name, municipalities) VALUES ('r', 'R', '[\"Berg\"]')")
        conn.execute("INSERT INTO organisation (id, position, kind, name, municipality, details) "
                     "VALUES ('berg-reception', 0, 'reception_unit', 'Berg', 'Berg', '{}')")
        conn.execute("INSERT INTO app_user (id, no, role, org_id) VALUES ('u', 1, 'reception', 'berg-reception')")
        for n in range(3):
            conn.execute("INSERT INTO audit (case_id, kind, at, recorded_at, user_no, detail) VALUES (:case, "
                         "(SELECT no FROM audit_kind WHERE action = 'show'), :t, :t, 1, :detail)",
                         {"case": f"SC-OLD0000{n}", "t": conn.timestamp(when), "detail": '{"n": 1}' if n else None})
        conn.commit()
    migrate.upgrade(db_url)
    app = bootstrap(db_url, env={"SCREENING_AUDIT_KEY": KEY})
    migrated = service.check(app)
    with SqlUnitOfWork(db_url, KEY.encode()) as uow:
        uow.audit.record(AuditEntry("SC-NEW00001", "show", None, when, when, "u"))
        uow.commit()
    followed = service.check(app)

    assert (migrated["ok"], migrated["rows"], migrated["unkeyed_rows"]) == (True, 3, 3)
    assert (followed["ok"], followed["rows"], followed["unkeyed_rows"]) == (True, 4, 3)


# --- init puts the guards back -------------------------------------------------------------------


def test_init_puts_back_the_append_only_guards_someone_dropped(run, keyed_db):
    from sqlalchemy.exc import DBAPIError

    worked(run, keyed_db)
    with raw(keyed_db) as conn:
        if conn.sqlite:
            conn.execute("DROP TRIGGER audit_no_update")
            conn.execute("DROP TRIGGER audit_no_delete")
        else:
            conn.execute("DROP TRIGGER audit_no_change ON audit")

    result = run("init", db=keyed_db)

    assert result.code == 0 and result.data["guards_restored"]
    with pytest.raises(DBAPIError, match="append-only"):
        with db.engine(keyed_db).begin() as conn:
            conn.exec_driver_sql("DELETE FROM audit")


# --- PostgreSQL: the application's login cannot change the trail ---------------------------------


@pytest.fixture
def roles():
    """An owner role owning a schema of its own, and an application role; both dropped afterwards."""
    import psycopg

    from tests.conftest import _PG_PROBLEM, PG_URL

    if _PG_PROBLEM:
        if os.environ.get("SCREENING_REQUIRE_PG"):
            pytest.fail(_PG_PROBLEM)
        pytest.skip(_PG_PROBLEM)
    suffix = uuid.uuid4().hex[:10]
    owner, app, schema = f"t_owner_{suffix}", f"t_app_{suffix}", f"t_roles_{suffix}"
    superuser = db.psycopg_conninfo(PG_URL)
    with psycopg.connect(superuser, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {owner} LOGIN")
        conn.execute(f"CREATE ROLE {app} LOGIN")
        conn.execute(f"CREATE SCHEMA {schema} AUTHORIZATION {owner}")
    base = PG_URL.split("://", 1)[1].split("@", 1)[1]
    url = lambda role: f"postgresql+psycopg://{role}@{base}?options=-csearch_path%3D{schema}"  # noqa: E731
    urls = {"owner": url(owner), "app": url(app), "app_role": app, "owner_role": owner}
    try:
        yield urls
    finally:
        for name in ("owner", "app"):
            db.dispose(urls[name])
            db.engine(urls[name]).dispose()
        with psycopg.connect(superuser, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
            for role in (app, owner):
                conn.execute(f"DROP OWNED BY {role}")
                conn.execute(f"DROP ROLE {role}")


@pytest.mark.postgres
def test_the_application_login_may_append_to_the_audit_trail_but_never_change_it(run, roles, monkeypatch):
    import psycopg

    monkeypatch.setenv("SCREENING_AUDIT_KEY", KEY)
    made = run("init", "--demo", "--app-role", roles["app_role"], db=roles["owner"])
    assert made.code == 0, made.err
    assert made.data["app_role"] == roles["app_role"]

    case_id = worked(run, roles["app"])  # the product's work, as the application's login
    assert run("sweep", db=roles["app"], user=COORDINATOR, now=NOW).code == 0
    assert run("report", db=roles["app"], user=COORDINATOR, now=NOW).code == 0
    checked = verify(run, roles["app"])
    assert checked.code == 0 and checked.data["login_may_alter"] is False
    assert verify(run, roles["owner"]).data["login_may_alter"] is True

    conninfo = db.psycopg_conninfo(roles["app"])
    for statement in ("UPDATE audit SET user_no = user_no", "DELETE FROM audit", "TRUNCATE audit",
                      "ALTER TABLE audit DISABLE TRIGGER audit_no_change", "DROP TRIGGER audit_no_change ON audit",
                      "UPDATE audit_kind SET action = action", "UPDATE alembic_version SET version_num = '0001'",
                      "UPDATE deployment SET simulation = true"):
        with psycopg.connect(conninfo, autocommit=True) as conn:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    with psycopg.connect(conninfo, autocommit=True) as conn:  # it may still append (and be found, unkeyed)
        conn.execute("INSERT INTO audit (case_id, kind, at, recorded_at, user_no) SELECT case_id, kind, at, "
                     "recorded_at, user_no FROM audit WHERE case_id = %s LIMIT 1", (case_id,))
    assert verify(run, roles["app"]).data["first_break"]["reason"] == "unchained"


@pytest.mark.postgres
@pytest.mark.parametrize("unfit", ["owner_role", "superuser"])
def test_the_application_role_is_neither_the_owner_nor_a_superuser(run, roles, unfit):
    role = roles["owner_role"] if unfit == "owner_role" else "postgres"

    result = run("init", "--app-role", role, db=roles["owner"])

    assert result.code == 1 and role in result.data["error"]["message"]
