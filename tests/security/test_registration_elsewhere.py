"""A child's existence does not leak across municipalities (issue "Nothing a user can bend", finding 7).

`--as krokom-reception case register … --dossier 12-345678` for a child on Östersund's case answered
"registered by another organisation" (exit 1), with no audit row: the refusal itself told Krokom of
Östersund's case. Now the notice is answered exactly as a new child's and becomes Krokom's case; the
attempt is in the audit trail and the coordinators, and only they, are warned, naming both cases.
Every child and number here is invented."""

from __future__ import annotations

import email
import email.policy
import json
import re
from datetime import date

import pytest

from screening.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.support import (ADMIN, BORN, BVC, COORDINATOR, HC, NOW, PRESCHOOL, RECEPTION, SCHOOL, SCHOOL_HEALTH,
                               assert_one_line_error, listed_ids, pnr, register)

KROKOM = "krokom-reception"
KROKOM_PARTIES = (KROKOM, "krokom-social", "hc-krokom", "krokom-school-granbacka", "krokom-preschool-lingonet",
                  "krokom-school-health", "krokom-bvc")
OSTERSUND_PARTIES = (RECEPTION, "ostersund-social", HC, SCHOOL, PRESCHOOL, SCHOOL_HEALTH, BVC)
COORDINATOR_EMAIL = "flyktinghalsan@regionjh.example"
# the number on Östersund's case, and a number on no case, of each kind
NUMBERS = {
    "--dossier": ("12-345678", "12-999999"),
    "--personnummer": (pnr(BORN, "238"), pnr(BORN, "246")),
    "--samordningsnummer": (pnr(BORN, "238", coordination=True), pnr(BORN, "246", coordination=True)),
}
CASE_ID = re.compile(r"SC-[0-9A-Z]{8}")
NOTICE = ("--name", "Amina Påhittad", "--language", "ti", "--interpreter", "--arrival", "2026-12-01")


def krokom_registers(run, db: str, option: str, number: str, *, json_output: bool = True):
    return run("case", "register", "--birth-date", BORN.isoformat(), "--municipality", "Krokom", option, number,
               *NOTICE, db=db, user=KROKOM, now=NOW, json_output=json_output)


def same_but_the_id(result, case_id: str) -> tuple:
    return result.code, result.out.replace(case_id, "SC-…"), result.err


def trail(db: str, case_id: str) -> list[dict]:
    with SqlUnitOfWork(db) as uow:
        return uow.conn.all("SELECT action, event, user_id, detail FROM audit_trail WHERE case_id = :id ORDER BY id",
                            {"id": case_id})


def shown(run, db: str, user: str, *args) -> str:
    """Everything a command shows the user, as one text to search."""
    result = run(*args, db=db, user=user, now=NOW)
    return result.out + result.err


@pytest.fixture
def ostersunds_child(run, cli_db):
    """Östersund's case of a child with a dossier number, a personnummer and a samordningsnummer."""
    return register(run, cli_db, *(arg for option, (number, _) in NUMBERS.items() for arg in (option, number)),
                    "--name", "Amina Påhittad")


@pytest.mark.parametrize("option", list(NUMBERS))
def test_registering_another_municipalitys_child_answers_exactly_as_for_a_new_child(run, cli_db, ostersunds_child,
                                                                                     option):
    taken, free = NUMBERS[option]
    new = krokom_registers(run, cli_db, option, free)
    elsewhere = krokom_registers(run, cli_db, option, taken)

    assert elsewhere.code == new.code == 0
    assert set(elsewhere.data) == set(new.data) == {"id", "attached"}
    assert same_but_the_id(elsewhere, elsewhere.data["id"]) == same_but_the_id(new, new.data["id"])
    case_id = elsewhere.data["id"]
    assert case_id != ostersunds_child and case_id in listed_ids(run, cli_db, KROKOM)
    mine = run("case", "show", case_id, db=cli_db, user=KROKOM, now=NOW).data
    fresh = run("case", "show", new.data["id"], db=cli_db, user=KROKOM, now=NOW).data
    numbers = ("id", "personnummer", "samordningsnummer", "dossier")  # its own, as typed
    assert mine["municipality"] == "Krokom" and mine[option[2:]] is not None
    assert {**mine, **dict.fromkeys(numbers)} == {**fresh, **dict.fromkeys(numbers)}


@pytest.mark.parametrize("option", list(NUMBERS))
def test_said_in_words_the_answer_is_a_new_childs_too(run, cli_db, ostersunds_child, option):
    taken, free = NUMBERS[option]
    new = krokom_registers(run, cli_db, option, free, json_output=False)
    elsewhere = krokom_registers(run, cli_db, option, taken, json_output=False)

    assert elsewhere.code == new.code == 0 and ostersunds_child not in elsewhere.out
    [new_id], [elsewhere_id] = CASE_ID.findall(new.out), CASE_ID.findall(elsewhere.out)
    assert elsewhere_id in listed_ids(run, cli_db, KROKOM)
    assert same_but_the_id(elsewhere, elsewhere_id) == same_but_the_id(new, new_id)


