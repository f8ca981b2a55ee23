"""The clock is not the user's: a database for real use keeps the system's clock and refuses `--now`
(SCREENING_NOW); only a simulation (`init --demo`, `init --simulation`) accepts a set clock, and every
screen, message, calendar, letter and report of a simulation says it is one. A coordinator can always
close a case, even one a wrong clock once put a step in the future of."""

from __future__ import annotations

import email
import subprocess

import pytest

from screening.directory import BUNDLED
from tests.e2e.support import (ADMIN, COORDINATOR, HC, NOW, RECEPTION, assert_one_line_error, register)

FAR = "2199-01-01T00:00"


@pytest.fixture
def real_db(run, db_url):
    """A database for real use: `init` without a simulation, the bundled region, a few users."""
    assert run("init", db=db_url).code == 0
    assert run("init", "--directory", str(BUNDLED), db=db_url).code == 0
    assert run("user", "add", ADMIN, "--role", "admin", "--org", COORDINATOR, db=db_url).code == 0
    for user, role, org in ((RECEPTION, "reception", RECEPTION), (COORDINATOR, "coordinator", COORDINATOR),
                            (HC, "health_centre", HC)):
        assert run("user", "add", user, "--role", role, "--org", org, db=db_url, user=ADMIN).code == 0, user
    return db_url


def real_case(run, db: str) -> str:
    """A case registered at the system's clock (the test asserts no date)."""
    done = run("case", "register", "--birth-date", "2015-03-03", "--municipality", "Östersund", db=db, user=RECEPTION)
    assert done.code == 0, done.err
    return done.data["id"]


@pytest.mark.parametrize("command", [("sweep",), ("alerts",), ("report",), ("case", "list", "--overdue")])
def test_a_database_for_real_use_refuses_a_set_clock_and_writes_nothing(run, real_db, command):
    from tests.e2e.conftest import snapshot

    real_case(run, real_db)
    before = snapshot(real_db)
    refused = run(*command, db=real_db, user=COORDINATOR, now=FAR)
    error = assert_one_line_error(refused, 1)["message"]
    assert "verklig användning" in error
    assert snapshot(real_db) == before


def test_a_set_clock_from_the_environment_is_refused_alike(run, real_db, monkeypatch):
    case_id = real_case(run, real_db)
    monkeypatch.setenv("SCREENING_NOW", "2199-12-31T12:00")
    refused = run("case", "event", case_id, "notify_parties", db=real_db, user=RECEPTION)
    assert_one_line_error(refused, 1)
    monkeypatch.delenv("SCREENING_NOW")
    shown = run("case", "show", case_id, db=real_db, user=RECEPTION)
    assert shown.data["tracks"]["health"] == "registered"  # the event was never applied


def test_on_a_real_database_no_step_is_recorded_beyond_the_system_clock(run, real_db):
    case_id = real_case(run, real_db)
    late = run("case", "event", case_id, "notify_parties", "--at", "2199-12-31T12:00", db=real_db, user=RECEPTION)
    assert_one_line_error(late, 2)
    notice = run("case", "register", "--birth-date", "2015-03-03", "--municipality", "Östersund",
                 "--notice-at", "2199-12-31T12:00", db=real_db, user=RECEPTION)
    assert_one_line_error(notice, 2)


def test_a_database_for_real_use_does_not_become_a_simulation_once_it_holds_cases(run, real_db):
    real_case(run, real_db)
    for option in ("--simulation", "--demo"):
        refused = run("init", option, db=real_db, user=ADMIN)
        assert refused.code == 1, refused.err
    assert_one_line_error(run("sweep", db=real_db, user=COORDINATOR, now=FAR), 1)


def test_init_simulation_makes_a_database_whose_clock_may_be_set(run, db_url):
    made = run("init", "--simulation", db=db_url)
    assert made.code == 0 and made.data["simulation"] is True
    assert run("init", "--directory", str(BUNDLED), db=db_url).code == 0
    assert run("user", "add", COORDINATOR, "--role", "coordinator", "--org", COORDINATOR, db=db_url).code == 0
    swept = run("sweep", db=db_url, user=COORDINATOR, now=NOW)
    assert swept.code == 0, swept.err


