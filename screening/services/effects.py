"""What follows from what an event recorded (`workflows.events`: `Note`, `Booked`, `Cancelled`),
carried out in the event's unit of work: the handlers, wired in one table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from screening.model import Actor, Case
from workflows import bookings
from workflows.records import Booked, Cancelled, Note


@dataclass(frozen=True)
class Step:
    """The event being carried out: its unit of work, case, actor and times."""

    uow: object
    case: Case
    actor: Actor
    at: datetime
    recorded_at: datetime


def store_note(step: Step, note: Note) -> None:
    """Medical and confidential text, apart from the case: read only by the roles that may."""
    step.uow.notes.add(step.case.id, note.kind, note.text, step.at, step.actor.user_id)


def book_appointment(step: Step, booked: Booked) -> None:
    """The appointment at the centre (room checked), its calendar entry queued, the family's letter
    made (step 3: "kallas brevledes av HC")."""
    bookings.book(step.uow, step.case, booked.kind, booked.start, step.recorded_at)
    bookings.publish(step.uow, step.case.id, (booked.kind,), step.recorded_at)
    keep_letter(step, booked.kind)


def keep_letter(step: Step, kind: str) -> None:
    """The letter for the booking as it now stands, kept with its sequence (the earlier superseded)."""
    from notifications.letters import facts

    uow = step.uow
    booking = uow.bookings.get(step.case.id, kind)
    centre = uow.directory.organisation_record(booking["health_centre_id"])
    uow.letters.keep(step.case.id, kind, booking["sequence"], facts(step.case, booking, centre,
                                                                    uow.directory.region_name()), step.recorded_at)


def cancel_appointments(step: Step, cancelled: Cancelled) -> None:
    """The appointments cancelled (those still to come, for a case that ends), calendars told, their
    letters superseded."""
    step.uow.bookings.cancel(step.case.id, cancelled.kinds, step.recorded_at, after=cancelled.after)
    bookings.publish(step.uow, step.case.id, cancelled.kinds, step.recorded_at)
    for kind in cancelled.kinds:
        row = step.uow.bookings.get(step.case.id, kind)
        if row is not None and row["status"] == "cancelled":
            step.uow.letters.supersede(step.case.id, kind, step.recorded_at)


HANDLERS = {
    Note: [store_note],
    Booked: [book_appointment],
    Cancelled: [cancel_appointments],
}


def carry_out(step: Step) -> None:
    """Everything the event left on the case, in the order it happened; then the case forgets it."""
    for happened in step.case.events:
        for handler in HANDLERS[type(happened)]:
            handler(step, happened)
    step.case.events.clear()
