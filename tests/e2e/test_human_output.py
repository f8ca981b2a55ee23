"""What people read on the terminal: Swedish by default and English with the language setting, never
mixed; states, steps, parties and events in words; organisations by name; times in local form
("ons 25 nov 10:00"). `--json` keeps the contract's names. A health centre's late list keeps its own
steps apart from others'; an appointment said to be held before its booked time is questioned."""

from __future__ import annotations

import re

import pytest

from tests.e2e.support import COORDINATOR, HC, NOW, RECEPTION, SCHOOL, register

RAW_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
CODES = ("health_centre", "reception_unit", "school_health", "book_health_conversation", "notify_parties",
         "parties_notified", "conversation_booked", "not_started", "breached", "hc-lugnvik")


@pytest.fixture
def booked(run, cli_db):
    """A child with a school whose conversation is booked for Wednesday 25 November at 10:00."""
    case_id = register(run, cli_db, "--school", SCHOOL, "--language", "ti", "--interpreter", "--arrival", "2026-11-24")
    assert run("case", "event", case_id, "notify_parties", db=cli_db, user=RECEPTION, now=NOW).code == 0
    done = run("case", "book", case_id, "--start", "2026-11-25T10:00", db=cli_db, user=HC, now=NOW)
    assert done.code == 0, done.err
    return cli_db, case_id


def human(run, db, *args, user, now=NOW):
    """The screen after its first line: the tests' databases are simulations, and a simulation's
    screen says so first."""
    result = run(*args, db=db, user=user, now=now, json_output=False)
    assert result.code == 0, result.err
    return after_banner(result.out)


def after_banner(out: str) -> str:
    banner, _, rest = out.partition("\n")
    assert banner.startswith(("SIMULERING – inte verkliga uppgifter · klockan: ",
                              "SIMULATION – not real data · the clock: ")), out
    return rest


@pytest.mark.parametrize("user", [HC, RECEPTION, COORDINATOR])
def test_a_case_reads_in_swedish_with_names_and_local_times_never_codes_or_iso(run, booked, user):
    db, case_id = booked
    shown = human(run, db, "case", "show", case_id, user=user)
    assert "Hälsocentralen Lugnvik" in shown and "Norrbyskolan" in shown
    assert "ons 25 nov 10:00" in shown  # the booking
    assert "tigrinja / tolk behövs" in shown
    assert "boka hälsosamtal" in shown and "hälsosamtal bokat" in shown and "klar i tid" in shown
    assert not RAW_ISO.search(shown), shown
    assert not [code for code in CODES if code in shown], shown


def test_with_the_language_setting_english_the_same_case_reads_in_english_only(run, booked, monkeypatch):
    db, case_id = booked
    monkeypatch.setenv("SCREENING_LANGUAGE", "en")
    shown = human(run, db, "case", "show", case_id, user=HC)
    assert "Wed 25 Nov 10:00" in shown and "Tigrinya / interpreter needed" in shown
    assert "book the health conversation" in shown and "Deadlines" in shown
    assert not [word for word in ("Ärende", "hälsocentral", "Tidsfrister", "ons ", "tolk") if word in shown], shown


def test_json_keeps_the_contracts_names_and_iso_times(run, booked):
    db, case_id = booked
    data = run("case", "show", case_id, db=db, user=HC, now=NOW).data
    assert data["health_centre"] == "hc-lugnvik" and data["tracks"]["health"] == "conversation_booked"
    assert data["bookings"]["health_conversation"] == "2026-11-25T10:00:00+01:00"
    assert {d["owner"] for d in data["deadlines"]} >= {"reception_unit", "health_centre"}


def test_the_history_names_each_event_in_words_and_each_organisation_by_name(run, booked):
    db, case_id = booked
    shown = human(run, db, "case", "history", case_id, user=COORDINATOR)
    assert "anmälan registrerad" in shown and "parterna underrättade" in shown and "hälsosamtal bokat" in shown
    assert "Integrationsservice Östersund" in shown and "Hälsocentralen Lugnvik" in shown, shown
    assert not RAW_ISO.search(shown)


def test_alerts_and_the_sweep_read_in_swedish(run, booked):
    db, _ = booked
    swept = human(run, db, "sweep", user=COORDINATOR, now="2027-01-11T10:00")
    assert swept.startswith("Genomgång mån 11 jan 10:00 (") and "skolstart" in swept and "varning" in swept, swept
    assert "skola " in swept and "tor 24 dec 2026" in swept  # the owner in words; last year's date with its year
    listed = human(run, db, "alerts", user=COORDINATOR, now="2027-01-11T10:00")
    assert listed.startswith("Larm (") and not RAW_ISO.search(listed)
    assert not [code for code in ("school_start", "warning", "breach ", "reminder") if code in listed], listed


