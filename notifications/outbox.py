"""The outbox: every message is queued in the transaction of what caused it, and delivered after.

`dispatch` claims one queued message at a time by moving its `next_attempt_at` past now (a lease:
if the dispatcher dies while sending, the message is claimed again once the lease ends), sends
it, and marks it sent. A temporary failure (the mail server down, a 4xx reply) is retried with
exponential back-off; after the last attempt, or at once on a permanent refusal (a 5xx reply, no
address in the directory, a broken template), the message is left `dead` with the reason, for a
coordinator to list and retry. The idempotency key is the message's Message-ID and names its
.eml file: a message sent and then claimed again (the dispatcher died between sending and
marking it sent: the one at-least-once window) carries the same key.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from notifications.templates import Templates
from screening import clock
from screening.errors import NotFound, Refused

LEASE = timedelta(minutes=10)  # longer than any one delivery may take (the SMTP timeout is 30 s)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
MAX_ATTEMPTS = 8  # about four hours of retries

# Which party receives a message: the case's own health centre, school, preschool; the municipality's
# reception unit (social services for an unaccompanied child), school health, BVC; the coordinators.
OWNER_COLUMN = {"health_centre": "health_centre_id", "school": "school_id", "preschool": "preschool_id"}
AT_RISK_RULES = ("book_health_conversation", "book_examination")  # a warning of these: booked after the deadline


class Undeliverable(Exception):
    """Permanent: no retry will help (no address in the directory for the party, say)."""

    permanent = True


def party_addresses(directory, case: dict, party: str) -> list[str]:
    if party in OWNER_COLUMN:
        orgs = [directory.get(case[OWNER_COLUMN[party]])] if case[OWNER_COLUMN[party]] else []
    elif party == "interpreter_service":
        service = directory.interpreter_service(case["health_centre_id"], case["municipality"])
        orgs = [service] if service else []
    elif party == "coordinator":
        orgs = directory.of_kind("coordinator")
    else:
        orgs = [o for o in directory.of_kind(party) if o.municipality == case["municipality"]
                and (party != "reception_unit" or o.for_unaccompanied == bool(case["unaccompanied"]))]
    return [o.email for o in orgs if o.email]


def recipients(directory, case: dict, alert: dict) -> tuple[str, ...]:
    """An alert goes to its owner; a breach (and anything owned by the coordinators) to them too."""
    found = [] if alert["owner"] == "coordinator" else party_addresses(directory, case, alert["owner"])
    at_risk = alert["kind"] == "warning" and alert["rule"] in AT_RISK_RULES  # booked after the deadline
    if alert["kind"] == "breach" or at_risk or alert["owner"] == "coordinator":
        found += party_addresses(directory, case, "coordinator")
    return tuple(dict.fromkeys(found))


def dispatch(uow, channel, now: datetime, limit: int = 500, lang: str | None = None, publisher=None, *,
             templates: Templates | None = None, calendars=dict, case_link: str | None = None) -> int:
    """Deliver up to `limit` due messages, one transaction each; returns how many were sent.

    Texts from `templates` (default: the bundled ones, in `lang` or Swedish). A "calendar" message
    goes to `publisher` (a CaldavPublisher; by default one over `calendars()`, the configured centres,
    read at the first such message, so that a broken [caldav] section holds back calendars, not e-mail)."""
    templates = templates or Templates(lang or "sv")
    directory = uow.directory.load()
    letterhead = _letterhead(directory, case_link)
    publishers = _Publishers(publisher, calendars)
    sent = 0
    for _ in range(limit):
        row = _claim(uow, now)
        if row is None:
            break
        try:
            outcome = _deliver(uow, directory, row, templates, channel, publishers, letterhead, now)
        except Exception as error:  # noqa: BLE001 - every failure is the message's, recorded on it
            _failed(uow, row, error, now)
        else:
            if outcome is REPLACED:
                uow.outbox.replaced(row["id"], now)
            else:
                uow.outbox.sent(row["id"], now)
                sent += outcome
        uow.commit()
    return sent


REPLACED = "replaced"  # a later message says it, or nothing is left to say


def _deliver(uow, directory, row: dict, templates: Templates, channel, publishers, letterhead, now):
    """Send or publish the message: True; False when there was nothing to do (a centre without a
    calendar); REPLACED when a booking's message has been overtaken (see `_booking_news`)."""
    from notifications.messages import finished

    if row["topic"] == "calendar":
        return _publish(uow, directory, row, publishers.get(), templates.simulation)
    payload = json.loads(row["payload"]) if row["payload"] else {}
    if "booking" in payload:
        payload = _booking_news(uow, directory, row, payload)
        if payload is None:
            return REPLACED
        uow.outbox.set_payload(row["id"], payload)  # what it said: the interpreter order's status
    message = _message(uow, directory, row, payload, templates)
    channel.send(finished(message, letterhead, templates, row["case_id"], now))
    return True


