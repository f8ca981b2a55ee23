"""Bad input exits 2 with one clear line, one JSON error object with --json, and no change."""

from __future__ import annotations

from datetime import date

import pytest

from tests.e2e.conftest import snapshot
from tests.e2e.support import BACKENDS, BORN, NOW, assert_one_line_error, call, database, pnr, register

RECEPTION = "ostersund-reception"
VALID = pnr(BORN)  # 20190402-2389
WRONG_CHECK = VALID[:-1] + str((int(VALID[-1]) + 1) % 10)


def registering(*options: str, birth: str = BORN.isoformat()) -> tuple[str, ...]:
    return ("case", "register", "--birth-date", birth, "--municipality", "Östersund", *options)


# (acting user, arguments, clock)
BAD_INPUT = [
    pytest.param(RECEPTION, registering(birth="2019-13-01"), NOW, id="birth-date-month-13"),
    pytest.param(RECEPTION, registering(birth="yesterday"), NOW, id="birth-date-word"),
    pytest.param(RECEPTION, registering("--arrival", "2026-02-30"), NOW, id="arrival-no-such-day"),
    pytest.param(RECEPTION, registering("--arrival", "next week"), NOW, id="arrival-words"),
    pytest.param(RECEPTION, registering("--notice-at", "monday morning"), NOW, id="notice-at-words"),
    pytest.param(RECEPTION, registering(), "23/11/2026 10:00", id="now-malformed-register"),
    pytest.param(RECEPTION, ("case", "list"), "tomorrow", id="now-malformed-list"),
    pytest.param(RECEPTION, registering("--personnummer", WRONG_CHECK), NOW, id="pnr-check-digit"),
    pytest.param(RECEPTION, registering("--personnummer", "20191302-2380"), NOW, id="pnr-month-13"),
    pytest.param(RECEPTION, registering("--personnummer", "2019040-2389"), NOW, id="pnr-too-short"),
    pytest.param(RECEPTION, registering("--personnummer", "20190402-23891"), NOW, id="pnr-too-long"),
    pytest.param(RECEPTION, registering("--personnummer", "2019O402-2389"), NOW, id="pnr-letter"),
    pytest.param(RECEPTION, registering("--personnummer", pnr(date(2019, 4, 3))), NOW,
                 id="pnr-not-the-birth-date"),
    pytest.param(RECEPTION, registering("--personnummer", pnr(BORN, coordination=True)), NOW,
                 id="samordningsnummer-as-personnummer"),
    pytest.param(RECEPTION, registering("--samordningsnummer", VALID), NOW,
                 id="personnummer-as-samordningsnummer"),
    pytest.param(RECEPTION, registering("--dossier", "1234567"), NOW, id="dossier-seven-digits"),
    pytest.param(RECEPTION, registering("--dossier", "123-45678"), NOW, id="dossier-hyphen-misplaced"),
    pytest.param(RECEPTION, registering("--dossier", "12-34567X"), NOW, id="dossier-letter"),
    pytest.param(RECEPTION, registering("--permit", "tourist"), NOW, id="permit-unknown"),
    pytest.param(RECEPTION, registering("--health-centre", "nope"), NOW, id="health-centre-unknown"),
    pytest.param(RECEPTION, registering("--school", "nope"), NOW, id="school-unknown"),
    pytest.param(RECEPTION, registering("--preschool", "nope"), NOW, id="preschool-unknown"),
    pytest.param(RECEPTION, registering("--school", "hc-lugnvik"), NOW, id="school-is-a-health-centre"),
    pytest.param(RECEPTION, registering("--health-centre", "ostersund-school-norrby"), NOW,
                 id="health-centre-is-a-school"),
    pytest.param(RECEPTION, ("case", "register", "--birth-date", "2019-04-02", "--municipality", "Atlantis"),
                 NOW, id="municipality-unknown"),
    pytest.param(RECEPTION, ("case", "list", "--health-centre", "nope"), NOW, id="list-health-centre-unknown"),
    pytest.param(RECEPTION, ("case", "list", "--municipality", "Atlantis"), NOW, id="list-municipality-unknown"),
    pytest.param("nobody", ("case", "list"), NOW, id="user-unknown-list"),
    pytest.param("nobody", registering(), NOW, id="user-unknown-register"),
    pytest.param(None, ("case", "list"), NOW, id="no-user-list"),
    pytest.param(None, ("case", "show", "SC-NOPE"), NOW, id="no-user-show"),
    pytest.param(None, registering(), NOW, id="no-user-register"),
    pytest.param(None, ("user", "list"), NOW, id="no-user-user-list"),
    pytest.param("admin", ("case", "show", "SC-NOPE"), NOW, id="case-unknown-show"),
    pytest.param("admin", ("case", "history", "SC-NOPE"), NOW, id="case-unknown-history"),
    pytest.param("admin", ("case", "history", "SC-NOPE", "--reads"), NOW, id="case-unknown-history-reads"),
    pytest.param(RECEPTION, registering("--bogus"), NOW, id="option-unknown-register"),
    pytest.param(RECEPTION, ("case", "list", "--overdue-ish"), NOW, id="option-unknown-list"),
    pytest.param(RECEPTION, ("case", "register", "--municipality", "Östersund"), NOW,
                 id="option-missing-birth-date"),
    pytest.param(RECEPTION, ("case", "register", "--birth-date", "2019-04-02"), NOW,
                 id="option-missing-municipality"),
    pytest.param(RECEPTION, ("case", "show"), NOW, id="argument-missing-case-id"),
    pytest.param("admin", ("user", "add", "someone", "--org", "hc-lugnvik"), NOW, id="option-missing-role"),
    pytest.param("admin", ("case", "frobnicate"), NOW, id="command-unknown"),
]


