"""Booking appointments: the case's booking row, the capacity under concurrent staff, and a case
booked after its deadline flagged at risk at once."""

from __future__ import annotations

import threading
from datetime import date, datetime

import pytest

from screening.clock import STOCKHOLM
from screening.errors import Refused, ScreeningError
from screening.services.bookings import book_in
from screening.services.events import record_event
from screening.services.registration import Registration, register_in
from screening.services.users import actor_in
from screening.storage.unit_of_work import SqlUnitOfWork
from workflows.policy import Policy

POLICY = Policy.default()
RECEPTION, HC = "ostersund-reception", "hc-lugnvik"  # Lugnvik: room for 3 at once


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=STOCKHOLM)


def notified(url: str, when: datetime = at(2026, 11, 23, 9)) -> str:
    with SqlUnitOfWork(url) as uow:
        case_id, _ = register_in(uow, actor_in(uow, RECEPTION), Registration(
            birth_date=date(2019, 4, 2), municipality="Östersund", notice_at=when), now=when, recorded_at=when)
    with SqlUnitOfWork(url) as uow:
        record_event(uow, actor_in(uow, RECEPTION), case_id, "notify_parties", {}, policy=POLICY, now=when, recorded_at=when)
    return case_id


def book(url: str, case_id: str, start: datetime | None, now: datetime = at(2026, 11, 23, 10)) -> dict:
    with SqlUnitOfWork(url) as uow:
        return book_in(uow, actor_in(uow, HC), case_id, "conversation", start, policy=POLICY, now=now, recorded_at=now)


def booking(url: str, case_id: str) -> dict:
    with SqlUnitOfWork(url) as uow:
        return uow.bookings.get(case_id, "conversation")


def test_a_rebooking_keeps_the_uid_and_raises_the_sequence_and_a_cancel_cancels(demo_db):
    case_id = notified(demo_db)
    book(demo_db, case_id, at(2026, 11, 25, 9))
    first = booking(demo_db, case_id)
    book(demo_db, case_id, at(2026, 11, 25, 13))
    again = booking(demo_db, case_id)
    assert (again["uid"], again["sequence"], again["status"]) == (first["uid"], 1, "booked")
    with SqlUnitOfWork(demo_db) as uow:
        record_event(uow, actor_in(uow, HC), case_id, "cancel_booking", {}, policy=POLICY, now=at(2026, 11, 24, 9),
                             recorded_at=at(2026, 11, 24, 9))
    assert (booking(demo_db, case_id)["status"], booking(demo_db, case_id)["sequence"]) == ("cancelled", 2)


def test_the_fourth_appointment_at_once_is_refused_and_auto_takes_the_next_free_time(demo_db):
    cases = [notified(demo_db) for _ in range(4)]
    for case_id in cases[:3]:
        book(demo_db, case_id, at(2026, 11, 25, 9))
    with pytest.raises(Refused, match="no room then"):
        book(demo_db, cases[3], at(2026, 11, 25, 9, 30))
    assert booking(demo_db, cases[3]) is None
    booked = book(demo_db, cases[3], None, now=at(2026, 11, 25, 8))
    assert (booked["start"], booked["in_time"]) == (at(2026, 11, 25, 10), True)  # Wed: after the three end


def test_two_staff_booking_the_last_place_at_the_same_moment_get_it_once(demo_db):
    cases = [notified(demo_db) for _ in range(4)]
    for case_id in cases[:2]:
        book(demo_db, case_id, at(2026, 11, 25, 9))
    barrier, outcomes = threading.Barrier(2), []

    def staff(case_id: str) -> None:
        try:
            with SqlUnitOfWork(demo_db) as uow:
                barrier.wait(timeout=30)
                book_in(uow, actor_in(uow, HC), case_id, "conversation", at(2026, 11, 25, 9), policy=POLICY,
                          now=at(2026, 11, 23, 10), recorded_at=at(2026, 11, 23, 10))
            outcomes.append("booked")
        except ScreeningError as refusal:
            outcomes.append(type(refusal).__name__)

    threads = [threading.Thread(target=staff, args=(case_id,)) for case_id in cases[2:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["Refused", "booked"]
    with SqlUnitOfWork(demo_db) as uow:
        assert len(uow.bookings.overlapping("hc-lugnvik", at(2026, 11, 25, 9), at(2026, 11, 25, 10))) == 3


def test_booked_after_the_deadline_the_case_is_flagged_at_risk_to_the_centre_and_the_coordinators(demo_db):
    case_id = notified(demo_db)  # notified Mon 11-23: booking due the end of Mon 11-30
    booked = book(demo_db, case_id, None, now=at(2026, 11, 30, 16))  # Lugnvik's hours are over that day
    assert booked["in_time"] is False and booked["start"] == at(2026, 12, 1, 8, 30)  # Tue morning
    with SqlUnitOfWork(demo_db) as uow:
        [alert] = uow.conn.all("SELECT id, rule, kind, owner FROM alert WHERE case_id = :id", {"id": case_id})
        [message] = uow.conn.all("SELECT key FROM outbox WHERE topic = 'alert'")
    assert (alert["rule"], alert["kind"], alert["owner"]) == ("book_health_conversation", "warning", "health_centre")
    assert message["key"] == f"alert:{alert['id']}:1"
    from notifications.outbox import recipients
    from screening.directory import load_directory

    directory = load_directory(None)
    case = {"municipality": "Östersund", "unaccompanied": False, "health_centre_id": "hc-lugnvik",
            "school_id": None, "preschool_id": None}
    assert recipients(directory, case, {**alert, "due": None}) == (
        "lugnvik.halsocentral@regionjh.example", "flyktinghalsan@regionjh.example")


def test_a_decline_cancels_the_appointment_still_to_come(demo_db):
    case_id = notified(demo_db)
    book(demo_db, case_id, at(2026, 11, 25, 9))
    with SqlUnitOfWork(demo_db) as uow:
        record_event(uow, actor_in(uow, HC), case_id, "decline", {"reason": "invented"}, policy=POLICY,
                             now=at(2026, 11, 24, 9), recorded_at=at(2026, 11, 24, 9))
    assert booking(demo_db, case_id)["status"] == "cancelled"


def test_room_is_counted_at_every_moment_not_by_every_appointment_that_touches_the_time(demo_db):
    cases = [notified(demo_db) for _ in range(4)]
    book(demo_db, cases[0], at(2026, 11, 25, 8, 30))  # 08:30-09:30
    book(demo_db, cases[1], at(2026, 11, 25, 8, 30))  # 08:30-09:30
    book(demo_db, cases[2], at(2026, 11, 25, 9, 30))  # 09:30-10:30
    booked = book(demo_db, cases[3], at(2026, 11, 25, 9))  # 09:00-10:00: at most 2 others at any moment
    assert booked["start"] == at(2026, 11, 25, 9)
