"""The deadline rule table of the 0-17 agreement, evaluated purely against invented cases.

Every expected date is the agreement's ("Deadlines", "Working day" and its worked examples in
../shared/agreement/agreement.en.md); all people and times are invented.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from screening.clock import STOCKHOLM
from screening.errors import BadInput
from screening.model import Case
from screening.workdays import WorkingDays
from workflows.deadlines import STATUSES, evaluate, load_rules

RULES = load_rules()
CAL = WorkingDays()
FINAL_STATUSES = ("met", "late", "cancelled")
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0, ss: int = 0) -> datetime:
    """A Stockholm wall-clock time, aware."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=STOCKHOLM)


def end_of(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 23, 59, 59, tzinfo=STOCKHOLM)


def make_case(**fields) -> Case:
    values = {
        "id": "case-1",
        "municipality": "Östersund",
        "birth_date": date(2016, 5, 10),  # 9 or 10 years old in the examples below
        "notice_at": at(2026, 3, 2, 9),  # Monday
        "health_state": "registered",
    }
    values.update(fields)
    return Case(**values)


def deadlines(case: Case, now: datetime, rules=RULES) -> dict:
    found = evaluate(case, rules, CAL, now)
    by_rule = {d.rule: d for d in found}
    assert len(by_rule) == len(found), "one deadline per rule"
    return by_rule


def assert_end_of_local_day(due: datetime, expected_day: date) -> None:
    local = due.astimezone(STOCKHOLM)
    assert local.date() == expected_day
    assert local.time() == time(23, 59, 59)


# --- book_health_conversation: the agreement's worked examples (step 3) -------------------------

WORKED_EXAMPLES = [
    (date(2025, 12, 19), date(2026, 1, 2)),
    (date(2025, 6, 18), date(2025, 6, 26)),  # midsommarafton 2025-06-20 is not a working day
    (date(2025, 12, 23), date(2026, 1, 7)),
    (date(2026, 12, 23), date(2027, 1, 5)),
    (date(2027, 3, 25), date(2027, 4, 5)),  # långfredagen 03-26, annandag påsk 03-29
]


@pytest.mark.parametrize(("informed", "due"), WORKED_EXAMPLES, ids=[str(i) for i, _ in WORKED_EXAMPLES])
def test_booking_is_due_at_the_end_of_the_worked_examples_day(informed, due):
    informed_at = datetime.combine(informed, time(11, 15), STOCKHOLM)
    case = make_case(notice_at=informed_at - timedelta(hours=2), parties_notified_at=informed_at,
                     health_state="parties_notified")

    booking = deadlines(case, informed_at)["book_health_conversation"]

    assert booking.owner == "health_centre"
    assert booking.starts == informed_at
    assert booking.due == datetime.combine(due, time(23, 59, 59), STOCKHOLM)
    assert_end_of_local_day(booking.due, due)
    assert booking.due_date == due
    assert booking.status == "open"


def test_booking_on_the_last_second_of_the_fifth_working_day_is_met():
    case = make_case(parties_notified_at=at(2025, 12, 19, 9), notice_at=at(2025, 12, 19, 8),
                     conversation_booked_at=end_of(2026, 1, 2))
    booking = deadlines(case, at(2026, 1, 10))["book_health_conversation"]
    assert booking.status == "met"
    assert booking.met_at == end_of(2026, 1, 2)


def test_booking_the_day_after_the_fifth_working_day_is_late_and_the_health_centres():
    case = make_case(parties_notified_at=at(2025, 12, 19, 9), notice_at=at(2025, 12, 19, 8),
                     conversation_booked_at=at(2026, 1, 3, 0, 0, 1))
    booking = deadlines(case, at(2026, 1, 10))["book_health_conversation"]
    assert booking.status == "late"
    assert booking.attributed_to == "health_centre"


def test_an_unbooked_conversation_is_open_until_the_due_second_and_breached_after_it():
    case = make_case(parties_notified_at=at(2025, 12, 19, 9), notice_at=at(2025, 12, 19, 8))
    assert deadlines(case, end_of(2026, 1, 2))["book_health_conversation"].status == "open"
    breached = deadlines(case, end_of(2026, 1, 2) + timedelta(seconds=1))["book_health_conversation"]
    assert breached.status == "breached"
    assert breached.met_at is None
    assert breached.attributed_to == "health_centre"


def test_no_booking_clock_runs_before_the_health_centre_is_informed():
    assert "book_health_conversation" not in deadlines(make_case(), at(2026, 3, 2, 12))


# --- notify_parties (step 2) ---------------------------------------------------------------------

