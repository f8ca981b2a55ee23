"""Every party is told what the agreement says, once, and nothing more: routes, templates,
retries with back-off, dead letters and their retry, the lease, and secrecy over every route."""

from __future__ import annotations

import re

from datetime import date, datetime, timedelta
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest

from notifications import outbox
from notifications.channels import FileChannel
from notifications.routes import FIELDS, load_routes
from notifications.templates import LANGUAGES
from screening.clock import STOCKHOLM
from screening.errors import Refused
from screening.services.alerts import sweep_in
from screening.services.events import record_event
from screening.services.registration import Registration, register_in
from screening.services.users import actor_in
from screening.storage.unit_of_work import SqlUnitOfWork
from workflows.policy import Policy

MARKER = "MARKER-NOTIFY-5b1c"
POLICY = Policy.default()
RECEPTION, HC = "ostersund-reception", "hc-lugnvik"


def at(*parts) -> datetime:
    return datetime(*parts, tzinfo=STOCKHOLM)


def register(url: str, **options) -> str:
    reg = Registration(birth_date=date(2015, 4, 2), municipality="Östersund", notice_at=at(2026, 11, 16, 9),
                                language="ar", interpreter=True, arrival=date(2026, 11, 20), **options)
    with SqlUnitOfWork(url) as uow:
        case_id, _ = register_in(uow, actor_in(uow, RECEPTION), reg, now=at(2026, 11, 16, 9),
                                            recorded_at=at(2026, 11, 16, 9))
    return case_id


def event(url: str, case_id: str, name: str, when: datetime, user: str, **params: str) -> None:
    with SqlUnitOfWork(url) as uow:
        record_event(uow, actor_in(uow, user), case_id, name, params, policy=POLICY, now=when, recorded_at=when)


def send(url: str, channel, now: datetime, lang: str = "sv") -> int:
    with SqlUnitOfWork(url) as uow:
        return outbox.dispatch(uow, channel, now, lang=lang)


def messages(folder: Path) -> dict[str, object]:
    return {path.stem: message_from_bytes(path.read_bytes(), policy=email_policy.default)
            for path in sorted(folder.glob("*.eml"))}


def text_of(email) -> str:
    """The message's text, whether or not an invitation is attached."""
    return email.get_body(("plain",)).get_content()


def stored(url: str) -> list[dict]:
    with SqlUnitOfWork(url) as uow:
        return uow.outbox.listing()


def through_every_route(url: str, channel=None, lang: str = "sv", **options) -> str:
    """A case taken through every event that tells a party, with a marker in every free text. With a
    `channel`, the outbox is sent after the booking and after its cancellation, so that each is told
    (sent only later, the cancelled booking would not be news to anyone)."""
    case_id = register(url, school="ostersund-school-norrby", preschool="ostersund-preschool-solrosen", **options)
    event(url, case_id, "notify_parties", at(2026, 11, 16, 10), RECEPTION)
    event(url, case_id, "book_health_conversation", at(2026, 11, 16, 11), HC, start="2026-11-18T13:00")
    if channel is not None:
        send(url, channel, at(2026, 11, 16, 12), lang)
    event(url, case_id, "cancel_booking", at(2026, 11, 17, 9), HC)
    if channel is not None:
        send(url, channel, at(2026, 11, 17, 9, 30), lang)
    event(url, case_id, "book_health_conversation", at(2026, 11, 17, 10), HC, start="2026-11-19T13:00")
    event(url, case_id, "hold_health_conversation", at(2026, 11, 19, 14), HC)
    event(url, case_id, "record_results", at(2026, 11, 26, 9), HC, obstacle="yes", note=MARKER)
    event(url, case_id, "inform_reception", at(2026, 11, 26, 10), HC)
    event(url, case_id, "record_consent", at(2026, 11, 26, 11), HC, given_by="guardian", scope="school_health")
    event(url, case_id, "share_with_school_health", at(2026, 11, 26, 12), HC)
    event(url, case_id, "invite_intro_meeting", at(2026, 11, 27, 9), "ostersund-school-norrby")
    event(url, case_id, "hold_intro_meeting", at(2026, 11, 30, 9), "ostersund-school-norrby")
    event(url, case_id, "make_intro_plan", at(2026, 11, 30, 10), "ostersund-school-norrby")
    event(url, case_id, "start_with_adaptations", at(2026, 12, 1, 9), "ostersund-school-norrby", reason=MARKER)
    return case_id