def test_a_coordinator_closes_a_case_a_wrong_clock_put_a_step_in_the_future_of(run, cli_db):
    case_id = register(run, cli_db)
    assert run("case", "event", case_id, "notify_parties", db=cli_db, user=RECEPTION, now="2199-12-31T12:00").code == 0
    stuck = run("case", "event", case_id, "move_out", db=cli_db, user=RECEPTION, now=NOW)
    assert stuck.code != 0  # steps are recorded in order: the reception cannot act before that step
    closed = run("case", "event", case_id, "close", db=cli_db, user=COORDINATOR, now=NOW)
    assert closed.code == 0, closed.err
    assert closed.data["tracks"]["health"] == "closed"


# --- a simulation says it is one ----------------------------------------------------------------

def test_every_screen_of_a_simulation_says_so_first(run, cli_db):
    case_id = register(run, cli_db)
    for args, user in ((("case", "show", case_id), RECEPTION), (("case", "list"), RECEPTION),
                       (("alerts",), COORDINATOR), (("report",), COORDINATOR), (("org", "list"), None)):
        shown = run(*args, db=cli_db, user=user, now=NOW, json_output=False)
        assert shown.code == 0, shown.err
        assert shown.out.lstrip().startswith("SIMULERING"), (args, shown.out[:200])


def test_a_real_databases_screens_say_nothing_of_a_simulation(run, real_db):
    case_id = real_case(run, real_db)
    for args, user in ((("case", "show", case_id), RECEPTION), (("case", "list"), RECEPTION), (("report",), ADMIN)):
        shown = run(*args, db=real_db, user=user, json_output=False)
        assert shown.code == 0, shown.err
        assert "SIMULERING" not in shown.out and "SIMULATION" not in shown.out
    report = run("report", db=real_db, user=ADMIN).data
    assert "simulation" not in report


def test_a_simulations_report_says_so_in_json_and_csv(run, cli_db):
    register(run, cli_db)
    assert run("report", db=cli_db, user=COORDINATOR, now=NOW).data["simulation"] is True
    csv_text = run("report", "--format", "csv", db=cli_db, user=COORDINATOR, now=NOW, json_output=False).out
    assert csv_text.rstrip().splitlines()[-1].startswith("SIMULERING")


def test_a_simulations_messages_and_calendar_say_so(run, cli_db, tmp_path):
    case_id = register(run, cli_db)
    assert run("case", "event", case_id, "notify_parties", db=cli_db, user=RECEPTION, now=NOW).code == 0
    assert run("case", "book", case_id, "--start", "2026-11-25T10:00", db=cli_db, user=HC, now=NOW).code == 0
    folder = tmp_path / "out"
    assert run("outbox", "send", "--dir", str(folder), db=cli_db, user=COORDINATOR, now=NOW).code == 0
    messages = [email.message_from_bytes(path.read_bytes()) for path in sorted(folder.glob("*.eml"))]
    assert messages
    for message in messages:
        assert message["Subject"].startswith("[SIMULERING]"), message["Subject"]
        text = next(part for part in message.walk() if part.get_content_type() == "text/plain")
        assert text.get_payload(decode=True).decode().startswith("Detta meddelande kommer från en simulering")
    ics = run("calendar", "export", "--health-centre", HC, db=cli_db, user=HC, now=NOW, json_output=False).out
    assert "X-WR-CALNAME:SIMULERING" in ics and "SUMMARY:SIMULERING: " in ics


def test_a_simulations_letter_says_so(run, cli_db, tmp_path):
    case_id = register(run, cli_db, "--name", "Amina Hassan", "--language", "ar")
    assert run("case", "event", case_id, "notify_parties", db=cli_db, user=RECEPTION, now=NOW).code == 0
    assert run("case", "book", case_id, "--start", "2026-11-25T10:00", db=cli_db, user=HC, now=NOW).code == 0
    out = tmp_path / "letter.pdf"
    assert run("case", "letter", case_id, "--out", str(out), db=cli_db, user=HC, now=NOW).code == 0
    try:
        text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    except FileNotFoundError:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    assert text.lstrip().startswith("SIMULERING")