NOTICES = [
    pytest.param(at(2026, 3, 2, 9), date(2026, 3, 2), id="monday-morning-same-day"),
    pytest.param(at(2026, 3, 2, 15, 59, 59), date(2026, 3, 2), id="one-second-before-cutoff-same-day"),
    pytest.param(at(2026, 3, 2, 16), date(2026, 3, 3), id="at-the-cutoff-next-working-day"),
    pytest.param(at(2026, 3, 6, 17, 30), date(2026, 3, 9), id="friday-evening-monday"),
    pytest.param(at(2026, 3, 7, 10), date(2026, 3, 9), id="saturday-monday"),
    pytest.param(at(2026, 3, 8, 10), date(2026, 3, 9), id="sunday-monday"),
    pytest.param(at(2025, 12, 24, 10), date(2025, 12, 29), id="julafton-after-the-christmas-holidays"),
    pytest.param(at(2025, 12, 23, 16, 30), date(2025, 12, 29), id="day-before-julafton-late-afternoon"),
    pytest.param(at(2025, 6, 20, 9), date(2025, 6, 23), id="midsommarafton-monday"),
    pytest.param(at(2025, 12, 31, 9), date(2026, 1, 2), id="nyarsafton-after-nyarsdagen"),
    pytest.param(at(2026, 1, 5, 10), date(2026, 1, 5), id="trettondagsafton-is-a-working-day"),
    pytest.param(datetime(2026, 3, 2, 14, 30, tzinfo=timezone.utc), date(2026, 3, 2), id="utc-1430-is-1530-in-winter"),
    pytest.param(datetime(2026, 6, 10, 14, 30, tzinfo=timezone.utc), date(2026, 6, 11), id="utc-1430-is-1630-in-summer"),
]


@pytest.mark.parametrize(("notice_at", "due_day"), NOTICES)
def test_notify_parties_is_due_the_same_working_day_before_four_pm_else_the_next_working_day(notice_at, due_day):
    notify = deadlines(make_case(notice_at=notice_at), notice_at)["notify_parties"]
    assert notify.owner == "reception_unit"
    assert notify.starts == notice_at
    assert_end_of_local_day(notify.due, due_day)


def test_parties_notified_by_the_due_second_meet_the_notice_deadline():
    notify = deadlines(make_case(parties_notified_at=end_of(2026, 3, 2)), at(2026, 3, 5))["notify_parties"]
    assert (notify.status, notify.met_at, notify.attributed_to) == ("met", end_of(2026, 3, 2), None)


def test_parties_notified_the_next_morning_are_late_and_the_reception_units():
    notify = deadlines(make_case(parties_notified_at=at(2026, 3, 3, 8)), at(2026, 3, 5))["notify_parties"]
    assert (notify.status, notify.met_at, notify.attributed_to) == ("late", at(2026, 3, 3, 8), "reception_unit")


def test_parties_not_notified_are_open_on_the_day_and_breached_once_it_has_ended():
    case = make_case()
    assert deadlines(case, end_of(2026, 3, 2))["notify_parties"].status == "open"
    breached = deadlines(case, at(2026, 3, 3, 0, 0, 0))["notify_parties"]
    assert (breached.status, breached.met_at, breached.attributed_to) == ("breached", None, "reception_unit")


# --- renotify_arrival_change (step 2) ------------------------------------------------------------


def notified_case(**fields) -> Case:
    values = {"parties_notified_at": at(2026, 3, 2, 11), "health_state": "parties_notified",
              "arrival": date(2026, 3, 20)}
    return make_case(**{**values, **fields})


def test_an_arrival_change_starts_a_renotification_due_the_end_of_that_working_day():
    changed = at(2026, 3, 10, 17, 45)  # a Tuesday, after 16:00: no cut-off for a re-notification
    renotify = deadlines(notified_case(arrival_changed_at=changed), changed)["renotify_arrival_change"]
    assert renotify.owner == "reception_unit"
    assert renotify.starts == changed
    assert renotify.due == end_of(2026, 3, 10)
    assert renotify.status == "open"


def test_an_arrival_change_on_a_saturday_is_due_the_end_of_monday():
    changed = at(2026, 3, 14, 10)
    renotify = deadlines(notified_case(arrival_changed_at=changed), changed)["renotify_arrival_change"]
    assert renotify.due == end_of(2026, 3, 16)


def test_renotified_parties_meet_the_arrival_change_deadline():
    case = notified_case(arrival_changed_at=at(2026, 3, 10, 9), renotified_at=at(2026, 3, 10, 13))
    renotify = deadlines(case, at(2026, 3, 12))["renotify_arrival_change"]
    assert (renotify.status, renotify.met_at) == ("met", at(2026, 3, 10, 13))


