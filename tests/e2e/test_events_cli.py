"""Every event of the contract through `case event`, its guards, its bad input, and the worked
working-day examples of the agreement. Every child, number and note here is invented.

One demo region per backend serves the whole module: each test registers its own children, and
every refusal is proved by a snapshot of the whole database to have changed nothing.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.e2e.conftest import snapshot
from tests.e2e.support import (BACKENDS, RECEPTION, HC, SCHOOL, PRESCHOOL, SCHOOL_HEALTH, BVC, COORDINATOR, assert_one_line_error, call, roomy,
                                database, register)


T0 = "2026-11-23T10:00"  # Monday, +01:00: the notice arrives
SCHOOL_CHILD = date(2019, 4, 2)  # 7 years old
OLDER_CHILD = date(2017, 2, 14)  # 9 years old
PRESCHOOL_CHILD = date(2022, 5, 10)  # 4 years old

HEALTH_RULES = ("notify_parties", "renotify_arrival_change", "book_health_conversation", "results_received",
                "inform_family", "inform_reception", "book_examination")


@pytest.fixture(scope="module", params=BACKENDS)
def db(request, tmp_path_factory):
    with database(request.param, tmp_path_factory) as url:
        call(url, "init", "--demo", now=None)
        roomy(url)  # many children booked at the same times
        yield url


# --- helpers -------------------------------------------------------------------------------


def event(run, db, case_id, name, *sets, user, now, at=None, if_version=None, json_output=True):
    args = ["case", "event", case_id, name]
    if at is not None:
        args += ["--at", at]
    for item in sets:
        args += ["--set", item]
    if if_version is not None:
        args += ["--if-version", str(if_version)]
    return run(*args, db=db, user=user, now=now, json_output=json_output)


def ok(run, db, case_id, name, *sets, user, now, at=None, if_version=None) -> dict:
    result = event(run, db, case_id, name, *sets, user=user, now=now, at=at, if_version=if_version)
    assert result.code == 0, (name, result.err)
    case = result.data
    assert case["id"] == case_id
    return case


def refused(run, db, case_id, name, *sets, user, now, at=None, if_version=None, code=1,
            match: str | None = None) -> dict:
    """The event is refused (1) or bad input (2): one line, one JSON error, nothing changed."""
    before = snapshot(db)
    result = event(run, db, case_id, name, *sets, user=user, now=now, at=at, if_version=if_version)
    error = assert_one_line_error(result, code)
    assert snapshot(db) == before
    if match is not None:
        assert match in error["message"], error["message"]
    return error


def show(run, db, case_id, user=COORDINATOR, now=T0) -> dict:
    result = run("case", "show", case_id, db=db, user=user, now=now)
    assert result.code == 0, result.err
    return result.data


def deadline(case: dict, rule: str) -> dict:
    found = [d for d in case["deadlines"] if d["rule"] == rule]
    assert len(found) == 1, (rule, [d["rule"] for d in case["deadlines"]])
    return found[0]


def statuses(case: dict) -> dict[str, str]:
    return {d["rule"]: d["status"] for d in case["deadlines"]}


def tracks(health, school="not_started", vaccination="not_started") -> dict:
    return {"health": health, "school": school, "vaccination": vaccination}


def school_child(run, db, *options, birth=SCHOOL_CHILD, arrival="2026-11-25") -> str:
    return register(run, db, "--school", SCHOOL, "--arrival", arrival, *options, birth=birth, now=T0)


def preschool_child(run, db, *options) -> str:
    return register(run, db, "--preschool", PRESCHOOL, "--arrival", "2026-11-25", *options,
                    birth=PRESCHOOL_CHILD, now=T0)


def to_samples_taken(run, db, case_id) -> dict:
    ok(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-23T11:00")
    ok(run, db, case_id, "book_health_conversation", "start=2026-11-26T09:00", user=HC, now="2026-11-24T09:00")
    return ok(run, db, case_id, "hold_health_conversation", user=HC, now="2026-11-26T10:00")


def to_results(run, db, case_id, obstacle="no") -> dict:
    to_samples_taken(run, db, case_id)
    return ok(run, db, case_id, "record_results", f"obstacle={obstacle}", user=HC, now="2026-12-03T10:00")


def through_intro_plan(run, db, case_id, user, now="2026-11-24T13:00") -> dict:
    ok(run, db, case_id, "invite_intro_meeting", user=user, now=now)
    ok(run, db, case_id, "hold_intro_meeting", user=user, now=now)
    return ok(run, db, case_id, "make_intro_plan", user=user, now=now)


# --- the health track, step by step ---------------------------------------------------------


def test_the_full_health_path_moves_the_track_and_meets_each_deadline(run, db):
    case_id = school_child(run, db)
    case = show(run, db, case_id, user=RECEPTION)
    assert case["tracks"] == tracks("registered")
    assert deadline(case, "notify_parties")["status"] == "open"
    assert deadline(case, "notify_parties")["due"] == "2026-11-23T23:59:59+01:00"

    case = ok(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-23T11:00")
    assert case["tracks"] == tracks("parties_notified")
    assert deadline(case, "notify_parties")["status"] == "met"
    assert deadline(case, "notify_parties")["met_at"] == "2026-11-23T11:00:00+01:00"
    booking = deadline(case, "book_health_conversation")
    assert booking["owner"] == "health_centre"
    assert booking["starts"] == "2026-11-23T11:00:00+01:00"
    assert booking["due"] == "2026-11-30T23:59:59+01:00"  # day 0 Mon 23, fifth working day Mon 30
    assert booking["status"] == "open"

    case = ok(run, db, case_id, "book_health_conversation", "start=2026-11-26T09:00", user=HC,
              now="2026-11-24T09:00")
    assert case["tracks"] == tracks("conversation_booked")
    assert case["bookings"]["health_conversation"] == "2026-11-26T09:00:00+01:00"
    assert deadline(case, "book_health_conversation")["status"] == "met"
    assert deadline(case, "book_health_conversation")["met_at"] == "2026-11-24T09:00:00+01:00"

    # a rebooking moves the appointment; the booking deadline keeps its first booking
    case = ok(run, db, case_id, "book_health_conversation", "start=2026-11-27T13:30", user=HC,
              now="2026-11-25T08:00")
    assert case["tracks"] == tracks("conversation_booked")
    assert case["bookings"]["health_conversation"] == "2026-11-27T13:30:00+01:00"
    assert deadline(case, "book_health_conversation")["met_at"] == "2026-11-24T09:00:00+01:00"

    case = ok(run, db, case_id, "cancel_booking", user=HC, now="2026-11-25T09:00")
    assert case["tracks"] == tracks("parties_notified")
    assert case["bookings"]["health_conversation"] is None
    assert deadline(case, "book_health_conversation")["status"] == "met"

    case = ok(run, db, case_id, "book_health_conversation", "start=2026-11-30T09:00", user=HC,
              now="2026-11-25T10:00")
    assert case["tracks"] == tracks("conversation_booked")
    assert case["bookings"]["health_conversation"] == "2026-11-30T09:00:00+01:00"

    case = ok(run, db, case_id, "hold_health_conversation", user=HC, now="2026-11-30T10:30",
              at="2026-11-30T09:45")
    assert case["tracks"] == tracks("samples_taken")
    results = deadline(case, "results_received")
    assert results["starts"] == "2026-11-30T09:45:00+01:00"
    assert results["due"] == "2026-12-14T23:59:59+01:00"  # 14 calendar days
    assert results["status"] == "open"

    case = ok(run, db, case_id, "record_results", "obstacle=no", "note=Påhittat provsvar utan anmärkning",
              user=HC, now="2026-12-07T10:00")
    assert case["tracks"] == tracks("results_received")
    assert case["results"]["received_at"] == "2026-12-07T10:00:00+01:00"
    assert case["results"]["obstacle"] is False
    assert case["results"]["note"] == "Påhittat provsvar utan anmärkning"  # the HC reads its own note
    assert deadline(case, "results_received")["status"] == "met"
    for rule, due in (("inform_family", "2026-12-08"), ("inform_reception", "2026-12-08"),
                      ("book_examination", "2026-12-09")):
        assert deadline(case, rule)["status"] == "open", rule
        assert deadline(case, rule)["due"] == f"{due}T23:59:59+01:00", rule

    case = ok(run, db, case_id, "inform_family", user=HC, now="2026-12-07T14:00")
    assert case["tracks"] == tracks("results_received")
    assert deadline(case, "inform_family")["status"] == "met"
    assert deadline(case, "inform_reception")["status"] == "open"

    case = ok(run, db, case_id, "inform_reception", user=HC, now="2026-12-07T14:10")
    assert case["tracks"] == tracks("results_received")
    assert deadline(case, "inform_reception")["status"] == "met"

    case = ok(run, db, case_id, "record_consent", "given_by=guardian", "scope=school_health", user=HC,
              now="2026-12-07T14:20")
    assert case["tracks"] == tracks("results_received")
    assert case["consent"] == {"given_by": "guardian", "scope": "school_health", "at": "2026-12-07T14:20:00+01:00"}
    assert case["shared_with_school_health"] is None

    case = ok(run, db, case_id, "share_with_school_health", user=HC, now="2026-12-07T14:30")
    assert case["tracks"] == tracks("results_received")
    assert case["shared_with_school_health"] == "2026-12-07T14:30:00+01:00"

    case = ok(run, db, case_id, "book_examination", "start=2026-12-15T10:00", user=HC, now="2026-12-08T09:00")
    assert case["tracks"] == tracks("examination_booked")
    assert case["bookings"]["examination"] == "2026-12-15T10:00:00+01:00"
    assert deadline(case, "book_examination")["status"] == "met"

    case = ok(run, db, case_id, "hold_examination", "note=Påhittat läkarutlåtande", user=HC,
              now="2026-12-15T11:00")
    assert case["tracks"] == tracks("examined")
    assert case["examination"]["note"] == "Påhittat läkarutlåtande"
    plan = deadline(case, "vaccination_plan")
    assert plan["status"] == "open" and plan["owner"] == "school_health"
    assert plan["starts"] == "2026-12-15T11:00:00+01:00"
    assert all(d["status"] == "met" for d in case["deadlines"] if d["rule"] in HEALTH_RULES)

    # the reception unit sees that results are in and obstacle yes/no, never the notes
    seen = show(run, db, case_id, user=RECEPTION, now="2026-12-15T12:00")
    assert seen["results"] == {"received_at": "2026-12-07T10:00:00+01:00", "obstacle": False}
    assert "examination" not in seen

    history = run("case", "history", case_id, db=db, user=COORDINATOR, now="2026-12-15T12:00")
    assert [e["event"] for e in history.data] == [
        "register", "notify_parties", "book_health_conversation", "book_health_conversation", "cancel_booking",
        "book_health_conversation", "hold_health_conversation", "record_results", "inform_family",
        "inform_reception", "record_consent", "share_with_school_health", "book_examination", "hold_examination"]


def test_results_with_an_obstacle_are_recorded_as_an_obstacle(run, db):
    case_id = school_child(run, db)
    to_samples_taken(run, db, case_id)

    case = ok(run, db, case_id, "record_results", "obstacle=yes", user=HC, now="2026-12-03T10:00")

    assert case["tracks"] == tracks("results_received")
    assert case["results"]["obstacle"] is True
    assert deadline(case, "results_received")["status"] == "met"
    assert show(run, db, case_id, user=RECEPTION, now="2026-12-03T10:00")["results"] == {
        "received_at": "2026-12-03T10:00:00+01:00", "obstacle": True}


def test_a_late_booking_is_late_and_an_unbooked_one_shows_breached(run, db):
    case_id = school_child(run, db)
    ok(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-23T11:00")

    assert deadline(show(run, db, case_id, now="2026-12-01T08:00"), "book_health_conversation")["status"] == "breached"
    case = ok(run, db, case_id, "book_health_conversation", "start=2026-12-03T09:00", user=HC, now="2026-12-01T09:00")
    assert deadline(case, "book_health_conversation")["status"] == "late"


def test_an_arrival_change_is_notified_again_and_moves_the_school_start(run, db):
    case_id = school_child(run, db)
    ok(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-23T11:00")
    assert deadline(show(run, db, case_id), "school_start")["due"] == "2026-12-25T23:59:59+01:00"

    case = ok(run, db, case_id, "change_arrival", "arrival=2026-12-02", user=RECEPTION, now="2026-11-24T09:00")
    assert case["tracks"] == tracks("parties_notified")
    assert case["arrival"] == "2026-12-02"
    renotify = deadline(case, "renotify_arrival_change")
    assert renotify["status"] == "open" and renotify["owner"] == "reception_unit"
    assert renotify["due"] == "2026-11-24T23:59:59+01:00"
    assert deadline(case, "school_start")["due"] == "2027-01-02T23:59:59+01:00"
    assert deadline(case, "book_health_conversation")["starts"] == "2026-11-23T11:00:00+01:00"

    case = ok(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-24T10:00")
    assert case["tracks"] == tracks("parties_notified")
    assert deadline(case, "renotify_arrival_change")["status"] == "met"
    assert deadline(case, "renotify_arrival_change")["met_at"] == "2026-11-24T10:00:00+01:00"
    assert deadline(case, "notify_parties")["met_at"] == "2026-11-23T11:00:00+01:00"
    assert deadline(case, "book_health_conversation")["starts"] == "2026-11-23T11:00:00+01:00"

    # told once after the change; a second notice without a new change is refused
    refused(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-24T11:00", match="efter en ändrad ankomst")


# --- the school track --------------------------------------------------------------------------


def test_a_school_child_goes_from_invitation_to_start(run, db):
    case_id = school_child(run, db)
    assert deadline(show(run, db, case_id), "school_start")["status"] == "open"

    case = ok(run, db, case_id, "invite_intro_meeting", user=SCHOOL, now="2026-11-24T13:00")
    assert case["tracks"] == tracks("registered", "intro_invited")
    case = ok(run, db, case_id, "hold_intro_meeting", user=SCHOOL, now="2026-11-26T13:00")
    assert case["tracks"] == tracks("registered", "intro_held")
    case = ok(run, db, case_id, "make_intro_plan", user=SCHOOL, now="2026-11-27T13:00")
    assert case["tracks"] == tracks("registered", "plan_made")
    # step 9: missing results do not block a school start
    case = ok(run, db, case_id, "start_school", user=SCHOOL, now="2026-11-30T08:00")
    assert case["tracks"] == tracks("registered", "started")
    school_start = deadline(case, "school_start")
    assert school_start["status"] == "met" and school_start["owner"] == "school"
    assert school_start["met_at"] == "2026-11-30T08:00:00+01:00"
    assert case["vaccination_unit"] == "school_health"


def test_a_preschool_child_starts_preschool_once_the_results_are_in(run, db):
    case_id = preschool_child(run, db)
    case = through_intro_plan(run, db, case_id, PRESCHOOL)
    assert case["tracks"] == tracks("registered", "plan_made")
    assert "preschool_start" not in statuses(case)

    refused(run, db, case_id, "start_preschool", user=PRESCHOOL, now="2026-11-24T14:00", match="provsvar")

    case = to_results(run, db, case_id)
    start = deadline(case, "preschool_start")
    assert start["owner"] == "preschool" and start["status"] == "open"
    assert start["due"] == "2026-12-17T23:59:59+01:00"  # 10 working days after Thu 3 Dec
    case = ok(run, db, case_id, "start_preschool", user=PRESCHOOL, now="2026-12-07T08:00")
    assert case["tracks"]["school"] == "started"
    assert deadline(case, "preschool_start")["status"] == "met"
    assert case["vaccination_unit"] == "bvc"


def test_an_obstacle_means_a_start_with_adaptations_or_a_postponement(run, db):
    adapted, postponed = school_child(run, db), school_child(run, db)
    for case_id in (adapted, postponed):
        through_intro_plan(run, db, case_id, SCHOOL)
        to_results(run, db, case_id, obstacle="yes")

    case = ok(run, db, adapted, "start_with_adaptations", "reason=Påhittade anpassningar enligt smittskydd",
              user=SCHOOL, now="2026-12-04T08:00")
    assert case["tracks"]["school"] == "started_adapted"
    assert deadline(case, "school_start")["status"] == "met"
    assert "Påhittade anpassningar" not in str(case)  # a reason is not shown to the school

    case = ok(run, db, postponed, "postpone_start", "reason=Påhittad väntan på smittskydd", user=SCHOOL,
              now="2026-12-04T08:00")
    assert case["tracks"]["school"] == "postponed"
    assert deadline(case, "school_start")["status"] == "open"
    case = ok(run, db, postponed, "start_with_adaptations", "reason=Påhittat beslut", user=SCHOOL,
              now="2026-12-10T08:00")
    assert case["tracks"]["school"] == "started_adapted"


def test_a_postponed_preschool_start_waits_for_the_results(run, db):
    case_id = preschool_child(run, db)
    through_intro_plan(run, db, case_id, PRESCHOOL)
    case = ok(run, db, case_id, "postpone_start", "reason=Påhittat skäl", user=PRESCHOOL, now="2026-11-24T14:00")
    assert case["tracks"]["school"] == "postponed"

    refused(run, db, case_id, "start_preschool", user=PRESCHOOL, now="2026-11-25T08:00", match="provsvar")
    to_results(run, db, case_id)
    case = ok(run, db, case_id, "start_preschool", user=PRESCHOOL, now="2026-12-04T08:00")
    assert case["tracks"]["school"] == "started"


# --- the vaccination track ---------------------------------------------------------------------


def test_school_health_requests_assesses_plans_and_completes_catch_up_vaccination(run, db):
    case_id = school_child(run, db, birth=OLDER_CHILD)
    to_results(run, db, case_id)
    ok(run, db, case_id, "book_examination", "start=2026-12-07T10:00", user=HC, now="2026-12-04T09:00")
    case = ok(run, db, case_id, "hold_examination", user=HC, now="2026-12-07T11:00")
    assert deadline(case, "vaccination_plan")["status"] == "open"
    assert deadline(case, "vaccination_plan")["owner"] == "school_health"

    case = ok(run, db, case_id, "request_records", user=SCHOOL_HEALTH, now="2026-12-08T09:00")
    assert case["tracks"] == tracks("examined", vaccination="records_requested")
    case = ok(run, db, case_id, "assess_vaccinations", "status=missing", user=SCHOOL_HEALTH, now="2026-12-10T09:00")
    assert case["tracks"] == tracks("examined", vaccination="assessed")
    case = ok(run, db, case_id, "make_vaccination_plan", user=SCHOOL_HEALTH, now="2026-12-11T09:00")
    assert case["tracks"] == tracks("examined", vaccination="plan_made")
    assert deadline(case, "vaccination_plan")["status"] == "met"
    assert deadline(case, "vaccination_plan")["met_at"] == "2026-12-11T09:00:00+01:00"

    case = ok(run, db, case_id, "give_catch_up_dose", "vaccine=MPR", user=SCHOOL_HEALTH, now="2026-12-14T09:00")
    assert case["tracks"]["vaccination"] == "in_progress"
    assert case["doses_given"] == 1
    case = ok(run, db, case_id, "give_catch_up_dose", "vaccine=DTP-IPV", user=SCHOOL_HEALTH, now="2026-12-15T09:00")
    assert case["tracks"]["vaccination"] == "in_progress"
    assert case["doses_given"] == 2
    case = ok(run, db, case_id, "complete_vaccinations", user=SCHOOL_HEALTH, now="2027-01-20T09:00")
    assert case["tracks"] == tracks("examined", vaccination="complete")


def test_complete_records_mean_no_catch_up_is_needed(run, db):
    case_id = school_child(run, db, birth=OLDER_CHILD)
    ok(run, db, case_id, "request_records", user=SCHOOL_HEALTH, now="2026-11-24T09:00")

    case = ok(run, db, case_id, "assess_vaccinations", "status=complete", user=SCHOOL_HEALTH, now="2026-11-26T09:00")

    assert case["tracks"] == tracks("registered", vaccination="not_needed")
    refused(run, db, case_id, "make_vaccination_plan", user=SCHOOL_HEALTH, now="2026-11-26T10:00")


def test_a_four_year_old_at_preschool_is_vaccinated_by_bvc_not_school_health(run, db):
    case_id = preschool_child(run, db)
    assert show(run, db, case_id)["vaccination_unit"] == "bvc"

    refused(run, db, case_id, "assess_vaccinations", "status=missing", user=SCHOOL_HEALTH, now="2026-11-24T09:00",
            match="görs av BVC")

    case = ok(run, db, case_id, "assess_vaccinations", "status=missing", user=BVC, now="2026-11-24T09:00")
    assert case["tracks"]["vaccination"] == "assessed"
    case = ok(run, db, case_id, "make_vaccination_plan", user=BVC, now="2026-11-25T09:00")
    assert case["tracks"]["vaccination"] == "plan_made"
    refused(run, db, case_id, "give_catch_up_dose", "vaccine=MPR", user=SCHOOL_HEALTH, now="2026-11-26T09:00")
    case = ok(run, db, case_id, "give_catch_up_dose", "vaccine=MPR", user=BVC, now="2026-11-26T09:00")
    assert case["tracks"]["vaccination"] == "in_progress"
    case = ok(run, db, case_id, "complete_vaccinations", user=BVC, now="2026-12-26T09:00")
    assert case["tracks"]["vaccination"] == "complete"


# --- decline, move out, close --------------------------------------------------------------------


def test_a_decline_stops_the_health_track_without_a_breach_and_the_school_track_goes_on(run, db):
    case_id = school_child(run, db)
    ok(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-23T11:00")

    case = ok(run, db, case_id, "decline", "reason=Påhittat: familjen avböjer", user=HC, now="2026-11-26T09:00")

    assert case["tracks"] == tracks("declined")
    assert case["declined"] == {"at": "2026-11-26T09:00:00+01:00", "by": HC}
    assert deadline(case, "notify_parties")["status"] == "met"
    assert deadline(case, "book_health_conversation")["status"] == "cancelled"
    # § 5: however long after, the health deadlines still owed at the decline never become breaches
    later = show(run, db, case_id, now="2027-03-01T09:00")
    assert {d["rule"]: d["status"] for d in later["deadlines"] if d["rule"] in HEALTH_RULES} == {
        "notify_parties": "met", "book_health_conversation": "cancelled"}
    refused(run, db, case_id, "book_health_conversation", "start=2026-12-07T09:00", user=HC, now="2026-11-26T10:00")

    case = ok(run, db, case_id, "invite_intro_meeting", user=SCHOOL, now="2026-11-26T10:00")
    assert case["tracks"] == tracks("declined", "intro_invited")
    assert deadline(case, "school_start")["status"] == "open"
    through = [ok(run, db, case_id, e, user=SCHOOL, now="2026-11-27T09:00")
               for e in ("hold_intro_meeting", "make_intro_plan", "start_school")]
    assert through[-1]["tracks"] == tracks("declined", "started")
    assert deadline(through[-1], "school_start")["status"] == "met"


def test_a_breach_before_the_decline_stays_a_breach(run, db):
    # README, Deadlines: "a deadline already breached before stays breached, so the statistics keep it"
    case_id = school_child(run, db)
    ok(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-23T11:00")
    assert deadline(show(run, db, case_id, now="2026-12-02T09:00"), "book_health_conversation")["status"] == "breached"

    case = ok(run, db, case_id, "decline", user=HC, now="2026-12-02T09:00")

    assert case["tracks"] == tracks("declined")
    booking = deadline(case, "book_health_conversation")
    assert booking["status"] == "breached" and booking["attributed_to"] == "health_centre"


def test_reception_may_record_a_decline_before_the_parties_are_notified(run, db):
    case_id = school_child(run, db)

    case = ok(run, db, case_id, "decline", user=RECEPTION, now="2026-11-23T12:00")

    assert case["tracks"] == tracks("declined")
    assert deadline(case, "notify_parties")["status"] == "cancelled"
    assert deadline(case, "school_start")["status"] == "open"


def test_a_move_out_ends_the_health_track_and_cancels_what_is_still_owed(run, db):
    case_id = school_child(run, db)
    ok(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-23T11:00")

    case = ok(run, db, case_id, "move_out", "reason=Påhittat: flyttar till Krokom", user=RECEPTION,
              now="2026-11-25T09:00")

    assert case["tracks"] == tracks("moved_out")
    assert deadline(case, "notify_parties")["status"] == "met"
    assert deadline(case, "book_health_conversation")["status"] == "cancelled"
    assert deadline(case, "school_start")["status"] == "cancelled"
    refused(run, db, case_id, "close", user=RECEPTION, now="2026-11-25T10:00")
    history = run("case", "history", case_id, db=db, user=COORDINATOR, now="2026-11-25T10:00")
    assert [e["event"] for e in history.data] == ["register", "notify_parties", "move_out"]  # history kept


@pytest.mark.parametrize("user", [RECEPTION, COORDINATOR])
def test_a_case_is_closed_by_reception_or_the_coordinator_and_then_takes_no_health_event(run, db, user):
    case_id = school_child(run, db)
    ok(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-23T11:00")

    case = ok(run, db, case_id, "close", "reason=Påhittat skäl", user=user, now="2026-11-24T09:00")

    assert case["tracks"] == tracks("closed")
    assert deadline(case, "book_health_conversation")["status"] == "cancelled"
    refused(run, db, case_id, "book_health_conversation", "start=2026-11-26T09:00", user=HC, now="2026-11-24T10:00")
    refused(run, db, case_id, "decline", user=RECEPTION, now="2026-11-24T10:00")


# --- children already in Sweden (A-E) --------------------------------------------------------------


def test_a_previous_screening_that_was_done_satisfies_the_health_track(run, db):
    case_id = school_child(run, db, "--already-in-sweden")
    case = show(run, db, case_id)
    assert case["tracks"] == tracks("verifying_previous")
    assert "notify_parties" not in statuses(case)
    refused(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-23T11:00")

    case = ok(run, db, case_id, "verify_previous_screening", "done=yes", user=RECEPTION, now="2026-11-24T09:00")

    assert case["tracks"] == tracks("examined")
    assert statuses(case).get("notify_parties") in (None, "cancelled")
    assert not [d for d in case["deadlines"] if d["rule"] in HEALTH_RULES and d["status"] in ("open", "breached")]


@pytest.mark.parametrize("done", ["no", "unknown"])
def test_a_previous_screening_not_done_leads_to_the_normal_health_track(run, db, done):
    case_id = school_child(run, db, "--already-in-sweden")

    case = ok(run, db, case_id, "verify_previous_screening", f"done={done}", user=RECEPTION, now="2026-11-24T09:00")

    assert case["tracks"] == tracks("registered")
    notify = deadline(case, "notify_parties")
    assert notify["status"] == "open"
    assert notify["starts"] == "2026-11-24T09:00:00+01:00"
    assert notify["due"] == "2026-11-24T23:59:59+01:00"
    refused(run, db, case_id, "verify_previous_screening", "done=yes", user=RECEPTION, now="2026-11-24T09:30")
    case = ok(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-24T10:00")
    assert case["tracks"] == tracks("parties_notified")
    assert deadline(case, "notify_parties")["status"] == "met"
    assert deadline(case, "book_health_conversation")["due"] == "2026-12-01T23:59:59+01:00"
    case = ok(run, db, case_id, "book_health_conversation", "start=2026-11-27T09:00", user=HC, now="2026-11-25T09:00")
    assert case["tracks"] == tracks("conversation_booked")


# --- guards: exit 1, one line, nothing changed --------------------------------------------------------


def test_a_school_start_with_an_open_obstacle_is_refused(run, db):
    case_id = school_child(run, db)
    through_intro_plan(run, db, case_id, SCHOOL)
    to_results(run, db, case_id, obstacle="yes")

    refused(run, db, case_id, "start_school", user=SCHOOL, now="2026-12-04T08:00", match="hinder")


def test_a_start_with_adaptations_without_an_obstacle_is_refused(run, db):
    unknown, none = school_child(run, db), school_child(run, db)
    through_intro_plan(run, db, unknown, SCHOOL)
    through_intro_plan(run, db, none, SCHOOL)
    to_results(run, db, none, obstacle="no")

    refused(run, db, unknown, "start_with_adaptations", "reason=Påhittat", user=SCHOOL, now="2026-12-04T08:00",
            match="hinder")
    refused(run, db, none, "start_with_adaptations", "reason=Påhittat", user=SCHOOL, now="2026-12-04T08:00",
            match="hinder")


def test_sharing_with_school_health_without_consent_is_refused(run, db):
    case_id = school_child(run, db)
    to_results(run, db, case_id)

    refused(run, db, case_id, "share_with_school_health", user=HC, now="2026-12-03T11:00", match="samtycke")


def test_an_event_in_the_wrong_state_is_refused(run, db):
    case_id = school_child(run, db)
    to_samples_taken(run, db, case_id)

    refused(run, db, case_id, "hold_examination", user=HC, now="2026-11-27T09:00", match="står på 'prover tagna'")
    refused(run, db, case_id, "book_examination", "start=2026-12-01T09:00", user=HC, now="2026-11-27T09:00")
    refused(run, db, case_id, "start_school", user=SCHOOL, now="2026-11-27T09:00")
    refused(run, db, case_id, "complete_vaccinations", user=SCHOOL_HEALTH, now="2026-11-27T09:00")


@pytest.mark.parametrize(("user", "name", "sets"), [
    (SCHOOL, "record_results", ("obstacle=no",)),
    (RECEPTION, "book_health_conversation", ("start=2026-11-27T09:00",)),
    (HC, "notify_parties", ()),
    (PRESCHOOL, "start_school", ()),
    (SCHOOL, "start_preschool", ()),
    (SCHOOL_HEALTH, "hold_health_conversation", ()),
    (COORDINATOR, "decline", ()),
])
def test_a_role_that_may_not_do_the_event_is_refused(run, db, user, name, sets):
    case_id = register(run, db, "--school", SCHOOL, "--preschool", PRESCHOOL, "--arrival", "2026-11-25",
                       birth=date(2020, 8, 1), now=T0)
    ok(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-23T11:00")
    ok(run, db, case_id, "book_health_conversation", "start=2026-11-26T09:00", user=HC, now="2026-11-24T09:00")

    error = refused(run, db, case_id, name, *sets, user=user, now="2026-11-24T10:00", match="får inte")
    assert error["code"] == "refused"


def test_notify_parties_twice_without_an_arrival_change_is_refused(run, db):
    case_id = school_child(run, db)
    ok(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-23T11:00")

    refused(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-23T12:00", match="redan underrättade")


def test_a_stale_version_is_refused_and_the_current_one_is_accepted(run, db):
    case_id = school_child(run, db)
    read = show(run, db, case_id, user=RECEPTION)
    ok(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-23T11:00", if_version=read["version"])
    current = show(run, db, case_id, user=HC, now="2026-11-23T12:00")
    assert current["version"] == read["version"] + 1

    error = refused(run, db, case_id, "book_health_conversation", "start=2026-11-26T09:00", user=HC,
                    now="2026-11-24T09:00", if_version=read["version"], match="ändrats av någon annan")
    assert error["code"] == "conflict"

    case = ok(run, db, case_id, "book_health_conversation", "start=2026-11-26T09:00", user=HC,
              now="2026-11-24T09:00", if_version=current["version"])
    assert case["version"] == current["version"] + 1


def test_a_refusal_without_json_is_one_line_on_stderr_only(run, db):
    case_id = school_child(run, db)
    before = snapshot(db)

    result = event(run, db, case_id, "hold_examination", user=HC, now="2026-11-24T09:00", json_output=False)

    assert_one_line_error(result, 1, json_output=False)
    assert snapshot(db) == before


# --- bad input: exit 2, nothing changed -------------------------------------------------------------------


@pytest.mark.parametrize(("user", "name", "sets", "at", "now", "words"), [
    pytest.param(HC, "take_samples", (), None, "2026-11-24T09:00", "okänd händelse", id="unknown-event"),
    pytest.param(HC, "book_health_conversation", ("start=2026-11-26T09:00", "room=3"), None, "2026-11-24T09:00",
                 "room", id="unknown-set-key"),
    pytest.param(HC, "hold_health_conversation", ("note=x",), None, "2026-11-24T09:00", "note",
                 id="set-key-of-another-event"),
    pytest.param(HC, "book_health_conversation", (), None, "2026-11-24T09:00", "start", id="missing-start"),
    pytest.param(HC, "record_results", ("note=Påhittat",), None, "2026-11-24T09:00", "obstacle",
                 id="missing-obstacle"),
    pytest.param(HC, "record_results", ("obstacle=maybe",), None, "2026-11-24T09:00", "maybe",
                 id="obstacle-maybe"),
    pytest.param(HC, "book_health_conversation", ("start=tomorrow",), None, "2026-11-24T09:00", "tomorrow",
                 id="start-tomorrow"),
    pytest.param(RECEPTION, "change_arrival", ("arrival=2026-02-30",), None, "2026-11-24T09:00", "arrival",
                 id="arrival-no-such-day"),
    pytest.param(RECEPTION, "verify_previous_screening", ("done=perhaps",), None, "2026-11-24T09:00", "perhaps",
                 id="done-perhaps"),
    pytest.param(HC, "record_consent", ("given_by=neighbour", "scope=school_health"), None, "2026-11-24T09:00",
                 "neighbour", id="consent-given-by-unknown"),
    pytest.param(SCHOOL, "postpone_start", ("reason=  ",), None, "2026-11-24T09:00", "reason",
                 id="reason-empty"),
    pytest.param(HC, "book_health_conversation", ("start",), None, "2026-11-24T09:00", "KEY=VALUE",
                 id="set-without-equals"),
    pytest.param(HC, "book_health_conversation", ("start=2026-11-26T09:00",), "2026-11-24T09:01",
                 "2026-11-24T09:00", "framtiden", id="at-in-the-future"),
    pytest.param(HC, "book_health_conversation", ("start=2026-11-26T09:00",), "2026-11-23T09:59",
                 "2026-11-24T09:00", "före", id="at-before-the-notice"),
    pytest.param(HC, "book_health_conversation", ("start=2026-11-26T09:00",), "yesterday",
                 "2026-11-24T09:00", "yesterday", id="at-malformed"),
])
def test_bad_input_to_an_event_exits_2_and_changes_nothing(run, db, user, name, sets, at, now, words):
    case_id = school_child(run, db)
    ok(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-23T11:00")

    error = refused(run, db, case_id, name, *sets, user=user, now=now, at=at, code=2)

    assert words in error["message"], error["message"]


def test_an_event_on_an_unknown_case_or_one_outside_the_scope_is_bad_input(run, db):
    case_id = school_child(run, db)

    refused(run, db, "SC-NOPE2345", "notify_parties", user=RECEPTION, now=T0, code=2)
    refused(run, db, case_id, "notify_parties", user="krokom-reception", now=T0, code=2, match="okänt ärende")
    refused(run, db, case_id, "invite_intro_meeting", user="ostersund-school-solbacka", now=T0, code=2,
            match="okänt ärende")


# --- the agreement's worked working-day examples -------------------------------------------------------


@pytest.mark.parametrize(("informed", "due"), [
    ("2025-12-19", "2026-01-02T23:59:59+01:00"),
    ("2025-06-18", "2025-06-26T23:59:59+02:00"),  # midsommarafton Fri 06-20 is not a working day
    ("2025-12-23", "2026-01-07T23:59:59+01:00"),
    ("2026-12-23", "2027-01-05T23:59:59+01:00"),
    ("2027-03-25", "2027-04-05T23:59:59+02:00"),  # långfredagen 03-26, annandag påsk 03-29
])
def test_the_booking_is_due_at_the_end_of_the_fifth_working_day_after_the_hc_is_informed(run, db, informed, due):
    result = run("case", "register", "--birth-date", "2015-03-01", "--municipality", "Östersund",
                 "--notice-at", f"{informed}T09:00", db=db, user=RECEPTION, now=f"{informed}T09:05")
    assert result.code == 0, result.err
    case_id = result.data["id"]

    case = ok(run, db, case_id, "notify_parties", user=RECEPTION, at=f"{informed}T10:00", now=f"{informed}T10:30")

    assert deadline(case, "notify_parties")["status"] == "met"
    booking = deadline(case, "book_health_conversation")
    assert booking["starts"].startswith(f"{informed}T10:00:00")
    assert booking["due"] == due
    assert booking["due_date"] == due[:10]
    assert booking["status"] == "open"


# --- bugs found: each test states what the agreement asks and fails until the code does it ----------------


def test_a_move_out_after_a_decline_does_not_turn_what_the_decline_cancelled_into_breaches(run, db):
    case_id = school_child(run, db)
    ok(run, db, case_id, "decline", user=RECEPTION, now="2026-11-23T12:00")  # before the notice was due
    assert deadline(show(run, db, case_id, now="2026-11-24T09:00"), "notify_parties")["status"] == "cancelled"

    case = ok(run, db, case_id, "move_out", user=RECEPTION, now="2026-11-25T09:00")

    assert case["tracks"] == tracks("moved_out")
    assert deadline(case, "notify_parties")["status"] == "cancelled"


def test_a_first_notice_after_an_arrival_change_tells_the_parties_the_new_date(run, db):
    case_id = school_child(run, db)
    ok(run, db, case_id, "change_arrival", "arrival=2026-11-30", user=RECEPTION, now="2026-11-23T10:30")
    ok(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-23T11:00")  # says 30 November

    case = show(run, db, case_id, now="2026-11-25T09:00")

    assert statuses(case).get("renotify_arrival_change") in (None, "met", "cancelled"), statuses(case)


def test_an_event_dated_before_the_step_it_follows_is_not_accepted(run, db):
    case_id = school_child(run, db)
    to_samples_taken(run, db, case_id)  # samples taken Thu 2026-11-26 10:00

    before = snapshot(db)

    result = event(run, db, case_id, "record_results", "obstacle=no", user=HC, now="2026-11-27T11:00",
                   at="2026-11-23T10:30")  # results "received" three days before the samples were taken

    assert_one_line_error(result, result.code if result.code in (1, 2) else 2)
    assert snapshot(db) == before


# --- correcting a case (update_details) ------------------------------------------------------


def test_a_school_given_after_the_notice_sees_the_child_and_the_history_says_who(run, db):
    case_id = register(run, db, "--dossier", "70-000001", birth=SCHOOL_CHILD, now=T0)
    ok(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-23T10:05")
    hidden = run("case", "show", case_id, db=db, user=SCHOOL, now="2026-11-23T11:00")
    assert_one_line_error(hidden, 2)  # not the school's child yet

    case = ok(run, db, case_id, "update_details", f"school={SCHOOL}", "language=ti", "interpreter=ja",
              user=RECEPTION, now="2026-11-24T09:00")

    assert (case["school"], case["language"], case["interpreter"]) == (SCHOOL, "ti", True)
    assert show(run, db, case_id, user=SCHOOL, now="2026-11-24T09:05")["school"] == SCHOOL
    entries = run("case", "history", case_id, db=db, user=COORDINATOR, now="2026-11-24T09:10").data
    assert [(e["event"], e["user"], e["at"]) for e in entries][-1] == (
        "update_details", RECEPTION, "2026-11-24T09:00:00+01:00")


def test_the_health_centre_may_correct_the_language_but_not_assign_a_school(run, db):
    case_id = register(run, db, "--dossier", "70-000002", birth=SCHOOL_CHILD, now=T0)
    ok(run, db, case_id, "notify_parties", user=RECEPTION, now="2026-11-23T10:05")
    assert ok(run, db, case_id, "update_details", "language=so", user=HC, now="2026-11-23T11:00")["language"] == "so"
    refused(run, db, case_id, "update_details", f"school={SCHOOL}", user=HC, now="2026-11-23T11:05",
            match="bara ange language och interpreter")
    refused(run, db, case_id, "update_details", user=RECEPTION, now="2026-11-23T11:05", code=2,
            match="ange minst en av")