def test_the_attempt_is_audited_on_the_new_case_naming_the_other_where_only_the_trail_holds_it(run, cli_db,
                                                                                               ostersunds_child):
    case_id = krokom_registers(run, cli_db, "--dossier", NUMBERS["--dossier"][0]).data["id"]

    [registered] = [row for row in trail(cli_db, case_id) if row["action"] == "event"]
    assert (registered["event"], registered["user_id"]) == ("register", KROKOM)
    assert json.loads(registered["detail"]) == {"identity_elsewhere": [ostersunds_child]}
    assert [row["action"] for row in trail(cli_db, ostersunds_child)] == ["event"]  # Östersund's: as it was
    history = run("case", "history", case_id, db=cli_db, user=KROKOM, now=NOW).data
    assert [(entry["event"], entry["user"]) for entry in history] == [("register", KROKOM)]
    assert ostersunds_child not in json.dumps(history) and "Östersund" not in json.dumps(history)


def test_the_coordinators_are_alerted_naming_both_cases_and_nobody_else_is(run, cli_db, ostersunds_child):
    case_id = krokom_registers(run, cli_db, "--personnummer", NUMBERS["--personnummer"][0]).data["id"]

    for user in (COORDINATOR, ADMIN):
        [alert] = run("alerts", db=cli_db, user=user, now=NOW).data
        assert (alert["case"], alert["rule"], alert["kind"], alert["owner"], alert["elsewhere"]) == (
            case_id, "identity_elsewhere", "warning", "coordinator", [ostersunds_child])
    for user in KROKOM_PARTIES + OSTERSUND_PARTIES:
        assert run("alerts", db=cli_db, user=user, now=NOW).data == [], user
    [alert] = run("alerts", db=cli_db, user=COORDINATOR, now=NOW).data
    assert assert_one_line_error(run("alerts", "ack", str(alert["id"]), db=cli_db, user=KROKOM, now=NOW), 2)
    acknowledged = run("alerts", "ack", str(alert["id"]), db=cli_db, user=COORDINATOR, now=NOW)
    assert acknowledged.code == 0, acknowledged.err
    # the acknowledgement is in the history of those who receive the warning only: no hint for Krokom
    events = {user: [entry["event"] for entry in run("case", "history", case_id, db=cli_db, user=user, now=NOW).data]
              for user in (KROKOM, "hc-krokom", COORDINATOR)}
    assert events == {KROKOM: ["register"], "hc-krokom": ["register"],
                      COORDINATOR: ["register", "acknowledge_alert"]}
    log = run("case", "history", case_id, "--reads", db=cli_db, user="hc-krokom", now=NOW).data
    assert "acknowledge_alert" not in {entry["event"] for entry in log}


def test_the_alerts_email_goes_to_the_coordinators_only_names_both_cases_and_nothing_medical(run, cli_db,
                                                                                             ostersunds_child,
                                                                                             tmp_path):
    case_id = krokom_registers(run, cli_db, "--samordningsnummer", NUMBERS["--samordningsnummer"][0]).data["id"]
    folder = tmp_path / "eml"
    assert run("outbox", "send", "--dir", str(folder), db=cli_db, user=COORDINATOR, now=NOW).code == 0

    [sent] = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in folder.iterdir()]
    body = sent.get_body(("plain",)).get_content()
    assert sent["To"] == COORDINATOR_EMAIL
    assert case_id in sent["Subject"] and f"ärende {ostersunds_child} (Östersunds kommun)" in body
    assert f"Ärende {case_id} registrerades nu i Krokoms kommun" in body
    for secret in ("Amina", "Påhittad", "tigrinja", "Tigrinya", "190402", "190462", "12345678", "12-345678"):
        assert secret not in sent["Subject"] + body, secret


@pytest.mark.parametrize("user", KROKOM_PARTIES)
def test_nothing_of_ostersunds_case_is_readable_from_krokom(run, cli_db, ostersunds_child, user):
    krokom_registers(run, cli_db, "--dossier", NUMBERS["--dossier"][0])
    case_id = listed_ids(run, cli_db, KROKOM)[0]

    unknown = run("case", "show", "SC-22222222", db=cli_db, user=user, now=NOW)
    other = run("case", "show", ostersunds_child, db=cli_db, user=user, now=NOW)
    assert other.code == unknown.code == 2
    assert (other.out + other.err).replace(ostersunds_child, "ID") == (unknown.out + unknown.err).replace(
        "SC-22222222", "ID")
    assert run("case", "history", ostersunds_child, db=cli_db, user=user, now=NOW).code == 2
    seen = "".join(shown(run, cli_db, user, *args) for args in (
        ("case", "list"), ("case", "list", "--municipality", "Östersund"), ("alerts",), ("case", "show", case_id),
        ("case", "history", case_id)))
    assert ostersunds_child not in seen and "Östersund" not in seen


