"""The report's building blocks against independent answers: zoneinfo for local days, Python's
`statistics` for percentiles, the deadline rule for working days; and the small-group rules."""

from __future__ import annotations

import sqlite3
import statistics as py
from datetime import date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from screening.clock import STOCKHOLM
from screening.report import figure_names, suppress
from screening.storage import statistics as stats
from screening.storage.db import RawConnection
from screening.workdays import default_calendar

EPOCH = date(1970, 1, 1)


def memory() -> RawConnection:
    return RawConnection(sqlite3.connect(":memory:", isolation_level=None), sqlite=True)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=4_102_444_799))  # 1970 to the end of 2099
def test_a_stored_second_falls_on_the_local_day_zoneinfo_gives(second):
    conn = memory()
    stats.build_zone(conn)
    day = conn.scalar(f"SELECT {stats.Dialect(True).local_day(':t')}", {"t": second})
    assert EPOCH + timedelta(days=day) == datetime.fromtimestamp(second, STOCKHOLM).date()


def test_the_offsets_change_on_the_last_sundays_of_march_and_october_at_one_utc():
    shifts = dict(stats.zone_shifts())
    summer = int(datetime.fromisoformat("2026-03-29T01:00:00+00:00").timestamp())
    winter = int(datetime.fromisoformat("2026-10-25T01:00:00+00:00").timestamp())
    assert (shifts[summer], shifts[winter]) == (7200, 3600)


def percentile_table(values: list[int]) -> RawConnection:
    conn = memory()
    columns = ", ".join(f"{day} INTEGER" for _column, day, _since in stats.DURATIONS.values())
    conn.execute(f"CREATE TABLE report_case (municipality TEXT, informed_day INTEGER, arrival_day INTEGER, {columns})")
    conn.execute("CREATE TABLE report_workday (day INTEGER PRIMARY KEY, no INTEGER)")
    conn.many("INSERT INTO report_case (municipality, arrival_day, conversation_day) VALUES ('X', 20000, 20000 + :x)",
              [{"x": x} for x in values])
    return conn


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-30, max_value=400), min_size=1, max_size=60))
def test_median_and_90th_percentile_are_those_of_a_spreadsheet(values):
    ranks = stats.percentiles(percentile_table(values), ("municipality",))[("X",)]["days_to_conversation"]
    p90 = py.quantiles(values, n=10, method="inclusive")[8] if len(values) > 1 else values[0]
    assert ranks["n"] == len(values)
    assert abs(ranks["median"] - py.median(values)) < 1e-9
    assert abs(ranks["p90"] - p90) < 1e-9


def test_the_documented_example_of_the_percentiles():
    ranks = stats.percentiles(percentile_table([4, 1, 3, 2]), ())[()]["days_to_conversation"]
    assert (ranks["median"], ranks["p90"]) == (2.5, 3.7)


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 1)), st.integers(min_value=0, max_value=30))
def test_a_booking_in_time_is_at_most_five_working_days_and_one_after_more_is_late(informed, days_later):
    """Step 3: day 0 is the day the HC is informed; due at the end of the 5th working day after.
    (A booking on the weekend after that day also shows 5, and is late.)"""
    calendar = default_calendar()
    booked = informed + timedelta(days=days_later)
    conn = memory()
    conn.execute("CREATE TABLE report_case (informed_day INTEGER, booked_day INTEGER)")
    conn.execute("INSERT INTO report_case VALUES (:i, :b)",
                 {"i": (informed - EPOCH).days, "b": (booked - EPOCH).days})
    stats.build_calendar(conn, calendar)
    source, value = stats.duration("workdays_to_booking")
    workdays = conn.scalar(f"SELECT {value} FROM {source}")
    assert workdays == calendar.between(informed, booked)
    in_time = booked <= calendar.add(informed, 5)
    assert workdays <= 5 if in_time else (workdays > 5 or not calendar.is_working_day(booked))


def group(name: str, notices: int) -> dict:
    return {"group": name, **{figure: 1 for figure in figure_names()}, "notices": notices, "level": "municipality",
            "suppressed": False}


def test_a_lone_small_group_takes_the_smallest_other_group_with_it():
    rows = [group("A", 40), group("B", 7), group("C", 2), group("D", 0)]
    suppress(rows, 5)
    assert [r["suppressed"] for r in rows] == [False, True, True, False]
    assert rows[1]["notices"] is None and rows[1]["booked_in_time"] is None and rows[3]["notices"] == 0


def test_small_groups_that_hide_each_other_hide_nothing_more():
    rows = [group("A", 40), group("B", 3), group("C", 2)]
    suppress(rows, 5)
    assert [r["suppressed"] for r in rows] == [False, True, True]


@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=12), st.integers(min_value=1, max_value=10))
def test_no_small_group_is_shown_and_the_hidden_cannot_be_told_apart(sizes, threshold):
    rows = [group(str(i), n) for i, n in enumerate(sizes)]
    suppress(rows, threshold)
    hidden = [n for n, row in zip(sizes, rows) if row["suppressed"]]
    shown = [n for n, row in zip(sizes, rows) if not row["suppressed"]]
    assert all(n == 0 or n >= threshold for n in shown)
    assert not hidden or sum(hidden) >= threshold or all(n == 0 for n in shown)
    assert all(row["notices"] is None for row in rows if row["suppressed"])
