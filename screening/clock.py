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
        raise BadInput("{what}: '{text}' is not an ISO 8601 date and time (e.g. 2026-11-23T10:00)",
                       what=what, text=text) from None
    _in_range(value.date(), what)
    return value.replace(tzinfo=STOCKHOLM) if value.tzinfo is None else value


def parse_date(text: str, what: str = "date") -> date:
    try:
        value = date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise BadInput("{what}: '{text}' is not a date (YYYY-MM-DD)", what=what, text=text) from None
    return _in_range(value, what)


def _in_range(value: date, what: str) -> date:
    if value.year not in YEARS:
        raise BadInput("{what}: {value} is outside the years {first}-{last}", what=what, value=value.isoformat(),
                       first=YEARS.start, last=YEARS.stop - 1)
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


# --- times as people read them ---------------------------------------------------------------

WEEKDAYS = {"sv": ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"),
            "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}
MONTHS = {"sv": ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober",
                 "november", "december"),
          "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December")}
AT = {"sv": "kl.", "en": "at"}


def short(value: datetime | date | None, lang: str = "sv", *, year: bool = False) -> str:
    """A screen's form, local: 'ons 25 nov 10:00' ('Wed 25 Nov 10:00'); a date alone 'ons 25 nov';
    with `year`, the year after the date. Nothing: ''."""
    if value is None:
        return ""
    day = local(value) if isinstance(value, datetime) else value
    text = f"{WEEKDAYS[lang][day.weekday()][:3]} {day.day} {MONTHS[lang][day.month - 1][:3]}"
    text += f" {day.year}" if year else ""
    return f"{text} {day:%H:%M}" if isinstance(value, datetime) else text


def spoken(value: datetime | date | None, lang: str = "sv") -> str:
    """A letter's form, local and whole: 'onsdag 25 november 2026 kl. 10:00'; a date alone
    'fredag 4 december 2026'. Nothing: ''."""
    if value is None:
        return ""
    day = local(value) if isinstance(value, datetime) else value
    text = f"{WEEKDAYS[lang][day.weekday()]} {day.day} {MONTHS[lang][day.month - 1]} {day.year}"
    return f"{text} {AT[lang]} {day:%H:%M}" if isinstance(value, datetime) else text
