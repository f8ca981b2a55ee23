"""The deadline sweep (`screening.services.alerts`) on SQLite and PostgreSQL, read back through fresh units of work.

Every child and every date here is invented. The clock starts on Monday 2026-11-23 (winter,
+01:00); no Swedish holiday falls between then and mid-December.
"""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest

from screening import clock
from screening.bootstrap import App, Clock
from screening.clock import STOCKHOLM
from screening.errors import Refused, ScreeningError
from screening.services import alerts, users
from screening.services.alerts import acknowledge_in, sweep_in
from screening.services.events import record_event
from screening.services.registration import Registration, register_in
from screening.services.users import actor_in
from screening.storage.unit_of_work import SqlUnitOfWork
from workflows.policy import Policy

POLICY = Policy.default()
COORDINATOR = "region-coordinator"
RECEPTION = "ostersund-reception"
HC = "hc-lugnvik"
SCHOOL = "ostersund-school-norrby"
PRESCHOOL = "ostersund-preschool-solrosen"
SCHOOL_CHILD = date(2019, 4, 2)  # 7 years old in 2026
SOFT_TARGETS = {"school_start", "preschool_start", "vaccination_plan", "turns_18", "results_received"}
NOT_COORDINATORS = [RECEPTION, HC, SCHOOL, PRESCHOOL, "ostersund-school-health", "ostersund-bvc",
                    "krokom-reception", "hc-krokom"]


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=STOCKHOLM)


MONDAY = at(2026, 11, 23, 9, 0)


# --- driving cases ------------------------------------------------------------------------------


def register(url: str, when: datetime, *, birth: date = SCHOOL_CHILD, user: str = RECEPTION,
             municipality: str = "Östersund", **options) -> str:
    with SqlUnitOfWork(url) as uow:
        case_id, attached = register_in(uow, actor_in(uow, user), Registration(birth_date=birth, municipality=municipality, notice_at=when, **options),
            now=when, recorded_at=when, policy=POLICY)
    assert not attached
    return case_id


def event(url: str, case_id: str, name: str, when: datetime, user: str, **params: str) -> None:
    with SqlUnitOfWork(url) as uow:
        record_event(uow, actor_in(uow, user), case_id, name, params, policy=POLICY, now=when, recorded_at=when)


def notified(url: str, when: datetime, **options) -> str:
    """A case whose HC was informed at `when`: its booking is due at the end of the 5th working day after."""
    case_id = register(url, when, **options)
    event(url, case_id, "notify_parties", when, RECEPTION)
    return case_id


def through_results(url: str, case_id: str, start: datetime) -> None:
    """Booked, conversation held, results in: all on the day of `start`, nothing late."""
    event(url, case_id, "book_health_conversation", start, HC, start=(start + timedelta(hours=1)).isoformat())
    event(url, case_id, "hold_health_conversation", start + timedelta(hours=1), HC)
    event(url, case_id, "record_results", start + timedelta(hours=2), HC, obstacle="no")
    event(url, case_id, "inform_family", start + timedelta(hours=2, minutes=10), HC)
    event(url, case_id, "inform_reception", start + timedelta(hours=2, minutes=20), HC)


def sweep(url: str, now: datetime) -> list[dict]:
    """A sweep at `now`, as the scheduler does: the alerts it raised, as stored."""
    with SqlUnitOfWork(url) as uow:
        return sweep_in(uow, POLICY.rules, now)


def sweep_as(url: str, now: datetime, user: str) -> list[tuple[str, str, str]]:
    """A sweep a user asks for (`sweep`): (case, rule, kind) of each alert it shows."""
    app = App(url, clock=Clock(now))
    return [(a["case"], a["rule"], a["kind"]) for a in alerts.sweep(app, users.identify(app, user))]


# --- reading back -------------------------------------------------------------------------------


def rows(url: str, sql: str, **params) -> list[dict]:
    with SqlUnitOfWork(url) as uow:
        return uow.conn.all(sql, params)


def stored_alerts(url: str) -> list[dict]:
    found = rows(url, "SELECT id, case_id, rule, kind, owner, due, raised_at, last_raised_at, raise_count, "
                      "acknowledged_at FROM alert ORDER BY id")
    for row in found:
        for name in ("due", "raised_at", "last_raised_at", "acknowledged_at"):
            row[name] = clock.from_db(row[name])
    return found