# --- routes: who is told what ---------------------------------------------------------------------


def test_the_parties_are_told_what_the_routes_say_each_once_at_their_directory_address(demo_db, tmp_path):
    case_id = through_every_route(demo_db, FileChannel(tmp_path))
    assert send(demo_db, FileChannel(tmp_path), at(2026, 12, 1, 10)) == 7  # the interpreter order too
    assert send(demo_db, FileChannel(tmp_path), at(2026, 12, 1, 11)) == 0  # nothing twice

    told = {(key.split("-")[0], str(email["To"])) for key, email in messages(tmp_path).items()}
    assert told == {
        ("notify_parties", "lugnvik.halsocentral@regionjh.example"),
        ("notify_parties", "norrbyskolan@ostersund.kommun.example"),
        ("notify_parties", "solrosen.forskola@ostersund.kommun.example"),
        ("book_health_conversation", "mottagning@ostersund.kommun.example"),
        ("cancel_booking", "mottagning@ostersund.kommun.example"),
        ("book_health_conversation", "bestallning@tolk.regionjh.example"),  # "Tolk bokas": ordered,
        ("cancel_booking", "bestallning@tolk.regionjh.example"),  # cancelled, ordered again
        ("inform_reception", "mottagning@ostersund.kommun.example"),
        ("inform_reception", "norrbyskolan@ostersund.kommun.example"),
        ("inform_reception", "solrosen.forskola@ostersund.kommun.example"),
        ("share_with_school_health", "elevhalsan@ostersund.kommun.example"),
        ("start_with_adaptations", "elevhalsan@ostersund.kommun.example"),
    }
    assert len(messages(tmp_path)) == 14  # two bookings: each its own message, to the reception unit and the interpreter service
    booked = [e for k, e in messages(tmp_path).items() if k.startswith("book_health_conversation") and k.endswith("reception_unit")]
    assert sorted(e["Subject"] for e in booked) == [
        f"Hälsosamtal bokat: ärende {case_id}, onsdag 18 november 2026 kl. 13:00",
        f"Hälsosamtal bokat: ärende {case_id}, torsdag 19 november 2026 kl. 13:00"]
    [cancelled] = [e for k, e in messages(tmp_path).items() if k.startswith("cancel_booking") and k.endswith("reception_unit")]
    assert "(tiden onsdag 18 november 2026 kl. 13:00 gäller inte längre)" in text_of(cancelled)
    [ready] = [e for k, e in messages(tmp_path).items() if k.startswith("inform_reception") and "mottagning" in e["To"]]
    assert "Hinder för skolstart eller förskolestart: ja" in ready.get_content()
    assert all(row["status"] == "sent" for row in stored(demo_db))


def test_an_unaccompanied_childs_reception_messages_go_to_the_social_services(demo_db, tmp_path):
    case_id = register(demo_db, unaccompanied=True)
    event(demo_db, case_id, "notify_parties", at(2026, 11, 16, 10), RECEPTION)
    event(demo_db, case_id, "book_health_conversation", at(2026, 11, 16, 11), HC, start="2026-11-18T13:00")

    send(demo_db, FileChannel(tmp_path), at(2026, 11, 16, 12))

    [booked] = [e for k, e in messages(tmp_path).items() if k.startswith("book_health_conversation") and k.endswith("reception_unit")]
    assert booked["To"] == "ensamkommande@ostersund.kommun.example"


def test_a_refused_event_queues_no_message(demo_db):
    case_id = register(demo_db)
    with pytest.raises(Refused):
        event(demo_db, case_id, "inform_reception", at(2026, 11, 16, 10), HC)  # no results yet
    assert stored(demo_db) == []