def test_renotifying_the_next_day_is_late():
    case = notified_case(arrival_changed_at=at(2026, 3, 10, 9), renotified_at=at(2026, 3, 11, 9))
    assert deadlines(case, at(2026, 3, 12))["renotify_arrival_change"].status == "late"


def test_a_renotification_before_the_latest_arrival_change_does_not_meet_it():
    case = notified_case(renotified_at=at(2026, 3, 5, 9), arrival_changed_at=at(2026, 3, 10, 9))
    assert deadlines(case, at(2026, 3, 10, 12))["renotify_arrival_change"].status == "open"
    assert deadlines(case, at(2026, 3, 11, 9))["renotify_arrival_change"].status == "breached"


def test_without_an_arrival_change_there_is_no_renotification_deadline():
    assert "renotify_arrival_change" not in deadlines(notified_case(), at(2026, 3, 10))


# --- results, informing, the examination (steps 6, 7, 9) -----------------------------------------


def test_results_are_expected_fourteen_calendar_days_after_the_samples():
    case = make_case(samples_taken_at=at(2026, 3, 2, 10))
    results = deadlines(case, at(2026, 3, 2, 10))["results_received"]
    assert (results.owner, results.due, results.status) == ("health_centre", end_of(2026, 3, 16), "open")


def test_results_are_counted_in_calendar_days_even_across_easter():
    case = make_case(samples_taken_at=at(2026, 3, 20, 10))
    assert deadlines(case, at(2026, 3, 20, 11))["results_received"].due == end_of(2026, 4, 3)  # långfredagen


def test_results_received_on_the_fourteenth_day_are_met_and_on_the_fifteenth_late():
    on_time = make_case(samples_taken_at=at(2026, 3, 2, 10), results_received_at=at(2026, 3, 16, 15))
    late = make_case(samples_taken_at=at(2026, 3, 2, 10), results_received_at=at(2026, 3, 17, 8))
    assert deadlines(on_time, at(2026, 3, 20))["results_received"].status == "met"
    assert deadlines(late, at(2026, 3, 20))["results_received"].status == "late"


@pytest.mark.parametrize(
    ("results_at", "inform_day", "examination_day", "preschool_day"),
    [
        pytest.param(at(2026, 3, 2, 14), date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 16), id="plain-march-week"),
        pytest.param(at(2025, 12, 23, 14), date(2025, 12, 29), date(2025, 12, 30), date(2026, 1, 14), id="over-christmas"),
    ],
)
def test_results_start_the_inform_examination_and_preschool_clocks_in_working_days(
    results_at, inform_day, examination_day, preschool_day
):
    case = make_case(samples_taken_at=results_at - timedelta(days=7), results_received_at=results_at,
                     preschool_id="preschool-berg-1", birth_date=date(2022, 4, 1))
    found = deadlines(case, results_at)
    for rule in ("inform_family", "inform_reception"):
        assert found[rule].owner == "health_centre"
        assert found[rule].starts == results_at
        assert_end_of_local_day(found[rule].due, inform_day)
    assert_end_of_local_day(found["book_examination"].due, examination_day)
    assert found["book_examination"].owner == "health_centre"
    assert_end_of_local_day(found["preschool_start"].due, preschool_day)
    assert found["preschool_start"].owner == "preschool"


def test_informing_family_and_reception_and_booking_the_examination_meet_their_deadlines():
    results_at = at(2026, 3, 2, 14)
    case = make_case(results_received_at=results_at, family_informed_at=at(2026, 3, 3, 9),
                     reception_informed_at=at(2026, 3, 4, 9), examination_booked_at=at(2026, 3, 4, 10))
    found = deadlines(case, at(2026, 3, 10))
    assert found["inform_family"].status == "met"
    assert found["inform_reception"].status == "late"
    assert found["book_examination"].status == "met"


def test_there_is_no_preschool_start_deadline_without_a_preschool():
    case = make_case(results_received_at=at(2026, 3, 2, 14))
    assert "preschool_start" not in deadlines(case, at(2026, 3, 2, 15))


# --- school_start (step 8): one calendar month after arrival --------------------------------------