def keys(alerts: list[dict]) -> list[tuple[str, str, str]]:
    return sorted((a["case_id"], a["rule"], a["kind"]) for a in alerts)


def of_case(alerts: list[dict], case_id: str) -> list[tuple[str, str]]:
    return sorted((a["rule"], a["kind"]) for a in alerts if a["case_id"] == case_id)


def status(url: str, case_id: str, rule: str) -> str:
    """The deadline's status as of the last sweep: a past-due one not done is stored open, shown breached."""
    [row] = rows(url, "SELECT d.status, d.due, m.swept_to FROM deadline d, sweep_mark m "
                      "WHERE d.case_id = :case AND d.rule = :rule", case=case_id, rule=rule)
    swept_to = clock.from_db(row["swept_to"])
    past_due = swept_to is not None and clock.from_db(row["due"]) < swept_to
    return "breached" if row["status"] == "open" and past_due else row["status"]


def outbox(url: str) -> list[dict]:
    """The alerts' messages (the events' own messages are the routes' business)."""
    return rows(url, "SELECT key, topic, ref, status FROM outbox WHERE topic = 'alert' ORDER BY id")


def past_due_open(url: str, now: datetime) -> list[tuple[str, str, str]]:
    """What a sweep at `now` must raise: every open deadline past its due not raised for that due
    yet, breach or warning by its rule."""
    found = rows(url, "SELECT case_id, rule, due FROM deadline d WHERE status = 'open' AND NOT EXISTS "
                      "(SELECT 1 FROM alert a WHERE a.case_id = d.case_id AND a.rule = d.rule AND a.due = d.due "
                      "AND a.kind IN ('breach', 'warning'))")
    return sorted((r["case_id"], r["rule"], "warning" if r["rule"] in SOFT_TARGETS else "breach")
                  for r in found if clock.from_db(r["due"]) < now)


# --- before and after the due -------------------------------------------------------------------


def test_a_deadline_raises_only_its_reminder_before_its_due_and_one_breach_after_it(demo_db):
    case_id = notified(demo_db, MONDAY)  # booking due at the end of Monday 2026-11-30

    assert of_case(sweep(demo_db, at(2026, 11, 24, 8)), case_id) == []
    assert of_case(sweep(demo_db, at(2026, 11, 30, 8)), case_id) == [("book_health_conversation", "reminder")]
    assert of_case(sweep(demo_db, at(2026, 11, 30, 23, 59)), case_id) == []
    raised = sweep(demo_db, at(2026, 12, 1, 0, 1))

    assert of_case(raised, case_id) == [("book_health_conversation", "breach")]
    [breach] = [a for a in raised if a["kind"] == "breach"]
    assert breach["owner"] == "health_centre"
    assert breach["due"] == at(2026, 11, 30, 23, 59, 59)
    assert breach["raised_at"] == at(2026, 12, 1, 0, 1)
    assert breach["raise_count"] == 1 and breach["acknowledged_at"] is None
    assert of_case(stored_alerts(demo_db), case_id) == [("book_health_conversation", "breach"),
                                                        ("book_health_conversation", "reminder")]


def test_a_second_sweep_at_the_same_or_a_later_time_raises_nothing_new(demo_db):
    notified(demo_db, MONDAY)
    register(demo_db, MONDAY)  # never notified: notify_parties breached
    first_now = at(2026, 12, 1, 8)
    first = sweep(demo_db, first_now)
    assert {a["kind"] for a in first} == {"breach"} and len(first) == 2

    for later in (timedelta(0), timedelta(0), timedelta(hours=5), timedelta(days=6, hours=23)):
        assert sweep(demo_db, first_now + later) == []
    assert keys(stored_alerts(demo_db)) == keys(first)
    assert len(outbox(demo_db)) == 2


def test_a_swept_past_due_deadline_stays_open_in_the_table_and_is_never_read_again(demo_db):
    case_id = notified(demo_db, MONDAY)
    sweep(demo_db, at(2026, 11, 30, 12))
    assert status(demo_db, case_id, "book_health_conversation") == "open"

    sweep(demo_db, at(2026, 12, 1, 8))

    assert status(demo_db, case_id, "book_health_conversation") == "breached"
    assert status(demo_db, case_id, "notify_parties") == "met"
    assert status(demo_db, case_id, "turns_18") == "open"
    [row] = rows(demo_db, "SELECT d.status, d.next_alert_at, m.swept_to FROM deadline d, sweep_mark m "
                          "WHERE d.case_id = :case AND d.rule = 'book_health_conversation'", case=case_id)
    assert row["status"] == "open"  # no write per breached deadline: the sweep writes alerts only
    assert clock.from_db(row["next_alert_at"]) < clock.from_db(row["swept_to"]) == at(2026, 12, 1, 8)


