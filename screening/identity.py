"""Swedish identity numbers and the Migration Agency's dossier number.

Messages never echo the number itself: they may reach logs.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from screening.errors import BadInput

_NUMBER = re.compile(r"([0-9]{6}|[0-9]{8})([-+]?)([0-9]{4})", re.ASCII)
_DOSSIER = re.compile(r"([0-9]{2})-?([0-9]{6})", re.ASCII)
_COORDINATION_OFFSET = 60  # samordningsnummer: day + 60 (folkbokföringslagen 18 a §)
# A number is unique within a municipality: the coordinators' warning when it is on another municipality's case
ELSEWHERE = "identity_elsewhere"


@dataclass(frozen=True)
class PersonalNumber:
    digits: str  # YYYYMMDDNNNC
    coordination: bool  # samordningsnummer
    birth_date: date  # the real birth date

    def formatted(self) -> str:
        return f"{self.digits[:8]}-{self.digits[8:]}"


def luhn_check_digit(nine: str) -> int:
    """The check digit over YYMMDDNNN (weights 2,1,2,1,...)."""
    total = 0
    for i, ch in enumerate(nine):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return (10 - total % 10) % 10


def parse_personnummer(
    text: str, *, birth_date: date | None = None, today: date | None = None
) -> PersonalNumber:
    """A personnummer (10 or 12 digits, '-' or '+' optional); refuses a samordningsnummer."""
    return _parse(text, coordination=False, birth_date=birth_date, today=today)


def parse_samordningsnummer(
    text: str, *, birth_date: date | None = None, today: date | None = None
) -> PersonalNumber:
    """A samordningsnummer (day + 60); refuses a plain personnummer."""
    return _parse(text, coordination=True, birth_date=birth_date, today=today)


def _parse(
    text: str, *, coordination: bool, birth_date: date | None, today: date | None
) -> PersonalNumber:
    kind = "samordningsnummer" if coordination else "personnummer"
    cleaned = text.strip()
    match = _NUMBER.fullmatch(cleaned)
    if match is None:
        if re.fullmatch(r"[0-9+-]*", cleaned, re.ASCII):
            raise BadInput("{kind}: must be 10 or 12 digits, optionally with '-' or '+'", kind=kind)
        raise BadInput("{kind}: only digits and one '-' or '+' are allowed", kind=kind)
    head, separator, serial = match.groups()
    short = head[-6:] + serial
    month, day = int(short[2:4]), int(short[4:6])
    if not 1 <= month <= 12:
        raise BadInput("{kind}: {month:02d} is not a month", kind=kind, month=month)
    is_coordination = day > _COORDINATION_OFFSET
    real_day = day - _COORDINATION_OFFSET if is_coordination else day
    if not 1 <= real_day <= 31:
        raise BadInput("{kind}: {day:02d} is not a day", kind=kind, day=day)
    if luhn_check_digit(short[:9]) != int(short[9]):
        raise BadInput("{kind}: the check digit is wrong", kind=kind)
    if is_coordination and not coordination:
        raise BadInput(
            "personnummer: this is a samordningsnummer (day + 60); give it as the samordningsnummer"
        )
    if coordination and not is_coordination:
        raise BadInput("samordningsnummer: the day is not 61-91; this is a personnummer")
    year = _year(kind, head, separator, birth_date, today)
    if real_day > calendar.monthrange(year, month)[1]:
        raise BadInput("{kind}: month {month:02d} has no day {day}", kind=kind, month=month, day=real_day)
    born = date(year, month, real_day)
    if birth_date is not None and born != birth_date:
        raise BadInput("{kind}: does not match the birth date {birth_date}", kind=kind,
                               birth_date=birth_date.isoformat())
    if today is not None and born > today:
        raise BadInput("{kind}: the birth date is in the future", kind=kind)
    return PersonalNumber(f"{year:04d}{short[2:]}", is_coordination, born)


def _year(
    kind: str, head: str, separator: str, birth_date: date | None, today: date | None
) -> int:
    # '+' from the year the person turns 100 (folkbokföringslagen 18 §)
    if len(head) == 8:
        year = int(head[:4])
        if separator == "+" and today is not None and today.year - year < 100:
            raise BadInput("{kind}: '+' is only for people who turn 100 or more this year", kind=kind)
        return year
    yy = int(head[:2])
    if today is not None:
        year = today.year - (today.year - yy) % 100  # the latest year <= today ending in yy
        return year - 100 if separator == "+" else year
    if birth_date is not None:
        if birth_date.year % 100 != yy:
            raise BadInput("{kind}: does not match the birth date {birth_date}", kind=kind,
                               birth_date=birth_date.isoformat())
        return birth_date.year
    raise BadInput("{kind}: give all 12 digits (YYYYMMDD-NNNN) or the birth date", kind=kind)


def parse_dossier(text: str) -> str:
    """A dossier number: 8 digits, optionally a hyphen after the second; no check digit."""
    match = _DOSSIER.fullmatch(text.strip())
    if match is None:
        raise BadInput(
            "dossier number: must be 8 digits, optionally with a hyphen after the second"
        )
    return match.group(1) + match.group(2)


def format_dossier(digits: str) -> str:
    """'12345678' -> '12-345678'."""
    normal = parse_dossier(digits)
    return f"{normal[:2]}-{normal[2:]}"
