"""iCalendar (RFC 5545) for bookings: a health centre's feed and e-mail invitations (RFC 5546).

A calendar leaves the case system: it is synced to phones, shown on shared screens, forwarded.
So it names the case by its id and the child by initials only, never by full name, identity
number or anything medical. `Appointment` is the one way in: it has no field for more, and it
refuses initials that are not initials, so that a full name cannot be slipped in by mistake.

Each booking keeps one UID for life and a SEQUENCE that rises with every change (table
`booking`), which is how a calendar client knows that a rebooking or a cancellation replaces
the entry it already has rather than adding a second one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Iterable, Mapping, Sequence

from icalendar import Calendar, Event, Timezone, vCalAddress, vText

from screening import clock
from screening.directory import Organisation
from screening.languages import language_name

PRODID = "-//screening//Bokningar halsoundersokning//SV"  # ASCII: some clients are strict here
SUMMARIES = {"conversation": "Hälsosamtal med provtagning", "examination": "Läkarundersökning"}
STATUSES = {"booked": "CONFIRMED", "cancelled": "CANCELLED"}
# An iTIP method and the booking status it announces: a REQUEST for a cancelled booking (or a
# CANCEL for a booked one) would tell the recipient the opposite of what the database says.
METHODS = {"REQUEST": "booked", "CANCEL": "cancelled"}

_INITIALS = re.compile(r"[^\W\d_]\.(?: [^\W\d_]\.)*")
_CASE_ID = re.compile(r"SC-[0-9A-Z]{1,13}")


def initials(name: str | None) -> str | None:
    """'Amira Hassan' -> 'A. H.': the first letter of each part of the name; None without one."""
    letters = [next((ch for ch in part if ch.isalpha()), "") for part in (name or "").split()]
    found = [f"{letter.upper()[0]}." for letter in letters if letter]
    return " ".join(found) or None


@dataclass(frozen=True, slots=True)
class Appointment:
    """All a calendar may know of a booking. Frozen and slotted: nothing else can ride along."""

    uid: str
    sequence: int
    kind: str  # conversation | examination
    status: str  # booked | cancelled
    starts: datetime  # aware
    ends: datetime
    updated_at: datetime
    case_id: str
    initials: str | None  # the child's, e.g. "A. H."; None when the case has no name
    municipality: str  # whose reception unit escorts the child
    interpreter: str | None = None  # the language, when an interpreter is booked
    simulation: bool = False  # a simulation's entry says so in its title

    def __post_init__(self) -> None:
        if self.kind not in SUMMARIES or self.status not in STATUSES:
            raise ValueError(f"unknown booking kind or status: {self.kind!r}, {self.status!r}")
        if not _CASE_ID.fullmatch(self.case_id):
            raise ValueError("case_id must be a case id (SC-…)")
        if self.initials is not None and not _INITIALS.fullmatch(self.initials):
            raise ValueError("initials must be initials only, e.g. 'A. H.'")
        if any(t.tzinfo is None for t in (self.starts, self.ends, self.updated_at)):
            raise ValueError("booking times must be aware")

    @classmethod
    def from_row(cls, row: Mapping, simulation: bool = False) -> "Appointment":
        """From a booking row joined with its case's id, name and municipality (times as stored):
        the name becomes initials here and goes no further."""
        return cls(uid=row["uid"], sequence=int(row["sequence"]), kind=row["kind"], status=row["status"],
                   starts=clock.from_db(row["starts"]), ends=clock.from_db(row["ends"]),
                   updated_at=clock.from_db(row["updated_at"]), case_id=row["case_id"],
                   initials=initials(row["name"]), municipality=row["municipality"],
                   interpreter=row["interpreter"], simulation=simulation)


def summary(appointment: Appointment) -> str:
    """'Hälsosamtal med provtagning: SC-ABCD2345 (A. H.)'; a simulation's begins 'SIMULERING: '."""
    child = f" ({appointment.initials})" if appointment.initials else ""
    marked = "SIMULERING: " if appointment.simulation else ""
    return f"{marked}{SUMMARIES[appointment.kind]}: {appointment.case_id}{child}"


def description(appointment: Appointment) -> str:
    lines = [f"Tolk: {language_name(appointment.interpreter)}"] if appointment.interpreter else []
    lines.append(f"Mottagningsenheten i {appointment.municipality} följer med barnet.")
    return "\n".join(lines)


def location(centre: Organisation) -> str:
    return ", ".join(part for part in (centre.name, centre.address) if part)