# --- secrecy -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_message_on_any_route_in_any_language_carries_a_note_or_a_reason(demo_db, tmp_path, lang):
    through_every_route(demo_db, FileChannel(tmp_path), lang)
    send(demo_db, FileChannel(tmp_path), at(2026, 12, 1, 10), lang=lang)
    texts = [path.read_bytes().decode("utf-8", "replace") for path in tmp_path.glob("*.eml")]
    assert len(texts) == 14 and not [text for text in texts if MARKER in text]
    with SqlUnitOfWork(demo_db) as uow:
        payloads = [row["payload"] or "" for row in uow.conn.all("SELECT payload FROM outbox")]
    assert not [payload for payload in payloads if MARKER in payload]  # not even stored with the message


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_routed_template_renders_from_the_fields_alone(lang):
    from notifications.messages import event_message
    from notifications.templates import Templates

    from notifications.routes import BOOKING_FIELDS

    fields = {name: None for name in (*FIELDS, *BOOKING_FIELDS)}
    for route in load_routes().values():
        message = event_message("key", {"template": route.template, "fields": fields}, ("a@b.example",),
                                Templates(lang))
        assert message.subject and message.body
    for template in (*outbox.BOOKING_TEMPLATES.values(), *outbox.ORDER_TEMPLATES.values()):  # made when sent
        message = event_message("key", {"template": template, "fields": {**fields, "previous": None}},
                                ("a@b.example",), Templates(lang))
        assert message.subject and message.body


def test_the_reception_unit_is_told_when_the_examination_is_booked(demo_db, tmp_path):
    """Step 9 asks the HC to book the examination; the reception unit tells the family, as for the conversation."""
    case_id = register(demo_db)
    event(demo_db, case_id, "notify_parties", at(2026, 11, 16, 10), RECEPTION)
    event(demo_db, case_id, "book_health_conversation", at(2026, 11, 16, 11), HC, start="2026-11-18T13:00")
    event(demo_db, case_id, "hold_health_conversation", at(2026, 11, 18, 14), HC)
    event(demo_db, case_id, "record_results", at(2026, 11, 25, 9), HC, obstacle="no")
    event(demo_db, case_id, "book_examination", at(2026, 11, 25, 10), HC, start="2026-12-02T09:00")
    send(demo_db, FileChannel(tmp_path), at(2026, 11, 25, 11))
    [booked] = [e for k, e in messages(tmp_path).items() if k.startswith("book_examination") and k.endswith("reception_unit")]
    assert booked["To"] == "mottagning@ostersund.kommun.example"
    assert booked["Subject"] == f"Läkarundersökning bokad: ärende {case_id}, onsdag 2 december 2026 kl. 09:00"
    assert "Tolk: behövs, arabiska" in text_of(booked)


@pytest.mark.parametrize("lang, region, language, municipality, owner", [
    ("sv", "Region Jämtland Härjedalen, hälsoundersökning av nyanlända", "Språk: arabiska",
     "Mottagningsenheten i Östersunds kommun", "Ansvarig part: hälsocentralen"),
    ("en", "Region Jämtland Härjedalen, screening of newly arrived children", "Language: Arabic",
     "The reception unit of Östersund Municipality", "Owner: the health centre"),
])
def test_every_message_is_dated_signed_and_speaks_the_readers_words(demo_db, tmp_path, lang, region, language,
                                                                   municipality, owner):
    case_id = register(demo_db)
    event(demo_db, case_id, "notify_parties", at(2026, 11, 16, 10), RECEPTION)
    with SqlUnitOfWork(demo_db) as uow:
        sweep_in(uow, POLICY.rules, at(2026, 11, 24, 7))  # the booking was due 11-23: a breach
    sent_at = at(2026, 11, 24, 8, 5)
    send(demo_db, FileChannel(tmp_path), sent_at, lang=lang)
    mail = messages(tmp_path)
    assert mail and all(e["Date"].datetime == sent_at for e in mail.values())  # RFC 5322: when it was sent
    assert {e["From"].addresses[0].display_name for e in mail.values()} == {region}
    bodies = [e.get_content() for e in mail.values()]
    assert all("flyktinghalsan@regionjh.example" in body.split("\n-- \n")[1] for body in bodies), bodies[0]
    assert not any(re.search(r"screening (case|alerts)|--[a-z]", body) for body in bodies)  # no command lines
    [notice] = [e.get_content() for k, e in mail.items() if k.startswith("notify_parties") and "lugnvik" in e["To"]]
    assert language in notice and municipality in notice
    [alert] = [e.get_content() for k, e in mail.items() if k.startswith("alert")
               and "lugnvik" in e["To"] and "book_health_conversation" not in k]
    assert owner in alert and "health_centre" not in alert


