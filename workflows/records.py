"""What an event leaves on the case (`case.events`) for the service layer to carry out in the
event's unit of work (`screening/services/effects.py`): notes stored apart, appointments booked
or cancelled. Plain records: the domain says what happened, not how it is stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

APPOINTMENTS = ("conversation", "examination")


@dataclass(frozen=True)
class Note:
    """Medical or confidential text: stored apart, shown only to the roles that may read it."""

    kind: str  # results | examination | reason | dose | referral
    text: str


@dataclass(frozen=True)
class Booked:
    """The appointment of `kind` is booked (or rebooked) for `start`."""

    kind: str
    start: datetime


@dataclass(frozen=True)
class Cancelled:
    """The appointments of these kinds are cancelled (`after`: only those still to come then)."""

    kinds: tuple[str, ...]
    after: datetime | None = None