@pytest.fixture(scope="module", params=BACKENDS)
def shared_db(request, tmp_path_factory):
    """One demo region with one invented child per backend for the whole module.

    Sharing is safe because every test that uses it proves, by a snapshot, that it changed nothing.
    """
    with database(request.param, tmp_path_factory) as url:
        call(url, "init", "--demo")
        call(url, *registering("--personnummer", VALID, "--dossier", "12-345678"), user=RECEPTION)
        yield url


@pytest.fixture
def db(run, cli_db):
    """A fresh demo region with one invented child already registered."""
    register(run, cli_db, "--personnummer", VALID, "--dossier", "12-345678")
    return cli_db


@pytest.mark.parametrize(("user", "args", "now"), BAD_INPUT)
def test_bad_input_exits_2_with_one_line_and_one_json_error_and_changes_nothing(run, shared_db, user, args, now):
    before = snapshot(shared_db)

    result = run(*args, db=shared_db, user=user, now=now)

    assert_one_line_error(result, 2)
    assert snapshot(shared_db) == before


@pytest.mark.parametrize(("user", "args", "now"), BAD_INPUT)
def test_bad_input_without_json_prints_one_line_on_stderr_and_nothing_on_stdout(run, shared_db, user, args, now):
    before = snapshot(shared_db)

    result = run(*args, db=shared_db, user=user, now=now, json_output=False)

    assert_one_line_error(result, 2, json_output=False)
    assert snapshot(shared_db) == before


def test_the_error_code_names_the_kind_of_bad_input(run, db):
    unknown_case = run("case", "show", "SC-NOPE", db=db, user="admin", now=NOW)
    malformed = run(*registering(birth="2019-13-01"), db=db, user=RECEPTION, now=NOW)
    usage = run(*registering("--bogus"), db=db, user=RECEPTION, now=NOW)

    assert unknown_case.data["error"]["code"] == "not_found"
    assert "SC-NOPE" in unknown_case.data["error"]["message"]
    assert malformed.data["error"]["code"] == "bad_input"
    assert "--birth-date" in malformed.data["error"]["message"]
    assert usage.data["error"]["code"] == "usage"