def test_an_alert_whose_party_is_missing_goes_to_the_coordinator_and_says_why(demo_db, tmp_path):
    """Seen in use: a school start due with no school assigned died as 'no e-mail address for the school'."""
    case_id = register(demo_db)  # no school, no preschool
    event(demo_db, case_id, "notify_parties", at(2026, 11, 16, 10), RECEPTION)
    with SqlUnitOfWork(demo_db) as uow:
        raised = sweep_in(uow, POLICY.rules, at(2026, 12, 21, 12))  # a month after arrival: school start missed
    assert ("school_start", "school") in {(a["rule"], a["owner"]) for a in raised}
    send(demo_db, FileChannel(tmp_path), at(2026, 12, 21, 12, 5))
    assert not [r for r in stored(demo_db) if r["status"] == "dead"]
    [school_alert] = [e for e in messages(tmp_path).values() if "skolstart" in e["Subject"]]
    assert school_alert["To"] == "flyktinghalsan@regionjh.example"
    assert "ingen skola är angiven för ärendet" in school_alert.get_content()


def test_with_the_servers_address_set_a_message_links_to_the_case_page(demo_db, tmp_path):
    from notifications.outbox import dispatch

    case_id = register(demo_db)
    event(demo_db, case_id, "notify_parties", at(2026, 11, 16, 10), RECEPTION)
    with SqlUnitOfWork(demo_db) as uow:
        dispatch(uow, FileChannel(tmp_path), at(2026, 11, 16, 11),
                 case_link="https://screening.regionjh.example/cases/{case}")
    bodies = [e.get_content() for e in messages(tmp_path).values()]
    assert all(f"https://screening.regionjh.example/cases/{case_id}" in body for body in bodies)


# --- retries, back-off, dead letters ---------------------------------------------------------------


class Flaky:
    """A channel failing a set number of times (temporarily or for good), then delivering."""

    def __init__(self, failures: int, permanent: bool = False):
        self.failures, self.permanent, self.sent = failures, permanent, []

    def send(self, message) -> None:
        if self.failures:
            self.failures -= 1
            error = ConnectionRefusedError(111, "Connection refused (the mail server is down)")
            error.permanent = self.permanent
            raise error
        self.sent.append(message.key)


def one_notice(url: str) -> str:
    case_id = register(url)
    event(url, case_id, "notify_parties", at(2026, 11, 16, 10), RECEPTION)  # one message: to the HC
    return case_id


def test_a_message_is_retried_with_doubling_waits_and_delivered_once_the_server_is_back(demo_db):
    one_notice(demo_db)
    channel, start = Flaky(failures=3), at(2026, 11, 16, 11)

    assert send(demo_db, channel, start) == 0
    [row] = stored(demo_db)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("queued", 1, start + timedelta(minutes=1))
    assert "Connection refused" in row["last_error"]
    assert send(demo_db, channel, start + timedelta(seconds=59)) == 0 and stored(demo_db)[0]["attempts"] == 1
    send(demo_db, channel, start + timedelta(minutes=1))
    assert stored(demo_db)[0]["next_attempt_at"] == start + timedelta(minutes=3)  # then 2 minutes
    send(demo_db, channel, start + timedelta(minutes=3))
    assert stored(demo_db)[0]["next_attempt_at"] == start + timedelta(minutes=7)  # then 4

    assert send(demo_db, channel, start + timedelta(minutes=7)) == 1
    [row] = stored(demo_db)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 4, None)
    assert len(channel.sent) == 1


