"""`screening backup` and `screening restore`: every case, deadline, note and audit row comes back
exactly, on SQLite (online backup) and PostgreSQL (pg_dump / pg_restore), and a refused or failed
restore leaves nothing behind."""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import snapshot
from tests.e2e.support import HC, RECEPTION, assert_one_line_error, call, database, register

TABLES = ("screening_case", "deadline", "case_note", "audit", "app_user", "organisation", "booking", "outbox")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def worked(request, tmp_path_factory, run):
    """A database with cases, events, a medical note and reads (audit rows)."""
    with database(request.param, tmp_path_factory) as url:
        assert run("init", "--demo", db=url).code == 0
        ids = [register(run, url, "--dossier", f"{52_000_000 + n}") for n in range(3)]
        call(url, "case", "event", ids[0], "notify_parties", user=RECEPTION)
        call(url, "case", "event", ids[0], "book_health_conversation", "--set", "start=2026-11-25T09:00", user=HC)
        call(url, "case", "show", ids[1], user=HC)
        yield request.param, url


@pytest.fixture
def new_database(worked, tmp_path):
    """Where to restore: a file that does not exist yet, or a new PostgreSQL database (dropped after)."""
    backend, url = worked
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    import psycopg

    from screening.storage import db
    from tests.conftest import PG_URL

    name = f"restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(db.psycopg_conninfo(PG_URL), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(url)  # the same server and schema, another database
    target = parts._replace(path=f"/{name}").geturl()
    try:
        yield target
    finally:
        db.dispose(target)
        db.engine(target).dispose()
        with psycopg.connect(db.psycopg_conninfo(PG_URL), autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def rows(url: str) -> dict:
    shot = snapshot(url)
    return {name: shot[name] for name in TABLES}


def test_a_restore_brings_back_every_row_exactly(run, worked, new_database, tmp_path):
    _, url = worked
    before = rows(url)
    backup_file = tmp_path / "region.backup"
    done = run("backup", "--out", backup_file, db=url, user="admin")
    assert done.code == 0, done.err
    assert backup_file.stat().st_mode & 0o077 == 0  # the owner's only: it holds medical content
    restored = run("restore", backup_file, db=new_database, user="admin")  # one of the backup's admins
    assert restored.code == 0, restored.err
    assert (restored.data["cases"], restored.data["audit_rows"]) == (len(before["screening_case"]),
                                                                     len(before["audit"]))
    after = rows(new_database)
    assert len(after["audit"]) == len(before["audit"]) + 1  # the restore itself, recorded
    assert set(before["audit"]) < set(after["audit"]) and {**after, "audit": before["audit"]} == before
    shown = run("case", "list", db=new_database, user=HC)  # and the product works on it
    assert shown.code == 0 and len(shown.data) == 3


def test_a_restore_refuses_a_database_in_use_and_changes_nothing(run, worked, tmp_path):
    _, url = worked
    backup_file = tmp_path / "region.backup"
    assert run("backup", "--out", backup_file, db=url, user="admin").code == 0
    before = snapshot(url)
    assert "återställ till en ny" in assert_one_line_error(run("restore", backup_file, db=url, user="admin"),
                                                           2)["message"]
    assert snapshot(url) == before


def test_only_an_admin_may_back_up_and_a_bad_target_is_one_line(run, worked, tmp_path):
    _, url = worked
    assert_one_line_error(run("backup", "--out", tmp_path / "b", db=url, user="region-coordinator"), 1)
    missing = tmp_path / "no-such-folder" / "b"
    assert_one_line_error(run("backup", "--out", missing, db=url, user="admin"), 2)
    assert not missing.parent.exists() and not list(tmp_path.glob(".*partial"))


def test_a_file_that_is_not_a_backup_restores_nothing(run, worked, new_database, tmp_path):
    junk = tmp_path / "junk.backup"
    junk.write_bytes(b"not a backup at all\n" * 100)
    assert_one_line_error(run("restore", junk, db=new_database, user="admin"), 2)
    assert_one_line_error(run("restore", tmp_path / "missing.backup", db=new_database, user="admin"), 2)
    backend, _ = worked
    if backend == "sqlite":
        assert not (tmp_path / "restored.db").exists()
    else:
        from screening.storage.backup import _has_tables

        assert not _has_tables(new_database)