ORDER_TEMPLATES = {"booked": "interpreter_order", "rebooked": "interpreter_order_amended",
                   "cancelled": "interpreter_order_cancelled"}  # to an interpreter service
BOOKING_TEMPLATES = {  # (appointment, what the party learns) -> template
    ("conversation", "booked"): "conversation_booked", ("conversation", "rebooked"): "conversation_rebooked",
    ("conversation", "cancelled"): "booking_cancelled",
    ("examination", "booked"): "examination_booked", ("examination", "rebooked"): "examination_rebooked",
    ("examination", "cancelled"): "examination_cancelled",
}


def _booking_news(uow, directory, row: dict, payload: dict) -> dict | None:
    """A booking's message says what is true when it is sent, not when it was queued: the booking as
    it stands now, against what the party knew before (`previous`). Overtaken by a later message to the
    same party about the same appointment, it is not sent: the later one compares with what this one
    would have (so three rebookings in one batch are one message, from the time first known to the
    last). Booked: "booked"; at another time than known: "rebooked", old and new time; cancelled:
    "cancelled", if the party knew of a time. None: nothing to say."""
    booking, party = payload["booking"], payload["party"]
    for later in uow.outbox.queued_after(row["case_id"], row["id"]):
        news = json.loads(later["payload"]) if later["payload"] else {}
        if news.get("party") == party and news.get("booking", {}).get("kind") == booking["kind"]:
            news["booking"]["previous"] = booking["previous"]
            uow.outbox.set_payload(later["id"], news)
            return None
    current = uow.bookings.get(row["case_id"], booking["kind"])
    previous = datetime.fromisoformat(booking["previous"]) if booking["previous"] else None
    if current is None:
        return None
    start = clock.from_db(current["starts"])
    if current["status"] == "cancelled" or booking.get("withdrawn"):  # withdrawn: the interpreter no longer needed
        if previous is None:
            return None
        learns, start = "cancelled", None
    elif previous is None:
        learns = "booked"
    elif previous == start:
        return None
    else:
        learns = "rebooked"
    centre = directory.get(current["health_centre_id"])
    fields = {**payload["fields"], "booked": start.isoformat() if start else None,
              "previous": previous.isoformat() if previous else None, "visit": booking["kind"],
              "minutes": int((clock.from_db(current["ends"]) - clock.from_db(current["starts"])).total_seconds() // 60),
              "centre": centre.name, "address": centre.address, "centre_phone": centre.phone,
              "centre_email": centre.email, "reference": current["uid"]}
    template = ORDER_TEMPLATES[learns] if party == "interpreter_service" else BOOKING_TEMPLATES[(booking["kind"],
                                                                                                 learns)]
    return {**payload, "template": template, "learned": learns, "fields": fields}


def _letterhead(directory, case_link: str | None):
    """The region's name and its coordinators' contact details, from the directory."""
    from notifications.messages import Letterhead

    contact = "; ".join(", ".join(part for part in (org.name, org.email, org.phone) if part)
                        for org in directory.of_kind("coordinator"))
    return Letterhead(directory.region_name, contact, case_link)


class _Publishers:
    """The publisher given, or the configured one, made once and only when a calendar message comes."""

    def __init__(self, given, calendars):
        self.publisher = given
        self.calendars = calendars

    def get(self):
        if self.publisher is None:
            from notifications.caldav import CaldavPublisher

            self.publisher = CaldavPublisher(self.calendars())
        return self.publisher


def _publish(uow, directory, row: dict, publisher, simulation: bool = False) -> bool:
    """The booking as it stands now, whatever SEQUENCE the message was queued for: a retried or late
    message then never puts an older version back. A centre without a CalDAV calendar is skipped, and
    the message is marked sent but not counted as sent (nothing to do; configuring a centre later does not
    publish its earlier bookings)."""
    from notifications.calendar import case_appointment

    payload = json.loads(row["payload"]) if row["payload"] else {}
    appointment = case_appointment(uow.bookings, row["case_id"], payload["kind"], simulation)
    if appointment is None:
        raise Undeliverable(f"no {payload['kind']} booking for case {row['case_id']}")
    centre_id = uow.bookings.get(row["case_id"], payload["kind"])["health_centre_id"]
    return publisher.publish(appointment, directory.get(centre_id))


def _claim(uow, now: datetime) -> dict | None:
    """The oldest due message, leased to this dispatcher (committed at once: another one skips it)."""
    row = uow.outbox.claim(now, now + LEASE)
    uow.commit()
    if row is None and uow.outbox.any_due(now):
        return _claim(uow, now)  # another dispatcher took that one first
    return row


def _failed(uow, row: dict, error: Exception, now: datetime) -> None:
    reason = _reason(error)
    if getattr(error, "permanent", False) or row["attempts"] >= MAX_ATTEMPTS:
        uow.outbox.dead(row["id"], reason)
        return
    wait = min(FIRST_RETRY * 2 ** (row["attempts"] - 1), LONGEST_WAIT)
    uow.outbox.retry_at(row["id"], now + wait, reason)


def _reason(error: Exception) -> str:
    """One line for the coordinator: what failed, never the message (errors are ours to word)."""
    text = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {text}"[:300]


def _message(uow, directory, row: dict, payload: dict, templates: Templates):
    from notifications.messages import alert_message, audit_break_message, digest_message, event_message

    if row["topic"] == "digest":
        return digest_message(row["key"], payload, _addresses(tuple(party_addresses(directory, {}, "coordinator")),
                                                               "coordinator"), templates)
    if row["topic"] == "audit_break":
        return audit_break_message(row["key"], payload, _addresses(
            tuple(party_addresses(directory, {}, "coordinator")), "coordinator"), templates)
    alert = uow.alerts.get(row["ref"]) if row["topic"] == "alert" else None
    case = uow.cases.contacts(row["case_id"] or alert["case_id"])
    if alert is not None:
        alert = {**alert, "due": clock.from_db(alert["due"])}
        to, missing = recipients(directory, case, alert), _missing(directory, case, alert["owner"])
        if missing:  # nobody of the owner's to tell: the coordinators are, and told why
            to = tuple(dict.fromkeys(to + tuple(party_addresses(directory, case, "coordinator"))))
        return alert_message(row["key"], alert, _addresses(to, "coordinator" if missing else alert["owner"]),
                             templates, missing=missing, elsewhere=payload.get("elsewhere"),
                             municipality=case["municipality"])
    party = payload["party"]
    to = _addresses(tuple(party_addresses(directory, case, party)), party)
    return event_message(row["key"], payload, to, templates, _invitation(uow, directory, case, payload, to, templates))


QUEUED_BEFORE = {"conversation_booked": "conversation", "booking_cancelled": "conversation"}  # no `booking` yet


def _invitation(uow, directory, case: dict, payload: dict, to: tuple[str, ...], templates: Templates) -> tuple:
    """A booking's message carries the appointment as it stands now (iTIP REQUEST, or CANCEL once
    cancelled): the same booking its text was made from, so that the two agree."""
    from notifications.calendar import case_appointment, invitation
    from notifications.messages import Attachment

    kind = payload.get("booking", {}).get("kind") or QUEUED_BEFORE.get(payload["template"])
    appointment = case_appointment(uow.bookings, case["id"], kind, templates.simulation) if kind else None
    if appointment is None:
        return ()
    method = "CANCEL" if appointment.status == "cancelled" else "REQUEST"
    centre = uow.bookings.get(case["id"], kind)["health_centre_id"]
    data = invitation(appointment, directory.get(centre), attendees=to, method=method)
    return (Attachment("invite.ics", f"text/calendar; method={method}; charset=UTF-8", data),)


def _missing(directory, case: dict, party: str) -> str | None:
    """Why the party that owns an alert cannot be told: `unassigned` (the case has no school, say),
    `no_address` (the directory has no e-mail for it), or None."""
    if party == "coordinator":
        return None
    if party in OWNER_COLUMN and not case[OWNER_COLUMN[party]]:
        return "unassigned"
    return None if party_addresses(directory, case, party) else "no_address"


def _addresses(found: tuple[str, ...], party: str) -> tuple[str, ...]:
    if not found:
        raise Undeliverable(f"no e-mail address for the {party.replace('_', ' ')} in the directory")
    return found


PRUNE_BATCH = 5_000  # rows a transaction: a writer never waits long behind the pruning


def prune(uow, now: datetime, keep: timedelta) -> int:
    """Delete the messages sent before `now - keep`, a batch a transaction; returns how many.

    A sent row is kept only so that its key is not queued twice, and every key names a version, an
    alert's raising, a booking's sequence or a day: none is queued again after two days. Queued and
    dead messages are never pruned. The audit trail, not the outbox, is the record of what happened."""
    pruned = 0
    while True:
        done = uow.outbox.prune_batch(now - keep, PRUNE_BATCH)
        uow.commit()
        pruned += done
        if done < PRUNE_BATCH:
            return pruned


def retry(uow, message_id: int) -> None:
    """A dead message queued again, with all its attempts before it (after the cause was fixed)."""
    in_range = 0 < message_id < 2**63  # ids are 64-bit: none beyond
    status = uow.outbox.status(message_id) if in_range else None
    if status is None:
        raise NotFound("unknown message '{message}'", message=message_id)
    if status != "dead":
        raise Refused("message {message} is {outbox_status}: only a dead message is retried", message=message_id,
                      outbox_status=status)
    uow.outbox.requeue(message_id)