@pytest.mark.parametrize(
    ("arrival", "due"),
    [
        (date(2026, 3, 10), date(2026, 4, 10)),
        (date(2026, 1, 31), date(2026, 2, 28)),  # no 31 February: the month's last day
        (date(2028, 1, 31), date(2028, 2, 29)),  # leap year
        (date(2026, 8, 31), date(2026, 9, 30)),
        (date(2026, 12, 15), date(2027, 1, 15)),
    ],
)
def test_school_start_is_due_one_calendar_month_after_arrival(arrival, due):
    case = make_case(arrival=arrival, school_id="school-ostersund-1")
    school = deadlines(case, datetime.combine(arrival, time(9), STOCKHOLM))["school_start"]
    assert school.owner == "school"
    assert school.starts == datetime.combine(arrival, time(0), STOCKHOLM)
    assert school.due == datetime.combine(due, time(23, 59, 59), STOCKHOLM)


@pytest.mark.parametrize(
    ("birth_date", "school_id", "preschool_id", "applies"),
    [
        pytest.param(date(2020, 6, 1), "school-are-1", None, True, id="school-assigned-at-5"),
        pytest.param(date(2018, 6, 1), None, None, True, id="no-placement-at-7"),
        pytest.param(date(2019, 6, 1), None, None, True, id="no-placement-at-6"),
        pytest.param(date(2020, 6, 1), None, None, False, id="no-placement-at-5"),
        pytest.param(date(2021, 6, 1), None, "preschool-are-1", False, id="preschool-only-at-4"),
    ],
)
def test_school_start_applies_with_a_school_or_without_a_preschool_from_six(birth_date, school_id, preschool_id, applies):
    case = make_case(birth_date=birth_date, arrival=date(2026, 3, 10), school_id=school_id, preschool_id=preschool_id)
    assert ("school_start" in deadlines(case, at(2026, 3, 15))) is applies


def test_starting_school_within_the_month_meets_school_start():
    case = make_case(arrival=date(2026, 3, 10), school_id="school-ostersund-1", school_started_at=at(2026, 4, 1, 8))
    school = deadlines(case, at(2026, 4, 20))["school_start"]
    assert (school.status, school.met_at, school.attributed_to) == ("met", at(2026, 4, 1, 8), None)


def test_an_arrival_change_moves_school_start_to_a_month_after_the_new_arrival():
    case = notified_case(school_id="school-ostersund-1")
    before = deadlines(case, at(2026, 3, 5))["school_start"]
    assert before.due == end_of(2026, 4, 20)

    changed = replace(case, arrival=date(2026, 4, 20), arrival_changed_at=at(2026, 3, 6, 10))
    after = deadlines(changed, at(2026, 3, 6, 11))["school_start"]
    assert after.starts == at(2026, 4, 20, 0)
    assert after.due == end_of(2026, 5, 20)
    assert after.status == "open"
    # the old due has passed, but the school is measured against the new arrival
    assert deadlines(changed, at(2026, 4, 25))["school_start"].status == "open"


# --- vaccination_plan (vacc 2) ---------------------------------------------------------------------


def test_the_vaccination_plan_is_due_twenty_working_days_after_the_examination():
    case = make_case(examined_at=at(2026, 3, 2, 10), school_id="school-krokom-1", school_state="started")
    plan = deadlines(case, at(2026, 3, 2, 11))["vaccination_plan"]
    assert plan.starts == at(2026, 3, 2, 10)
    assert plan.due == end_of(2026, 3, 30)
    assert CAL.between(date(2026, 3, 2), plan.due_date) == 20


def test_the_vaccination_plan_of_a_child_in_school_is_owned_by_school_health():
    case = make_case(examined_at=at(2026, 3, 2, 10), school_id="school-krokom-1", school_state="started")
    assert deadlines(case, at(2026, 3, 3))["vaccination_plan"].owner == "school_health"


def test_the_vaccination_plan_of_a_preschool_child_is_owned_by_bvc():
    case = make_case(examined_at=at(2026, 3, 2, 10), birth_date=date(2022, 4, 1), preschool_id="preschool-krokom-1")
    assert deadlines(case, at(2026, 3, 3))["vaccination_plan"].owner == "bvc"


def test_a_preschool_child_who_starts_school_hands_the_vaccination_plan_to_school_health():
    case = make_case(examined_at=at(2026, 3, 2, 10), birth_date=date(2020, 2, 1), preschool_id="preschool-krokom-1")
    assert deadlines(case, at(2026, 3, 3))["vaccination_plan"].owner == "bvc"
    in_school = replace(case, school_id="school-krokom-1", school_state="started", school_started_at=at(2026, 3, 9, 8))
    assert deadlines(in_school, at(2026, 3, 10))["vaccination_plan"].owner == "school_health"


