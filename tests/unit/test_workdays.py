from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screening.workdays import WorkingDays, default_calendar, end_of_day

BOOKING_DAYS = 5  # agreement: book the health conversation within 5 working days
CAL = default_calendar()
dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
counts = st.integers(min_value=0, max_value=60)


def booking_due(informed: date) -> date:
    return CAL.add(informed, BOOKING_DAYS)


@pytest.mark.parametrize(
    ("informed", "due"),
    [
        (date(2025, 12, 19), date(2026, 1, 2)),
        (date(2025, 6, 18), date(2025, 6, 26)),
        (date(2025, 12, 23), date(2026, 1, 7)),
        (date(2026, 12, 23), date(2027, 1, 5)),
        (date(2027, 3, 25), date(2027, 4, 5)),
    ],
)
def test_booking_due_matches_the_agreements_worked_examples(informed, due):
    assert booking_due(informed) == due


def test_booking_due_skips_midsommarafton():
    assert not CAL.is_working_day(date(2025, 6, 20))
    assert booking_due(date(2025, 6, 18)) == date(2025, 6, 26)


def test_booking_due_skips_langfredagen_and_annandag_pask():
    assert booking_due(date(2027, 3, 25)) == date(2027, 4, 5)
    assert CAL.between(date(2027, 3, 25), date(2027, 4, 5)) == BOOKING_DAYS


@pytest.mark.parametrize(
    "d", [date(2025, 6, 21), date(2025, 6, 22), date(2026, 3, 7), date(2026, 3, 8)]
)
def test_saturdays_and_sundays_are_not_working_days(d):
    assert not CAL.is_working_day(d)


@pytest.mark.parametrize(
    "d",
    [
        date(2025, 6, 20),  # midsommarafton
        date(2025, 12, 24),  # julafton
        date(2025, 12, 31),  # nyårsafton
        date(2026, 1, 1),  # nyårsdagen
        date(2025, 1, 6),  # trettondedag jul
        date(2025, 4, 18),  # långfredagen
        date(2025, 4, 21),  # annandag påsk
        date(2025, 5, 1),  # första maj
        date(2025, 5, 29),  # Kristi himmelsfärdsdag
        date(2025, 6, 6),  # nationaldagen
        date(2025, 12, 25),  # juldagen
        date(2025, 12, 26),  # annandag jul
    ],
)
def test_aftnar_and_public_holidays_on_weekdays_are_not_working_days(d):
    assert d.weekday() < 5
    assert not CAL.is_working_day(d)


@pytest.mark.parametrize(
    "d",
    [
        date(2026, 1, 5),  # trettondagsafton
        date(2025, 4, 17),  # skärtorsdagen
        date(2026, 4, 2),  # skärtorsdagen
        date(2025, 4, 30),  # valborgsmässoafton
        date(2026, 4, 30),  # valborgsmässoafton
        date(2025, 5, 28),  # the day before Kristi himmelsfärd
        date(2026, 5, 13),  # the day before Kristi himmelsfärd
        date(2025, 10, 31),  # allhelgonaafton
        date(2026, 10, 30),  # allhelgonaafton
    ],
)
def test_the_half_days_are_working_days(d):
    assert CAL.is_working_day(d)
    assert CAL.holiday_name(d) is None


def test_holiday_name_gives_the_swedish_name():
    assert CAL.holiday_name(date(2025, 6, 20)) == "Midsommarafton"
    assert CAL.holiday_name(date(2025, 12, 24)) == "Julafton"
    assert CAL.holiday_name(date(2025, 12, 31)) == "Nyårsafton"
    assert CAL.holiday_name(date(2027, 3, 26)) == "Långfredagen"
    assert CAL.holiday_name(date(2025, 6, 18)) is None


def test_a_sunday_is_not_named_a_holiday():
    assert CAL.holiday_name(date(2025, 6, 22)) is None


def test_extra_closed_days_are_not_working_days():
    closed = date(2025, 6, 19)
    cal = WorkingDays(extra_closed=[closed])
    assert not cal.is_working_day(closed)
    assert CAL.is_working_day(closed)
    assert cal.add(date(2025, 6, 18), 1) == date(2025, 6, 23)


def test_add_zero_is_the_same_day_even_on_a_holiday():
    assert CAL.add(date(2025, 12, 24), 0) == date(2025, 12, 24)


def test_add_refuses_a_negative_count():
    with pytest.raises(ValueError):
        CAL.add(date(2025, 1, 2), -1)


def test_next_working_day_is_the_day_itself_only_when_inclusive():
    monday = date(2025, 6, 23)
    assert CAL.next_working_day(monday) == monday
    assert CAL.next_working_day(monday, inclusive=False) == date(2025, 6, 24)
    assert CAL.next_working_day(date(2025, 6, 20)) == monday


def test_between_is_zero_when_end_is_not_after_start():
    assert CAL.between(date(2025, 6, 23), date(2025, 6, 23)) == 0
    assert CAL.between(date(2025, 6, 24), date(2025, 6, 23)) == 0


def test_end_of_day_is_the_last_second_in_stockholm():
    end = end_of_day(date(2025, 6, 20))
    assert end == datetime(2025, 6, 20, 23, 59, 59, tzinfo=ZoneInfo("Europe/Stockholm"))
    assert end.utcoffset() == timedelta(hours=2)
    assert end_of_day(date(2025, 12, 19)).utcoffset() == timedelta(hours=1)


def test_default_calendar_is_shared():
    assert default_calendar() is default_calendar()


@given(dates, st.integers(min_value=1, max_value=60))
def test_add_lands_on_a_working_day(d, n):
    assert CAL.is_working_day(CAL.add(d, n))


@given(dates, counts, counts)
def test_add_composes(d, n, m):
    assert CAL.add(CAL.add(d, n), m) == CAL.add(d, n + m)


@given(dates, counts)
def test_add_never_goes_back_and_between_counts_it(d, n):
    due = CAL.add(d, n)
    assert due >= d
    assert CAL.between(d, due) == n


@given(dates)
def test_next_working_day_is_a_working_day_not_before_the_date(d):
    nxt = CAL.next_working_day(d)
    assert nxt >= d and CAL.is_working_day(nxt)
    assert all(not CAL.is_working_day(d + timedelta(days=i)) for i in range((nxt - d).days))