def test_after_the_last_attempt_a_message_is_dead_until_a_coordinator_retries_it(demo_db):
    one_notice(demo_db)
    channel, now = Flaky(failures=outbox.MAX_ATTEMPTS), at(2026, 11, 16, 11)
    for _ in range(outbox.MAX_ATTEMPTS):
        send(demo_db, channel, now)
        now += outbox.LONGEST_WAIT
    [row] = stored(demo_db)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("dead", outbox.MAX_ATTEMPTS, None)
    assert send(demo_db, channel, now + timedelta(days=1)) == 0

    with SqlUnitOfWork(demo_db) as uow:
        outbox.retry(uow, row["id"])
        uow.commit()
    assert send(demo_db, channel, now) == 1
    assert stored(demo_db)[0]["status"] == "sent"


def test_a_permanent_refusal_or_a_missing_address_is_dead_at_once(demo_db):
    one_notice(demo_db)
    send(demo_db, Flaky(failures=1, permanent=True), at(2026, 11, 16, 11))
    assert [(r["status"], r["attempts"]) for r in stored(demo_db)] == [("dead", 1)]

    case_id = register(demo_db, health_centre="hc-odensala")
    with SqlUnitOfWork(demo_db) as uow:  # the directory lost the health centre's address
        uow.conn.execute("UPDATE organisation SET details = REPLACE(details, 'odensala.halsocentral@regionjh.example', "
                         "'') WHERE id = 'hc-odensala'")
        uow.commit()
    event(demo_db, case_id, "notify_parties", at(2026, 11, 16, 10), RECEPTION)
    send(demo_db, Flaky(failures=0), at(2026, 11, 16, 11))
    dead = [r for r in stored(demo_db) if r["case_id"] == case_id]
    assert [(r["status"], r["last_error"]) for r in dead] == [
        ("dead", "Undeliverable: no e-mail address for the health centre in the directory")]


def test_only_a_dead_message_is_retried(demo_db):
    one_notice(demo_db)
    [row] = stored(demo_db)
    with SqlUnitOfWork(demo_db) as uow, pytest.raises(Refused, match="only a dead message"):
        outbox.retry(uow, row["id"])


def test_a_message_claimed_by_a_dispatcher_that_died_is_sent_again_after_the_lease(demo_db):
    one_notice(demo_db)
    with SqlUnitOfWork(demo_db) as uow:  # claimed, then the dispatcher died before marking it sent
        claimed = outbox._claim(uow, at(2026, 11, 16, 11))
    assert claimed is not None
    channel = Flaky(failures=0)

    assert send(demo_db, channel, at(2026, 11, 16, 11, 5)) == 0  # still leased to the dead dispatcher
    assert send(demo_db, channel, at(2026, 11, 16, 11) + outbox.LEASE) == 1
    assert channel.sent == [claimed["key"]]  # the same key: a receiver sees the same Message-ID


# --- the digest ----------------------------------------------------------------------------------------


def test_the_digest_reaches_the_coordinators_with_counts_only(demo_db, tmp_path):
    from workflows.digest import digest

    case_id = one_notice(demo_db)
    with SqlUnitOfWork(demo_db) as uow:
        sweep_in(uow, POLICY.rules, at(2026, 11, 24, 7))  # the booking was due 11-23
    with SqlUnitOfWork(demo_db) as uow:
        digest(uow.conn, POLICY.rules, at(2026, 11, 24, 7, 30))
        uow.commit()

    send(demo_db, FileChannel(tmp_path), at(2026, 11, 24, 8))

    mail = messages(tmp_path)["digest-2026-11-24"]
    assert mail["To"] == "flyktinghalsan@regionjh.example"
    assert "Östersund, hc-lugnvik: 1 / 1" in mail.get_content() and case_id not in mail.get_content()


# --- through a real SMTP server on 127.0.0.1 ----------------------------------------------------------


