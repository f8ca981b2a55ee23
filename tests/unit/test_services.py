"""The use cases of the service layer on the in-memory unit of work: no database.

Every child, name and number is invented. The clock is injected: Monday 2026-11-23 10:00.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from screening import access
from screening.clock import STOCKHOLM
from screening.errors import BadInput, NotFound, Refused, StaleWrite
from screening.model import Actor
from screening.services import users
from screening.services.alerts import acknowledge_in
from screening.services.bookings import book_in
from screening.services.events import record_event
from screening.services.registration import Registration, register_in
from screening.services.users import store_directory
from tests.fakes import FakeUnitOfWork, fake_app
from workflows.events import EVENTS
from workflows.policy import Policy

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM)
POLICY = Policy.default()
RECEPTION = Actor("ostersund-reception", "reception", "ostersund-reception", "reception_unit", "Östersund")
OTHER_RECEPTION = Actor("krokom-reception", "reception", "krokom-reception", "reception_unit", "Krokom")
HC = Actor("hc-lugnvik", "health_centre", "hc-lugnvik", "health_centre", "Östersund")
SCHOOL = Actor("ostersund-school-norrby", "school", "ostersund-school-norrby", "school", "Östersund")
PRESCHOOL = Actor("ostersund-preschool-solrosen", "preschool", "ostersund-preschool-solrosen", "preschool",
                  "Östersund")
SCHOOL_HEALTH = Actor("ostersund-school-health", "school_health", "ostersund-school-health", "school_health",
                      "Östersund")
BVC = Actor("ostersund-bvc", "bvc", "ostersund-bvc", "bvc", "Östersund")
COORDINATOR = Actor("region-coordinator", "coordinator", "region-coordinator", "coordinator", "Östersund")
ADMIN = Actor("admin", "admin", "region-coordinator", "coordinator", "Östersund")
EVERYONE = (RECEPTION, HC, SCHOOL, PRESCHOOL, SCHOOL_HEALTH, BVC, COORDINATOR, ADMIN)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    fake = FakeUnitOfWork()
    with fake:
        store_directory(fake, fake.state["directory"], demo_users=True)
    return fake


def register(uow, actor=RECEPTION, **given) -> str:
    reg = Registration(**{"birth_date": date(2017, 4, 2), "municipality": "Östersund", "notice_at": NOW,
                          "school": "ostersund-school-norrby", "preschool": "ostersund-preschool-solrosen", **given})
    with uow:
        case_id, _ = register_in(uow, actor, reg, now=NOW, recorded_at=NOW, policy=POLICY)
    return case_id


def event(uow, actor, case_id, name, at=NOW, **params):
    with uow:
        return record_event(uow, actor, case_id, name, params, policy=POLICY, now=at, recorded_at=at)


def unchanged(uow, act) -> None:
    """`act` raises, and nothing it did was committed."""
    before, commits = repr(uow.committed), uow.commits
    with pytest.raises((Refused, BadInput)):
        act()
    assert (repr(uow.committed), uow.commits) == (before, commits)


def test_a_registered_notice_is_a_case_with_its_clock_running_and_an_audit_row(uow):
    case_id = register(uow, dossier="12-345678")
    case = uow.committed["cases"][case_id]
    assert (case.municipality, case.health_state, case.dossier) == ("Östersund", "registered", "12345678")
    assert case.health_centre_id == "hc-lugnvik"  # the municipality's default health centre
    assert [d.rule for d in uow.committed["deadlines"][case_id]] == ["notify_parties", "turns_18"]
    [entry] = uow.committed["audit"]
    assert (entry.case_id, entry.event, entry.user_id) == (case_id, "register", RECEPTION.user_id)


def test_a_notice_with_a_known_dossier_number_attaches_to_its_case(uow):
    first = register(uow, dossier="12-345678")
    reg = Registration(birth_date=date(2017, 4, 2), municipality="Östersund", notice_at=NOW, dossier="12345678",
                       personnummer="20170402-2381")
    with uow:
        again, attached = register_in(uow, RECEPTION, reg, now=NOW, recorded_at=NOW, policy=POLICY)
    assert (again, attached) == (first, True)
    assert len(uow.committed["cases"]) == 1
    assert uow.committed["cases"][first].personnummer == "201704022381"


@pytest.mark.parametrize("actor", [HC, SCHOOL, COORDINATOR, ADMIN])
def test_only_the_reception_unit_registers_and_a_refusal_writes_nothing(uow, actor):
    unchanged(uow, lambda: register(uow, actor))


def test_a_reception_unit_registers_its_own_municipality_only(uow):
    unchanged(uow, lambda: register(uow, OTHER_RECEPTION))


def test_a_number_on_another_municipalitys_case_is_a_new_case_there_and_the_coordinators_are_warned(uow):
    """Finding 7: no refusal tells Krokom of Östersund's case; the notice is Krokom's, the attempt in the
    register row's detail (which no history shows), and a warning to the coordinators names both."""
    first = register(uow, dossier="12-345678")
    krokom = Registration(birth_date=date(2017, 4, 2), municipality="Krokom", notice_at=NOW, dossier="12345678")
    new = Registration(birth_date=date(2017, 4, 2), municipality="Krokom", notice_at=NOW, dossier="12999999")
    with uow:
        elsewhere = register_in(uow, OTHER_RECEPTION, krokom, now=NOW, recorded_at=NOW, policy=POLICY)
        fresh = register_in(uow, OTHER_RECEPTION, new, now=NOW, recorded_at=NOW, policy=POLICY)
    (case_id, attached), cases = elsewhere, uow.committed["cases"]
    assert (attached, fresh[1]) == (False, False) and len({first, case_id, fresh[0]}) == 3
    assert (cases[case_id].municipality, cases[case_id].dossier, cases[first].version) == ("Krokom", "12345678", 1)
    audit = {entry.case_id: entry for entry in uow.committed["audit"]}
    assert (audit[case_id].event, audit[case_id].detail) == ("register", {"identity_elsewhere": [first]})
    assert audit[fresh[0]].detail is None
    [alert] = uow.committed["alerts"].values()
    assert (alert["case_id"], alert["rule"], alert["kind"], alert["owner"], alert["due"]) == (
        case_id, "identity_elsewhere", "warning", "coordinator", NOW)
    [message] = [m for m in uow.committed["outbox"].values() if m["topic"] == "alert"]
    assert (message["ref"], json.loads(message["payload"])) == (
        alert["id"], {"elsewhere": [{"id": first, "municipality": "Östersund"}]})
    for actor in (OTHER_RECEPTION, RECEPTION, HC, SCHOOL, SCHOOL_HEALTH, BVC):
        assert not access.may_see_alert(actor, alert, cases[case_id]), actor.role
    assert access.may_see_alert(COORDINATOR, alert, cases[case_id])