# --- reminders -----------------------------------------------------------------------------------


def test_the_owner_is_reminded_on_the_working_day_before_a_monday_due_and_not_on_the_thursday(demo_db):
    case_id = notified(demo_db, MONDAY)  # due at the end of Monday 2026-11-30

    assert of_case(sweep(demo_db, at(2026, 11, 26, 12)), case_id) == []  # Thursday
    friday = sweep(demo_db, at(2026, 11, 27, 8))

    assert of_case(friday, case_id) == [("book_health_conversation", "reminder")]
    [reminder] = friday
    assert reminder["owner"] == "health_centre"
    assert reminder["due"] == at(2026, 11, 30, 23, 59, 59)
    assert sweep(demo_db, at(2026, 11, 28, 10)) == []  # Saturday: reminded once is enough
    assert status(demo_db, case_id, "book_health_conversation") == "open"


def test_a_same_day_deadline_is_reminded_on_its_own_day(demo_db):
    case_id = register(demo_db, MONDAY)  # notify_parties due at the end of Monday

    assert of_case(sweep(demo_db, at(2026, 11, 23, 12)), case_id) == [("notify_parties", "reminder")]


def test_soft_targets_get_no_reminder_but_the_18th_birthday_is_reminded_30_days_before(demo_db):
    results_case = notified(demo_db, MONDAY)
    event(demo_db, results_case, "book_health_conversation", MONDAY, HC, start="2026-11-24T10:00")
    event(demo_db, results_case, "hold_health_conversation", at(2026, 11, 24, 10), HC)  # results due 12-08
    school_case = register(demo_db, MONDAY, school=SCHOOL, arrival=date(2026, 11, 8))  # school start due 12-08
    adult_soon = notified(demo_db, MONDAY, birth=date(2008, 12, 24))  # 18 on 2026-12-24: due end of 12-23

    before = sweep(demo_db, at(2026, 11, 23, 10))  # 12-23 is 30 days and 14 h away: not yet

    assert ("turns_18", "reminder") not in of_case(before, adult_soon)
    assert of_case(sweep(demo_db, at(2026, 11, 24, 0, 30)), adult_soon) == [("turns_18", "reminder")]
    on_the_eve = sweep(demo_db, at(2026, 12, 8, 12))  # both soft targets due within a day
    assert [rule for rule, _ in of_case(on_the_eve, results_case)] == []
    assert [rule for rule, _ in of_case(on_the_eve, school_case)] == ["notify_parties"]  # its weekly re-raise
    reminded = {a["rule"] for a in stored_alerts(demo_db) if a["kind"] == "reminder"}
    assert reminded & SOFT_TARGETS == {"turns_18"}
    assert "notify_parties" in reminded  # the school case's, a breach rule
    [turns_18] = [a for a in stored_alerts(demo_db) if a["rule"] == "turns_18"]
    assert turns_18["owner"] == "coordinator"


def test_soft_targets_raise_warnings_and_hard_deadlines_breaches(demo_db):
    school_case = register(demo_db, MONDAY, school=SCHOOL, arrival=date(2026, 11, 25))
    event(demo_db, school_case, "notify_parties", MONDAY, RECEPTION)
    preschool_case = notified(demo_db, MONDAY, birth=date(2023, 5, 10), preschool=PRESCHOOL)
    through_results(demo_db, preschool_case, at(2026, 11, 24, 9))
    event(demo_db, preschool_case, "book_examination", at(2026, 11, 24, 12), HC, start="2026-11-25T10:00")
    event(demo_db, preschool_case, "hold_examination", at(2026, 11, 25, 10), HC)
    results_case = notified(demo_db, MONDAY)
    event(demo_db, results_case, "book_health_conversation", MONDAY, HC, start="2026-11-24T10:00")
    event(demo_db, results_case, "hold_health_conversation", at(2026, 11, 24, 10), HC)
    adult_soon = notified(demo_db, MONDAY, birth=date(2008, 12, 20))
    unbooked = notified(demo_db, MONDAY)
    everything_due = at(2027, 2, 1, 8)
    expected = past_due_open(demo_db, everything_due)

    raised = sweep(demo_db, everything_due)

    assert keys(raised) == expected
    assert {(a["case_id"], a["rule"]): a["kind"] for a in raised if a["rule"] in SOFT_TARGETS} == {
        (school_case, "school_start"): "warning",
        (preschool_case, "preschool_start"): "warning",
        (preschool_case, "vaccination_plan"): "warning",
        (results_case, "results_received"): "warning",
        (adult_soon, "turns_18"): "warning",
    }
    assert all(a["kind"] == "breach" for a in raised if a["rule"] not in SOFT_TARGETS)
    assert (unbooked, "book_health_conversation", "breach") in keys(raised)
    owners = {a["rule"]: a["owner"] for a in raised if a["rule"] in SOFT_TARGETS}
    assert owners == {"school_start": "school", "preschool_start": "preschool", "vaccination_plan": "bvc",
                      "results_received": "health_centre", "turns_18": "coordinator"}
    assert all(status(demo_db, case, rule) == "breached" for case, rule, _ in expected)


