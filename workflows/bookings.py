"""Bookings at a health centre (steps 3, 6, 9): how long an appointment takes, whether there is
room for it, and the booking kept for the case's calendar entry (UID, SEQUENCE, cancelled)."""

from __future__ import annotations

from datetime import datetime, timedelta

from screening.errors import Refused

KIND_OF_EVENT = {"book_health_conversation": "conversation", "book_examination": "examination"}
ENDS_THE_BOOKINGS = ("decline", "move_out", "close")  # what is still to come is cancelled in calendars


def duration(appointments, kind: str, interpreter: bool) -> timedelta:
    """The health centre's length for the kind of appointment; longer with an interpreter."""
    name = f"{kind}_minutes" + ("_interpreter" if interpreter else "")
    return timedelta(minutes=getattr(appointments, name))


def uid(case_id: str, kind: str, region_id: str) -> str:
    """Never changes for the case's appointment of this kind, however often it is rebooked."""
    return f"{case_id.lower()}-{kind}@{region_id}.screening"


def after_event(uow, directory, case, event: str, params: dict, at: datetime, recorded_at: datetime) -> None:
    """Keep the case's bookings in step with the event, in its unit of work."""
    kind = KIND_OF_EVENT.get(event)
    if kind is not None:
        book(uow, directory, case, kind, params["start"], recorded_at)
    elif event == "cancel_booking":
        uow.bookings.cancel(case.id, ("conversation",), recorded_at)
    elif event in ENDS_THE_BOOKINGS:
        uow.bookings.cancel(case.id, ("conversation", "examination"), recorded_at, after=at)


def book(uow, directory, case, kind: str, starts: datetime, recorded_at: datetime) -> None:
    if case.health_centre_id is None:
        raise Refused(f"case {case.id} has no health centre to book at")
    centre = directory.get(case.health_centre_id)
    ends = starts + duration(centre.appointments, kind, case.interpreter)
    uow.bookings.lock_centre(centre.id)
    taken = uow.bookings.overlapping(centre.id, starts, ends, besides=(case.id, kind))
    if taken >= centre.appointments.capacity:
        raise Refused(f"{centre.id} has no room then: {taken} appointment(s) already run at that time "
                      f"(room for {centre.appointments.capacity}); `screening calendar free` lists free times")
    before = uow.bookings.get(case.id, kind)
    uow.bookings.put({
        "case_id": case.id, "kind": kind, "uid": before["uid"] if before else uid(case.id, kind, directory.region_id),
        "sequence": before["sequence"] + 1 if before else 0, "health_centre_id": centre.id, "starts": starts,
        "ends": ends, "status": "booked", "interpreter": case.language if case.interpreter else None,
        "updated_at": recorded_at})