def test_an_error_message_never_echoes_the_identity_number(run, db):
    result = run(*registering("--personnummer", WRONG_CHECK), db=db, user=RECEPTION, now=NOW)

    assert_one_line_error(result, 2)
    for form in (WRONG_CHECK, WRONG_CHECK.replace("-", ""), WRONG_CHECK[2:]):
        assert form not in result.out
        assert form not in result.err


def test_an_unknown_global_option_with_json_prints_the_error_object_on_stdout(run, db):
    run("org", "list", db=db, json_output=False)  # a run without --json first, as a user might
    before = snapshot(db)

    result = run("--bogus", "case", "list", db=db, user="admin", now=NOW)

    assert_one_line_error(result, 2)
    assert snapshot(db) == before


def test_a_usage_error_without_json_prints_nothing_on_stdout_even_after_a_json_run(run, db):
    run("org", "list", db=db)  # with --json

    result = run("--bogus", "org", "list", db=db, json_output=False)

    assert_one_line_error(result, 2, json_output=False)


def test_a_malformed_now_is_refused_even_by_a_command_that_does_not_read_the_clock(run, db):
    before = snapshot(db)

    result = run("user", "add", "nurse-anna", "--role", "health_centre", "--org", "hc-lugnvik",
                 db=db, user="admin", now="not-a-time")

    assert_one_line_error(result, 2)
    assert snapshot(db) == before


def test_json_typed_after_the_command_is_accepted_like_the_global_option(run, db):
    result = run("case", "show", "SC-NOPE", "--json", db=db, user="admin", now=NOW, json_output=False)

    assert assert_one_line_error(result, 2)["code"] == "not_found"


def test_json_typed_both_before_and_after_the_command_is_accepted(run, db):
    result = run("case", "show", "SC-NOPE", "--json", db=db, user="admin", now=NOW)

    assert assert_one_line_error(result, 2)["code"] == "not_found"


def test_case_list_by_an_organisation_that_is_not_a_health_centre_is_bad_input(run, db):
    result = run("case", "list", "--health-centre", "ostersund-school-norrby", db=db, user="admin", now=NOW)

    assert_one_line_error(result, 2)


def test_an_internal_error_says_whether_the_change_was_saved(run, cli_db, monkeypatch):
    """Exit 3 says "nothing was changed" only when nothing was: a failure after the command's commit
    (here: showing the case after the event) tells the user to look before doing it again."""
    from screening.cli import render

    case_id = register(run, cli_db)

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(render, "organisations", broken)
    monkeypatch.setattr(render, "case", broken)
    before = snapshot(cli_db)
    unsaved = run("org", "list", db=cli_db, user=RECEPTION, now=NOW, json_output=False)
    assert snapshot(cli_db) == before
    saved = run("case", "event", case_id, "notify_parties", db=cli_db, user=RECEPTION, now=NOW, json_output=False)

    assert_one_line_error(unsaved, 3, json_output=False)
    assert "ingenting ändrades" in unsaved.err
    assert_one_line_error(saved, 3, json_output=False)
    assert "efter att kommandot hade sparat sin ändring" in saved.err and "ingenting ändrades" not in saved.err
    history = call(cli_db, "case", "history", case_id, user="region-coordinator")
    assert [entry["event"] for entry in history] == ["register", "notify_parties"]


def test_after_a_failed_write_the_next_command_in_the_process_shows_only_its_own_output(run, cli_db, monkeypatch):
    """A long-lived process (overview --watch, a test run) goes on after stdout refused a write:
    what could not be written then is not written before the next command's output."""
    import io
    import sys

    class Full(io.StringIO):
        def write(self, text):
            raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(sys, "stdout", Full())
        failed = run("user", "list", db=cli_db, user="admin", now=NOW, json_output=False)
    assert failed.code == 2 and "No space left on device" in failed.err

    shown = run("org", "list", db=cli_db, user="admin", now=NOW, json_output=False)

    assert shown.code == 0, shown.err
    assert "Organisationer" in shown.out and "Användare" not in shown.out
