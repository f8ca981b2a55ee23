"""Bookings at a health centre (steps 3, 6, 9): how long an appointment takes, whether there is
room for it, and the booking kept for the case's calendar entry (UID, SEQUENCE, cancelled)."""

from __future__ import annotations

from datetime import datetime, timedelta

from screening.errors import BadInput, Refused
from workflows import slots


def duration(appointments, kind: str, interpreter: bool) -> timedelta:
    """The health centre's length for the kind of appointment; longer with an interpreter."""
    name = f"{kind}_minutes" + ("_interpreter" if interpreter else "")
    return timedelta(minutes=getattr(appointments, name))


def uid(case_id: str, kind: str, region_id: str) -> str:
    """Never changes for the case's appointment of this kind, however often it is rebooked."""
    return f"{case_id.lower()}-{kind}@{region_id}.screening"


def publish(uow, case_id: str, kinds: tuple[str, ...], now: datetime) -> None:
    """Queue the bookings' calendar entries for the health centre's CalDAV calendar, one message per
    version (the key names the SEQUENCE; one queued before is not queued again, so a kind left
    untouched by a cancel adds nothing). Queued for every centre: whether one has a calendar is
    configuration, read when the outbox is dispatched, not in this unit of work."""
    for kind in kinds:
        row = uow.bookings.get(case_id, kind)
        if row is not None:
            uow.outbox.queue(f"calendar:{row['uid']}:{row['sequence']}", "calendar", now, case_id=case_id,
                             payload={"kind": kind})


def book(uow, case, kind: str, starts: datetime, recorded_at: datetime) -> None:
    """The appointment at `starts`: not before the notice, and where the centre has room. A time given
    is trusted outside the centre's usual hours too (an evening or weekend clinic in a surge);
    `calendar free` and `case book` without a start offer only times within them."""
    if case.health_centre_id is None:
        raise Refused("case {case} has no health centre to book at", case=case.id)
    if starts < case.notice_at:
        raise BadInput("start is before the arrival notice was registered")
    centre = uow.directory.organisation_record(case.health_centre_id)
    ends = starts + duration(centre.appointments, kind, case.interpreter)
    uow.bookings.lock_centre(centre.id)
    others = uow.bookings.overlapping(centre.id, starts, ends, besides=(case.id, kind))
    if not slots.room(starts, ends, others, centre.appointments.capacity):  # the finder's own measure
        raise Refused("{centre} has no room then: {capacity} appointment(s) already run at once during that time; "
                      "the centre's free times are listed in its calendar", centre=centre.id,
                      capacity=centre.appointments.capacity)
    before = uow.bookings.get(case.id, kind)
    uow.bookings.put({
        "case_id": case.id, "kind": kind, "uid": before["uid"] if before else uid(case.id, kind, uow.directory.region_id()),
        "sequence": before["sequence"] + 1 if before else 0, "health_centre_id": centre.id, "starts": starts,
        "ends": ends, "status": "booked", "interpreter": case.language if case.interpreter else None,
        "updated_at": recorded_at})


RULE_OF_KIND = {"conversation": "book_health_conversation", "examination": "book_examination"}


def flag_at_risk(uow, case_id: str, rule: str, due: datetime, now: datetime) -> None:
    """A warning now, to the health centre and the coordinators: the appointment comes after the deadline."""
    alert_id = uow.alerts.raise_warning(case_id, rule, "health_centre", due, now)
    if alert_id is not None:
        uow.outbox.queue(f"alert:{alert_id}:1", "alert", now, ref=alert_id)
