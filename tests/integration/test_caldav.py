"""Bookings published to a health centre's CalDAV calendar: a real Radicale server on 127.0.0.1, the
bookings made through the service layer, the outbox dispatched, and the calendar read back with the
caldav client and parsed with vobject (an independent iCalendar parser)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from datetime import date, datetime

import caldav
import pytest
import vobject

from notifications import outbox
from notifications.caldav import CaldavPublisher, CaldavSettings, resource_url
from notifications.channels import ConsoleChannel
from screening.clock import STOCKHOLM
from screening.errors import BadInput
from screening.services.events import record_event
from screening.services.registration import Registration, register_in
from screening.services.users import actor_in
from screening.storage.unit_of_work import SqlUnitOfWork
from workflows.policy import Policy

POLICY = Policy.default()
RECEPTION, HC = "ostersund-reception", "hc-lugnvik"
LOGIN = {"username": "lugnvik", "password": "invented-password"}


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=STOCKHOLM)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def radicale(tmp_path_factory):
    """A Radicale server that takes any password (auth none) and lets a user write only under
    /<user>/ (owner_only), its storage in a temporary folder."""
    port, folder = free_port(), tmp_path_factory.mktemp("radicale")
    server = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}", "--auth-type", "none",
         "--rights-type", "owner_only", "--storage-filesystem-folder", str(folder),
         "--logging-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
            assert server.poll() is None and time.monotonic() < deadline, "Radicale did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def calendar(radicale, request):
    """A fresh calendar collection per test (and backend): no test sees another's entries."""
    name = f"lugnvik-{abs(hash(request.node.nodeid)) % 10**8}"
    with caldav.DAVClient(url=radicale, enable_rfc6764=False, **LOGIN) as client:
        made = client.principal().make_calendar(name="Lugnvik", cal_id=name)
        yield str(made.url)


def book(url: str, start: str, when: datetime) -> str:
    with SqlUnitOfWork(url) as uow:
        case_id, _ = register_in(uow, actor_in(uow, RECEPTION), Registration(
            birth_date=date(2019, 4, 2), municipality="Östersund", notice_at=when, name="Amira Hassan"),
            now=when, recorded_at=when)
    event(url, case_id, "notify_parties", when, RECEPTION)
    event(url, case_id, "book_health_conversation", when, HC, start=start)
    return case_id


def event(url: str, case_id: str, name: str, when: datetime, user: str, **params) -> None:
    with SqlUnitOfWork(url) as uow:
        record_event(uow, actor_in(uow, user), case_id, name, params, policy=POLICY, now=when, recorded_at=when)


def dispatch(url: str, now: datetime, publisher) -> int:
    with SqlUnitOfWork(url) as uow:
        return outbox.dispatch(uow, ConsoleChannel(), now, publisher=publisher)


def calendar_rows(url: str) -> list[dict]:
    with SqlUnitOfWork(url) as uow:
        return [row for row in uow.outbox.listing() if row["topic"] == "calendar"]


def read_back(collection: str, uid: str):
    """The stored VEVENT, fetched with the caldav client and parsed with vobject; None if there is none."""
    with caldav.DAVClient(url=collection, enable_rfc6764=False, **LOGIN) as client:
        response = client.request(resource_url(collection, uid))
        if response.status == 404:
            return None
        assert response.status == 200
        parsed = vobject.readOne(response.raw)
    assert not hasattr(parsed, "method")  # a stored calendar object carries no METHOD
    [vevent] = parsed.vevent_list
    return vevent


def uid_of(url: str, case_id: str) -> str:
    with SqlUnitOfWork(url) as uow:
        return uow.bookings.get(case_id, "conversation")["uid"]


def test_a_booking_is_created_moved_and_cancelled_in_the_centres_calendar(demo_db, calendar):
    publisher = CaldavPublisher({HC: CaldavSettings(url=calendar, **LOGIN)})
    case_id = book(demo_db, "2026-11-25T09:00", at(2026, 11, 23, 10))
    uid = uid_of(demo_db, case_id)
    dispatch(demo_db, at(2026, 11, 23, 10, 1), publisher)
    entry = read_back(calendar, uid)
    assert (entry.uid.value, int(entry.sequence.value), entry.status.value) == (uid, 0, "CONFIRMED")
    assert entry.dtstart.value == at(2026, 11, 25, 9)
    assert entry.summary.value.endswith(f"{case_id} (A. H.)") and "Amira" not in entry.serialize()

    event(demo_db, case_id, "book_health_conversation", at(2026, 11, 23, 11), HC, start="2026-11-25T13:00")
    dispatch(demo_db, at(2026, 11, 23, 11, 1), publisher)
    moved = read_back(calendar, uid)
    assert (moved.uid.value, int(moved.sequence.value), moved.dtstart.value) == (uid, 1, at(2026, 11, 25, 13))

    event(demo_db, case_id, "cancel_booking", at(2026, 11, 24, 9), HC)
    dispatch(demo_db, at(2026, 11, 24, 9, 1), publisher)
    cancelled = read_back(calendar, uid)
    assert (int(cancelled.sequence.value), cancelled.status.value) == (2, "CANCELLED")
    assert [(r["key"], r["status"]) for r in calendar_rows(demo_db)] == [
        (f"calendar:{uid}:{n}", "sent") for n in range(3)]
    assert len(caldav.DAVClient(url=calendar, enable_rfc6764=False, **LOGIN).calendar(url=calendar).get_events()) == 1