def test_a_vaccination_plan_made_in_time_meets_the_deadline():
    case = make_case(examined_at=at(2026, 3, 2, 10), vaccination_plan_at=at(2026, 3, 20, 10))
    assert deadlines(case, at(2026, 4, 20))["vaccination_plan"].status == "met"


def test_a_vaccination_plan_made_before_the_examination_still_counts_as_made():
    case = make_case(records_requested_at=at(2026, 2, 20), assessed_at=at(2026, 2, 25),
                     vaccination_plan_at=at(2026, 2, 26, 10), vaccination_state="plan_made",
                     examined_at=at(2026, 3, 2, 10))
    assert deadlines(case, at(2026, 5, 4))["vaccination_plan"].status in ("met", "cancelled")


def test_a_child_whose_vaccinations_are_complete_owes_no_vaccination_plan():
    case = make_case(assessed_at=at(2026, 2, 25), vaccination_status="complete", vaccination_state="not_needed",
                     examined_at=at(2026, 3, 2, 10))
    plan = deadlines(case, at(2026, 5, 4)).get("vaccination_plan")
    assert plan is None or plan.status == "cancelled"


# --- turns_18 (scope 0-17) -----------------------------------------------------------------------


def test_a_child_is_flagged_from_the_eighteenth_birthday():
    case = make_case(birth_date=date(2008, 5, 10))
    the_eve = deadlines(case, at(2026, 5, 9, 23, 59, 59))["turns_18"]
    assert (the_eve.owner, the_eve.due, the_eve.status) == ("coordinator", end_of(2026, 5, 9), "open")
    assert the_eve.starts == at(2008, 5, 10, 0)
    assert deadlines(case, at(2026, 5, 10, 0, 0, 0))["turns_18"].status == "breached"


def test_a_leap_day_child_turns_eighteen_on_the_first_of_march():
    case = make_case(birth_date=date(2008, 2, 29))
    assert deadlines(case, at(2026, 2, 28, 23))["turns_18"].due == end_of(2026, 2, 28)
    assert deadlines(case, at(2026, 2, 28, 23))["turns_18"].status == "open"
    assert deadlines(case, at(2026, 3, 1, 0, 0, 1))["turns_18"].status == "breached"


def test_a_case_ended_before_the_eighteenth_birthday_meets_turns_18():
    case = make_case(birth_date=date(2008, 5, 10), ended_at=at(2026, 4, 1, 10))
    turns = deadlines(case, at(2026, 6, 1))["turns_18"]
    assert (turns.status, turns.met_at) == ("met", at(2026, 4, 1, 10))


# --- decline (§ 5) and move-out / close -----------------------------------------------------------


def active_case(**fields) -> Case:
    """Notified in time on Monday 2 March; booking not done; arrival 10 March; a school assigned."""
    values = {"parties_notified_at": at(2026, 3, 2, 11), "health_state": "parties_notified",
              "arrival": date(2026, 3, 10), "school_id": "school-ostersund-1"}
    return make_case(**{**values, **fields})


def test_a_decline_cancels_the_open_health_deadlines_but_keeps_the_met_ones_and_school_start():
    case = active_case(declined_at=at(2026, 3, 4, 10), declined_by="hc-user-1", health_state="declined")
    found = deadlines(case, at(2026, 3, 5))
    assert (found["notify_parties"].status, found["notify_parties"].met_at) == ("met", at(2026, 3, 2, 11))
    booking = found["book_health_conversation"]
    assert (booking.status, booking.met_at, booking.attributed_to) == ("cancelled", None, None)
    assert found["school_start"].status == "open"
    # a decline is not a breach, however long after: the booking stays cancelled
    assert deadlines(case, at(2026, 6, 1))["book_health_conversation"].status == "cancelled"
    assert deadlines(case, at(2026, 6, 1))["school_start"].status == "breached"


def test_a_declined_childs_met_booking_stays_met():
    case = active_case(conversation_booked_at=at(2026, 3, 3, 10), declined_at=at(2026, 3, 4, 10))
    assert deadlines(case, at(2026, 3, 20))["book_health_conversation"].status == "met"


def test_moving_out_cancels_every_open_deadline_and_meets_turns_18():
    ended = at(2026, 3, 4, 10)
    case = active_case(ended_at=ended, health_state="moved_out", samples_taken_at=at(2026, 3, 3, 10))
    found = deadlines(case, at(2026, 5, 1))
    assert found["notify_parties"].status == "met"
    for rule in ("book_health_conversation", "results_received", "school_start"):
        assert (found[rule].status, found[rule].met_at) == ("cancelled", None), rule
    assert (found["turns_18"].status, found["turns_18"].met_at) == ("met", ended)
    assert {d.status for d in found.values()} <= {"met", "cancelled"}