def test_the_fake_holds_a_number_once_per_municipality_as_the_database_does(uow):
    from screening.storage.unit_of_work import ConflictOnCommit

    first = register(uow, dossier="12-345678")
    copy = replace(uow.committed["cases"][first], id="SC-COPY0001")
    with uow, pytest.raises(ConflictOnCommit, match="another case already has this"):
        uow.cases.add(copy)
    with uow:
        uow.cases.add(replace(copy, municipality="Krokom"))


@pytest.mark.parametrize("born, adult", [(date(2008, 11, 23), True), (date(2008, 11, 24), False),
                                         (date(1990, 1, 1), True)])
def test_someone_18_or_older_is_outside_the_agreement_unless_registered_as_an_adult(uow, born, adult):
    """The agreement covers 0-17: on the notice's day an 18th birthday is outside it."""
    if not adult:
        assert register(uow, birth_date=born) in uow.committed["cases"]
        return
    unchanged(uow, lambda: register(uow, birth_date=born))
    case_id = register(uow, birth_date=born, adult=True)
    assert uow.committed["cases"][case_id].birth_date == born


def test_a_birth_date_in_the_future_is_bad_input_in_the_domain_words(uow):
    with pytest.raises(BadInput, match="^the birth date is in the future$"):
        register(uow, birth_date=date(2027, 1, 1))


