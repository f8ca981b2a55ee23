"""The region's directory decides whose cases an organisation sees and where its mail goes: once a user
exists, only an admin loads it (`init --directory`, `init --demo`), refused before anything is done,
and every load is in the audit trail with what it changed (`audit history`).

The finding: a directory file that moved `krokom-reception` into Östersund (it then listed Östersund's
cases) and redirected a health centre's e-mail was loaded by whoever ran the command."""

from __future__ import annotations

import pytest

from screening.directory import BUNDLED
from screening.storage import db, migrate
from tests.e2e.support import HC, NOW, assert_one_line_error, listed_ids, register
from tests.security.conftest import snapshot
from tests.security.directories import bundled_with, old_database_with_users

KROKOM_RECEPTION = ('id = "krokom-reception"\nkind = "reception_unit"\nname = "Integrationsservice Krokom"\n'
                    'municipality = "Krokom"\n')
LUGNVIK_MAIL, REDIRECTED = "lugnvik.halsocentral@regionjh.example", "lugnvik@inkorg.example"


def hostile(tmp_path):
    """The bundled directory with krokom-reception moved into Östersund and hc-lugnvik's mail redirected."""
    path = bundled_with(tmp_path, {LUGNVIK_MAIL: REDIRECTED}, "hostile.toml")
    text = path.read_text(encoding="utf-8")
    assert text.count(KROKOM_RECEPTION) == 1
    path.write_text(text.replace(KROKOM_RECEPTION, KROKOM_RECEPTION.replace('"Krokom"', '"Östersund"')),
                    encoding="utf-8")
    return path


def directory_rows(run, url: str) -> list[dict]:
    shown = run("audit", "history", "--kind", "directory", db=url, user="admin")
    assert shown.code == 0, shown.err
    return shown.data


@pytest.mark.parametrize("user", [None, "krokom-reception", HC, "region-coordinator", "ostersund-school-health"])
def test_a_directory_moving_a_reception_unit_and_redirecting_mail_is_refused_to_anyone_but_an_admin(
        run, cli_db, tmp_path, user):
    case_id = register(run, cli_db)
    before = snapshot(cli_db)

    refused = run("init", "--directory", hostile(tmp_path), db=cli_db, user=user)

    error = assert_one_line_error(refused, 1)
    assert error["code"] == "refused"
    assert ("administratör" in error["message"]), error["message"]
    assert snapshot(cli_db) == before
    assert case_id not in listed_ids(run, cli_db, "krokom-reception")
    assert next(o for o in run("org", "list", db=cli_db).data if o["id"] == "krokom-reception")["municipality"] == \
        "Krokom"


def test_an_unknown_acting_user_is_bad_input_and_changes_nothing(run, cli_db, tmp_path):
    before = snapshot(cli_db)
    assert_one_line_error(run("init", "--directory", hostile(tmp_path), db=cli_db, user="nobody"), 2)
    assert_one_line_error(run("init", "--demo", db=cli_db), 1)  # the demo's directory too
    assert snapshot(cli_db) == before


def test_an_admin_loads_it_and_the_audit_trail_names_both_changes(run, cli_db, tmp_path, monkeypatch):
    case_id = register(run, cli_db)

    loaded = run("init", "--directory", hostile(tmp_path), db=cli_db, user="admin", now=NOW)

    assert loaded.code == 0, loaded.err
    assert loaded.data["directory"] == {"added": 0, "changed": 2, "absent": 0}
    [row] = [r for r in directory_rows(run, cli_db) if r["detail"].get("file") == "hostile.toml"]
    assert (row["user"], row["org"], row["at"][:16]) == ("admin", "region-coordinator", "2026-11-23T10:00")
    assert row["detail"] == {"file": "hostile.toml", "changed": {
        "hc-lugnvik": {"email": [LUGNVIK_MAIL, REDIRECTED]},
        "krokom-reception": {"municipality": ["Krokom", "Östersund"]}}}
    assert case_id in listed_ids(run, cli_db, "krokom-reception")  # what the admin's change does, now on record
    from screening.cli import render
    from screening.words import Words

    assert render._change("directory", row["detail"], Words("sv")) == (
        f"fil hostile.toml; ändrade: hc-lugnvik (e-post {LUGNVIK_MAIL} → {REDIRECTED}); "
        "krokom-reception (kommun Krokom → Östersund)")
    monkeypatch.setenv("SCREENING_LANGUAGE", "sv")
    shown = run("audit", "history", db=cli_db, user="region-coordinator", json_output=False)
    assert shown.code == 0 and "katalogen ändrad" in shown.out and "krokom-reception" in shown.out, shown.out