def booking_event(appointment: Appointment, centre: Organisation) -> Event:
    """One VEVENT. Times in Europe/Stockholm (TZID), so that clients show the health centre's
    wall-clock time whatever their own zone; DTSTAMP is when the booking last changed, which
    keeps a feed's bytes the same until something in it does."""
    return Event.new(
        uid=appointment.uid, sequence=appointment.sequence,
        stamp=appointment.updated_at.astimezone(timezone.utc),
        start=clock.local(appointment.starts), end=clock.local(appointment.ends),
        status=STATUSES[appointment.status], summary=summary(appointment),
        location=location(centre), description=description(appointment))


def vcalendar(events: Sequence[Event], method: str | None = None, name: str | None = None) -> Calendar:
    """A VCALENDAR around the events with the VTIMEZONE they use, generated from zoneinfo."""
    calendar = Calendar()
    calendar.prodid, calendar.version, calendar.calscale = PRODID, "2.0", "GREGORIAN"
    calendar.method = method  # None: no METHOD, as a stored calendar object must not carry one
    # As TEXT (RFC 5545 3.3.11): icalendar types NAME and X-WR-CALNAME of a VCALENDAR as unknown and
    # writes them unescaped, so a line break in a centre's name would break the file (a stored directory
    # may be older than the rule that refuses one); as vText it is written \n, like SUMMARY and LOCATION.
    calendar.calendar_name = None if name is None else vText(name)
    for event in events:
        calendar.add_component(event)
    first, last = _years(events)
    calendar.add_missing_timezones(first_date=first, last_date=last)
    if not calendar.timezones:  # an empty feed: RFC 5545 wants one component at least
        calendar.add_component(Timezone.from_tzid(clock.STOCKHOLM.key))
    return calendar


def _years(events: Iterable[Event]) -> tuple[date, date]:
    """Whole years around the events: the VTIMEZONE then lists only the changes that matter
    (the default range, 1970-2038, is long in every invitation and ends too soon)."""
    years = [clock.local(t).year for event in events for t in (event.start, event.end)]
    if not years:
        return Timezone.DEFAULT_FIRST_DATE, Timezone.DEFAULT_LAST_DATE
    return date(min(years), 1, 1), date(max(years) + 1, 1, 1)


def feed(appointments: Iterable[Appointment], centre: Organisation, simulation: bool = False) -> bytes:
    """A health centre's bookings, booked and cancelled, as one calendar to publish or subscribe
    to. Cancelled ones stay (STATUS:CANCELLED) so that a client that has the entry removes it."""
    ordered = sorted(appointments, key=lambda a: (a.starts, a.uid))
    events = [booking_event(a, centre) for a in ordered]
    marked = "SIMULERING – " if simulation else ""
    return vcalendar(events, name=f"{marked}Bokningar: {centre.name}").to_ical()


def invitation(appointment: Appointment, centre: Organisation, *, attendees: Sequence[str],
               method: str = "REQUEST") -> bytes:
    """An iTIP message for e-mail (send as text/calendar; method=…): the health centre organises,
    `attendees` (e-mail addresses, e.g. the reception unit's) are invited or told it is off.
    RFC 5546 wants an ORGANIZER and at least one ATTENDEE in both REQUEST and CANCEL."""
    if METHODS.get(method) != appointment.status:
        raise ValueError(f"a {method} cannot announce a {appointment.status} booking")
    if not centre.email or not attendees:
        raise ValueError("an invitation needs the health centre's e-mail and at least one attendee")
    event = booking_event(appointment, centre)
    event.organizer = vCalAddress.new(centre.email, cn=centre.name)
    event.attendees = [vCalAddress.new(address, role="REQ-PARTICIPANT", partstat="NEEDS-ACTION", rsvp=False)
                       for address in attendees]
    return vcalendar([event], method=method).to_ical()


def centre_appointments(bookings, health_centre_id: str, simulation: bool = False) -> list[Appointment]:
    """A health centre's bookings, booked and cancelled, by start (`bookings`: the unit of work's)."""
    return [Appointment.from_row(row, simulation) for row in bookings.appointments(health_centre_id)]


def case_appointment(bookings, case_id: str, kind: str, simulation: bool = False) -> Appointment | None:
    """A case's booking of a kind, for its invitation; None if never booked."""
    row = bookings.appointment(case_id, kind)
    return None if row is None else Appointment.from_row(row, simulation)
