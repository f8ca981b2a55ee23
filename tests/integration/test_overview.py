"""The coordinator's screen (`screening.overview`) on SQLite and PostgreSQL, over a known population.

Every child and date is invented. The screen is read on Wednesday 2026-12-02 at 10:00 (winter,
+01:00); no Swedish holiday falls between early November and then.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from screening.bootstrap import App, Clock
from screening.clock import STOCKHOLM
from screening.directory import load_directory
from screening.errors import Refused
from screening.services import follow_up, users
from screening.services.alerts import acknowledge_in, sweep_in
from screening.services.events import record_event
from screening.services.registration import Registration, register_in
from screening.services.users import actor_in
from screening.storage.unit_of_work import SqlUnitOfWork
from workflows.bookings import duration
from workflows.policy import Policy

POLICY = Policy.default()
COORDINATOR, ADMIN = "region-coordinator", "admin"
RECEPTION, HC = "ostersund-reception", "hc-lugnvik"
KROKOM_RECEPTION, KROKOM_HC = "krokom-reception", "hc-krokom"


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=STOCKHOLM)


VIEW = at(2026, 12, 2, 10, 0)


def register(url: str, when: datetime, user: str = RECEPTION, municipality: str = "Östersund", **options) -> str:
    with SqlUnitOfWork(url) as uow:
        case_id, _ = register_in(uow, actor_in(uow, user), Registration(
            birth_date=date(2019, 4, 2), municipality=municipality, notice_at=when, **options),
            now=when, recorded_at=when, policy=POLICY)
    return case_id


def event(url: str, case_id: str, name: str, when: datetime, user: str, **params: str) -> None:
    with SqlUnitOfWork(url) as uow:
        record_event(uow, actor_in(uow, user), case_id, name, params, policy=POLICY, now=when, recorded_at=when)


def notified(url: str, when: datetime, user: str = RECEPTION, **options) -> str:
    case_id = register(url, when, user, **options)
    event(url, case_id, "notify_parties", when, user)
    return case_id


def krokom(url: str, when: datetime, *, notify: bool = True) -> str:
    register_or_notify = notified if notify else register
    return register_or_notify(url, when, KROKOM_RECEPTION, municipality="Krokom", health_centre=KROKOM_HC)


def population(url: str) -> dict[str, str]:
    """Late, reminded, booked, declined and closed children in Östersund (Lugnvik) and Krokom."""
    c = {}
    c["a"] = register(url, at(2026, 11, 23, 9))  # never notified: notify_parties breached (due 11-23)
    c["b"] = notified(url, at(2026, 11, 23, 9))  # never booked: book_health_conversation breached (due 11-30)
    c["c"] = notified(url, at(2026, 11, 25, 9))  # booking due Wed 12-02: reminded by the sweep on Tue
    c["d"] = notified(url, at(2026, 11, 9, 9))  # samples on 11-10, no results: a missed target (due 11-24)
    event(url, c["d"], "book_health_conversation", at(2026, 11, 9, 10), HC, start="2026-11-10T09:00")
    event(url, c["d"], "hold_health_conversation", at(2026, 11, 10, 10), HC)
    c["e"] = krokom(url, at(2026, 11, 24, 9))  # booking due Tue 12-01: breached, its reminder unacknowledged
    c["i"] = notified(url, at(2026, 11, 23, 9))  # breached, then declined: no longer waiting
    event(url, c["i"], "decline", at(2026, 12, 1, 9), HC, reason="invented")
    c["j"] = register(url, at(2026, 11, 23, 9))  # breached, then closed: no longer waiting
    event(url, c["j"], "close", at(2026, 11, 25, 9), RECEPTION, reason="invented")
    # today's bookings, and some that are not
    c["f"] = notified(url, at(2026, 11, 25, 9), language="ar", interpreter=True)
    event(url, c["f"], "book_health_conversation", at(2026, 11, 25, 10), HC, start="2026-12-02T13:00")
    c["m"] = notified(url, at(2026, 11, 25, 9))  # its examination at 00:15 today (23:15 UTC yesterday)
    event(url, c["m"], "book_health_conversation", at(2026, 11, 25, 10), HC, start="2026-11-26T09:00")
    event(url, c["m"], "hold_health_conversation", at(2026, 11, 26, 10), HC)
    event(url, c["m"], "record_results", at(2026, 11, 27, 9), HC, obstacle="no")
    event(url, c["m"], "inform_family", at(2026, 11, 27, 9, 10), HC)
    event(url, c["m"], "inform_reception", at(2026, 11, 27, 9, 20), HC)
    event(url, c["m"], "book_examination", at(2026, 11, 27, 9, 30), HC, start="2026-12-02T00:15")
    c["k"] = krokom(url, at(2026, 11, 30, 9))
    event(url, c["k"], "book_health_conversation", at(2026, 11, 30, 10), KROKOM_HC, start="2026-12-02T09:00")
    c["g"] = notified(url, at(2026, 11, 30, 9))  # tomorrow at 00:15 (today 23:15 in UTC)
    event(url, c["g"], "book_health_conversation", at(2026, 11, 30, 10), HC, start="2026-12-03T00:15")
    c["h"] = notified(url, at(2026, 11, 30, 9))  # booked for today, then cancelled; reminder not before Fri
    event(url, c["h"], "book_health_conversation", at(2026, 11, 30, 10), HC, start="2026-12-02T11:00")
    event(url, c["h"], "cancel_booking", at(2026, 12, 1, 8), HC)
    with SqlUnitOfWork(url) as uow:
        sweep_in(uow, POLICY.rules, at(2026, 12, 1, 12))
    with SqlUnitOfWork(url) as uow:
        [b_breach] = uow.conn.all("SELECT id FROM alert WHERE case_id = :id AND kind = 'breach'", {"id": c["b"]})
    with SqlUnitOfWork(url) as uow:
        acknowledge_in(uow, actor_in(uow, HC), b_breach["id"], now=at(2026, 12, 1, 13), recorded_at=at(2026, 12, 1, 13))
    c["n"] = krokom(url, at(2026, 12, 2, 9), notify=False)  # notify due today: its reminder time came, not swept
    return c


def list_reads(url: str) -> list[tuple[str, str]]:
    with SqlUnitOfWork(url) as uow:
        rows = uow.conn.all("SELECT case_id, user_id FROM audit_trail WHERE action = 'list' ORDER BY id")
    return [(r["case_id"], r["user_id"]) for r in rows]


def test_breaches_missed_targets_reminders_and_unacknowledged_alerts_are_counted_per_centre_and_region(demo_db):
    population(demo_db)

    data = gather_for(demo_db, COORDINATOR, now=VIEW, recorded_at=VIEW, oldest=10)

    assert data["at"] == "2026-12-02T10:00:00+01:00"
    assert data["breaches"] == [  # the region's order: Krokom before Östersund
        {"municipality": "Krokom", "health_centre": "hc-krokom", "breaches": 1, "missed_targets": 0,
         "reminders": 1, "unacknowledged_alerts": 1},
        {"municipality": "Östersund", "health_centre": "hc-lugnvik", "breaches": 2, "missed_targets": 1,
         "reminders": 1, "unacknowledged_alerts": 3},
    ]
    assert data["total"] == {"breaches": 3, "missed_targets": 1, "reminders": 2, "unacknowledged_alerts": 4}


def test_the_longest_waiting_cases_come_oldest_first_each_once_by_its_oldest_late_step(demo_db):
    c = population(demo_db)

    data = gather_for(demo_db, ADMIN, now=VIEW, recorded_at=VIEW, oldest=10)

    assert data["oldest"] == [
        {"case": c["a"], "municipality": "Östersund", "health_centre": "hc-lugnvik", "rule": "notify_parties",
         "owner": "reception_unit", "due_date": "2026-11-23", "days_overdue": 9},
        {"case": c["d"], "municipality": "Östersund", "health_centre": "hc-lugnvik", "rule": "results_received",
         "owner": "health_centre", "due_date": "2026-11-24", "days_overdue": 8},
        {"case": c["b"], "municipality": "Östersund", "health_centre": "hc-lugnvik",
         "rule": "book_health_conversation", "owner": "health_centre", "due_date": "2026-11-30", "days_overdue": 2},
        {"case": c["e"], "municipality": "Krokom", "health_centre": "hc-krokom", "rule": "book_health_conversation",
         "owner": "health_centre", "due_date": "2026-12-01", "days_overdue": 1},
    ]
    assert [row["case"] for row in gather_for(demo_db, ADMIN, now=VIEW, recorded_at=VIEW, oldest=2)["oldest"]] == [
        c["a"], c["d"]]


def test_todays_bookings_are_the_booked_ones_of_the_local_day_in_time_order(demo_db):
    c = population(demo_db)
    directory = load_directory(None)

    def end(centre: str, kind: str, start: datetime, interpreter: bool) -> str:
        return (start + duration(directory.get(centre).appointments, kind, interpreter)).isoformat()

    data = gather_for(demo_db, COORDINATOR, now=VIEW, recorded_at=VIEW, oldest=10)

    assert data["bookings_today"] == [
        {"start": "2026-12-02T00:15:00+01:00", "end": end(HC, "examination", at(2026, 12, 2, 0, 15), False),
         "health_centre": HC, "kind": "examination", "case": c["m"], "interpreter": False},
        {"start": "2026-12-02T09:00:00+01:00", "end": end(KROKOM_HC, "conversation", at(2026, 12, 2, 9), False),
         "health_centre": KROKOM_HC, "kind": "conversation", "case": c["k"], "interpreter": False},
        {"start": "2026-12-02T13:00:00+01:00", "end": end(HC, "conversation", at(2026, 12, 2, 13), True),
         "health_centre": HC, "kind": "conversation", "case": c["f"], "interpreter": True},
    ]  # not G (tomorrow 00:15, today in UTC), not H (cancelled)
    tomorrow = gather_for(demo_db, COORDINATOR, now=VIEW + timedelta(days=1), recorded_at=VIEW, oldest=1)
    assert [b["case"] for b in tomorrow["bookings_today"]] == [c["g"]]


def test_each_listed_case_is_audited_once_per_view_and_a_watching_screen_audits_it_once(demo_db):
    c = population(demo_db)
    before = list_reads(demo_db)

    gather_for(demo_db, COORDINATOR, now=VIEW, recorded_at=VIEW, oldest=2)  # A, D; bookings M, K, F
    listed = sorted([c["a"], c["d"], c["m"], c["k"], c["f"]])
    assert sorted(list_reads(demo_db)[len(before):]) == [(case_id, COORDINATOR) for case_id in listed]

    shown: set[str] = set()
    gather_for(demo_db, COORDINATOR, now=VIEW, recorded_at=VIEW, oldest=2, audited=shown)
    gather_for(demo_db, COORDINATOR, now=VIEW, recorded_at=VIEW, oldest=3, audited=shown)  # B is new
    assert sorted(list_reads(demo_db)[len(before) + 5:]) == sorted([(i, COORDINATOR) for i in listed + [c["b"]]])
    assert shown == set(listed) | {c["b"]}


@pytest.mark.parametrize("user", [RECEPTION, HC, "ostersund-school-health", KROKOM_HC])
def test_other_roles_are_refused_and_nothing_is_audited(demo_db, user):
    register(demo_db, at(2026, 11, 23, 9))  # a breached case the screen would list
    with pytest.raises(Refused, match="may not see the overview"):
        gather_for(demo_db, user, now=VIEW, recorded_at=VIEW, oldest=10)
    assert list_reads(demo_db) == []


def test_an_empty_region_shows_zeros(demo_db):
    data = gather_for(demo_db, COORDINATOR, now=VIEW, recorded_at=VIEW, oldest=10)

    assert data == {"at": "2026-12-02T10:00:00+01:00", "breaches": [],
                    "total": {"breaches": 0, "missed_targets": 0, "reminders": 0, "unacknowledged_alerts": 0},
                    "oldest": [], "bookings_today": []}


def gather_for(url: str, user: str, *, now, recorded_at, oldest: int, audited: set | None = None) -> dict:
    """The overview through the service layer, as `user`, at `now` (the real time: `recorded_at`)."""
    app = App(url, clock=Clock(now, lambda: recorded_at))
    return follow_up.overview(app, users.identify(app, user), oldest=oldest, audited=audited)
