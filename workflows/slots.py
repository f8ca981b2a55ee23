"""Free appointment times at a health centre: within its hours for newly arrived children, on
working days only, where fewer appointments than its capacity run at once. Pure: it takes the
hours, the appointments already booked and the calendar; the caller reads them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Iterator

from screening.clock import STOCKHOLM

STEP = timedelta(minutes=15)  # appointments start on the quarter hour


def free_starts(appointments, length: timedelta, booked: list[tuple[datetime, datetime]], calendar,
                since: datetime, until: datetime) -> Iterator[datetime]:
    """Every start from `since` up to `until` at which an appointment of `length` fits the hours and
    the capacity, in time order (local Europe/Stockholm times, aware)."""
    day = since.astimezone(STOCKHOLM).date()
    while datetime.combine(day, time(0), STOCKHOLM) < until:
        if calendar.is_working_day(day):
            for opens, closes in appointments.hours.get(day.weekday(), ()):
                yield from _in_span(day, opens, closes, length, booked, appointments.capacity, since, until)
        day += timedelta(days=1)


def _in_span(day: date, opens: time, closes: time, length: timedelta, booked, capacity: int,
             since: datetime, until: datetime) -> Iterator[datetime]:
    start, last = datetime.combine(day, opens, STOCKHOLM), datetime.combine(day, closes, STOCKHOLM) - length
    while start <= last:
        if since <= start < until and room(start, start + length, booked, capacity):
            yield start
        start += STEP


def within_hours(appointments, start: datetime, length: timedelta, calendar) -> bool:
    """Whether an appointment of `length` at `start` lies on a working day within the centre's hours."""
    local = start.astimezone(STOCKHOLM)
    if not calendar.is_working_day(local.date()):
        return False
    ends = (local + length).time()
    return any(opens <= local.time() and local.date() == (local + length).date() and ends <= closes
               for opens, closes in appointments.hours.get(local.weekday(), ()))


def room(starts: datetime, ends: datetime, booked: list[tuple[datetime, datetime]], capacity: int) -> bool:
    """Whether fewer than `capacity` appointments run at every moment of [starts, ends)."""
    overlapping = [(s, e) for s, e in booked if s < ends and e > starts]
    if len(overlapping) < capacity:
        return True
    moments = {starts} | {s for s, _ in overlapping if starts < s < ends}  # the count changes only at a start
    return all(sum(1 for s, e in overlapping if s <= moment < e) < capacity for moment in moments)


def first_free(appointments, length: timedelta, booked, calendar, since: datetime, due: datetime,
               horizon: timedelta = timedelta(days=60)) -> tuple[datetime | None, bool]:
    """The earliest free start from `since`, preferring one before the deadline `due`:
    (start, in time); (None, False) when none lies within the horizon."""
    start = next(free_starts(appointments, length, booked, calendar, since, since + horizon), None)
    if start is None:
        return None, False
    return start, start + length <= due