@pytest.mark.parametrize("ending", ["declined_at", "ended_at"])
def test_a_breach_that_happened_before_a_decline_or_move_out_stays_a_breach(ending):
    # booking due at the end of Monday 9 March; the family declines / moves out on 20 March
    case = active_case(**{ending: at(2026, 3, 20, 10)})
    booking = deadlines(case, at(2026, 3, 25))["book_health_conversation"]
    assert (booking.status, booking.attributed_to) == ("breached", "health_centre")


# --- children already in Sweden (B) ---------------------------------------------------------------


def in_sweden_case(**fields) -> Case:
    return make_case(**{"already_in_sweden": True, "health_state": "verifying_previous", **fields})


def test_a_child_already_in_sweden_has_no_notice_deadline_while_the_previous_screening_is_verified():
    assert "notify_parties" not in deadlines(in_sweden_case(), at(2026, 3, 10))


@pytest.mark.parametrize("answer", ["no", "unknown"])
def test_a_previous_screening_not_done_starts_the_notice_clock_at_the_verification(answer):
    verified = at(2026, 3, 4, 17)  # Wednesday after 16:00
    case = in_sweden_case(previous_screening=answer, previous_verified_at=verified, health_state="registered")
    notify = deadlines(case, verified)["notify_parties"]
    assert notify.starts == verified
    assert notify.due == end_of(2026, 3, 5)
    assert notify.status == "open"
    met = replace(case, parties_notified_at=at(2026, 3, 5, 9))
    assert deadlines(met, at(2026, 3, 6))["notify_parties"].status == "met"


def test_a_previous_screening_done_owes_no_notice():
    case = in_sweden_case(previous_screening="yes", previous_verified_at=at(2026, 3, 4, 10), health_state="examined")
    notify = deadlines(case, at(2026, 4, 1)).get("notify_parties")
    assert notify is None or notify.status == "cancelled"


# --- § 10: whose step was late -------------------------------------------------------------------


def school_case(**fields) -> Case:
    return make_case(arrival=date(2026, 3, 5), school_id="school-stromsund-1", **fields)


def test_a_late_school_start_after_a_late_notice_is_the_reception_units():
    case = school_case(parties_notified_at=at(2026, 3, 4, 10), school_started_at=at(2026, 4, 15, 8))
    found = deadlines(case, at(2026, 4, 20))
    assert found["notify_parties"].status == "late"
    assert found["school_start"].status == "late"
    assert found["school_start"].owner == "school"
    assert found["school_start"].attributed_to == "reception_unit"


def test_a_breached_school_start_after_a_breached_notice_is_the_reception_units():
    found = deadlines(school_case(), at(2026, 4, 10))
    assert found["notify_parties"].status == "breached"
    assert found["school_start"].status == "breached"
    assert found["school_start"].attributed_to == "reception_unit"


def test_a_late_school_start_after_a_notice_in_time_is_the_schools():
    case = school_case(parties_notified_at=at(2026, 3, 2, 10), school_started_at=at(2026, 4, 15, 8))
    found = deadlines(case, at(2026, 4, 20))
    assert found["notify_parties"].status == "met"
    assert (found["school_start"].status, found["school_start"].attributed_to) == ("late", "school")


def test_met_and_open_deadlines_are_attributed_to_no_one():
    late_notice = school_case(parties_notified_at=at(2026, 3, 4, 10))
    open_start = deadlines(late_notice, at(2026, 3, 20))["school_start"]
    assert (open_start.status, open_start.attributed_to) == ("open", None)
    met_start = deadlines(replace(late_notice, school_started_at=at(2026, 3, 30)), at(2026, 4, 20))["school_start"]
    assert (met_start.status, met_start.attributed_to) == ("met", None)


def test_a_child_already_in_school_before_the_expected_arrival_date_meets_school_start():
    case = school_case(parties_notified_at=at(2026, 3, 2, 10), school_started_at=at(2026, 3, 4, 8), school_state="started")
    assert deadlines(case, at(2026, 5, 1))["school_start"].status == "met"


# --- a region's own rule file -------------------------------------------------------------------