# --- the weekly re-raise ---------------------------------------------------------------------------


def _breach_of(alerts: list[dict], case_id: str, rule: str = "book_health_conversation") -> dict:
    [found] = [a for a in alerts if a["case_id"] == case_id and a["rule"] == rule and a["kind"] == "breach"]
    return found


def test_an_unresolved_breach_is_raised_again_a_week_after_its_last_raise_and_not_before(demo_db):
    case_id = notified(demo_db, MONDAY)
    first_raise = at(2026, 12, 1, 8)
    alert_id = _breach_of(sweep(demo_db, first_raise), case_id)["id"]
    with SqlUnitOfWork(demo_db) as uow:
        acknowledge_in(uow, actor_in(uow, HC), alert_id, now=at(2026, 12, 1, 9), recorded_at=at(2026, 12, 1, 9))

    assert sweep(demo_db, first_raise + timedelta(days=7, minutes=-1)) == []
    assert _breach_of(stored_alerts(demo_db), case_id)["acknowledged_at"] is not None
    again = sweep(demo_db, first_raise + timedelta(days=7))

    raised = _breach_of(again, case_id)
    assert (raised["id"], raised["raise_count"], raised["acknowledged_at"]) == (alert_id, 2, None)
    assert raised["raised_at"] == first_raise
    assert raised["last_raised_at"] == first_raise + timedelta(days=7)
    stored = _breach_of(stored_alerts(demo_db), case_id)
    assert (stored["raise_count"], stored["acknowledged_at"]) == (2, None)
    assert sweep(demo_db, first_raise + timedelta(days=7, hours=1)) == []
    assert sweep(demo_db, first_raise + timedelta(days=13, hours=23)) == []
    assert _breach_of(sweep(demo_db, first_raise + timedelta(days=14)), case_id)["raise_count"] == 3


def _one_breach_booked_late(url: str, first_raise: datetime) -> tuple[str, str]:
    """Two cases breached at `first_raise`; the first then booked (late), the second not."""
    case_id, still_open = notified(url, MONDAY), notified(url, MONDAY)
    sweep(url, first_raise)
    event(url, case_id, "book_health_conversation", at(2026, 12, 3, 10), HC, start="2026-12-07T10:00")
    return case_id, still_open


def test_a_breach_resolved_late_is_not_raised_again(demo_db):
    first_raise = at(2026, 12, 1, 8)
    case_id, still_open = _one_breach_booked_late(demo_db, first_raise)
    assert status(demo_db, case_id, "book_health_conversation") == "late"

    again = sweep(demo_db, first_raise + timedelta(days=7))

    assert [(a["case_id"], a["rule"]) for a in again if a["kind"] == "breach"] == [
        (still_open, "book_health_conversation")]
    assert _breach_of(stored_alerts(demo_db), case_id)["raise_count"] == 1


def test_a_resolved_breach_is_marked_once_and_leaves_the_weekly_re_raise_index(demo_db):
    first_raise = at(2026, 12, 1, 8)
    case_id, still_open = _one_breach_booked_late(demo_db, first_raise)

    sweep(demo_db, first_raise + timedelta(days=7))
    sweep(demo_db, first_raise + timedelta(days=14))

    resolved = {row["case_id"]: clock.from_db(row["resolved_at"]) for row in rows(
        demo_db, "SELECT case_id, resolved_at FROM alert WHERE kind = 'breach' AND rule = 'book_health_conversation'")}
    assert resolved == {case_id: first_raise + timedelta(days=7), still_open: None}
    assert _breach_of(stored_alerts(demo_db), still_open)["raise_count"] == 3
    assert _breach_of(stored_alerts(demo_db), case_id)["raise_count"] == 1