def test_an_arrival_notice_reaches_the_health_centre_and_school_through_smtp(demo_db):
    from notifications.smtp import SmtpChannel
    from tests.integration.test_smtp import Mailbox, settings, smtp_server

    case_id = register(demo_db, school="ostersund-school-norrby")
    event(demo_db, case_id, "notify_parties", at(2026, 11, 16, 10), RECEPTION)
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        assert send(demo_db, SmtpChannel(settings(port)), at(2026, 11, 16, 10, 5)) == 2

    arrived = {tuple(e.rcpt_tos): message_from_bytes(e.content, policy=email_policy.default) for e in mailbox.envelopes}
    assert set(arrived) == {("lugnvik.halsocentral@regionjh.example",), ("norrbyskolan@ostersund.kommun.example",)}
    mail = arrived[("norrbyskolan@ostersund.kommun.example",)]
    assert mail["Subject"] == f"Nyanlänt barn anmält: ärende {case_id}, ankomst fredag 20 november 2026"
    assert mail["Message-ID"] == f"<notify_parties.{case_id}.2.school@screening.invalid>"
    body = mail.get_content()
    assert {"Språk: arabiska", "Tolk: behövs, arabiska", "Födelseår: 2015"} <= set(body.splitlines())


def test_with_the_mail_server_down_messages_wait_and_go_once_it_is_back_none_lost_none_twice(demo_db):
    from notifications.smtp import SmtpChannel
    from tests.integration.test_smtp import Mailbox, free_port, settings, smtp_server

    for _ in range(3):
        one_notice(demo_db)
    down = SmtpChannel(settings(free_port()))  # nothing listens there
    start = at(2026, 11, 16, 11)
    assert send(demo_db, down, start) == 0
    assert [(r["status"], r["attempts"]) for r in stored(demo_db)] == [("queued", 1)] * 3
    assert all("TemporaryDeliveryError" in r["last_error"] for r in stored(demo_db))

    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        back = SmtpChannel(settings(port))
        assert send(demo_db, back, start + timedelta(seconds=30)) == 0  # not due yet: the back-off
        assert send(demo_db, back, start + timedelta(minutes=1)) == 3
        assert send(demo_db, back, start + timedelta(hours=1)) == 0
    ids = sorted(message_from_bytes(e.content, policy=email_policy.default)["Message-ID"] for e in mailbox.envelopes)
    assert len(ids) == 3 == len(set(ids))
    assert [(r["status"], r["attempts"]) for r in stored(demo_db)] == [("sent", 2)] * 3


@pytest.mark.parametrize("case_id", ["SC-YGMKA5YT", "SC-2345678T", "SC-ABCDEFGH"])
def test_a_case_id_is_shown_as_it_is_whatever_its_letters(case_id):
    from notifications.templates import shown

    assert shown(case_id, "sv") == case_id
    assert shown("2026-11-18T13:00:00+01:00", "sv") == "onsdag 18 november 2026 kl. 13:00"
    assert shown(True, "en") == "yes" and shown(None, "sv") == "okänt"


# --- the appointment as an invitation -----------------------------------------------------------------


def test_a_booking_message_carries_the_appointment_and_a_cancellation_cancels_it(demo_db, tmp_path):
    case_id = register(demo_db)
    event(demo_db, case_id, "notify_parties", at(2026, 11, 16, 10), RECEPTION)
    event(demo_db, case_id, "book_health_conversation", at(2026, 11, 16, 11), HC, start="2026-11-18T13:00")
    send(demo_db, FileChannel(tmp_path / "booked"), at(2026, 11, 16, 12))
    event(demo_db, case_id, "cancel_booking", at(2026, 11, 17, 9), HC)
    send(demo_db, FileChannel(tmp_path / "cancelled"), at(2026, 11, 17, 10))

    def invitation(folder: Path, prefix: str) -> str:
        [mail] = [e for k, e in messages(folder).items() if k.startswith(prefix) and k.endswith("reception_unit")]
        [part] = [p for p in mail.iter_attachments() if p.get_content_type() == "text/calendar"]
        assert part.get_param("method") == ("REQUEST" if prefix.startswith("book") else "CANCEL")
        return part.get_content().replace("\r\n ", "")  # unfolded (RFC 5545 folds long lines)

    booked = invitation(tmp_path / "booked", "book_health_conversation")
    cancelled = invitation(tmp_path / "cancelled", "cancel_booking")
    assert "METHOD:REQUEST" in booked and "DTSTART;TZID=Europe/Stockholm:20261118T130000" in booked
    assert "ATTENDEE" in booked and "mottagning@ostersund.kommun.example" in booked
    assert "METHOD:CANCEL" in cancelled and "STATUS:CANCELLED" in cancelled and "SEQUENCE:1" in cancelled
    uid = [line for line in booked.splitlines() if line.startswith("UID:")]
    assert uid and uid == [line for line in cancelled.splitlines() if line.startswith("UID:")]