def test_notifying_the_parties_queues_the_arrival_notices_with_the_event(uow):
    case_id = register(uow)
    case = event(uow, RECEPTION, case_id, "notify_parties")
    assert case.health_state == "parties_notified"
    parties = sorted(json.loads(m["payload"])["party"] for m in uow.committed["outbox"].values())
    assert parties == ["health_centre", "preschool", "school"]  # step 2: the same day
    assert "book_health_conversation" in {d.rule for d in uow.committed["deadlines"][case_id]}


def test_an_event_in_the_future_or_before_the_notice_is_bad_input(uow):
    case_id = register(uow)
    with uow, pytest.raises(BadInput, match="in the future"):
        record_event(uow, RECEPTION, case_id, "notify_parties", {}, policy=POLICY, now=NOW, recorded_at=NOW,
                     at=NOW + timedelta(minutes=1))
    with uow, pytest.raises(BadInput, match="before the arrival notice"):
        record_event(uow, RECEPTION, case_id, "notify_parties", {}, policy=POLICY, now=NOW, recorded_at=NOW,
                     at=NOW - timedelta(days=1))


def test_an_event_on_a_version_read_before_another_change_is_a_conflict(uow):
    case_id = register(uow)
    read = uow.committed["cases"][case_id].version
    event(uow, RECEPTION, case_id, "notify_parties")
    with uow, pytest.raises(StaleWrite):
        record_event(uow, HC, case_id, "book_health_conversation", {"start": "2026-11-25T09:00"}, policy=POLICY,
                     now=NOW, recorded_at=NOW, expected_version=read)


def test_a_medical_note_is_stored_apart_and_never_in_the_audit_detail(uow):
    case_id = register(uow)
    event(uow, RECEPTION, case_id, "notify_parties")
    event(uow, HC, case_id, "book_health_conversation", start="2026-11-24T09:00")
    event(uow, HC, case_id, "hold_health_conversation", at=NOW + timedelta(days=1))
    event(uow, HC, case_id, "record_results", at=NOW + timedelta(days=8), obstacle="yes", note="MARKER-tb-positive")
    assert [n["text"] for n in uow.committed["notes"]] == ["MARKER-tb-positive"]
    details = [entry.detail for entry in uow.committed["audit"]]
    assert {"obstacle": "yes"} in details and "MARKER" not in repr(details)
    assert "MARKER" not in repr(uow.committed["outbox"])


def test_booking_takes_the_earliest_free_time_and_queues_the_calendar_entry(uow):
    case_id = register(uow)
    event(uow, RECEPTION, case_id, "notify_parties")
    with uow:
        booked = book_in(uow, HC, case_id, "conversation", None, policy=POLICY, now=NOW, recorded_at=NOW)
    assert booked["in_time"] and NOW <= booked["start"] <= booked["due"]
    stored = uow.committed["bookings"][(case_id, "conversation")]
    assert (stored["starts"], stored["sequence"], stored["status"]) == (booked["start"], 0, "booked")
    assert any(key.startswith("calendar:") for key in uow.committed["outbox"])
    assert uow.committed["cases"][case_id].health_state == "conversation_booked"


def test_the_earliest_free_time_is_never_the_minute_of_booking(uow):
    case_id = register(uow)
    event(uow, RECEPTION, case_id, "notify_parties")
    with uow:
        booked = book_in(uow, HC, case_id, "conversation", None, policy=POLICY, now=NOW, recorded_at=NOW,
                         lead=timedelta(hours=2))
    # not 10:00 (the minute of booking) nor 10:15-11:30 (within two hours): the afternoon's first time
    assert booked["start"] == datetime(2026, 11, 23, 13, 0, tzinfo=STOCKHOLM)


@pytest.mark.parametrize("start", [datetime(2026, 11, 28, 10, tzinfo=STOCKHOLM),  # a Saturday
                                   datetime(2026, 11, 24, 21, tzinfo=STOCKHOLM),  # a Tuesday evening
                                   datetime(2026, 12, 24, 10, tzinfo=STOCKHOLM)])  # julafton
