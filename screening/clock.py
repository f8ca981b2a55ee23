"""Times: Europe/Stockholm for people, UTC in storage. Nothing here reads the clock."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from screening.errors import BadInput

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# The dates a person can mean here (birth dates, arrivals, bookings, the clock). Python's own limits (years
# 1-9999) are reached by the arithmetic on them (deadlines, working days, time zones), which then fails.
YEARS = range(1900, 2200)


def parse_datetime(text: str, what: str = "time") -> datetime:
    """ISO 8601; without an offset it means Europe/Stockholm local time. A bare date is midnight."""
    try:
        value = datetime.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise BadInput(f"{what}: '{text}' is not an ISO 8601 date and time (e.g. 2026-11-23T10:00)") from None
    _in_range(value.date(), what)
    return value.replace(tzinfo=STOCKHOLM) if value.tzinfo is None else value


def parse_date(text: str, what: str = "date") -> date:
    try:
        value = date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise BadInput(f"{what}: '{text}' is not a date (YYYY-MM-DD)") from None
    return _in_range(value, what)


def _in_range(value: date, what: str) -> date:
    if value.year not in YEARS:
        raise BadInput(f"{what}: {value.isoformat()} is outside the years {YEARS.start}-{YEARS.stop - 1}")
    return value


def to_epoch(value: datetime) -> int:
    """An aware datetime as whole Unix seconds: how SQLite stores a time (sub-seconds dropped)."""
    return int(value.timestamp() // 1)


def from_db(value) -> datetime | None:
    """A stored datetime (Unix seconds or text on SQLite, naive or aware) as an aware UTC datetime."""
    if value is None:
        return None
    if isinstance(value, int):
        return datetime.fromtimestamp(value, timezone.utc)
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def date_from_db(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value[:10])


def local(value: datetime) -> datetime:
    return value.astimezone(STOCKHOLM)


def local_iso(value: datetime | None) -> str | None:
    return None if value is None else local(value).isoformat(timespec="seconds")


def local_date(value: datetime) -> date:
    return local(value).date()
