"""The domain: a child's case and the people acting on it. Plain objects, no I/O, no clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from screening.errors import Refused

IDENTIFIERS = ("personnummer", "samordningsnummer", "dossier")


def case_id(text: str) -> str:
    """A case id as typed or read aloud (`sc-8358mfnm`, ` SC-8358MFNM `): as the product writes it."""
    return text.strip().upper()


@dataclass(frozen=True)
class Actor:
    """The user acting, with what their organisation decides about their scope."""

    user_id: str
    role: str
    org_id: str
    org_kind: str
    municipality: str | None


@dataclass
class Case:
    """One case per child (agreement: "The child's case"); minimal by design."""

    id: str
    municipality: str
    birth_date: date
    notice_at: datetime
    health_state: str
    school_state: str = "not_started"
    vaccination_state: str = "not_started"
    version: int = 1
    name: str | None = None
    personnummer: str | None = None
    samordningsnummer: str | None = None
    dossier: str | None = None
    language: str | None = None
    interpreter: bool = False
    unaccompanied: bool = False
    permit: str | None = None
    arrival: date | None = None
    already_in_sweden: bool = False
    health_centre_id: str | None = None
    school_id: str | None = None
    preschool_id: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # health track milestones (steps 2-9, B)
    parties_notified_at: datetime | None = None  # the HC informed: the booking clock starts
    hc_informed_at: datetime | None = None  # a health centre assigned after that was told: its clock starts
    arrival_changed_at: datetime | None = None
    renotified_at: datetime | None = None
    previous_screening: str | None = None  # yes | no | unknown (B)
    previous_verified_at: datetime | None = None
    conversation_start: datetime | None = None
    conversation_booked_at: datetime | None = None  # the first booking (step 3's deadline)
    samples_taken_at: datetime | None = None
    results_received_at: datetime | None = None
    obstacle: bool | None = None
    family_informed_at: datetime | None = None
    reception_informed_at: datetime | None = None
    examination_start: datetime | None = None
    examination_booked_at: datetime | None = None
    examined_at: datetime | None = None
    consent_given_by: str | None = None
    consent_scope: str | None = None
    consent_at: datetime | None = None
    shared_at: datetime | None = None
    declined_at: datetime | None = None
    declined_by: str | None = None
    ended_at: datetime | None = None  # moved out or closed
    # school track (steps 4, 8, 9)
    intro_invited_at: datetime | None = None
    intro_held_at: datetime | None = None
    intro_plan_at: datetime | None = None
    school_started_at: datetime | None = None
    preschool_started_at: datetime | None = None
    postponed_at: datetime | None = None
    # vaccination track (vacc 1-2)
    records_requested_at: datetime | None = None
    vaccination_status: str | None = None  # complete | missing | unknown
    assessed_at: datetime | None = None
    vaccination_plan_at: datetime | None = None
    vaccination_plan_unit: str | None = None
    doses_given: int = 0
    vaccinations_done_at: datetime | None = None
    # what happened, for the unit of work: medical notes and other records written with the case
    events: list = field(default_factory=list, compare=False, repr=False)

    def identifiers(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in IDENTIFIERS if getattr(self, k)}

    def attach_identifiers(self, given: dict[str, str]) -> list[str]:
        """Add identifiers the case lacks (B: a personnummer arrives after the dossier number).

        Returns the names added; a different value for one the case already has is a conflict.
        """
        added = []
        for key, value in given.items():
            current = getattr(self, key)
            if current is None:
                setattr(self, key, value)
                added.append(key)
            elif current != value:
                raise IdentityConflict("the case already has a different {number}", number=key)
        return added


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit trail: who did or read what, to which case, when (and when recorded)."""

    case_id: str | None
    action: str
    event: str | None
    at: datetime
    recorded_at: datetime
    user_id: str  # the organisation is the user's (a user never changes organisation)
    detail: dict | None = None


class IdentityConflict(Refused):
    """An identity number the case has already, with another value."""


def age_on(birth_date: date, day: date) -> int:
    years = day.year - birth_date.year
    return years - ((day.month, day.day) < (birth_date.month, birth_date.day))
