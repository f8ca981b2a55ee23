"""Alerts reach people: each queued alert message is delivered once, to the right parties, without medical content."""

from __future__ import annotations

from datetime import date, datetime
from email import message_from_bytes
from email import policy as email_policy

from notifications.channels import FileChannel
from notifications.outbox import dispatch
from screening.clock import STOCKHOLM
from screening.services.alerts import sweep_in
from screening.services.events import record_event
from screening.services.registration import Registration, register_in
from screening.services.users import actor_in
from screening.storage.unit_of_work import SqlUnitOfWork
from workflows.policy import Policy

MARKER = "MARKER-OUTBOX-9d2e"


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=STOCKHOLM)


def _notified_case(url: str, **registration) -> str:
    """A child of Östersund registered on Mon 2026-11-16 09:00 and notified an hour later."""
    reg = Registration(birth_date=date(2015, 4, 2), municipality="Östersund", notice_at=at(2026, 11, 16, 9),
                                **registration)
    with SqlUnitOfWork(url) as uow:
        case_id, _ = register_in(uow, actor_in(uow, "ostersund-reception"), reg, now=at(2026, 11, 16, 9),
                                            recorded_at=at(2026, 11, 16, 9))
    _event(url, "ostersund-reception", case_id, "notify_parties", {}, at(2026, 11, 16, 10))
    return case_id


def _event(url: str, user: str, case_id: str, event: str, params: dict, when: datetime) -> None:
    with SqlUnitOfWork(url) as uow:
        record_event(uow, actor_in(uow, user), case_id, event, params, policy=Policy.default(),
                             now=when, recorded_at=when)


def _sweep(url: str, now: datetime) -> list[dict]:
    with SqlUnitOfWork(url) as uow:
        return sweep_in(uow, Policy.default().rules, now)


def test_each_alert_message_is_delivered_once_to_the_owner_and_for_a_breach_the_coordinators(demo_db, tmp_path):
    case_id = _notified_case(demo_db)
    _event(demo_db, "hc-lugnvik", case_id, "record_consent", {"given_by": "guardian", "scope": "school_health"},
           at(2026, 11, 16, 11))
    raised = _sweep(demo_db, at(2026, 11, 24, 8))  # the booking was due the end of Mon 2026-11-23
    assert [(a["rule"], a["kind"]) for a in raised] == [("book_health_conversation", "breach")]
    folder = tmp_path / "eml"
    with SqlUnitOfWork(demo_db) as uow:
        assert dispatch(uow, FileChannel(folder), at(2026, 11, 24, 8)) == 2  # the arrival notice (step 2) too
    with SqlUnitOfWork(demo_db) as uow:
        assert dispatch(uow, FileChannel(folder), at(2026, 11, 24, 9)) == 0  # nothing twice
    [path] = folder.glob("alert-*.eml")
    email = message_from_bytes(path.read_bytes(), policy=email_policy.default)
    assert email["To"] == "lugnvik.halsocentral@regionjh.example, flyktinghalsan@regionjh.example"
    assert case_id in email["Subject"] and "boka hälsosamtal" in email["Subject"]
    assert "Senast: måndag 23 november 2026\n" in email.get_content()  # the deadline's day, in words


def test_no_alert_message_carries_a_reason_or_any_note(demo_db, tmp_path):
    case_id = _notified_case(demo_db, school="ostersund-school-norrby", arrival=date(2026, 11, 18))
    _event(demo_db, "hc-lugnvik", case_id, "decline", {"reason": MARKER}, at(2026, 11, 16, 11))
    raised = _sweep(demo_db, at(2026, 12, 21, 8))  # school start was due a month after arrival
    assert [(a["rule"], a["kind"]) for a in raised] == [("school_start", "warning")]
    folder = tmp_path / "eml"
    with SqlUnitOfWork(demo_db) as uow:
        assert dispatch(uow, FileChannel(folder), at(2026, 12, 21, 8)) == 3  # and the arrival notices to HC, school
    [path] = folder.glob("alert-*.eml")
    assert "skolstart" in path.read_text(encoding="utf-8")
    assert not [p for p in folder.iterdir() if MARKER in p.read_text(encoding="utf-8")]