def test_a_time_outside_the_centres_hours_is_booked_only_on_purpose(uow, start):
    case_id = register(uow)
    event(uow, RECEPTION, case_id, "notify_parties")
    unchanged(uow, lambda: book_in(uow, HC, case_id, "conversation", start, policy=POLICY, now=NOW,
                                   recorded_at=NOW))
    with uow:
        booked = book_in(uow, HC, case_id, "conversation", start, policy=POLICY, now=NOW, recorded_at=NOW,
                         force=True)
    assert booked["start"] == start


def test_a_booking_after_the_deadline_warns_the_health_centre_at_once(uow):
    case_id = register(uow)
    event(uow, RECEPTION, case_id, "notify_parties")
    late = datetime(2026, 12, 14, 9, 0, tzinfo=STOCKHOLM)  # the deadline is the end of Monday 2026-11-30
    with uow:
        booked = book_in(uow, HC, case_id, "conversation", late, policy=POLICY, now=NOW, recorded_at=NOW)
    assert not booked["in_time"]
    [alert] = uow.committed["alerts"].values()
    assert (alert["kind"], alert["rule"], alert["owner"]) == ("warning", "book_health_conversation", "health_centre")
    assert f"alert:{alert['id']}:1" in uow.committed["outbox"]


def test_a_warning_raised_by_a_booking_is_stamped_with_the_products_clock_not_the_machines(uow):
    """Seen in the demo: a simulated 2026-11-23 showed a warning raised on the machine's day."""
    case_id = register(uow)
    event(uow, RECEPTION, case_id, "notify_parties")
    machine_day = NOW + timedelta(days=11)
    with uow:
        book_in(uow, HC, case_id, "conversation", datetime(2026, 12, 14, 9, tzinfo=STOCKHOLM), policy=POLICY,
                now=NOW, recorded_at=machine_day)
    [alert] = uow.committed["alerts"].values()
    assert alert["raised_at"] == NOW


@pytest.mark.parametrize("typed, obstacle", [("ja", True), ("NEJ", False), ("yes", True), (" no ", False)])
def test_a_nurse_may_answer_in_swedish(uow, typed, obstacle):
    case_id = register(uow)
    event(uow, RECEPTION, case_id, "notify_parties")
    event(uow, HC, case_id, "book_health_conversation", start="2026-11-24T09:00")
    event(uow, HC, case_id, "hold_health_conversation", at=NOW + timedelta(days=1))
    case = event(uow, HC, case_id, "record_results", at=NOW + timedelta(days=8), obstacle=typed)
    assert case.obstacle is obstacle
    assert {"obstacle": "yes" if obstacle else "no"} in [entry.detail for entry in uow.committed["audit"]]


def test_a_word_that_is_neither_swedish_nor_english_names_both(uow):
    case_id = register(uow)
    with uow, pytest.raises(BadInput, match="must be one of yes, no, unknown, ja, nej, okänt"):
        record_event(uow, RECEPTION, case_id, "verify_previous_screening", {"done": "kanske"}, policy=POLICY,
                     now=NOW, recorded_at=NOW)


def test_an_alert_is_acknowledged_by_its_party_and_unknown_to_others(uow):
    case_id = register(uow)
    event(uow, RECEPTION, case_id, "notify_parties")
    with uow:
        book_in(uow, HC, case_id, "conversation", datetime(2026, 12, 14, 9, tzinfo=STOCKHOLM), policy=POLICY,
                now=NOW, recorded_at=NOW)
    [alert_id] = uow.committed["alerts"]
    with uow, pytest.raises(NotFound):
        acknowledge_in(uow, SCHOOL, alert_id, now=NOW, recorded_at=NOW)  # not the school's alert
    with uow:
        acknowledge_in(uow, HC, alert_id, now=NOW, recorded_at=NOW)
    assert uow.committed["alerts"][alert_id]["acknowledged_by"] == HC.user_id


