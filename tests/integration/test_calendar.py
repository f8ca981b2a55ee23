"""Bookings as iCalendar: made through the real services, read back by an independent parser
(vobject), so that what a health centre's calendar client sees is what the booking says: the
Stockholm wall-clock time on both sides of a summer-time change, one entry per booking however
often it is moved, its cancellation, and never more of the child than its initials."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import vobject

from notifications import calendar
from screening.clock import STOCKHOLM
from screening.errors import BadInput
from screening.services.events import record_event
from screening.services.registration import Registration, register_in
from screening.services.users import actor_in
from screening.storage.unit_of_work import SqlUnitOfWork
from workflows.policy import Policy

POLICY = Policy.default()
RECEPTION, HC = "ostersund-reception", "hc-lugnvik"
RECEPTION_MAILBOX = "mottagning@ostersund.kommun.example"
MARKER = "MARKER-CALENDAR-7e2d"
# Invented: a personnummer and a dossier number that pass their checks, in every written form.
PERSONNUMMER, DOSSIER = "201504022516", "31-415926"
IDENTITY_FORMS = ("201504022516", "1504022516", "150402-2516", "20150402-2516", "31415926", "31-415926")


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=STOCKHOLM)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def register(url: str, **options) -> str:
    """A child of Östersund who needs an Arabic interpreter; registered on Monday 23 March 2026."""
    reg = Registration(birth_date=date(2015, 4, 2), municipality="Östersund", notice_at=at(2026, 3, 23, 9),
                                language="ar", interpreter=True, arrival=date(2026, 3, 22), **options)
    with SqlUnitOfWork(url) as uow:
        case_id, _ = register_in(uow, actor_in(uow, RECEPTION), reg, now=at(2026, 3, 23, 9), recorded_at=at(2026, 3, 23, 9))
    event(url, case_id, "notify_parties", at(2026, 3, 23, 10), RECEPTION)
    return case_id


def event(url: str, case_id: str, name: str, when: datetime, user: str = HC, **params: str) -> None:
    with SqlUnitOfWork(url) as uow:
        record_event(uow, actor_in(uow, user), case_id, name, params, policy=POLICY, now=when, recorded_at=when)


def export(url: str, centre: str = HC) -> bytes:
    """What `screening calendar export` writes (as a coordinator, who may export any centre's)."""
    from screening.bootstrap import App, Clock
    from screening.services import calendar as calendars
    from screening.services.users import identify

    app = App(url, clock=Clock(datetime(2026, 12, 1, 9, tzinfo=STOCKHOLM)))
    return calendars.export(app, identify(app, "region-coordinator"), centre)


def invite(url: str, case_id: str, kind: str, method: str = "REQUEST") -> bytes:
    with SqlUnitOfWork(url) as uow:
        appointment = calendar.case_appointment(uow.bookings, case_id, kind)
        centre = uow.directory.load().get(HC)
    return calendar.invitation(appointment, centre, attendees=[RECEPTION_MAILBOX], method=method)


def parse(data: bytes):
    return vobject.readOne(data.decode("utf-8"))


def by_kind(cal) -> dict[str, object]:
    """The calendar's events by kind of appointment (from the SUMMARY's first words, after a
    simulation's mark: the tests' databases are simulations)."""
    kinds = {text: kind for kind, text in calendar.SUMMARIES.items()}
    return {kinds[ev.summary.value.removeprefix("SIMULERING: ").split(":")[0]]: ev for ev in cal.vevent_list}


def unfolded(data: bytes) -> str:
    """The text as a reader sees it: a folded line could split a name and hide it from a search."""
    return data.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "")


def through_both_bookings(url: str, **options) -> tuple[str, list[bytes]]:
    """Book the conversation before the change to summer time, move it to after it, take samples,
    record results (with a marker for a note), book the examination after the change back.
    Returns the case id and the feed after each booking."""
    case_id = register(url, **options)
    feeds = []
    event(url, case_id, "book_health_conversation", at(2026, 3, 24, 10), start="2026-03-26T13:00")  # CET
    feeds.append(export(url))
    event(url, case_id, "book_health_conversation", at(2026, 3, 25, 10), start="2026-03-30T09:00")  # CEST
    feeds.append(export(url))
    event(url, case_id, "hold_health_conversation", at(2026, 3, 30, 11))
    event(url, case_id, "record_results", at(2026, 4, 6, 9), obstacle="no", note=MARKER)
    event(url, case_id, "book_examination", at(2026, 4, 7, 9), start="2026-10-26T09:00")  # CET again
    feeds.append(export(url))
    return case_id, feeds


