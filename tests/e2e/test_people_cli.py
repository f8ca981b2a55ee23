"""Users are people (issue 18): a name, an e-mail address and an optional HSA-id; a disabled user can no
longer act; the history names the person and the organisation; every audit row written from the command
line names the operating-system account it ran under, covered by the hash chain. On SQLite and PostgreSQL.

Every person, name, address and HSA-id here is invented."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from screening.cli.run import os_account
from screening.demo_people import people
from screening.directory import load_directory
from screening.storage import db
from tests.e2e.conftest import snapshot
from tests.e2e.support import ADMIN, HC, NOW, RECEPTION, assert_one_line_error, register

NAMES = {person["id"]: person for person in people(load_directory(None))}


def rows(url: str, sql: str, params: dict | None = None) -> list[dict]:
    conn = db.connect_raw(url)
    try:
        return conn.all(sql, params or {})
    finally:
        conn.close()


# --- the demo's people ---------------------------------------------------------------------------


def test_the_demo_has_named_people_several_to_an_organisation_and_keeps_the_old_ids(run, cli_db):
    listed = run("user", "list", db=cli_db, user=ADMIN).data

    by_id = {user["id"]: user for user in listed}
    for old in (ADMIN, HC, RECEPTION, "region-coordinator", "hc-krokom", "ostersund-school-norrby"):
        assert by_id[old]["name"] and by_id[old]["email"].endswith(f"@{by_id[old]['org']}.example.se")
    per_org = Counter(user["org"] for user in listed if user["role"] != "admin")
    assert per_org[HC] == 3 and per_org[RECEPTION] == 3 and per_org["ostersund-school-norrby"] == 2
    assert min(per_org.values()) == 2
    assert {"hc-lugnvik-2", "hc-lugnvik-3", "ostersund-reception-3", "ostersund-school-norrby-2"} <= set(by_id)
    assert len({user["name"] for user in listed}) == len(listed)  # one person, one name
    assert all(user["hsa_id"] is None and user["disabled"] is None for user in listed)
    assert all(set(user) >= {"id", "role", "org", "name", "email", "hsa_id", "disabled"} for user in listed)


def test_a_second_person_of_an_organisation_acts_for_it(run, cli_db):
    case_id = register(run, cli_db, user="ostersund-reception-2")

    assert run("case", "show", case_id, db=cli_db, user="hc-lugnvik-3", now=NOW).code == 0
    assert run("case", "show", case_id, db=cli_db, user="hc-krokom-2", now=NOW).code == 2  # another centre's scope


# --- adding a person ------------------------------------------------------------------------------


def test_an_admin_adds_a_person_with_a_name_an_email_and_an_hsa_id(run, cli_db):
    added = run("user", "add", "nurse-amal", "--role", "health_centre", "--org", HC, "--name", "Amal Nur Ekdahl",
                "--email", "amal.ekdahl@hc-lugnvik.example.se", "--hsa-id", "SE2321000032-abc123",
                db=cli_db, user=ADMIN)

    assert added.code == 0, added.err
    assert added.data == {"id": "nurse-amal", "role": "health_centre", "org": HC, "name": "Amal Nur Ekdahl",
                          "email": "amal.ekdahl@hc-lugnvik.example.se", "hsa_id": "SE2321000032-abc123"}
    listed = {user["id"]: user for user in run("user", "list", db=cli_db, user=ADMIN).data}
    assert listed["nurse-amal"] == {**added.data, "disabled": None}
    [row] = rows(cli_db, "SELECT user_id, detail FROM audit_trail WHERE action = 'directory' ORDER BY id DESC LIMIT 1")
    assert row["user_id"] == ADMIN and json.loads(row["detail"])["users_added"] == [
        {"id": "nurse-amal", "role": "health_centre", "org": HC, "name": "Amal Nur Ekdahl",
         "email": "amal.ekdahl@hc-lugnvik.example.se", "hsa_id": "SE2321000032-abc123"}]


def test_name_email_and_hsa_id_are_optional(run, cli_db):
    added = run("user", "add", "nurse-bo", "--role", "health_centre", "--org", HC, db=cli_db, user=ADMIN)

    assert added.code == 0, added.err
    assert added.data == {"id": "nurse-bo", "role": "health_centre", "org": HC, "name": None, "email": None,
                          "hsa_id": None}


@pytest.mark.parametrize(("option", "value"), [
    pytest.param("--name", "Amal\nNur", id="name-two-lines"),
    pytest.param("--name", "Amal \u202eruN", id="name-reversed-by-a-bidi-control"),
    pytest.param("--name", "A" * 201, id="name-too-long"),
    pytest.param("--email", "amal nur@example.se", id="email-with-a-space"),
    pytest.param("--email", "Amal <amal@example.se>", id="email-with-a-display-name"),
    pytest.param("--email", "amal@localhost", id="email-without-a-domain"),
    pytest.param("--hsa-id", "2321000032-abc123", id="hsa-id-without-SE"),
    pytest.param("--hsa-id", "SE232100003-abc123", id="hsa-id-nine-digits"),
    pytest.param("--hsa-id", "SE2321000032-abc 123", id="hsa-id-with-a-space"),
    pytest.param("--hsa-id", "SE2321000032-" + "a" * 32, id="hsa-id-too-long"),
    pytest.param("--hsa-id", "SE2321000032-abc123\n", id="hsa-id-two-lines"),
])
def test_a_person_in_error_is_bad_input_and_changes_nothing(run, cli_db, option, value):
    before = snapshot(cli_db)

    result = run("user", "add", "nurse-cecilia", "--role", "health_centre", "--org", HC, option, value,
                 db=cli_db, user=ADMIN)

    assert assert_one_line_error(result, 2)["code"] == "bad_input"
    assert snapshot(cli_db) == before


def test_an_hsa_id_belongs_to_one_user(run, cli_db):
    assert run("user", "add", "nurse-a", "--role", "health_centre", "--org", HC, "--hsa-id", "SE2321000032-n1",
               db=cli_db, user=ADMIN).code == 0
    before = snapshot(cli_db)

    again = run("user", "add", "nurse-b", "--role", "health_centre", "--org", "hc-krokom", "--hsa-id",
                "SE2321000032-n1", db=cli_db, user=ADMIN)

    assert assert_one_line_error(again, 2)["code"] == "bad_input"
    assert snapshot(cli_db) == before


# --- disabling a user -----------------------------------------------------------------------------


def test_a_disabled_user_can_no_longer_act_and_the_disabling_is_audited(run, cli_db, monkeypatch):
    case_id = register(run, cli_db)
    done = run("user", "disable", "hc-lugnvik-2", db=cli_db, user=ADMIN, now=NOW)
    assert done.code == 0, done.err
    assert done.data == {"id": "hc-lugnvik-2", "disabled": "2026-11-23T10:00:00+01:00"}
    before = snapshot(cli_db)

    monkeypatch.setenv("SCREENING_LANGUAGE", "en")
    for command in (("case", "show", case_id), ("case", "list"), ("case", "history", case_id), ("alerts",)):
        refused = run(*command, db=cli_db, user="hc-lugnvik-2", now=NOW)
        error = assert_one_line_error(refused, 1)
        assert error["code"] == "refused" and error["message"] == "the user 'hc-lugnvik-2' is disabled"
    assert snapshot(cli_db) == before  # not a read recorded
    assert run("case", "show", case_id, db=cli_db, user=HC, now=NOW).code == 0  # the others still act
    listed = {user["id"]: user for user in run("user", "list", db=cli_db, user=ADMIN).data}
    assert listed["hc-lugnvik-2"]["disabled"] == "2026-11-23T10:00:00+01:00" and listed[HC]["disabled"] is None
    [row] = rows(cli_db, "SELECT user_id, org_id, detail FROM audit_trail WHERE action = 'directory' "
                         "ORDER BY id DESC LIMIT 1")
    assert (row["user_id"], row["org_id"]) == (ADMIN, "region-coordinator")
    assert json.loads(row["detail"]) == {"users_disabled": [{"id": "hc-lugnvik-2", "role": "health_centre",
                                                             "org": HC, "sessions_ended": 0, "tokens_revoked": 0}]}


def test_a_disabled_admin_adds_no_user_and_loads_no_directory(run, cli_db):
    assert run("user", "add", "admin-2", "--role", "admin", "--org", "region-coordinator", "--name", "Berit Ek",
               db=cli_db, user=ADMIN).code == 0
    assert run("user", "disable", ADMIN, db=cli_db, user="admin-2", now=NOW).code == 0
    before = snapshot(cli_db)

    added = run("user", "add", "nurse-d", "--role", "health_centre", "--org", HC, db=cli_db, user=ADMIN)
    loaded = run("init", "--demo", db=cli_db, user=ADMIN)

    assert assert_one_line_error(added, 1)["code"] == "refused"
    assert assert_one_line_error(loaded, 1)["code"] == "refused"
    assert snapshot(cli_db) == before


@pytest.mark.parametrize(("acting", "target", "code"), [
    pytest.param("region-coordinator", "hc-lugnvik-2", 1, id="a-coordinator"),
    pytest.param(HC, "hc-lugnvik-2", 1, id="a-health-centre"),
    pytest.param(ADMIN, ADMIN, 1, id="an-admin-themselves"),
    pytest.param(ADMIN, "nobody-here", 2, id="an-unknown-user"),
])
def test_only_an_admin_disables_another_user(run, cli_db, acting, target, code):
    before = snapshot(cli_db)

    result = run("user", "disable", target, db=cli_db, user=acting, now=NOW)

    assert_one_line_error(result, code)
    assert snapshot(cli_db) == before


def test_a_user_is_disabled_once(run, cli_db):
    assert run("user", "disable", "hc-lugnvik-3", db=cli_db, user=ADMIN, now=NOW).code == 0
    before = snapshot(cli_db)

    assert assert_one_line_error(run("user", "disable", "hc-lugnvik-3", db=cli_db, user=ADMIN, now=NOW), 1)
    assert snapshot(cli_db) == before


# --- the trail names the person, the organisation and the door -------------------------------------


def test_the_history_names_the_person_and_the_organisation(run, cli_db):
    case_id = register(run, cli_db, user="ostersund-reception-2")
    assert run("case", "event", case_id, "notify_parties", db=cli_db, user=RECEPTION, now=NOW).code == 0

    history = run("case", "history", case_id, db=cli_db, user=HC, now=NOW).data
    shown = run("case", "history", case_id, db=cli_db, user=HC, now=NOW, json_output=False).out

    assert [(e["event"], e["user"], e["name"], e["org"]) for e in history] == [
        ("register", "ostersund-reception-2", NAMES["ostersund-reception-2"]["name"], RECEPTION),
        ("notify_parties", RECEPTION, NAMES[RECEPTION]["name"], RECEPTION)]
    for user in ("ostersund-reception-2", RECEPTION):
        assert f"{NAMES[user]['name']} (Integrationsservice Östersund)" in " ".join(shown.split()), shown
    assert "vem" in shown


def test_every_row_written_from_the_command_line_names_its_operating_system_account(run, cli_db):
    case_id = register(run, cli_db)
    assert run("case", "show", case_id, db=cli_db, user=HC, now=NOW).code == 0
    assert run("case", "list", db=cli_db, user=RECEPTION, now=NOW).code == 0
    assert run("case", "event", case_id, "notify_parties", db=cli_db, user=RECEPTION, now=NOW).code == 0

    trail = rows(cli_db, "SELECT action, door, user_id, user_name FROM audit_trail ORDER BY id")

    assert {row["action"] for row in trail} >= {"directory", "event", "show", "list"}
    assert {row["door"] for row in trail} == {"cli:" + os_account()}
    assert all(row["user_name"] == NAMES[row["user_id"]]["name"] for row in trail)


def test_a_door_changed_afterwards_breaks_the_chain_at_its_row(run, db_url, monkeypatch):
    monkeypatch.setenv("SCREENING_AUDIT_KEY", "invented-audit-key-for-tests-0123456789abcdef")
    assert run("init", "--demo", db=db_url).code == 0
    case_id = register(run, db_url)
    assert run("case", "show", case_id, db=db_url, user=HC, now=NOW).code == 0
    assert run("audit", "verify", db=db_url, user=ADMIN).data["ok"] is True
    conn = db.connect_raw(db_url)
    try:
        shown = conn.scalar("SELECT MAX(id) FROM audit_trail WHERE action = 'show'")
        if conn.sqlite:
            conn.execute("DROP TRIGGER audit_no_update")
        else:
            conn.execute("SET session_replication_role = replica")
        conn.execute("UPDATE audit SET door = :door WHERE id = :id", {"door": "cli:someone-else", "id": shown})
    finally:
        conn.close()

    result = run("audit", "verify", db=db_url, user=ADMIN)

    assert result.code == 1
    assert result.data["first_break"] == {"id": shown, "reason": "altered", "after": shown - 1}


def test_the_administrations_trail_names_the_person_the_door_and_the_users_disabled(run, cli_db):
    assert run("user", "disable", "hc-lugnvik-2", db=cli_db, user=ADMIN, now=NOW).code == 0

    last = run("audit", "history", db=cli_db, user=ADMIN, now=NOW).data[-1]
    shown = " ".join(run("audit", "history", db=cli_db, user=ADMIN, now=NOW, json_output=False).out.split())

    assert (last["user"], last["name"], last["org"]) == (ADMIN, NAMES[ADMIN]["name"], "region-coordinator")
    assert last["door"] == "cli:" + os_account()
    assert "användare avstängda: hc-lugnvik-2" in shown and NAMES[ADMIN]["name"] in shown, shown