def test_warnings_and_reminders_are_not_raised_again_weekly(demo_db):
    case_id = notified(demo_db, MONDAY)
    event(demo_db, case_id, "book_health_conversation", MONDAY, HC, start="2026-11-24T10:00")
    event(demo_db, case_id, "hold_health_conversation", at(2026, 11, 24, 10), HC)  # results due 12-08
    sweep(demo_db, at(2026, 12, 9, 8))

    sweep(demo_db, at(2026, 12, 16, 8))

    assert [(a["rule"], a["kind"], a["raise_count"]) for a in stored_alerts(demo_db)] == [
        ("results_received", "warning", 1)]


# --- catching up ----------------------------------------------------------------------------------


def test_one_sweep_after_a_weekend_of_downtime_raises_every_deadline_passed_meanwhile_once(demo_db):
    samples_saturday = notified(demo_db, at(2026, 11, 13, 9))
    event(demo_db, samples_saturday, "book_health_conversation", at(2026, 11, 13, 10), HC,
          start="2026-11-14T10:00")
    event(demo_db, samples_saturday, "hold_health_conversation", at(2026, 11, 14, 10), HC)  # due Sat 11-28
    booking_friday = notified(demo_db, at(2026, 11, 20, 9))  # booking due Fri 11-27
    notice_friday = register(demo_db, at(2026, 11, 27, 10))  # notify_parties due Fri 11-27
    friday = sweep(demo_db, at(2026, 11, 27, 16))
    assert {a["kind"] for a in friday} == {"reminder"}
    assert all(status(demo_db, c, r) == "open" for c, r in [
        (samples_saturday, "results_received"), (booking_friday, "book_health_conversation"),
        (notice_friday, "notify_parties")])

    monday = sweep(demo_db, at(2026, 11, 30, 8))

    assert keys(monday) == sorted([
        (samples_saturday, "results_received", "warning"),
        (booking_friday, "book_health_conversation", "breach"),
        (notice_friday, "notify_parties", "breach"),
    ])
    assert sweep(demo_db, at(2026, 11, 30, 8, 5)) == []
    assert len(stored_alerts(demo_db)) == len(friday) + 3
    assert past_due_open(demo_db, at(2026, 11, 30, 8)) == []


# --- concurrent sweeps ------------------------------------------------------------------------------


def _sweep_in_thread(url: str, now: datetime, barrier: threading.Barrier, results: list, refusals: list) -> None:
    try:
        with SqlUnitOfWork(url) as uow:
            barrier.wait(timeout=30)
            results.append(sweep_in(uow, POLICY.rules, now))
    except ScreeningError as refusal:  # a conflict with the other sweep: a refusal
        refusals.append(refusal)