# --- time zone ----------------------------------------------------------------------------------------


def test_times_are_stockholm_wall_clock_on_both_sides_of_the_summer_time_changes(demo_db):
    _, feeds = through_both_bookings(demo_db)
    cal = parse(feeds[-1])

    assert cal.vtimezone.tzid.value == "Europe/Stockholm"
    zone = cal.vtimezone.gettzinfo()  # the calendar's own VTIMEZONE, not the parser's zoneinfo
    events = by_kind(cal)
    expected = {  # local wall clock -> UTC: +02:00 after 29 March, +01:00 after 25 October
        "conversation": ((2026, 3, 30, 9, 0), utc(2026, 3, 30, 7), (2026, 3, 30, 10, 30), utc(2026, 3, 30, 8, 30)),
        "examination": ((2026, 10, 26, 9, 0), utc(2026, 10, 26, 8), (2026, 10, 26, 9, 45), utc(2026, 10, 26, 8, 45)),
    }
    for kind, (start_wall, start_utc, end_wall, end_utc) in expected.items():
        ev = events[kind]
        for prop, wall, instant in ((ev.dtstart, start_wall, start_utc), (ev.dtend, end_wall, end_utc)):
            assert prop.params["X-VOBJ-ORIGINAL-TZID"] == ["Europe/Stockholm"]  # was TZID=Europe/Stockholm
            assert prop.value.replace(tzinfo=None) == datetime(*wall)
            assert prop.value.astimezone(timezone.utc) == instant
            assert datetime(*wall, tzinfo=zone).astimezone(timezone.utc) == instant


def test_the_feed_and_the_invitation_each_carry_the_timezone_they_use(demo_db):
    case_id, feeds = through_both_bookings(demo_db)
    for data in (feeds[0], feeds[-1], invite(demo_db, case_id, "examination")):
        raw = vobject.readOne(data.decode("utf-8"), transform=False)  # as written, params and all
        assert [tz.tzid.value for tz in raw.vtimezone_list] == ["Europe/Stockholm"]
        assert {ev.dtstart.params["TZID"][0] for ev in raw.vevent_list} == {"Europe/Stockholm"}
        assert {ev.dtend.params["TZID"][0] for ev in raw.vevent_list} == {"Europe/Stockholm"}
        assert raw.version.value == "2.0" and raw.calscale.value == "GREGORIAN" and raw.prodid.value


def test_an_empty_feed_is_still_a_valid_calendar(demo_db):
    cal = parse(export(demo_db))
    assert cal.vtimezone.tzid.value == "Europe/Stockholm" and "vevent" not in cal.contents


def test_only_a_health_centre_has_a_feed(demo_db):
    with pytest.raises(BadInput):
        export(demo_db, centre=RECEPTION)


# --- one entry per booking: UID, SEQUENCE, STATUS -----------------------------------------------------------


def test_a_rebooking_keeps_the_uid_and_raises_the_sequence(demo_db):
    _, feeds = through_both_bookings(demo_db)
    first, moved, last = (by_kind(parse(data)) for data in feeds)

    assert first["conversation"].uid.value == moved["conversation"].uid.value == last["conversation"].uid.value
    assert [int(f["conversation"].sequence.value) for f in (first, moved)] == [0, 1]
    assert first["conversation"].dtstart.value.astimezone(timezone.utc) == utc(2026, 3, 26, 12)  # 13:00 CET
    assert moved["conversation"].dtstart.value.astimezone(timezone.utc) == utc(2026, 3, 30, 7)  # 09:00 CEST
    assert moved["conversation"].dtstamp.value == utc(2026, 3, 25, 9)  # when it was moved
    assert int(last["examination"].sequence.value) == 0
    assert last["examination"].uid.value != last["conversation"].uid.value
    assert {ev.status.value for ev in last.values()} == {"CONFIRMED"}


