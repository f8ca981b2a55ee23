"""A health centre's appointments: its free times, and its bookings as iCalendar."""

from __future__ import annotations

from datetime import datetime, timedelta

from screening import access, clock
from screening.errors import BadInput
from screening.model import Actor, AuditEntry


def free_times(app, actor: Actor, health_centre: str, *, since: datetime | None = None, days: int = 7,
               examination: bool = False, interpreter: bool = False) -> list[dict]:
    """The centre's free appointment times from `since` (default: now) for `days` days: its hours,
    working days and the room left; long enough for the kind of visit and an interpreter."""
    from workflows.bookings import duration
    from workflows.slots import free_starts

    start = since or app.clock.now()
    until = start + timedelta(days=days)
    with app.uow() as uow:
        centre = uow.directory.get(health_centre)
        if centre.kind != "health_centre":
            raise BadInput("'{org}' is not a health centre", org=health_centre)
        booked = uow.bookings.overlapping(centre.id, start, until + timedelta(days=1))
    length = duration(centre.appointments, "examination" if examination else "conversation", interpreter)
    return [{"start": clock.local_iso(t), "end": clock.local_iso(t + length)}
            for t in free_starts(centre.appointments, length, booked, app.settings.calendar, start, until)]


def export(app, actor: Actor, health_centre: str) -> bytes:
    """The centre's bookings as iCalendar (RFC 5545): its own staff, coordinators and admins. An
    entry names the case, the child's initials, the time and the interpreter's language: each case
    in it is recorded as read."""
    from notifications.calendar import centre_appointments, feed

    access.require_calendar(actor, health_centre)
    simulation = app.simulation
    with app.uow() as uow:
        centre = uow.directory.get(health_centre)
        if centre.kind != "health_centre":
            raise BadInput("'{org}' is not a health centre", org=health_centre)
        appointments = centre_appointments(uow.bookings, centre.id, simulation)
        now, real = app.clock.now(), app.clock.real()
        for case_id in dict.fromkeys(a.case_id for a in appointments):
            uow.audit.record(AuditEntry(case_id, "calendar", None, now, real, actor.user_id))
        uow.commit()
        return feed(appointments, centre, simulation)
