"""Errors are said in Swedish by default and in English with SCREENING_LANGUAGE=en: the line on
stderr and the JSON error document's message alike; the code and the exit code are the contract's,
the same in either language."""

from __future__ import annotations

import pytest

import cli
from tests.e2e.support import NOW, assert_one_line_error, register

RECEPTION = "ostersund-reception"
HC = "hc-lugnvik"


@pytest.fixture
def case_id(run, cli_db, monkeypatch):
    monkeypatch.delenv("SCREENING_LANGUAGE", raising=False)
    return register(run, cli_db)


def refusal(run, db, case_id):
    """An event its role may not give: the reception unit holding the health conversation."""
    return run("case", "event", case_id, "hold_health_conversation", db=db, user=RECEPTION, now=NOW)


def test_a_refusal_is_said_in_swedish_by_default(run, cli_db, case_id):
    result = refusal(run, cli_db, case_id)
    error = assert_one_line_error(result, 1)
    assert error == {"code": "refused", "message": "rollen mottagningsenhet får inte göra hold_health_conversation "
                                                   "(bara hälsocentral)"}
    assert result.err == f"screening: {error['message']}\n"


def test_a_refusal_is_said_in_english_as_a_setting(run, cli_db, case_id, monkeypatch):
    monkeypatch.setenv("SCREENING_LANGUAGE", "en")
    result = refusal(run, cli_db, case_id)
    error = assert_one_line_error(result, 1)
    assert error == {"code": "refused", "message": "the role 'reception unit' may not hold_health_conversation "
                                                   "(only health centre)"}
    assert result.err == f"screening: {error['message']}\n"


@pytest.mark.parametrize("lang, said", [
    (None, "--birth-date: '2019-13-01' är inte ett datum (ÅÅÅÅ-MM-DD)"),
    ("sv", "--birth-date: '2019-13-01' är inte ett datum (ÅÅÅÅ-MM-DD)"),
    ("en", "--birth-date: '2019-13-01' is not a date (YYYY-MM-DD)"),
])
def test_bad_input_is_said_in_the_language_of_the_setting(run, cli_db, monkeypatch, lang, said):
    if lang is None:
        monkeypatch.delenv("SCREENING_LANGUAGE", raising=False)
    else:
        monkeypatch.setenv("SCREENING_LANGUAGE", lang)
    result = run("case", "register", "--birth-date", "2019-13-01", "--municipality", "Östersund",
                 db=cli_db, user=RECEPTION, now=NOW)
    assert assert_one_line_error(result, 2) == {"code": "bad_input", "message": said}
    assert result.err == f"screening: {said}\n"


def test_a_time_in_an_error_is_said_in_the_readers_form(run, cli_db, case_id, monkeypatch):
    """A booking outside the centre's hours names the time as a screen does, in either language (the
    English template's own format is its `message`'s, for logs)."""
    start = "2026-11-28T03:00"  # a Saturday night
    sv = run("case", "book", case_id, "--start", start, db=cli_db, user=HC, now=NOW)
    assert assert_one_line_error(sv, 1)["message"].startswith("lör 28 nov 2026 03:00 ligger utanför mottagningstiderna")
    monkeypatch.setenv("SCREENING_LANGUAGE", "en")
    en = run("case", "book", case_id, "--start", start, db=cli_db, user=HC, now=NOW)
    assert assert_one_line_error(en, 1)["message"].startswith("Sat 28 Nov 2026 03:00 is outside Hälsocentralen "
                                                              "Lugnvik's hours for newly arrived children")


def test_an_error_inside_an_event_value_is_said_whole_in_swedish(run, cli_db, case_id):
    result = run("case", "event", case_id, "update_details", "--set", "interpreter=kanske", db=cli_db, user=HC,
                 now=NOW)
    assert assert_one_line_error(result, 2) == {
        "code": "bad_input",
        "message": "update_details: interpreter måste vara något av yes, no, ja, nej, inte 'kanske'"}


def test_without_json_the_line_on_stderr_is_the_same_and_stdout_is_empty(run, cli_db, case_id, monkeypatch):
    result = run("case", "show", "SC-NOSUCH", db=cli_db, user=HC, now=NOW, json_output=False)
    assert_one_line_error(result, 2, json_output=False)
    assert result.err == "screening: okänt ärende 'SC-NOSUCH'\n"


@pytest.mark.parametrize("value", ["fi", "EN", ""])
def test_a_language_setting_in_error_does_not_break_the_error_path(capsys, monkeypatch, value):
    """The error is said in Swedish: the setting's own error belongs to the commands that use it."""
    monkeypatch.setenv("SCREENING_LANGUAGE", value)
    assert cli.main(["--now", "tomorrow", "case", "list"]) == 2
    assert capsys.readouterr().err == \
        "screening: --now: 'tomorrow' är inte ett datum med klockslag enligt ISO 8601 (t.ex. 2026-11-23T10:00)\n"


def test_the_fixed_messages_at_the_edge_are_said_in_the_setting(capsys, monkeypatch):
    monkeypatch.delenv("SCREENING_LANGUAGE", raising=False)
    assert cli.main(["--json", "case", "show", "SC-\udcff"]) == 2
    assert capsys.readouterr().err == "screening: ett argument är inte giltig UTF-8 (kontrollera terminalens teckenkodning)\n"
    monkeypatch.setenv("SCREENING_LANGUAGE", "en")
    assert cli.main(["--json", "case", "show", "SC-\udcff"]) == 2
    assert capsys.readouterr().err == "screening: an argument is not valid UTF-8 (check the terminal's encoding)\n"