def test_the_first_user_needs_no_admin_and_every_later_one_does():
    uow = FakeUnitOfWork()
    app = fake_app(uow, NOW)
    assert users.add_user(app, None, "anna-admin", "admin", "region-coordinator")["role"] == "admin"
    with pytest.raises(NotFound):
        users.add_user(app, None, "bo", "health_centre", "hc-lugnvik")
    users.add_user(app, "anna-admin", "bo", "health_centre", "hc-lugnvik")
    with pytest.raises(Refused, match="may not add or list users"):
        users.add_user(app, "bo", "cilla", "health_centre", "hc-lugnvik")
    with pytest.raises(NotFound, match="unknown user"):
        users.add_user(app, "nobody", "cilla", "health_centre", "hc-lugnvik")
    with pytest.raises(BadInput, match="does not fit"):
        users.add_user(app, "anna-admin", "cilla", "reception", "hc-lugnvik")
    assert set(uow.committed["users"]) == {"anna-admin", "bo"}


# --- correcting a case: update_details ---------------------------------------------------------

def messages_to(uow, party: str) -> list[dict]:
    return [json.loads(m["payload"]) for m in uow.committed["outbox"].values()
            if m["payload"] and json.loads(m["payload"]).get("party") == party]


def test_a_school_assigned_after_the_notice_is_told_as_step_2_says(uow):
    case_id = register(uow, school=None, preschool=None, arrival=date(2026, 11, 25))
    event(uow, RECEPTION, case_id, "notify_parties")
    assert messages_to(uow, "school") == []
    later = NOW + timedelta(days=2)
    case = event(uow, RECEPTION, case_id, "update_details", at=later, school="ostersund-school-norrby")
    assert case.school_id == "ostersund-school-norrby"
    [notice] = messages_to(uow, "school")
    assert notice["template"] == "arrival_notice" and notice["fields"]["case"] == case_id
    assert "school_start" in {d.rule for d in uow.committed["deadlines"][case_id]}
    entry = uow.committed["audit"][-1]
    assert (entry.event, entry.user_id, entry.at) == ("update_details", RECEPTION.user_id, later)


def test_details_given_before_the_parties_are_told_tell_nobody_yet(uow):
    case_id = register(uow, school=None)
    event(uow, RECEPTION, case_id, "update_details", school="ostersund-school-norrby", language="ti",
          interpreter="ja")
    case = uow.committed["cases"][case_id]
    assert (case.school_id, case.language, case.interpreter) == ("ostersund-school-norrby", "ti", True)
    assert uow.committed["outbox"] == {}  # notify_parties tells them all


def test_a_new_health_centre_gets_the_booking_clock_and_the_old_booking_is_cancelled(uow):
    case_id = register(uow)
    event(uow, RECEPTION, case_id, "notify_parties")
    event(uow, HC, case_id, "book_health_conversation", start="2026-11-26T09:00")
    moved = NOW + timedelta(days=1)
    case = event(uow, RECEPTION, case_id, "update_details", at=moved, health_centre="hc-odensala")
    assert (case.health_centre_id, case.health_state, case.hc_informed_at) == ("hc-odensala", "parties_notified", moved)
    assert case.conversation_start is None and case.conversation_booked_at is None
    assert uow.committed["bookings"][(case_id, "conversation")]["status"] == "cancelled"
    booking = {d.rule: d for d in uow.committed["deadlines"][case_id]}["book_health_conversation"]
    assert (booking.starts, booking.status) == (moved, "open")
    assert [m["template"] for m in messages_to(uow, "health_centre")] == ["arrival_notice", "arrival_notice"]
    with uow, pytest.raises(NotFound):  # the old centre no longer sees the child
        record_event(uow, HC, case_id, "book_health_conversation", {"start": "2026-11-27T09:00"},
                     policy=POLICY, now=moved, recorded_at=moved)


def test_the_same_organisation_again_changes_nothing_and_tells_nobody(uow):
    case_id = register(uow)
    event(uow, RECEPTION, case_id, "notify_parties")
    before = len(uow.committed["outbox"])
    event(uow, RECEPTION, case_id, "update_details", health_centre="hc-lugnvik", school="ostersund-school-norrby")
    assert len(uow.committed["outbox"]) == before