def test_done_lines_are_swedish(run, cli_db, tmp_path):
    registered = run("case", "register", "--birth-date", "2019-04-02", "--municipality", "Östersund",
                     db=cli_db, user=RECEPTION, now=NOW, json_output=False)
    said = after_banner(registered.out)
    assert said.startswith("Ärende SC-") and said.rstrip().endswith("registrerat")
    sent = run("outbox", "send", "--dir", str(tmp_path), db=cli_db, user=COORDINATOR, now=NOW, json_output=False)
    assert after_banner(sent.out).strip() == "Skickade 0 meddelanden"


# --- the health centre's late list ---------------------------------------------------------------


def test_the_health_centres_late_list_keeps_its_own_steps_apart_from_the_schools(run, cli_db):
    own = register(run, cli_db, "--school", SCHOOL)  # the parties told, the booking left late: the HC's
    assert run("case", "event", own, "notify_parties", db=cli_db, user=RECEPTION, now=NOW).code == 0
    others = register(run, cli_db, "--school", SCHOOL, "--arrival", "2026-11-24")  # booked in time; school late
    assert run("case", "event", others, "notify_parties", db=cli_db, user=RECEPTION, now=NOW).code == 0
    assert run("case", "book", others, "--start", "2026-11-25T10:00", db=cli_db, user=HC, now=NOW).code == 0
    for event, at, *values in [("hold_health_conversation", "2026-11-25T11:00"),
                               ("record_results", "2026-11-30T09:00", "--set", "obstacle=nej"),
                               ("inform_family", "2026-11-30T09:10"), ("inform_reception", "2026-11-30T09:20")]:
        done = run("case", "event", others, event, "--at", at, *values, db=cli_db, user=HC, now=at)
        assert done.code == 0, done.err
    booked = run("case", "book", others, "--examination", "--start", "2026-12-15T10:00", db=cli_db, user=HC,
                 now="2026-11-30T09:30")
    assert booked.code == 0, booked.err
    held = run("case", "event", others, "hold_examination", "--at", "2026-12-15T11:00", db=cli_db, user=HC,
               now="2026-12-15T11:00")
    assert held.code == 0, held.err
    later = "2027-01-11T10:00"  # the booking's five working days long past; the school start's month too

    shown = human(run, cli_db, "case", "list", "--overdue", user=HC, now=later)
    mine, _, theirs = shown.partition("Försenat hos andra")
    assert mine.startswith("Försenat hos er (") and own in mine and others not in mine
    assert others in theirs and "skolstart (hos skolan)" in theirs
    assert "boka hälsosamtal" in mine
    ids = [case["id"] for case in run("case", "list", "--overdue", db=cli_db, user=HC, now=later).data]
    assert set(ids) >= {own, others}  # the JSON is the contract's: every late case, as before


# --- an appointment said to be held before its booked time ----------------------------------------


def test_a_conversation_held_before_its_booked_time_is_recorded_with_a_warning(run, booked):
    db, case_id = booked
    early = run("case", "event", case_id, "hold_health_conversation", "--at", "2026-11-24T09:00", db=db, user=HC,
                now="2026-11-24T09:30", json_output=False)
    assert early.code == 0
    assert early.err == ("screening: varning: hälsosamtal hållet registrerades tis 24 nov 09:00, före den bokade "
                         "tiden ons 25 nov 10:00: stämmer tiden?\n")


def test_held_at_or_after_its_time_no_warning_and_the_json_says_which(run, booked):
    db, case_id = booked
    on_time = run("case", "event", case_id, "hold_health_conversation", "--at", "2026-11-25T10:00", db=db, user=HC,
                  now="2026-11-25T11:00")
    assert on_time.code == 0 and on_time.err == "" and on_time.data["warnings"] == []


def test_the_json_of_an_early_hold_names_the_warning_and_the_booked_start(run, booked):
    db, case_id = booked
    early = run("case", "event", case_id, "hold_health_conversation", "--at", "2026-11-24T09:00", db=db, user=HC,
                now="2026-11-24T09:30")
    assert early.data["warnings"] == [{"code": "held_before_start", "start": "2026-11-25T10:00:00+01:00"}]
    assert early.data["tracks"]["health"] == "samples_taken"  # recorded all the same


def test_the_health_centre_sees_where_the_interpreter_order_stands_and_the_reception_unit_does_not(run, booked):
    db, case_id = booked
    assert re.search(r"Tolkbeställning +hälsosamtal: beställs", human(run, db, "case", "show", case_id, user=HC))
    assert "Tolkbeställning" not in human(run, db, "case", "show", case_id, user=RECEPTION)
    assert "interpreter_orders" not in run("case", "show", case_id, db=db, user=RECEPTION, now=NOW).data
