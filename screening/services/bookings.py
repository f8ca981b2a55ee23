"""An appointment booked at the case's health centre (`case book`), through the booking event."""

from __future__ import annotations

from datetime import datetime, timedelta

from screening import access, clock, model
from screening.errors import Refused
from screening.model import Actor
from screening.services.events import apply_in
from workflows import slots
from workflows.bookings import RULE_OF_KIND, duration, flag_at_risk
from workflows.events import EVENT_OF_KIND

LOOK_AHEAD = timedelta(days=60)  # how far the earliest free time is looked for


def book(app, actor: Actor, case_id: str, kind: str, start: datetime | None = None, *, force: bool = False) -> dict:
    """Book the case's appointment of `kind` (conversation or examination): at `start`, or the
    earliest free time, one before the deadline if there is one, and not sooner than the setting's
    lead time (a family cannot come within the hour). A time given outside the centre's hours or on
    a day that is not a working day is refused unless `force` (an evening clinic in a surge). Booked
    after the deadline, the case is flagged at risk at once (a warning to the health centre and the
    coordinators). Returns the booking and the case after it, as the actor may see it."""
    from screening.services import cases

    case_id, policy = model.case_id(case_id), app.policy()
    with app.uow() as uow:
        booked = book_in(uow, actor, case_id, kind, start, policy=policy, now=app.clock.now(),
                         recorded_at=app.clock.real(), lead=app.settings.booking_lead, force=force)
    booking = {"kind": booked["kind"], "start": clock.local_iso(booked["start"]),
               "end": clock.local_iso(booked["end"]), "in_time": booked["in_time"],
               "due": clock.local_iso(booked["due"]), "chosen": start is not None}
    return {"booking": booking, "case": cases.show(app, actor, case_id)}


def book_in(uow, actor: Actor, case_id: str, kind: str, start: datetime | None, *, policy, now: datetime,
            recorded_at: datetime, lead: timedelta = timedelta(0), force: bool = False) -> dict:
    """The booking in this unit of work, committed with its event."""
    case = uow.cases.get(case_id)
    access.require_visible(actor, case, case_id)  # unknown, or not in the user's scope: the same answer
    if case.health_centre_id is None:
        raise Refused("case {case} has no health centre to book at", case=case_id)
    centre = uow.directory.organisation_record(case.health_centre_id)
    length = duration(centre.appointments, kind, case.interpreter)
    deadline = uow.deadlines.for_case(case.id).get(RULE_OF_KIND[kind])
    due = clock.from_db(deadline["due"]) if deadline else None
    if start is not None and not force and not slots.within_hours(centre.appointments, start, length, policy.calendar):
        raise Refused("{start:%Y-%m-%d %H:%M} is outside {centre}'s hours for newly arrived children, or not a "
                      "working day; book it there only on purpose (forced)", start=clock.local(start), centre=centre.name)
    if start is None:
        earliest = now + lead
        booked = uow.bookings.overlapping(centre.id, earliest, earliest + LOOK_AHEAD, besides=(case.id, kind))
        start, _ = slots.first_free(centre.appointments, length, booked, policy.calendar, earliest, due or earliest)
        if start is None:
            raise Refused("{centre} has no free time in the next {days} days", centre=centre.id, days=LOOK_AHEAD.days)
    in_time = due is None or start + length <= due
    apply_in(uow, actor, case_id, EVENT_OF_KIND[kind], {"start": start.isoformat()}, policy=policy, now=now,
             recorded_at=recorded_at)
    if not in_time:  # booked after the deadline: the case is at risk, said at once (at the product's clock)
        flag_at_risk(uow, case.id, RULE_OF_KIND[kind], due, now)
    uow.commit()
    return {"kind": kind, "start": start, "end": start + length, "in_time": in_time, "due": due}
