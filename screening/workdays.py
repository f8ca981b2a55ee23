"""The Swedish working-day calendar used by every deadline.

A working day is Monday-Friday that is not an allmän helgdag (lag (1989:253)) and not
midsommarafton, julafton or nyårsafton (lag (1930:173) 2 §; semesterlagen 3 a §).
The half-days (trettondagsafton, skärtorsdagen, valborgsmässoafton, the day before
Kristi himmelsfärd, allhelgonaafton) are working days.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
_DAY = timedelta(days=1)


class WorkingDays:
    """Swedish working days, plus any days the region declares closed."""

    def __init__(self, extra_closed: Iterable[date] = ()) -> None:
        self._extra_closed = frozenset(extra_closed)
        self._years: dict[int, dict[date, str]] = {}

    def _year(self, year: int) -> dict[date, str]:
        names = self._years.get(year)
        if names is None:
            import holidays  # lazy: keeps CLI start-up fast

            # "de_facto" adds midsommarafton, julafton and nyårsafton (2 § lag 1930:173)
            calendar = holidays.country_holidays(
                "SE",
                years=year,
                categories=("public", "de_facto"),
                language="sv",
                include_sundays=False,
            )
            names = self._years[year] = dict(calendar.items())
        return names

    def holiday_name(self, d: date) -> str | None:
        """The Swedish name of the holiday on d, or None."""
        return self._year(d.year).get(d)

    def is_working_day(self, d: date) -> bool:
        if d.weekday() >= 5 or d in self._extra_closed:
            return False
        return d not in self._year(d.year)

    def next_working_day(self, d: date, *, inclusive: bool = True) -> date:
        """d itself if it is a working day and inclusive, else the next working day."""
        if not inclusive:
            d += _DAY
        while not self.is_working_day(d):
            d += _DAY
        return d

    def add(self, d: date, n: int) -> date:
        """The n-th working day strictly after d; add(d, 0) == d."""
        if n < 0:
            raise ValueError("n must be 0 or more")
        for _ in range(n):
            d = self.next_working_day(d, inclusive=False)
        return d

    def between(self, start: date, end: date) -> int:
        """The number of working days in (start, end]; 0 if end <= start."""
        count = 0
        d = start + _DAY
        while d <= end:
            if self.is_working_day(d):
                count += 1
            d += _DAY
        return count


@functools.cache
def default_calendar() -> WorkingDays:
    """The shared calendar without regional closed days."""
    return WorkingDays()


def end_of_day(d: date) -> datetime:
    """d at 23:59:59 Europe/Stockholm (aware): the moment a deadline on d expires."""
    return datetime.combine(d, time(23, 59, 59), tzinfo=STOCKHOLM)