def test_the_administrations_trail_is_for_coordinators_and_admins(run, cli_db):
    for user in (HC, "ostersund-reception", "ostersund-school-norrby"):
        assert_one_line_error(run("audit", "history", db=cli_db, user=user), 1)
    assert run("audit", "history", db=cli_db, user="region-coordinator").code == 0


def test_the_first_load_without_users_is_recorded_as_the_first_users_and_then_an_admin_is_needed(run, db_url,
                                                                                                tmp_path):
    assert run("init", "--directory", str(BUNDLED), db=db_url).code == 0  # nobody to name yet
    assert run("init", "--directory", hostile(tmp_path), db=db_url).code == 0  # still nobody

    first = run("user", "add", "first-admin", "--role", "admin", "--org", "region-coordinator", db=db_url)
    assert first.code == 0, first.err

    [row] = run("audit", "history", db=db_url, user="first-admin").data
    assert (row["action"], row["user"]) == ("directory", "first-admin")
    detail = row["detail"]
    assert detail["first"] is True and "changed" not in detail  # the directory as it stood, whole
    assert detail["added"]["krokom-reception"]["municipality"] == "Östersund"
    assert detail["added"]["hc-lugnvik"]["email"] == REDIRECTED
    assert detail["region"]["id"] == [None, "jamtland-harjedalen"]
    assert detail["users_added"] == [{"id": "first-admin", "role": "admin", "org": "region-coordinator"}]

    before = snapshot(db_url)
    assert_one_line_error(run("init", "--directory", str(BUNDLED), db=db_url), 1)
    assert snapshot(db_url) == before
    second = run("user", "add", "second", "--role", "reception", "--org", "krokom-reception", db=db_url,
                 user="first-admin")
    assert second.code == 0, second.err
    again = run("init", "--directory", str(BUNDLED), db=db_url, user="first-admin")
    assert again.code == 0, again.err
    rows = run("audit", "history", db=db_url, user="first-admin").data
    assert [(r["user"], sorted(r["detail"])) for r in rows[1:]] == [
        ("first-admin", ["users_added"]), ("first-admin", ["changed", "file"])]
    assert rows[2]["detail"]["changed"]["krokom-reception"] == {"municipality": ["Östersund", "Krokom"]}


def test_the_demo_records_its_directory_and_users_as_its_admins(run, cli_db):
    [row] = directory_rows(run, cli_db)
    assert row["user"] == "admin" and row["detail"]["first"] is True
    assert {"id": "admin", "role": "admin", "org": "region-coordinator"} in [
        {k: user[k] for k in ("id", "role", "org")} for user in row["detail"]["users_added"]]
    assert all(user["name"] and user["email"] for user in row["detail"]["users_added"])  # people, named
    assert len(row["detail"]["added"]) == len(run("org", "list", db=cli_db).data)


def test_the_refusal_comes_before_the_upgrade(run, db_url, tmp_path):
    """A database of an older version with users: a non-admin's load leaves even its schema as it was."""
    old_database_with_users(db_url)
    before = snapshot(db_url)

    assert_one_line_error(run("init", "--directory", hostile(tmp_path), db=db_url, user=HC), 1)

    assert snapshot(db_url) == before and migrate.current_revision(db_url) == "0015"
    loaded = run("init", "--directory", hostile(tmp_path), db=db_url, user="admin")
    assert loaded.code == 0, loaded.err
    assert migrate.current_revision(db_url) == db.SCHEMA_REVISION
    assert loaded.data["directory"]["changed"] == 2
