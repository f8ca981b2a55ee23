"""Step 3: "Tolk bokas". Booking a visit for a child who needs an interpreter orders one from the
interpreter service the centre (or municipality) names, through the outbox: an order, an amended
order on rebooking, a cancellation, each with the booking's stable reference and an iTIP invitation;
nothing medical. No service named: a warning to the health centre at once. `case show` tells the
health centre where each order stands. The whole life goes to a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import json
from datetime import date
from email import message_from_bytes
from email import policy as email_policy

import pytest

from screening.bootstrap import App, Clock
from screening.services import cases
from screening.services.registration import Registration, register_in
from screening.services.users import actor_in, identify
from screening.storage.unit_of_work import SqlUnitOfWork
from tests.integration.test_notifications import HC, MARKER, RECEPTION, at, event, send, stored, text_of

SERVICE = "bestallning@tolk.regionjh.example"


def needing(url: str, *, interpreter: bool = True, municipality: str = "Östersund", language: str = "ti") -> str:
    reg = Registration(birth_date=date(2015, 4, 2), municipality=municipality, notice_at=at(2026, 11, 16, 9),
                       language=language, interpreter=interpreter)
    user = {"Östersund": RECEPTION, "Härjedalen": "harjedalen-reception"}[municipality]
    with SqlUnitOfWork(url) as uow:
        case_id, _ = register_in(uow, actor_in(uow, user), reg, now=at(2026, 11, 16, 9),
                                 recorded_at=at(2026, 11, 16, 9))
    event(url, case_id, "notify_parties", at(2026, 11, 16, 10), user)
    return case_id


def orders(mailbox) -> list:
    return [message_from_bytes(e.content, policy=email_policy.default) for e in mailbox.envelopes
            if e.rcpt_tos == [SERVICE]]


def invitation(email) -> str:
    [part] = [p for p in email.iter_attachments() if p.get_content_type() == "text/calendar"]
    content = part.get_content()
    return content if isinstance(content, str) else content.decode()


def order_status(url: str, case_id: str, user: str = HC) -> dict:
    app = App(url, clock=Clock(at(2026, 11, 30, 9)))
    return cases.show(app, identify(app, user), case_id).get("interpreter_orders")


def test_an_order_an_amendment_and_a_cancellation_reach_the_service_with_one_reference(demo_db):
    from notifications.smtp import SmtpChannel
    from tests.integration.test_smtp import Mailbox, settings, smtp_server

    case_id = needing(demo_db)
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        channel = SmtpChannel(settings(port))
        event(demo_db, case_id, "book_health_conversation", at(2026, 11, 16, 11), HC, start="2026-11-18T13:00")
        send(demo_db, channel, at(2026, 11, 16, 12))
        assert order_status(demo_db, case_id) == {"conversation": "ordered"}
        event(demo_db, case_id, "book_health_conversation", at(2026, 11, 17, 9), HC, start="2026-11-19T09:00")
        send(demo_db, channel, at(2026, 11, 17, 10))
        assert order_status(demo_db, case_id) == {"conversation": "amended"}
        event(demo_db, case_id, "cancel_booking", at(2026, 11, 17, 11), HC)
        send(demo_db, channel, at(2026, 11, 17, 12))
        assert order_status(demo_db, case_id) == {"conversation": "cancelled"}

    ordered, amended, cancelled = orders(mailbox)
    reference = f"{case_id.lower()}-conversation@jamtland-harjedalen.screening"
    assert ordered["Subject"] == f"Tolkbeställning: tigrinja, onsdag 18 november 2026 kl. 13:00 (ref. {reference})"
    text = text_of(ordered)
    for line in ("Språk: tigrinja", "Längd: 90 minuter", "Besök: hälsosamtal med provtagning",
                 "Plats: Hälsocentralen Lugnvik, Vårdvägen 3, Lugnvik", f"Ärende: {case_id}", f"Referens: {reference}",
                 "Kontakt på hälsocentralen: 070-1740102, lugnvik.halsocentral@regionjh.example"):
        assert line in text.splitlines(), line
    assert f"UID:{reference}" in invitation(ordered) and "METHOD:REQUEST" in invitation(ordered)
    assert amended["Subject"].startswith("Ändrad tolkbeställning: tigrinja, nu torsdag 19 november 2026 kl. 09:00")
    assert "Tidigare tid (gäller inte längre): onsdag 18 november 2026 kl. 13:00" in text_of(amended)
    assert "SEQUENCE:1" in invitation(amended) and f"UID:{reference}" in invitation(amended)
    assert cancelled["Subject"] == f"Avbokad tolkbeställning: tigrinja, torsdag 19 november 2026 kl. 09:00 (ref. {reference})"
    assert "METHOD:CANCEL" in invitation(cancelled)


def test_a_child_who_needs_no_interpreter_orders_none(demo_db, tmp_path):
    from notifications.channels import FileChannel

    case_id = needing(demo_db, interpreter=False)
    event(demo_db, case_id, "book_health_conversation", at(2026, 11, 16, 11), HC, start="2026-11-18T13:00")
    send(demo_db, FileChannel(tmp_path), at(2026, 11, 16, 12))
    assert not [row for row in stored(demo_db) if "interpreter_service" in row["key"]]
    assert order_status(demo_db, case_id) == {}


def test_without_an_interpreter_service_the_health_centre_is_warned_at_once(demo_db, tmp_path):
    from notifications.channels import FileChannel

    case_id = needing(demo_db, municipality="Härjedalen")  # hc-sveg names no service, nor does Härjedalen
    event(demo_db, case_id, "book_health_conversation", at(2026, 11, 16, 11), "hc-sveg", start="2026-11-18T13:00")
    with SqlUnitOfWork(demo_db) as uow:
        warned = uow.conn.all("SELECT rule, kind, owner FROM alert WHERE case_id = :id", {"id": case_id})
    assert warned == [{"rule": "interpreter_order", "kind": "warning", "owner": "health_centre"}]
    assert not [row for row in stored(demo_db) if "interpreter_service" in row["key"]]  # nothing to die undelivered
    send(demo_db, FileChannel(tmp_path), at(2026, 11, 16, 12))
    [alert] = [p for p in tmp_path.glob("alert-*.eml")]
    mail = message_from_bytes(alert.read_bytes(), policy=email_policy.default)
    assert "sveg" in mail["To"] and "ingen tolkförmedling är angiven" in mail.get_content()


def test_a_case_that_ends_cancels_its_interpreters_and_says_nothing_medical(demo_db, tmp_path):
    from notifications.channels import FileChannel

    case_id = needing(demo_db)
    event(demo_db, case_id, "book_health_conversation", at(2026, 11, 16, 11), HC, start="2026-11-18T13:00")
    send(demo_db, FileChannel(tmp_path / "ordered"), at(2026, 11, 16, 12))
    event(demo_db, case_id, "decline", at(2026, 11, 17, 9), HC, reason=MARKER)
    send(demo_db, FileChannel(tmp_path / "declined"), at(2026, 11, 17, 10))
    [cancelled] = [p for p in (tmp_path / "declined").glob("decline-*interpreter_service*.eml")]
    mail = message_from_bytes(cancelled.read_bytes(), policy=email_policy.default)
    assert mail["Subject"].startswith("Avbokad tolkbeställning: tigrinja, onsdag 18 november 2026 kl. 13:00")
    assert MARKER not in cancelled.read_text(errors="replace")
    with SqlUnitOfWork(demo_db) as uow:
        payloads = [row["payload"] or "" for row in uow.conn.all("SELECT payload FROM outbox")]
    assert not [p for p in payloads if MARKER in p]


@pytest.mark.parametrize("user", [RECEPTION, "ostersund-school-norrby"])
def test_only_the_health_centre_and_the_coordinators_see_where_the_orders_stand(demo_db, user):
    case_id = needing(demo_db)
    event(demo_db, case_id, "book_health_conversation", at(2026, 11, 16, 11), HC, start="2026-11-18T13:00")
    assert order_status(demo_db, case_id) == {"conversation": "ordering"}
    assert order_status(demo_db, case_id, "region-coordinator") == {"conversation": "ordering"}
    if user == RECEPTION:
        assert order_status(demo_db, case_id, user) is None


def test_a_directory_naming_an_unknown_interpreter_service_is_refused():
    from screening.directory import BUNDLED, parse_directory
    from screening.errors import BadInput

    text = BUNDLED.read_text(encoding="utf-8").replace('interpreter_service = "tolkformedlingen"',
                                                       'interpreter_service = "no-such-service"', 1)
    with pytest.raises(BadInput, match="is no interpreter service in the directory"):
        parse_directory(text)
    assert json.dumps(parse_directory(BUNDLED.read_text(encoding="utf-8")).get("hc-lugnvik").to_dict())


def test_an_interpreter_needed_after_the_booking_is_ordered_and_one_no_longer_needed_is_cancelled(demo_db, tmp_path):
    from notifications.channels import FileChannel

    case_id = needing(demo_db, interpreter=False)
    event(demo_db, case_id, "book_health_conversation", at(2026, 11, 16, 11), HC, start="2026-11-18T13:00")
    event(demo_db, case_id, "update_details", at(2026, 11, 16, 12), HC, interpreter="ja")
    send(demo_db, FileChannel(tmp_path / "needed"), at(2026, 11, 16, 13))
    [ordered] = list((tmp_path / "needed").glob("update_details-*interpreter_service*.eml"))
    mail = message_from_bytes(ordered.read_bytes(), policy=email_policy.default)
    assert mail["Subject"].startswith("Tolkbeställning: tigrinja, onsdag 18 november 2026 kl. 13:00")
    assert order_status(demo_db, case_id) == {"conversation": "ordered"}

    event(demo_db, case_id, "update_details", at(2026, 11, 16, 14), HC, interpreter="nej")
    send(demo_db, FileChannel(tmp_path / "not"), at(2026, 11, 16, 15))
    [cancelled] = list((tmp_path / "not").glob("update_details-*interpreter_service*.eml"))
    mail = message_from_bytes(cancelled.read_bytes(), policy=email_policy.default)
    assert mail["Subject"].startswith("Avbokad tolkbeställning: tigrinja, onsdag 18 november 2026 kl. 13:00")
    assert order_status(demo_db, case_id) == {"conversation": "cancelled"}


def test_needed_and_no_longer_needed_before_anything_was_sent_tells_the_service_nothing(demo_db, tmp_path):
    from notifications.channels import FileChannel

    case_id = needing(demo_db, interpreter=False)
    event(demo_db, case_id, "book_health_conversation", at(2026, 11, 16, 11), HC, start="2026-11-18T13:00")
    event(demo_db, case_id, "update_details", at(2026, 11, 16, 12), HC, interpreter="ja")
    event(demo_db, case_id, "update_details", at(2026, 11, 16, 12, 5), HC, interpreter="nej")
    send(demo_db, FileChannel(tmp_path), at(2026, 11, 16, 13))
    assert not list(tmp_path.glob("*interpreter_service*.eml"))


def test_a_case_that_ends_with_nothing_booked_tells_the_service_nothing(demo_db, tmp_path):
    from notifications.channels import FileChannel

    case_id = needing(demo_db)
    event(demo_db, case_id, "decline", at(2026, 11, 16, 11), HC, reason=MARKER)
    send(demo_db, FileChannel(tmp_path), at(2026, 11, 16, 12))
    assert not [row for row in stored(demo_db) if "interpreter_service" in row["key"]]