# --- a booking's message says what is true when it is sent ------------------------------------------


def booked_case(url: str) -> str:
    case_id = register(url)
    event(url, case_id, "notify_parties", at(2026, 11, 16, 10), RECEPTION)
    return case_id


def told_reception(folder: Path) -> list:
    return [email for key, email in messages(folder).items()
            if key.startswith(("book_health_conversation", "cancel_booking")) and key.endswith("reception_unit")]


def invitation_of(email) -> str:
    [part] = [part for part in email.iter_attachments() if part.get_content_type() == "text/calendar"]
    return part.get_content() if isinstance(part.get_content(), str) else part.get_content().decode()


def test_three_rebookings_sent_in_one_batch_are_one_message_from_the_time_told_to_the_last(demo_db, tmp_path):
    case_id = booked_case(demo_db)
    event(demo_db, case_id, "book_health_conversation", at(2026, 11, 16, 11), HC, start="2026-11-18T13:00")
    assert send(demo_db, FileChannel(tmp_path / "first"), at(2026, 11, 16, 12)) == 3  # notice, booking, interpreter order
    for n, start in enumerate(("2026-11-19T09:00", "2026-11-19T13:00", "2026-11-20T10:00")):
        event(demo_db, case_id, "book_health_conversation", at(2026, 11, 17, 9 + n), HC, start=start)
    assert send(demo_db, FileChannel(tmp_path / "later"), at(2026, 11, 22, 3)) == 2  # to the reception unit and the interpreter service

    [email] = told_reception(tmp_path / "later")
    assert email["Subject"] == f"Hälsosamtal ombokat: ärende {case_id}, nu fredag 20 november 2026 kl. 10:00"
    text = text_of(email)
    assert "Ny tid: fredag 20 november 2026 kl. 10:00" in text
    assert "Tidigare tid (gäller inte längre): onsdag 18 november 2026 kl. 13:00" in text
    assert "03:00" not in text and "söndag" not in text  # not the time it was sent, nor queued
    ics = invitation_of(email)
    assert "METHOD:REQUEST" in ics and "DTSTART;TZID=Europe/Stockholm:20261120T100000" in ics
    assert sorted(row["status"] for row in stored(demo_db) if row["key"].startswith("book_health")
                  and row["key"].endswith("reception_unit")) == [
        "replaced", "replaced", "sent", "sent"]


def test_a_booking_and_its_rebookings_never_told_before_are_one_booking_at_the_last_time(demo_db, tmp_path):
    case_id = booked_case(demo_db)
    for n, start in enumerate(("2026-11-18T13:00", "2026-11-19T09:00", "2026-11-20T10:00")):
        event(demo_db, case_id, "book_health_conversation", at(2026, 11, 16, 11 + n), HC, start=start)
    send(demo_db, FileChannel(tmp_path), at(2026, 11, 22, 3))

    [email] = told_reception(tmp_path)
    assert email["Subject"] == f"Hälsosamtal bokat: ärende {case_id}, fredag 20 november 2026 kl. 10:00"
    assert "Tidigare" not in text_of(email)
    assert "DTSTART;TZID=Europe/Stockholm:20261120T100000" in invitation_of(email)