def test_a_region_override_changes_only_the_value_it_names(tmp_path):
    path = tmp_path / "region.toml"
    path.write_text("[book_health_conversation]\nworking_days = 3\n", encoding="utf-8")
    rules = load_rules(path)

    assert set(rules) == set(RULES)
    assert rules["book_health_conversation"] == replace(RULES["book_health_conversation"], working_days=3)
    assert {k: v for k, v in rules.items() if k != "book_health_conversation"} == {
        k: v for k, v in RULES.items() if k != "book_health_conversation"
    }
    case = make_case(notice_at=at(2025, 12, 19, 8), parties_notified_at=at(2025, 12, 19, 9))
    # Fri 19 Dec + 3 working days: Mon 22, Tue 23, (julafton .. Sun 28 closed) Mon 29
    assert deadlines(case, at(2025, 12, 19, 10), rules)["book_health_conversation"].due == end_of(2025, 12, 29)


def test_a_region_may_move_the_notice_cutoff(tmp_path):
    path = tmp_path / "region.toml"
    path.write_text('[notify_parties]\ncutoff = "15:00"\n', encoding="utf-8")
    rules = load_rules(path)
    assert rules["notify_parties"].cutoff == time(15)
    notice = at(2026, 3, 2, 15, 30)
    assert deadlines(make_case(notice_at=notice), notice, rules)["notify_parties"].due == end_of(2026, 3, 3)


def test_the_bundled_rules_are_used_without_a_region_file():
    assert load_rules(None) == RULES
    assert RULES["book_health_conversation"].working_days == 5
    assert RULES["notify_parties"].cutoff == time(16)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[book_health_conversations]\nworking_days = 3\n", id="unknown-rule"),
        pytest.param("[book_health_conversation\nworking_days = 3\n", id="unclosed-table"),
        pytest.param("[book_health_conversation]\nworking_days = \n", id="missing-value"),
        pytest.param("[book_health_conversation]\nwokring_days = 3\n", id="unknown-key"),
        pytest.param('[book_health_conversation]\nstarts = "moonrise"\n', id="unknown-start"),
    ],
)
def test_an_unknown_rule_or_a_malformed_region_file_is_bad_input(tmp_path, text):
    path = tmp_path / "region.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput):
        load_rules(path)


def test_a_missing_region_file_is_bad_input(tmp_path):
    with pytest.raises(BadInput):
        load_rules(tmp_path / "no-such-file.toml")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('[notify_parties]\ncutoff = "4pm"\n', id="bad-cutoff"),
        pytest.param("book_health_conversation = 3\n", id="rule-not-a-table"),
        pytest.param('[book_health_conversation]\nworking_days = "three"\n', id="working-days-not-a-number"),
    ],
)
def test_a_region_file_with_a_malformed_value_is_bad_input(tmp_path, text):
    path = tmp_path / "region.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BadInput):
        load_rules(path)


# --- properties ----------------------------------------------------------------------------------

stockholm_times = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31, 23, 59, 59),
    timezones=st.just(STOCKHOLM), allow_imaginary=False,
)


@PROPERTY
@given(informed=stockholm_times)
def test_the_booking_is_always_due_at_the_end_of_the_fifth_working_day_after_the_hc_is_informed(informed):
    case = make_case(notice_at=informed, parties_notified_at=informed)
    booking = deadlines(case, informed)["book_health_conversation"]
    local_due = booking.due.astimezone(STOCKHOLM)
    assert local_due.time() == time(23, 59, 59)
    assert CAL.is_working_day(local_due.date())
    assert booking.due >= informed
    assert CAL.between(informed.date(), local_due.date()) == 5


@PROPERTY
@given(notice=stockholm_times)
def test_the_notice_is_due_on_a_working_day_the_same_day_exactly_when_it_came_in_working_hours(notice):
    notify = deadlines(make_case(notice_at=notice), notice)["notify_parties"]
    local_due = notify.due.astimezone(STOCKHOLM)
    assert local_due.time() == time(23, 59, 59)
    assert CAL.is_working_day(local_due.date())
    same_day = CAL.is_working_day(notice.date()) and notice.time() < time(16)
    assert (local_due.date() == notice.date()) is same_day
    if not same_day:
        assert local_due.date() == CAL.next_working_day(notice.date(), inclusive=False)