def test_a_cancelled_booking_stays_in_the_feed_cancelled_with_a_higher_sequence(demo_db):
    case_id = register(demo_db)
    event(demo_db, case_id, "book_health_conversation", at(2026, 3, 24, 10), start="2026-03-30T09:00")
    booked = parse(export(demo_db)).vevent
    event(demo_db, case_id, "cancel_booking", at(2026, 3, 25, 10))
    cancelled = parse(export(demo_db)).vevent

    assert (booked.status.value, cancelled.status.value) == ("CONFIRMED", "CANCELLED")
    assert cancelled.uid.value == booked.uid.value
    assert int(cancelled.sequence.value) == int(booked.sequence.value) + 1
    assert cancelled.dtstamp.value == utc(2026, 3, 25, 9)

    message = parse(invite(demo_db, case_id, "conversation", method="CANCEL"))
    assert message.method.value == "CANCEL" and message.vevent.status.value == "CANCELLED"
    assert (message.vevent.uid.value, message.vevent.sequence.value) == (cancelled.uid.value, cancelled.sequence.value)
    with pytest.raises(ValueError):  # no invitation to what is off
        invite(demo_db, case_id, "conversation", method="REQUEST")


# --- METHOD: in iTIP messages only ------------------------------------------------------------------------


def test_method_is_in_invitations_only(demo_db):
    case_id, feeds = through_both_bookings(demo_db)
    assert all("method" not in parse(data).contents for data in feeds)
    assert all("\r\nMETHOD" not in unfolded(data) for data in feeds)

    message = parse(invite(demo_db, case_id, "conversation"))
    assert message.method.value == "REQUEST"
    assert len(message.vevent_list) == 1 and message.vevent.status.value == "CONFIRMED"
    assert message.vevent.organizer.value == "mailto:lugnvik.halsocentral@regionjh.example"
    assert [a.value for a in message.vevent.attendee_list] == [f"mailto:{RECEPTION_MAILBOX}"]
    with pytest.raises(ValueError):  # a CANCEL must follow a cancellation, which raised the SEQUENCE
        invite(demo_db, case_id, "conversation", method="CANCEL")


# --- privacy -----------------------------------------------------------------------------------------------


def test_calendars_name_the_case_and_the_childs_initials_and_nothing_more(demo_db):
    case_id, feeds = through_both_bookings(demo_db, name="Amira Hassan", personnummer=PERSONNUMMER, dossier=DOSSIER)
    produced = [*feeds, invite(demo_db, case_id, "conversation"), invite(demo_db, case_id, "examination")]

    for data in produced:
        text = unfolded(data)
        assert f"{case_id} (A. H.)" in text
        leaks = [secret for secret in ("Amira", "Hassan", MARKER, *IDENTITY_FORMS) if secret in text]
        assert leaks == []
    events = by_kind(parse(feeds[-1]))
    assert events["conversation"].summary.value == f"SIMULERING: Hälsosamtal med provtagning: {case_id} (A. H.)"
    assert events["examination"].summary.value == f"SIMULERING: Läkarundersökning: {case_id} (A. H.)"
    assert events["conversation"].location.value == "Hälsocentralen Lugnvik, Vårdvägen 3, Lugnvik"
    assert events["conversation"].description.value == "Tolk: arabiska\nMottagningsenheten i Östersund följer med barnet."


def test_a_case_without_a_name_is_named_by_its_id_alone(demo_db):
    case_id = register(demo_db)
    event(demo_db, case_id, "book_health_conversation", at(2026, 3, 24, 10), start="2026-03-30T09:00")
    assert parse(export(demo_db)).vevent.summary.value == f"SIMULERING: Hälsosamtal med provtagning: {case_id}"


def test_an_appointment_has_no_room_for_more_than_initials():
    fields = dict(uid="sc-abcd2345-conversation@region.screening", sequence=0, kind="conversation", status="booked",
                  starts=utc(2026, 3, 30, 7), ends=utc(2026, 3, 30, 8), updated_at=utc(2026, 3, 24, 9),
                  case_id="SC-ABCD2345", initials="A. H.", municipality="Östersund")
    calendar.Appointment(**fields)
    for wrong in ({"initials": "Amira Hassan"}, {"initials": "A. Hassan"}, {"case_id": PERSONNUMMER}):
        with pytest.raises(ValueError):
            calendar.Appointment(**{**fields, **wrong})
    with pytest.raises(TypeError):
        calendar.Appointment(**fields, personnummer=PERSONNUMMER)
    assert calendar.initials("  Amira  Hassan ") == "A. H." and calendar.initials(None) is None