def test_the_health_centre_corrects_language_and_interpreter_only(uow):
    case_id = register(uow)
    event(uow, RECEPTION, case_id, "notify_parties")
    assert event(uow, HC, case_id, "update_details", language="so", interpreter="yes").language == "so"
    unchanged(uow, lambda: event(uow, HC, case_id, "update_details", school="ostersund-school-norrby"))
    with uow, pytest.raises(Refused, match="only language and interpreter, not name"):
        record_event(uow, HC, case_id, "update_details", {"language": "ar", "name": "X"}, policy=POLICY,
                     now=NOW, recorded_at=NOW)


@pytest.mark.parametrize("values, refusal", [
    ({}, "give at least one of"),
    ({"personnummer": "20170402-2382"}, "check digit"),
    ({"personnummer": "20170403-2380"}, "does not match the birth date"),
    ({"school": "krokom-school-granbacka"}, "is in Krokom, not Östersund"),
    ({"school": "hc-lugnvik"}, "is not a school"),
    ({"health_centre": ""}, "not removed"),
    ({"interpreter": "kanske"}, "must be one of"),
])
def test_a_correction_is_checked_as_registration_checks_and_writes_nothing_when_refused(uow, values, refusal):
    case_id = register(uow)
    before, commits = repr(uow.committed), uow.commits
    with uow, pytest.raises((BadInput, Refused), match=refusal):
        record_event(uow, RECEPTION, case_id, "update_details", values, policy=POLICY, now=NOW, recorded_at=NOW)
    assert (repr(uow.committed), uow.commits) == (before, commits)


def test_an_identity_number_is_completed_and_never_given_to_two_cases(uow):
    first = register(uow, dossier="12-345678")
    second = register(uow, birth_date=date(2016, 1, 9), dossier="12-999999")
    case = event(uow, RECEPTION, first, "update_details", personnummer="20170402-2381")
    assert case.personnummer == "201704022381"
    assert "201704022381" not in repr([entry.detail for entry in uow.committed["audit"]])  # not in the log
    with uow, pytest.raises(Refused, match="ask the coordinator to merge"):
        record_event(uow, RECEPTION, second, "update_details", {"dossier": "12345678"}, policy=POLICY,
                     now=NOW, recorded_at=NOW)
    with uow:  # an empty value clears
        assert record_event(uow, RECEPTION, first, "update_details", {"name": ""}, policy=POLICY, now=NOW,
                            recorded_at=NOW).name is None


class Inbox:
    """A channel that keeps what it is given."""

    def __init__(self):
        self.messages = []

    def send(self, message) -> None:
        self.messages.append(message)


def test_the_outbox_delivers_each_message_once_in_the_readers_language(uow):
    from notifications.outbox import dispatch
    from notifications.templates import Templates

    case_id = register(uow)
    event(uow, RECEPTION, case_id, "notify_parties")
    inbox = Inbox()
    with uow:
        assert dispatch(uow, inbox, NOW + timedelta(minutes=1), templates=Templates("sv")) == 3
    with uow:
        assert dispatch(uow, inbox, NOW + timedelta(minutes=2)) == 0  # nothing twice
    assert sorted(to for m in inbox.messages for to in m.to) == sorted(
        o.email for o in uow.committed["directory"].organisations
        if o.id in ("hc-lugnvik", "ostersund-school-norrby", "ostersund-preschool-solrosen"))
    assert all(case_id in m.body for m in inbox.messages)
    assert {m["status"] for m in uow.committed["outbox"].values()} == {"sent"}


