"""A backup is restored only if it holds exactly what the product makes: a crafted backup with a
trigger of someone else's (one that copies every new note into a case's name, so that school health
reads it) is refused before anything is written. The audit trail's guards, dropped by someone who
can write the database, are put back by `restore` and by `init`."""

from __future__ import annotations

import sqlite3

import pytest

from screening.storage import db
from tests.e2e.support import HC, NOW, RECEPTION, assert_one_line_error, register
from tests.e2e import test_backup_cli

worked, new_database = test_backup_cli.worked, test_backup_cli.new_database  # the backup tests' databases

SQLITE = pytest.mark.parametrize("worked", ["sqlite"], indirect=True)  # a SQLite file, changed by hand
POSTGRESQL = pytest.mark.parametrize("worked", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
LEAK = ("CREATE TRIGGER leak_notes AFTER INSERT ON case_note BEGIN "
        "UPDATE screening_case SET name = NEW.text WHERE id = NEW.case_id; END")


def execute(url: str, *statements: str) -> None:
    conn = db.connect_raw(url)
    try:
        conn.begin()
        for statement in statements:
            conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def audit_guards(url: str) -> set[str]:
    conn = db.connect_raw(url)
    try:
        if conn.sqlite:
            return {r["name"] for r in conn.all("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                                "AND tbl_name = 'audit'")}
        return {r["tgname"] for r in conn.all("SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass('audit') "
                                              "AND NOT tgisinternal")}
    finally:
        conn.close()


def sqlite_file(url: str) -> str:
    return db.sqlite_path(url)


@SQLITE
def test_a_sqlite_backup_with_a_foreign_trigger_is_refused_and_nothing_is_written(run, worked, new_database,
                                                                                  tmp_path):
    _, url = worked
    copy = tmp_path / "copy.db"
    assert run("backup", "--out", str(copy), db=url, user="admin", now=NOW).code == 0
    with sqlite3.connect(copy) as crafted:  # the file, changed by whoever can write it
        crafted.execute(LEAK)
    error = assert_one_line_error(run("restore", str(copy), db=new_database, user="admin"), 2)
    assert error["message"] == (f"{copy} innehåller triggern 'leak_notes' som programmet inte skapar: "
                                "återställs inte")
    assert not (tmp_path / "restored.db").exists()


@POSTGRESQL
def test_a_postgresql_backup_with_a_foreign_trigger_is_refused(run, worked, new_database, tmp_path):
    _, url = worked
    execute(url, "CREATE FUNCTION leak() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE screening_case "
                 "SET name = NEW.text WHERE id = NEW.case_id; RETURN NEW; END $$",
            "CREATE TRIGGER leak_notes AFTER INSERT ON case_note FOR EACH ROW EXECUTE FUNCTION leak()")
    try:
        copy = tmp_path / "copy.backup"
        assert run("backup", "--out", str(copy), db=url, user="admin", now=NOW).code == 0
        error = assert_one_line_error(run("restore", str(copy), db=new_database, user="admin"), 2)
        assert "leak" in error["message"] and error["message"].endswith("som programmet inte skapar: återställs inte")
        conn = db.connect_raw(new_database)
        try:
            assert conn.scalar("SELECT to_regclass('screening_case') IS NULL") is True  # nothing restored
        finally:
            conn.close()
    finally:
        execute(url, "DROP TRIGGER leak_notes ON case_note", "DROP FUNCTION leak()")


@SQLITE
def test_a_sqlite_backup_with_an_extra_view_or_table_is_refused(run, worked, new_database, tmp_path):
    _, url = worked
    for extra in ("CREATE VIEW everything AS SELECT * FROM case_note", "CREATE TABLE stash (text TEXT)"):
        copy = tmp_path / "copy.db"
        copy.unlink(missing_ok=True)
        assert run("backup", "--out", str(copy), db=url, user="admin", now=NOW).code == 0
        with sqlite3.connect(copy) as crafted:
            crafted.execute(extra)
        refused = run("restore", str(copy), db=new_database, user="admin")
        assert "som programmet inte skapar" in assert_one_line_error(refused, 2)["message"]


@SQLITE
def test_a_backup_whose_audit_guards_were_dropped_is_restored_with_them_put_back(run, worked, new_database,
                                                                                   tmp_path):
    _, url = worked
    copy = tmp_path / "copy.db"
    assert run("backup", "--out", str(copy), db=url, user="admin", now=NOW).code == 0
    with sqlite3.connect(copy) as crafted:
        crafted.execute("DROP TRIGGER audit_no_update")
        crafted.execute("DROP TRIGGER audit_no_delete")
    restored = run("restore", str(copy), db=new_database, user="admin")
    assert restored.code == 0, restored.err
    assert sorted(restored.data["guards_restored"]) == ["audit_no_delete", "audit_no_update"]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"), sqlite3.connect(sqlite_file(new_database)) as c:
        c.execute("DELETE FROM audit")


def test_init_puts_back_the_audit_guards_someone_dropped(run, cli_db):
    case_id = register(run, cli_db)
    assert run("case", "show", case_id, db=cli_db, user=HC, now=NOW).code == 0
    own = audit_guards(cli_db)
    if cli_db.startswith("sqlite"):
        execute(cli_db, "DROP TRIGGER audit_no_update", "DROP TRIGGER audit_no_delete")
    else:
        execute(cli_db, "DROP TRIGGER audit_no_change ON audit", "DROP TRIGGER audit_no_truncate ON audit")
    assert audit_guards(cli_db) == set()
    done = run("init", db=cli_db)
    assert done.code == 0 and sorted(done.data["guards_restored"]) == sorted(own)
    assert audit_guards(cli_db) == own
    again = run("init", db=cli_db)
    assert "guards_restored" not in again.data  # nothing missing: nothing said
    assert run("case", "event", case_id, "notify_parties", db=cli_db, user=RECEPTION, now=NOW).code == 0


# --- who restores, and the record of it ---------------------------------------------------------


def nothing_restored(target: str) -> bool:
    if target.startswith("sqlite"):
        from pathlib import Path

        return not Path(sqlite_file(target)).exists()
    from screening.storage.backup import _has_tables

    return not _has_tables(target)


def test_a_restore_needs_one_of_the_backups_admins_and_a_refusal_writes_nothing(run, worked, new_database, tmp_path):
    _, url = worked
    copy = tmp_path / "region.backup"
    assert run("backup", "--out", str(copy), db=url, user="admin", now=NOW).code == 0
    for user, code in ((None, 1), (HC, 1), ("region-coordinator", 1), ("krokom-reception", 1), ("nobody", 2)):
        error = assert_one_line_error(run("restore", str(copy), db=new_database, user=user), code)
        assert error["code"] == ("refused" if code == 1 else "not_found"), error
        assert nothing_restored(new_database), user


def test_a_restore_is_recorded_with_the_files_name_who_when_and_the_account(run, worked, new_database, tmp_path):
    import pwd
    from datetime import datetime, timedelta, timezone

    _, url = worked
    copy = tmp_path / "region-2026-11-23.backup"
    assert run("backup", "--out", str(copy), db=url, user="admin", now=NOW).code == 0
    started = datetime.now(timezone.utc).replace(microsecond=0)

    restored = run("restore", str(copy), db=new_database, user="admin")

    assert restored.code == 0, restored.err
    [row] = run("audit", "history", "--kind", "restore", db=new_database, user="admin").data
    assert (row["user"], row["org"]) == ("admin", "region-coordinator")
    assert row["detail"]["file"] == "region-2026-11-23.backup"  # the name only: no folder of the operator's
    assert row["detail"]["operator"] == pwd.getpwuid(__import__("os").geteuid()).pw_name
    assert row["detail"]["cases"] == restored.data["cases"]
    for field in ("at", "recorded_at"):  # the real time, whatever clock the backup's database kept
        when = datetime.fromisoformat(row[field])
        assert started <= when <= datetime.now(timezone.utc) + timedelta(seconds=1), (field, when)


@SQLITE
def test_a_backup_of_an_older_version_is_restored_upgraded_and_recorded(run, worked, new_database, tmp_path):
    from screening.storage import backup as copies
    from screening.storage import migrate
    from tests.security.directories import old_database_with_users

    old = f"sqlite:///{tmp_path / 'old.db'}"
    old_database_with_users(old)
    copy = tmp_path / "old.backup"
    copies.backup(old, str(copy))

    assert_one_line_error(run("restore", str(copy), db=new_database, user=HC), 1)
    assert nothing_restored(new_database)
    restored = run("restore", str(copy), db=new_database, user="admin")

    assert restored.code == 0, restored.err
    assert migrate.current_revision(new_database) == db.SCHEMA_REVISION
    [row] = run("audit", "history", db=new_database, user="admin").data
    assert (row["action"], row["user"], row["detail"]["file"]) == ("restore", "admin", "old.backup")