def test_two_concurrent_sweeps_raise_each_alert_once_in_total(demo_db):
    day = MONDAY
    for round_ in range(3):
        for i in range(12):
            case_id = register(demo_db, day + timedelta(minutes=i))  # notify_parties due that day
            if i % 3 == 0:
                event(demo_db, case_id, "notify_parties", day + timedelta(minutes=i + 1), RECEPTION)
        now = day + timedelta(days=1, hours=-1)  # the next morning at 08:00
        expected = past_due_open(demo_db, now)
        assert len(expected) == 8
        before = len(stored_alerts(demo_db))
        barrier, results, refusals = threading.Barrier(2), [], []
        threads = [threading.Thread(target=_sweep_in_thread, args=(demo_db, now, barrier, results, refusals))
                   for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert not any(thread.is_alive() for thread in threads)
        assert len(results) + len(refusals) == 2 and len(results) >= 1, refusals
        returned = [alert for result in results for alert in result]
        assert keys(returned) == expected  # each alert raised by exactly one of the two
        stored = stored_alerts(demo_db)
        assert len(stored) == before + len(expected)
        assert len(set(keys(stored))) == len(stored)
        assert keys([a for a in stored if a["raised_at"] == now]) == expected
        day += timedelta(days=1)


# --- the outbox and the transaction ---------------------------------------------------------------


def test_every_alert_raised_has_exactly_one_queued_outbox_row_and_a_re_raise_adds_a_second(demo_db):
    unbooked = notified(demo_db, MONDAY)
    register(demo_db, MONDAY)
    notified(demo_db, at(2026, 11, 24, 9))  # booking due 12-01: reminded on 12-01
    first_raise = at(2026, 12, 1, 8)
    first = sweep(demo_db, first_raise)
    assert {a["kind"] for a in first} == {"breach", "reminder"}

    rows_ = outbox(demo_db)
    assert sorted(r["key"] for r in rows_) == sorted(f"alert:{a['id']}:1" for a in stored_alerts(demo_db))
    assert all(r["topic"] == "alert" and r["status"] == "queued" for r in rows_)
    assert sorted(r["ref"] for r in rows_) == sorted(a["id"] for a in stored_alerts(demo_db))

    again = sweep(demo_db, first_raise + timedelta(days=7))

    re_raised = _breach_of(again, unbooked)

    def keys_of(alert_id: int) -> list[str]:
        return sorted(r["key"] for r in outbox(demo_db) if r["ref"] == alert_id)

    assert keys_of(re_raised["id"]) == [f"alert:{re_raised['id']}:1", f"alert:{re_raised['id']}:2"]
    for alert in stored_alerts(demo_db):
        assert keys_of(alert["id"]) == [f"alert:{alert['id']}:{n}" for n in range(1, alert["raise_count"] + 1)]
    assert len(outbox(demo_db)) == sum(a["raise_count"] for a in stored_alerts(demo_db))
    assert all(r["topic"] == "alert" and r["status"] == "queued" for r in outbox(demo_db))


def test_a_sweep_that_fails_midway_writes_nothing(demo_db, monkeypatch):
    case_id = notified(demo_db, MONDAY)
    register(demo_db, MONDAY)
    now = at(2026, 12, 1, 8)
    expected = past_due_open(demo_db, now)

    with pytest.raises(RuntimeError, match="outbox unavailable"):
        with SqlUnitOfWork(demo_db) as uow:
            for method in ("execute", "many"):
                def failing(statement, *args, _original=getattr(uow.conn, method), **kwargs):
                    if "INSERT INTO outbox" in str(statement):
                        raise RuntimeError("outbox unavailable")
                    return _original(statement, *args, **kwargs)

                monkeypatch.setattr(uow.conn, method, failing)
            sweep_in(uow, POLICY.rules, now)
    monkeypatch.undo()  # the connection goes back to the pool: working again

    assert stored_alerts(demo_db) == []
    assert outbox(demo_db) == []
    assert status(demo_db, case_id, "book_health_conversation") == "open"
    assert rows(demo_db, "SELECT case_id, rule FROM deadline WHERE status = 'breached'") == []
    assert keys(sweep(demo_db, now)) == expected  # and the next sweep does it all


def test_only_the_coordinator_and_the_admin_may_sweep(demo_db):
    case_id = notified(demo_db, MONDAY)
    now = at(2026, 12, 1, 8)

    for user in NOT_COORDINATORS:
        with pytest.raises(Refused, match="may not sweep"):
            sweep_as(demo_db, now, user)

    assert stored_alerts(demo_db) == [] and outbox(demo_db) == []
    assert status(demo_db, case_id, "book_health_conversation") == "open"
    assert [a for a in sweep_as(demo_db, now, "admin") if a[0] == case_id] == [
        (case_id, "book_health_conversation", "breach")]
    assert sweep_as(demo_db, now + timedelta(days=1), COORDINATOR) == []


# --- a deadline missed between two sweeps ----------------------------------------------------------


def test_a_deadline_missed_before_a_sweep_is_raised_even_if_an_unrelated_event_came_first(demo_db):
    case_id = notified(demo_db, MONDAY, school=SCHOOL)  # booking due at the end of 2026-11-30
    event(demo_db, case_id, "invite_intro_meeting", at(2026, 12, 1, 7, 30), SCHOOL)  # the school's own step

    raised = sweep(demo_db, at(2026, 12, 1, 8))

    assert of_case(raised, case_id) == [("book_health_conversation", "breach")]


def test_a_re_notification_missed_after_a_second_arrival_change_raises_a_breach_for_its_new_due(demo_db):
    case_id = notified(demo_db, MONDAY, arrival=date(2026, 12, 10))
    event(demo_db, case_id, "change_arrival", at(2026, 11, 30, 10), RECEPTION, arrival="2026-12-12")
    assert ("renotify_arrival_change", "breach") in of_case(sweep(demo_db, at(2026, 12, 1, 8)), case_id)
    event(demo_db, case_id, "notify_parties", at(2026, 12, 1, 9), RECEPTION)  # late, but done
    event(demo_db, case_id, "change_arrival", at(2026, 12, 2, 10), RECEPTION, arrival="2026-12-14")

    raised = sweep(demo_db, at(2026, 12, 3, 8))  # the second re-notification was due at the end of 12-02

    assert status(demo_db, case_id, "renotify_arrival_change") == "breached"
    assert [(a["rule"], a["kind"], a["due"]) for a in raised if a["case_id"] == case_id] == [
        ("renotify_arrival_change", "breach", at(2026, 12, 2, 23, 59, 59))]


def test_a_breach_of_a_case_closed_since_is_not_raised_again_weekly(demo_db):
    case_id = notified(demo_db, MONDAY)
    first_raise = at(2026, 12, 1, 8)
    assert of_case(sweep(demo_db, first_raise), case_id) == [("book_health_conversation", "breach")]
    event(demo_db, case_id, "close", at(2026, 12, 2, 9), COORDINATOR, reason="moved abroad")
    assert status(demo_db, case_id, "book_health_conversation") == "breached"

    assert of_case(sweep(demo_db, first_raise + timedelta(days=7)), case_id) == []


def test_a_deadline_that_moves_after_its_reminder_is_reminded_again_for_its_new_due(demo_db):
    case_id = notified(demo_db, MONDAY, arrival=date(2026, 12, 10))
    event(demo_db, case_id, "change_arrival", at(2026, 11, 30, 10), RECEPTION, arrival="2026-12-12")
    assert ("renotify_arrival_change", "reminder") in of_case(sweep(demo_db, at(2026, 11, 30, 11)), case_id)
    assert sweep(demo_db, at(2026, 11, 30, 11, 5)) == []  # reminded: looked at next at its due
    event(demo_db, case_id, "notify_parties", at(2026, 11, 30, 12), RECEPTION)
    event(demo_db, case_id, "change_arrival", at(2026, 12, 2, 10), RECEPTION, arrival="2026-12-14")

    raised = sweep(demo_db, at(2026, 12, 2, 11))

    assert [(a["kind"], a["due"]) for a in raised if a["rule"] == "renotify_arrival_change"] == [
        ("reminder", at(2026, 12, 2, 23, 59, 59))]
    [row] = rows(demo_db, "SELECT next_alert_at, due FROM deadline WHERE case_id = :case "
                          "AND rule = 'renotify_arrival_change'", case=case_id)
    assert row["next_alert_at"] == row["due"]


# --- the sweep's mark ----------------------------------------------------------------------------


def test_a_deadline_written_after_a_sweep_already_past_due_is_raised_by_the_next_sweep(demo_db):
    sweep(demo_db, at(2026, 12, 1, 8))
    with SqlUnitOfWork(demo_db) as uow:  # a notice from Friday registered on Tuesday: notify_parties past due
        case_id, _ = register_in(uow, actor_in(uow, RECEPTION), Registration(birth_date=SCHOOL_CHILD, municipality="Östersund",
                                                  notice_at=at(2026, 11, 27, 10)),
            now=at(2026, 12, 1, 9), recorded_at=at(2026, 12, 1, 9), policy=POLICY)
    [row] = rows(demo_db, "SELECT next_alert_at FROM deadline WHERE case_id = :case AND rule = 'notify_parties'",
                 case=case_id)
    assert clock.from_db(row["next_alert_at"]) == at(2026, 12, 1, 8)  # not before the mark

    assert of_case(sweep(demo_db, at(2026, 12, 1, 10)), case_id) == [("notify_parties", "breach")]
    assert sweep(demo_db, at(2026, 12, 1, 10, 5)) == []


def test_a_sweep_at_a_time_a_later_sweep_covered_raises_nothing_and_keeps_the_mark(demo_db):
    case_id = notified(demo_db, MONDAY)
    assert of_case(sweep(demo_db, at(2026, 12, 1, 8)), case_id) == [("book_health_conversation", "breach")]

    assert sweep(demo_db, at(2026, 11, 30, 8)) == []
    assert [clock.from_db(r["swept_to"]) for r in rows(demo_db, "SELECT swept_to FROM sweep_mark")] == [
        at(2026, 12, 1, 8)]