def test_a_message_that_cannot_be_delivered_is_dead_and_a_coordinator_retries_it(uow):
    from notifications.outbox import dispatch, retry

    class Down:
        def send(self, message):
            raise ConnectionError("the mail server does not answer")

    case_id = register(uow)
    event(uow, RECEPTION, case_id, "notify_parties")
    with uow:
        assert dispatch(uow, Down(), NOW) == 0
    stored = sorted(uow.committed["outbox"].values(), key=lambda m: m["id"])
    assert {(m["status"], m["attempts"], m["last_error"]) for m in stored} == {
        ("queued", 1, "ConnectionError: the mail server does not answer")}
    with uow:
        uow.outbox.dead(stored[0]["id"], "given up")
        uow.commit()
    with uow, pytest.raises(Refused, match="only a dead message is retried"):
        retry(uow, stored[1]["id"])
    with uow:
        retry(uow, stored[0]["id"])
        uow.commit()
    assert uow.committed["outbox"][stored[0]["key"]]["status"] == "queued"


def test_a_centres_calendar_holds_its_bookings_and_no_more_than_initials(uow):
    from screening.services import calendar

    case_id = register(uow, name="Amira Testsson")
    event(uow, RECEPTION, case_id, "notify_parties")
    event(uow, HC, case_id, "book_health_conversation", start="2026-11-24T09:00")
    feed = calendar.export(fake_app(uow, NOW), HC, "hc-lugnvik").decode()
    assert [entry.action for entry in uow.committed["audit"] if entry.case_id == case_id][-1] == "calendar"
    assert case_id.lower() in feed and "A. T." in feed.replace("A.T.", "A. T.")
    assert "Amira" not in feed and "Testsson" not in feed


# --- who may do what: the contract's table (cli.md), every (role, event) pair ------------------

CONTRACT = {  # ../shared/contract/cli.md, "Who may do what", written out here, not read from the code
    **dict.fromkeys(("notify_parties", "change_arrival", "verify_previous_screening", "move_out"), {"reception"}),
    **dict.fromkeys(("book_health_conversation", "cancel_booking", "hold_health_conversation", "record_results",
                     "inform_family", "inform_reception", "record_consent", "share_with_school_health",
                     "book_examination", "hold_examination"), {"health_centre"}),
    "decline": {"health_centre", "reception"},
    "close": {"reception", "coordinator"},
    "update_details": {"reception", "health_centre"},
    **dict.fromkeys(("invite_intro_meeting", "hold_intro_meeting", "make_intro_plan", "start_with_adaptations",
                     "postpone_start"), {"school", "preschool"}),
    "start_school": {"school"},
    "start_preschool": {"preschool"},
    "request_records": {"school_health"},
    **dict.fromkeys(("assess_vaccinations", "make_vaccination_plan", "give_catch_up_dose", "complete_vaccinations"),
                    {"bvc", "school_health"}),
}
def test_the_contract_table_names_exactly_the_events_of_the_product():
    assert set(CONTRACT) == set(EVENTS)


@pytest.mark.parametrize("name", sorted(CONTRACT))
@pytest.mark.parametrize("actor", EVERYONE, ids=lambda a: a.role)
def test_each_role_may_apply_exactly_the_events_the_contract_gives_it(uow, actor, name):
    """A role outside the table is refused for its role, whatever the case's state, and writes
    nothing; a role in it is never refused for its role (the state may still refuse the event)."""
    case_id = register(uow)
    before, commits = repr(uow.committed), uow.commits
    try:
        event(uow, actor, case_id, name, **VALUES.get(name, {}))
    except (Refused, BadInput) as refusal:
        refused_for_role = f"the role '{actor.role}' may not {name}" in refusal.message
        assert refused_for_role == (actor.role not in CONTRACT[name]), refusal.message
        assert (repr(uow.committed), uow.commits) == (before, commits)
    else:
        assert actor.role in CONTRACT[name]


VALUES = {"verify_previous_screening": {"done": "no"}, "change_arrival": {"arrival": "2026-12-01"},
          "book_health_conversation": {"start": "2026-11-24T09:00"}, "book_examination": {"start": "2026-11-24T09:00"},
          "record_results": {"obstacle": "no"}, "record_consent": {"given_by": "guardian", "scope": "school_health"},
          "start_with_adaptations": {"reason": "x"}, "postpone_start": {"reason": "x"},
          "assess_vaccinations": {"status": "missing"}, "give_catch_up_dose": {"vaccine": "x"},
          "update_details": {"language": "ti"}}


# --- step 3: the letter kept and the interpreter ordered, with the booking --------------------------------