def test_a_second_notice_in_the_same_municipality_attaches_as_before(run, cli_db, ostersunds_child):
    second = pnr(BORN, "246")
    again = run("case", "register", "--birth-date", BORN.isoformat(), "--municipality", "Östersund",
                "--dossier", NUMBERS["--dossier"][0], "--personnummer", NUMBERS["--personnummer"][0],
                db=cli_db, user=RECEPTION, now=NOW)
    assert again.data == {"id": ostersunds_child, "attached": True}
    other = register(run, cli_db, "--personnummer", second)
    both = run("case", "register", "--birth-date", BORN.isoformat(), "--municipality", "Östersund",
               "--dossier", NUMBERS["--dossier"][0], "--personnummer", second, db=cli_db, user=RECEPTION, now=NOW)
    assert "två olika ärenden" in assert_one_line_error(both, 1)["message"]
    assert other != ostersunds_child
    assert run("alerts", db=cli_db, user=COORDINATOR, now=NOW).data == []  # one municipality: nothing to resolve


def test_a_number_given_later_by_update_details_is_accepted_and_the_coordinators_warned(run, cli_db,
                                                                                        ostersunds_child):
    """The reverse way in: Krokom's case completed with the number on Östersund's case (no refusal that
    would tell of it), while within one municipality the number is still on one case only."""
    case_id = register(run, cli_db, user=KROKOM, municipality="Krokom")
    done = run("case", "event", case_id, "update_details", "--set", f"dossier={NUMBERS['--dossier'][0]}",
               db=cli_db, user=KROKOM, now=NOW)
    assert done.code == 0, done.err
    assert ostersunds_child not in done.out + done.err
    [alert] = run("alerts", db=cli_db, user=COORDINATOR, now=NOW).data
    assert (alert["case"], alert["rule"], alert["elsewhere"]) == (case_id, "identity_elsewhere", [ostersunds_child])
    updated = [row for row in trail(cli_db, case_id) if row["event"] == "update_details"]
    assert [json.loads(row["detail"]) for row in updated] == [{"identity_elsewhere": [ostersunds_child]}]

    own = register(run, cli_db)
    refused = run("case", "event", own, "update_details", "--set", f"dossier={NUMBERS['--dossier'][0]}",
                  db=cli_db, user=RECEPTION, now=NOW)
    assert assert_one_line_error(refused, 1)["code"] == "refused"


def test_the_database_holds_a_number_once_per_municipality(demo_db):
    """The constraint, not only the service: a second case of Östersund with the number is refused at the
    commit; Krokom's case with it is stored."""
    from datetime import datetime, timezone

    from screening.errors import ScreeningError
    from screening.model import Case

    notice = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)

    def add(case_id: str, municipality: str) -> None:
        with SqlUnitOfWork(demo_db) as uow:
            uow.cases.add(Case(id=case_id, municipality=municipality, birth_date=date(2019, 4, 2), notice_at=notice,
                               health_state="registered", created_at=notice, updated_at=notice, dossier="12345678"))
            uow.commit()

    add("SC-ONE00001", "Östersund")
    add("SC-TWO00002", "Krokom")
    with pytest.raises(ScreeningError, match="another case already has this dossier"):
        add("SC-THREE003", "Östersund")


def test_upgrading_from_0019_keeps_every_case_and_what_points_at_it(run, cli_db):
    """0020 makes screening_case again on SQLite: its deadlines, notes, bookings and letters stay its own."""
    from pathlib import Path

    from alembic import command
    from alembic.config import Config

    import migrations
    from screening.storage import db, migrate

    case_id = register(run, cli_db, "--dossier", "12-345678", "--language", "ti", "--interpreter")
    assert run("case", "event", case_id, "notify_parties", db=cli_db, user=RECEPTION, now=NOW).code == 0
    assert run("case", "book", case_id, "--start", "2026-11-25T10:00", db=cli_db, user=HC, now=NOW).code == 0
    def kept(url):  # all but what a downgrade below 0021 cannot keep: the people's names, the rows' doors
        from sqlalchemy import inspect

        dropped = {"app_user": {"name", "email", "hsa_id", "disabled_at"}, "audit": {"door"}}
        conn = db.connect_raw(url)
        try:
            return {name: sorted(repr(sorted((k, v) for k, v in row.items() if k not in dropped.get(name, ())))
                                 for row in conn.all(f"SELECT * FROM {name}"))
                    for name in inspect(db.engine(url)).get_table_names()}
        finally:
            conn.close()

    before = kept(cli_db)
    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    with db.engine(cli_db).begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0019")
    assert migrate.current_revision(cli_db) == "0019"
    assert migrate.upgrade(cli_db) == db.SCHEMA_REVISION
    assert kept(cli_db) == before
    if cli_db.startswith("sqlite"):
        with SqlUnitOfWork(cli_db) as uow:
            assert uow.conn.all("PRAGMA foreign_key_check") == []