def test_with_the_server_down_the_entry_stays_queued_and_is_published_when_it_is_back(demo_db, calendar):
    down = f"http://127.0.0.1:{free_port()}/lugnvik/"  # nothing listens there
    case_id = book(demo_db, "2026-11-25T09:00", at(2026, 11, 23, 10))
    dispatch(demo_db, at(2026, 11, 23, 10, 1), CaldavPublisher({HC: CaldavSettings(url=down, timeout=2)}))
    [row] = calendar_rows(demo_db)
    assert (row["status"], row["attempts"]) == ("queued", 1)
    assert row["last_error"].startswith("CalendarUnavailable") and row["next_attempt_at"] > at(2026, 11, 23, 10, 1)
    later = at(2026, 11, 23, 10, 5)  # after the first back-off
    assert dispatch(demo_db, later, CaldavPublisher({HC: CaldavSettings(url=calendar, **LOGIN)})) == 1
    assert read_back(calendar, uid_of(demo_db, case_id)).dtstart.value == at(2026, 11, 25, 9)


def test_a_centre_without_a_calendar_is_passed_over_and_a_refusal_is_dead_at_once(demo_db, radicale):
    book(demo_db, "2026-11-25T09:00", at(2026, 11, 23, 10))
    assert dispatch(demo_db, at(2026, 11, 23, 10, 1), CaldavPublisher({})) == 2  # the e-mails only
    assert [r["status"] for r in calendar_rows(demo_db)] == ["sent"]
    book(demo_db, "2026-11-25T10:00", at(2026, 11, 23, 11))
    elsewhere = CaldavSettings(url=f"{radicale}/another-centre/calendar/", **LOGIN)  # 403: not this login's
    dispatch(demo_db, at(2026, 11, 23, 11, 1), CaldavPublisher({HC: elsewhere}))
    refused = calendar_rows(demo_db)[1]
    assert (refused["status"], refused["last_error"].split(":")[0]) == ("dead", "CalendarRefused")
    assert LOGIN["password"] not in refused["last_error"]


@pytest.mark.parametrize(("text", "env", "expected"), [
    ('[caldav."hc-lugnvik"]\nurl = "https://dav.region.example/lugnvik/"\npassword = "x"\n', {}, "not allowed"),
    ('[caldav."hc-lugnvik"]\nurl = "https://dav.region.example/lugnvik/"\nusername = "hc"\n', {}, "is not set"),
    ('[caldav."hc-lugnvik"]\nurl = "http://dav.region.example/lugnvik/"\nusername = "hc"\n',
     {"SCREENING_CALDAV_PASSWORD_HC_LUGNVIK": "invented"}, "plain http"),
    ('[caldav."hc-lugnvik"]\nurl = "https://hc:pw@dav.region.example/lugnvik/"\n', {}, "no user or password"),
])
def test_a_wrong_caldav_section_is_refused(tmp_path, monkeypatch, text, env, expected):
    from notifications.config import caldav_settings

    path = tmp_path / "notify.toml"
    path.write_text(text)
    monkeypatch.setenv("SCREENING_NOTIFY_CONFIG", str(path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(BadInput, match=expected):
        caldav_settings(os.environ)


def test_a_caldav_section_takes_its_password_from_the_environment_only(tmp_path, monkeypatch):
    from notifications.config import caldav_settings, smtp_settings

    path = tmp_path / "notify.toml"
    path.write_text('[caldav."hc-lugnvik"]\nurl = "https://dav.region.example/lugnvik"\nusername = "hc"\n')
    monkeypatch.setenv("SCREENING_NOTIFY_CONFIG", str(path))
    monkeypatch.setenv("SCREENING_CALDAV_PASSWORD_HC_LUGNVIK", "invented-secret")
    settings = caldav_settings(os.environ)[HC]
    assert (settings.url, settings.username, settings.password) == (
        "https://dav.region.example/lugnvik/", "hc", "invented-secret")
    assert "invented-secret" not in repr(settings)
    assert smtp_settings(os.environ) is None  # a file with calendars only: e-mail as without one