def test_a_cancellation_names_the_time_it_cancels_and_its_invitation_cancels_it(demo_db, tmp_path):
    case_id = booked_case(demo_db)
    event(demo_db, case_id, "book_health_conversation", at(2026, 11, 16, 11), HC, start="2026-11-18T13:00")
    send(demo_db, FileChannel(tmp_path / "first"), at(2026, 11, 16, 12))
    event(demo_db, case_id, "cancel_booking", at(2026, 11, 17, 9), HC)
    send(demo_db, FileChannel(tmp_path / "later"), at(2026, 11, 17, 10))

    [email] = told_reception(tmp_path / "later")
    assert email["Subject"] == f"Hälsosamtal avbokat: ärende {case_id}"
    assert "tiden onsdag 18 november 2026 kl. 13:00 gäller inte längre" in text_of(email)
    assert "METHOD:CANCEL" in invitation_of(email)


def test_a_booking_cancelled_before_anyone_was_told_tells_nobody(demo_db, tmp_path):
    case_id = booked_case(demo_db)
    event(demo_db, case_id, "book_health_conversation", at(2026, 11, 16, 11), HC, start="2026-11-18T13:00")
    event(demo_db, case_id, "cancel_booking", at(2026, 11, 17, 9), HC)
    send(demo_db, FileChannel(tmp_path), at(2026, 11, 17, 10))

    assert told_reception(tmp_path) == []
    assert [row["status"] for row in stored(demo_db) if row["key"].startswith(("book_health", "cancel_booking"))
            and row["key"].endswith("reception_unit")] == [
        "replaced", "replaced"]


def test_a_rebooking_back_to_the_time_told_tells_nobody_and_a_failed_send_still_hands_on(demo_db, tmp_path):
    case_id = booked_case(demo_db)
    event(demo_db, case_id, "book_health_conversation", at(2026, 11, 16, 11), HC, start="2026-11-18T13:00")
    send(demo_db, FileChannel(tmp_path / "first"), at(2026, 11, 16, 12))
    event(demo_db, case_id, "book_health_conversation", at(2026, 11, 17, 9), HC, start="2026-11-19T09:00")
    event(demo_db, case_id, "book_health_conversation", at(2026, 11, 17, 10), HC, start="2026-11-18T13:00")
    send(demo_db, FileChannel(tmp_path / "later"), at(2026, 11, 17, 11))
    assert told_reception(tmp_path / "later") == []


# --- vacc 2: the unit that gives catch-up vaccinations is told when the examination is held ---------


@pytest.mark.parametrize("born, preschool, told", [
    (date(2015, 4, 2), None, "elevhalsan@ostersund.kommun.example"),  # 11: school health
    (date(2022, 4, 2), "ostersund-preschool-solrosen", "bvc.ostersund@regionjh.example"),  # 4: BVC
])
def test_the_vaccinating_unit_is_told_to_make_the_plan_when_the_examination_is_held(demo_db, tmp_path, born,
                                                                                      preschool, told):
    reg = Registration(birth_date=born, municipality="Östersund", notice_at=at(2026, 11, 16, 9), language="ar",
                       interpreter=True, preschool=preschool)
    with SqlUnitOfWork(demo_db) as uow:
        case_id, _ = register_in(uow, actor_in(uow, RECEPTION), reg, now=at(2026, 11, 16, 9),
                                 recorded_at=at(2026, 11, 16, 9))
    event(demo_db, case_id, "notify_parties", at(2026, 11, 16, 10), RECEPTION)
    event(demo_db, case_id, "book_health_conversation", at(2026, 11, 16, 11), HC, start="2026-11-18T13:00")
    event(demo_db, case_id, "hold_health_conversation", at(2026, 11, 18, 14), HC)
    event(demo_db, case_id, "record_results", at(2026, 11, 25, 9), HC, obstacle="no", note=MARKER)
    event(demo_db, case_id, "book_examination", at(2026, 11, 25, 10), HC, start="2026-12-02T09:00")
    event(demo_db, case_id, "hold_examination", at(2026, 12, 2, 10), HC, note=MARKER)
    send(demo_db, FileChannel(tmp_path), at(2026, 12, 2, 11))

    [email] = [e for k, e in messages(tmp_path).items() if k.startswith("hold_examination")]
    assert email["To"] == told
    assert email["Subject"] == f"Kompletterande vaccination: ärende {case_id}"
    assert "upprätta en vaccinationsplan" in text_of(email) and MARKER not in email.as_string()