@st.composite
def cases_and_times(draw):
    """An invented case with any subset of its milestones, and two evaluation times after them."""
    notice = draw(stockholm_times)
    moments = [notice]

    def maybe_after(base, days=45):
        if base is None or draw(st.booleans()):
            return None
        moment = base + timedelta(minutes=draw(st.integers(0, days * 24 * 60)))
        moments.append(moment)
        return moment

    notified = maybe_after(notice, 5)
    booked = maybe_after(notified, 15)
    samples = maybe_after(booked, 30)
    results = maybe_after(samples, 30)
    examined = maybe_after(maybe_after(results, 10), 30)
    changed = maybe_after(notified, 30)
    already = draw(st.booleans())
    previous = draw(st.sampled_from([None, "yes", "no", "unknown"])) if already else None
    school_id = draw(st.sampled_from([None, "school-bracke-1"]))
    case = make_case(
        birth_date=draw(st.dates(min_value=notice.date() - timedelta(days=18 * 365), max_value=notice.date())),
        notice_at=notice,
        arrival=draw(st.none() | st.dates(min_value=notice.date() - timedelta(days=30),
                                          max_value=notice.date() + timedelta(days=60))),
        already_in_sweden=already,
        previous_screening=previous,
        previous_verified_at=maybe_after(notice, 10) if previous else None,
        parties_notified_at=notified,
        arrival_changed_at=changed,
        renotified_at=maybe_after(changed, 3),
        conversation_booked_at=booked,
        samples_taken_at=samples,
        results_received_at=results,
        family_informed_at=maybe_after(results, 5),
        reception_informed_at=maybe_after(results, 5),
        examination_booked_at=maybe_after(results, 5),
        examined_at=examined,
        vaccination_plan_at=maybe_after(examined, 60),
        school_id=school_id,
        school_state=draw(st.sampled_from(["not_started", "started"])) if school_id else "not_started",
        preschool_id=draw(st.sampled_from([None, "preschool-bracke-1"])),
        school_started_at=maybe_after(notice, 60),
        declined_at=maybe_after(notice, 60),
        ended_at=maybe_after(notice, 90),
    )
    first = max(moments) + timedelta(minutes=draw(st.integers(0, 60 * 24 * 60)))
    later = first + timedelta(minutes=draw(st.integers(0, 2 * 365 * 24 * 60)))
    return case, first, later


@PROPERTY
@given(cases_and_times())
def test_every_status_is_one_of_the_five_the_contract_names(generated):
    case, first, later = generated
    assert STATUSES == ("open", "met", "late", "breached", "cancelled")
    for now in (first, later):
        for deadline in evaluate(case, RULES, CAL, now):
            assert deadline.status in STATUSES
            assert (deadline.met_at is not None) == (deadline.status in ("met", "late"))
            assert (deadline.attributed_to is not None) == (deadline.status in ("late", "breached"))


@PROPERTY
@given(cases_and_times())
def test_a_met_late_or_cancelled_deadline_stays_so_whenever_it_is_evaluated_later(generated):
    case, first, later = generated
    assume(later > first)
    before = deadlines(case, first)
    after = deadlines(case, later)
    for rule, deadline in before.items():
        if deadline.status in FINAL_STATUSES:
            assert rule in after
            assert after[rule].status == deadline.status
            assert after[rule].met_at == deadline.met_at


# --- reminder times (the sweep reminds the owner from the working day before a hard deadline) ---


@pytest.mark.parametrize("due_day, reminded_from", [
    (date(2026, 11, 30), date(2026, 11, 27)),  # a Monday due: from the Friday (and over the weekend)
    (date(2026, 11, 26), date(2026, 11, 25)),  # a Thursday due: from the Wednesday
    (date(2027, 3, 30), date(2027, 3, 25)),  # the Tuesday after Easter: from Maundy Thursday
    (date(2026, 6, 22), date(2026, 6, 18)),  # the Monday after midsommar: from the Thursday before
])
def test_a_hard_deadline_is_reminded_from_the_start_of_the_day_before_its_working_day(due_day, reminded_from):
    from workflows.deadlines import remind_time

    due = datetime.combine(due_day, time(23, 59, 59), STOCKHOLM)
    assert remind_time(RULES["book_health_conversation"], due, CAL) == datetime.combine(reminded_from, time(0),
                                                                                         STOCKHOLM)


def test_the_18th_birthday_is_reminded_30_days_before_and_soft_targets_not_at_all():
    from workflows.deadlines import remind_time

    due = end_of(2027, 4, 1)
    assert remind_time(RULES["turns_18"], due, CAL) == due - timedelta(days=30)
    assert remind_time(RULES["school_start"], due, CAL) is None


@PROPERTY
@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)))
def test_a_reminder_time_is_the_first_moment_whose_next_working_day_reaches_the_due(day):
    from workflows.deadlines import remind_time

    due = datetime.combine(day, time(23, 59, 59), STOCKHOLM)
    remind = remind_time(RULES["inform_family"], due, CAL).date()
    assert remind <= day
    assert CAL.add(remind, 1) >= day > CAL.add(remind - timedelta(days=1), 1)
