"""Bookings at a health centre (steps 3, 6, 9): how long an appointment takes, whether there is
room for it, and the booking kept for the case's calendar entry (UID, SEQUENCE, cancelled)."""

from __future__ import annotations

from datetime import datetime, timedelta

from screening.errors import BadInput, Refused
from workflows import slots

KIND_OF_EVENT = {"book_health_conversation": "conversation", "book_examination": "examination"}
ENDS_THE_BOOKINGS = ("decline", "move_out", "close")  # what is still to come is cancelled in calendars


def duration(appointments, kind: str, interpreter: bool) -> timedelta:
    """The health centre's length for the kind of appointment; longer with an interpreter."""
    name = f"{kind}_minutes" + ("_interpreter" if interpreter else "")
    return timedelta(minutes=getattr(appointments, name))


def uid(case_id: str, kind: str, region_id: str) -> str:
    """Never changes for the case's appointment of this kind, however often it is rebooked."""
    return f"{case_id.lower()}-{kind}@{region_id}.screening"


def after_event(uow, case, event: str, params: dict, at: datetime, recorded_at: datetime) -> None:
    """Keep the case's bookings in step with the event, in its unit of work."""
    kind = KIND_OF_EVENT.get(event)
    if kind is not None:
        book(uow, case, kind, params["start"], recorded_at)
        publish(uow, case.id, (kind,), recorded_at)
    elif event == "cancel_booking":
        uow.bookings.cancel(case.id, ("conversation",), recorded_at)
        publish(uow, case.id, ("conversation",), recorded_at)
    elif event in ENDS_THE_BOOKINGS:
        uow.bookings.cancel(case.id, ("conversation", "examination"), recorded_at, after=at)
        publish(uow, case.id, ("conversation", "examination"), recorded_at)


def publish(uow, case_id: str, kinds: tuple[str, ...], now: datetime) -> None:
    """Queue the bookings' calendar entries for the health centre's CalDAV calendar, one message per
    version (the key names the SEQUENCE; one queued before is not queued again, so a kind left
    untouched by a cancel adds nothing). Queued for every centre: whether one has a calendar is
    configuration, read when the outbox is dispatched, not in this unit of work."""
    from notifications.outbox import queue

    for kind in kinds:
        row = uow.bookings.get(case_id, kind)
        if row is not None:
            queue(uow.conn, f"calendar:{row['uid']}:{row['sequence']}", "calendar", now, case_id=case_id,
                  payload={"kind": kind})


def book(uow, case, kind: str, starts: datetime, recorded_at: datetime) -> None:
    """The appointment at `starts`: not before the notice, and where the centre has room. A time given
    is trusted outside the centre's usual hours too (an evening or weekend clinic in a surge);
    `calendar free` and `case book` without a start offer only times within them."""
    if case.health_centre_id is None:
        raise Refused(f"case {case.id} has no health centre to book at")
    if starts < case.notice_at:
        raise BadInput("start is before the arrival notice was registered")
    centre = uow.directory.organisation_record(case.health_centre_id)
    ends = starts + duration(centre.appointments, kind, case.interpreter)
    uow.bookings.lock_centre(centre.id)
    others = uow.bookings.overlapping(centre.id, starts, ends, besides=(case.id, kind))
    if not slots.room(starts, ends, others, centre.appointments.capacity):  # the finder's own measure
        raise Refused(f"{centre.id} has no room then: {centre.appointments.capacity} appointment(s) already run "
                      "at once during that time; `screening calendar free` lists free times")
    before = uow.bookings.get(case.id, kind)
    uow.bookings.put({
        "case_id": case.id, "kind": kind, "uid": before["uid"] if before else uid(case.id, kind, uow.directory.region_id()),
        "sequence": before["sequence"] + 1 if before else 0, "health_centre_id": centre.id, "starts": starts,
        "ends": ends, "status": "booked", "interpreter": case.language if case.interpreter else None,
        "updated_at": recorded_at})


RULE_OF_KIND = {"conversation": "book_health_conversation", "examination": "book_examination"}
EVENT_OF_KIND = {kind: event for event, kind in KIND_OF_EVENT.items()}


def book_slot(uow, acting_user: str | None, case_id: str, kind: str, start: datetime | None, *, policy, now: datetime,
              recorded_at: datetime) -> dict:
    """Book the case's appointment of `kind` (`case book`): at `start`, or the earliest free time,
    one before the deadline if there is one. Booked after it, the case is flagged at risk at once
    (a warning to the health centre and the coordinators), in the same unit of work."""
    from screening import access, clock
    from workflows import services

    actor = services.load_actor(uow, acting_user)
    case = uow.cases.get(case_id)
    access.require_visible(actor, case, case_id)  # unknown, or not in the user's scope: the same answer
    if case.health_centre_id is None:
        raise Refused(f"case {case_id} has no health centre to book at")
    centre = uow.directory.organisation_record(case.health_centre_id)
    length = duration(centre.appointments, kind, case.interpreter)
    deadline = uow.deadlines.for_case(case.id).get(RULE_OF_KIND[kind])
    due = clock.from_db(deadline["due"]) if deadline else None
    if start is None:
        booked = uow.bookings.overlapping(centre.id, now, now + timedelta(days=60), besides=(case.id, kind))
        start, _ = slots.first_free(centre.appointments, length, booked, policy.calendar, now, due or now)
        if start is None:
            raise Refused(f"{centre.id} has no free time in the next 60 days")
    in_time = due is None or start + length <= due

    def at_risk(saved) -> None:
        if not in_time:
            flag_at_risk(uow.conn, saved, RULE_OF_KIND[kind], due, recorded_at)

    case = services.apply_event(uow, acting_user, case_id, EVENT_OF_KIND[kind], {"start": start.isoformat()},
                                policy=policy, now=now, recorded_at=recorded_at, also=at_risk)
    return {"case": case, "kind": kind, "start": start, "end": start + length, "in_time": in_time, "due": due}


def flag_at_risk(conn, case, rule: str, due: datetime, now: datetime) -> None:
    """A warning now, to the health centre and the coordinators: the appointment comes after the deadline."""
    from notifications.outbox import queue

    rows = conn.all("INSERT INTO alert (case_id, rule, kind, owner, due, raised_at, last_raised_at, raise_count) "
                    "VALUES (:case_id, :rule, 'warning', 'health_centre', :due, :now, :now, 1) "
                    "ON CONFLICT (due, case_id, rule, kind) DO NOTHING RETURNING id",
                    {"case_id": case.id, "rule": rule, "due": conn.timestamp(due), "now": conn.timestamp(now)})
    for row in rows:
        queue(conn, f"alert:{row['id']}:1", "alert", now, ref=row["id"])