def test_a_booking_keeps_the_familys_letter_and_orders_the_interpreter_in_its_unit_of_work(uow):
    case_id = register(uow, language="ti", interpreter=True, name="Amira Hassan")
    event(uow, RECEPTION, case_id, "notify_parties")
    event(uow, HC, case_id, "book_health_conversation", start="2026-11-25T10:00")
    [kept] = uow.committed["letters"][(case_id, "conversation")]
    assert (kept["sequence"], kept["superseded_at"]) == (0, None)
    assert kept["facts"]["name"] == "Amira Hassan" and kept["facts"]["interpreter"] == "ti"
    assert not {"note", "results", "obstacle"} & set(kept["facts"])  # nothing medical is kept for it
    [order] = [m for key, m in uow.committed["outbox"].items() if key.endswith(":interpreter_service")]
    assert json.loads(order["payload"])["booking"] == {"kind": "conversation", "previous": None}


def test_without_an_interpreter_service_the_booking_warns_the_health_centre_and_orders_nothing():
    from dataclasses import replace

    fake = FakeUnitOfWork()
    directory = fake.state["directory"]
    fake.committed["directory"] = replace(directory, organisations=tuple(
        replace(org, interpreter_service="") for org in directory.organisations))
    with fake:
        store_directory(fake, fake.state["directory"], demo_users=True)
    case_id = register(fake, language="ti", interpreter=True)
    event(fake, RECEPTION, case_id, "notify_parties")
    event(fake, HC, case_id, "book_health_conversation", start="2026-11-25T10:00")
    assert [(a["rule"], a["kind"], a["owner"]) for a in fake.committed["alerts"].values()] == [
        ("interpreter_order", "warning", "health_centre")]
    assert not [key for key in fake.committed["outbox"] if key.endswith(":interpreter_service")]


# --- the deadline rules' versions -----------------------------------------------------------------

@pytest.mark.parametrize("actor", [a for a in EVERYONE if a.role != "admin"], ids=lambda a: a.role)
def test_only_an_admin_loads_a_rule_version_and_a_refusal_stores_nothing(uow, actor, tmp_path):
    from screening.services import rules

    quick = tmp_path / "quick.toml"
    quick.write_text("[book_health_conversation]\nworking_days = 2\n", encoding="utf-8")
    unchanged(uow, lambda: rules.load(fake_app(uow, NOW), actor, str(quick)))


def test_a_rule_version_is_stored_with_who_and_when_and_audited_once(uow, tmp_path):
    from screening.services import rules

    quick = tmp_path / "quick.toml"
    quick.write_text("[book_health_conversation]\nworking_days = 2\n", encoding="utf-8")
    app = fake_app(uow, NOW)
    assert rules.load(app, ADMIN, str(quick)) == {"version": 2, "new": True}
    assert rules.load(app, ADMIN, str(quick)) == {"version": 2, "new": False}  # the same table again
    stored = uow.committed["rules"][-1]
    assert stored["loaded_by"] == "admin" and stored["rules"]["book_health_conversation"]["working_days"] == 2
    assert [(e.action, e.user_id, e.detail) for e in uow.committed["audit"] if e.action == "rules"] == [
        ("rules", "admin", {"version": 2})]


def test_a_rule_file_in_error_stores_nothing(uow, tmp_path):
    from screening.services import rules

    bad = tmp_path / "bad.toml"
    bad.write_text("[book_health_conversation]\nmonths = 1\n", encoding="utf-8")  # two durations
    unchanged(uow, lambda: rules.load(fake_app(uow, NOW), ADMIN, str(bad)))


def test_each_deadline_records_the_rule_version_it_was_computed_under(uow):
    case_id = register(uow)
    assert {d.rules_version for d in uow.committed["deadlines"][case_id]} == {1}
    with uow:
        record_event(uow, RECEPTION, case_id, "notify_parties", {}, policy=replace(POLICY, version=7), now=NOW,
                     recorded_at=NOW)
    assert {d.rules_version for d in uow.committed["deadlines"][case_id]} == {7}
