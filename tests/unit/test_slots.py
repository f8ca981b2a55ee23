"""The slot finder: hours, working days, capacity, the deadline edge (pure, with the demo centre's hours)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from hypothesis import given, settings, strategies as st

from screening.clock import STOCKHOLM
from screening.directory import Appointments
from screening.workdays import WorkingDays
from workflows.slots import first_free, free_starts

CAL = WorkingDays()
HOURS = Appointments(capacity=2, conversation_minutes=60, conversation_minutes_interpreter=90, examination_minutes=30,
                     examination_minutes_interpreter=45,
                     hours={0: ((time(8, 30), time(11, 30)),), 3: ((time(13, 0), time(15, 30)),)})  # Mon, Thu
HOUR = timedelta(minutes=60)


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=STOCKHOLM)


def starts(booked=(), since=at(2026, 11, 23, 0), days=7, length=HOUR, hours=HOURS) -> list[datetime]:
    return list(free_starts(hours, length, list(booked), CAL, since, since + timedelta(days=days)))


def test_only_within_the_hours_on_the_quarter_hour_and_the_appointment_must_end_in_them():
    found = starts()
    assert found[0] == at(2026, 11, 23, 8, 30) and found[-1] == at(2026, 11, 26, 14, 30)
    assert at(2026, 11, 23, 10, 45) not in found  # it would end at 11:45, after the hours
    assert {t.weekday() for t in found} == {0, 3} and all(t.minute % 15 == 0 for t in found)


def test_no_time_on_a_holiday_or_julafton():
    found = starts(since=at(2026, 12, 21, 0), days=14)  # Thu 12-24 julafton, Thu 12-31 nyårsafton
    assert {t.date().isoformat() for t in found} == {"2026-12-21", "2026-12-28"}


def test_a_time_is_free_while_fewer_than_the_capacity_run_at_once():
    one = (at(2026, 11, 23, 9), at(2026, 11, 23, 10))
    assert at(2026, 11, 23, 9) in starts([one])
    assert at(2026, 11, 23, 9) not in starts([one, one])  # capacity 2: full
    assert at(2026, 11, 23, 8, 30) not in starts([one, one])  # would run into the full hour
    assert at(2026, 11, 23, 10) in starts([one, one])  # starts as they end


def test_two_appointments_that_do_not_overlap_each_other_leave_room_between():
    early, late = (at(2026, 11, 23, 8, 30), at(2026, 11, 23, 9, 30)), (at(2026, 11, 23, 9, 45), at(2026, 11, 23, 10, 45))
    full = starts([early, early, late])  # 08:30-09:30 full; 09:45-10:45 has one place left
    assert at(2026, 11, 23, 9, 15) not in full and at(2026, 11, 23, 9, 30) in full and at(2026, 11, 23, 9, 45) in full


def test_the_earliest_free_time_and_whether_it_is_before_the_deadline():
    due = at(2026, 11, 23, 23, 59, 59)
    assert first_free(HOURS, HOUR, [], CAL, at(2026, 11, 23, 7), due) == (at(2026, 11, 23, 8, 30), True)
    assert first_free(HOURS, HOUR, [], CAL, at(2026, 11, 23, 12), due) == (at(2026, 11, 26, 13), False)
    assert first_free(HOURS, HOUR, [], CAL, at(2026, 11, 23, 10, 30), at(2026, 11, 23, 11, 30)) == (
        at(2026, 11, 23, 10, 30), True)  # ending at the deadline's second is in time


def test_no_hours_no_time():
    closed = Appointments(1, 60, 90, 30, 45, hours={})
    assert first_free(closed, HOUR, [], CAL, at(2026, 11, 23, 7), at(2026, 12, 1)) == (None, False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 11), st.sampled_from([30, 60, 90])), max_size=6))
def test_no_offered_time_would_run_more_than_the_capacity_at_once(bookings):
    booked = [(at(2026, 11, 23, 8, 30) + timedelta(minutes=15 * q), at(2026, 11, 23, 8, 30) + timedelta(minutes=15 * q + m))
              for q, m in bookings]
    for start in starts(booked, since=at(2026, 11, 23, 0), days=1):
        end = start + HOUR
        for moment in [start + timedelta(minutes=5 * k) for k in range(12)]:
            running = sum(1 for s, e in booked if s <= moment < e)
            assert running < HOURS.capacity, (start, moment, booked)
        assert start.time() >= time(8, 30) and end.time() <= time(11, 30)


def test_a_fully_booked_day_offers_nothing_and_the_next_working_day_is_taken():
    monday = [(at(2026, 11, 23, 8, 30), at(2026, 11, 23, 11, 30))] * HOURS.capacity  # both places, all morning
    assert not [t for t in starts(monday) if t.date() == at(2026, 11, 23).date()]
    assert first_free(HOURS, HOUR, monday, CAL, at(2026, 11, 23, 7), at(2026, 11, 30, 23, 59)) == (
        at(2026, 11, 26, 13), True)  # Thursday afternoon, the next hours
