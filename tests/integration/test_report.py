"""The § 10 figures of a known population, checked exactly on SQLite and PostgreSQL.

Ten invented children, every step through the service layer at a chosen time. The period is
March 2026: the summer-time change (29 March) and Easter (Good Friday 3 April, Easter Monday 6
April) fall inside the clocks, and there are children on the period's edges. Each figure below
is worked out by hand in the comment beside it (docs/statistics.md defines them).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from screening import report
from screening.clock import STOCKHOLM
from screening.services.events import record_event
from screening.services.registration import Registration, register_in
from screening.services.users import actor_in
from screening.storage.db import connect_raw
from screening.storage.statistics import Period
from screening.storage.unit_of_work import SqlUnitOfWork
from screening.workdays import default_calendar
from workflows.deadlines import load_rules, upstream_of
from workflows.policy import Policy

POLICY = Policy.default()
MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))
NOW = datetime(2026, 4, 8, 12, 0, tzinfo=STOCKHOLM)  # Wednesday after Easter
RECEPTION, HC, SCHOOL = "ostersund-reception", "hc-lugnvik", "ostersund-school-norrby"
PRESCHOOL, SCHOOL_HEALTH = "ostersund-preschool-solrosen", "ostersund-school-health"
OSTERSUND = ["Berg", "Bräcke", "Härjedalen", "Krokom", "Ragunda", "Strömsund", "Åre", "Östersund"]
SECRET = "HEMLIGT-PROVSVAR-7731"  # a medical note: never in a report


def at(month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=STOCKHOLM)


def child(url: str, notice: datetime, steps: list, *, municipality: str = "Östersund", born=date(2023, 1, 15),
          arrival: date | None = None, school: str | None = None, preschool: str | None = None) -> str:
    with SqlUnitOfWork(url) as uow:
        case_id, _ = register_in(uow, actor_in(uow, RECEPTION if municipality == "Östersund" else "krokom-reception"),
                                            Registration(birth_date=born, municipality=municipality,
                                                                  notice_at=notice, arrival=arrival, school=school,
                                                                  preschool=preschool),
                                            now=notice, recorded_at=notice)
    for when, user, event, params in steps:
        with SqlUnitOfWork(url) as uow:
            record_event(uow, actor_in(uow, user), case_id, event, params, policy=POLICY, now=when, recorded_at=when, at=when)
    return case_id


def results(when: datetime, obstacle: str = "no") -> tuple:
    return (when, HC, "record_results", {"obstacle": obstacle, "note": SECRET})


@pytest.fixture
def population(demo_db):
    url = demo_db
    # A: everything in time; school, examination, vaccination plan
    child(url, at(3, 2, 9), [
        (at(3, 2), RECEPTION, "notify_parties", {}),
        (at(3, 4, 9), HC, "book_health_conversation", {"start": "2026-03-09T09:00"}),  # 2 working days
        (at(3, 9), HC, "hold_health_conversation", {}),  # 7 days after arrival
        results(at(3, 16)),  # 14 days
        (at(3, 16, 11), HC, "inform_family", {}), (at(3, 16, 11), HC, "inform_reception", {}),
        (at(3, 17, 9), HC, "book_examination", {"start": "2026-03-25T09:00"}),
        (at(3, 20), SCHOOL, "invite_intro_meeting", {}), (at(3, 20, 11), SCHOOL, "hold_intro_meeting", {}),
        (at(3, 20, 12), SCHOOL, "make_intro_plan", {}),
        (at(3, 23), SCHOOL, "start_school", {}),  # 21 days
        (at(3, 25), HC, "hold_examination", {"note": SECRET}),  # 23 days
        (at(3, 26), SCHOOL_HEALTH, "request_records", {}),
        (at(3, 27), SCHOOL_HEALTH, "assess_vaccinations", {"status": "missing"}),
        (at(3, 30), SCHOOL_HEALTH, "make_vaccination_plan", {}),
    ], born=date(2016, 1, 15), arrival=date(2026, 3, 2), school=SCHOOL)
    # B: notice after 16:00, notified the next morning (met); booked on the 5th working day (met);
    # results late (HC); examination never booked (HC); school start missed (school)
    child(url, at(3, 2, 17), [
        (at(3, 3, 9), RECEPTION, "notify_parties", {}),
        (at(3, 10, 14), HC, "book_health_conversation", {"start": "2026-03-12T09:00"}),  # 5
        (at(3, 12), HC, "hold_health_conversation", {}),  # 7 days
        results(at(3, 30)),  # 25 days; due 26 March
        (at(3, 31), HC, "inform_family", {}), (at(3, 31), HC, "inform_reception", {}),
    ], born=date(2016, 1, 15), arrival=date(2026, 3, 5), school=SCHOOL)
    # C: the parties told two days late (reception unit); booking late (HC); results still missing
    # (HC); school start missed, counted against the reception unit (upstream, § 10)
    child(url, at(3, 4), [
        (at(3, 6), RECEPTION, "notify_parties", {}),
        (at(3, 16), HC, "book_health_conversation", {"start": "2026-03-19T09:00"}),  # 6
        (at(3, 19), HC, "hold_health_conversation", {}),  # 15 days
    ], born=date(2016, 1, 15), arrival=date(2026, 3, 4), school=SCHOOL)
    # D: declined before the booking was due: nothing missed
    child(url, at(3, 5), [
        (at(3, 5, 11), RECEPTION, "notify_parties", {}),
        (at(3, 9), HC, "decline", {"reason": SECRET}),
    ], arrival=date(2026, 3, 5))
    # E: after the change to summer time; booked the day it was told (0); held at 00:30 on 1 April
    # (22:30 UTC on 31 March: the local day counts, 2 days after arrival)
    child(url, at(3, 30), [
        (at(3, 30, 10, 30), RECEPTION, "notify_parties", {}),
        (at(3, 30, 15), HC, "book_health_conversation", {"start": "2026-04-01T00:30"}),
        (at(4, 1, 0, 30), HC, "hold_health_conversation", {}),
    ], arrival=date(2026, 3, 30))
    # F: the period's last evening; booking due Friday 10 April (Easter), still pending
    child(url, at(3, 31, 23, 30), [(at(4, 1, 9), RECEPTION, "notify_parties", {})])
    # I: the period's first second (a Sunday): notified Monday (met); booking never made (HC)
    child(url, at(3, 1, 0), [(at(3, 2, 9), RECEPTION, "notify_parties", {})])
    # K: preschool, everything in time
    child(url, at(3, 9), [
        (at(3, 9, 10, 30), RECEPTION, "notify_parties", {}),
        (at(3, 10), HC, "book_health_conversation", {"start": "2026-03-12T09:00"}),  # 1
        (at(3, 12), HC, "hold_health_conversation", {}),  # 3 days
        results(at(3, 20)),  # 11 days
        (at(3, 20, 11), HC, "inform_family", {}), (at(3, 20, 11), HC, "inform_reception", {}),
        (at(3, 23), HC, "book_examination", {"start": "2026-03-30T09:00"}),
        (at(3, 24), PRESCHOOL, "invite_intro_meeting", {}), (at(3, 24, 11), PRESCHOOL, "hold_intro_meeting", {}),
        (at(3, 24, 12), PRESCHOOL, "make_intro_plan", {}),
        (at(3, 27), PRESCHOOL, "start_preschool", {}),  # 18 days
    ], born=date(2022, 1, 15), arrival=date(2026, 3, 9), preschool=PRESCHOOL)
    # J: Krokom, booked the next working day
    child(url, at(3, 10), [
        (at(3, 10, 10, 30), "krokom-reception", "notify_parties", {}),
        (at(3, 11), "hc-krokom", "book_health_conversation", {"start": "2026-03-13T09:00"}),  # 1
    ], municipality="Krokom", arrival=date(2026, 3, 10))
    # outside the period by a second on each side (the first in summer time)
    child(url, at(4, 1, 0, 0, 30), [(at(4, 1, 9), RECEPTION, "notify_parties", {})])
    child(url, datetime(2026, 2, 28, 23, 59, 59, tzinfo=STOCKHOLM), [])
    return url


def compute(url: str, *, by: str = "municipality", threshold: int = 1, period: Period = MARCH, now=NOW,
            groups=None) -> dict:
    conn = connect_raw(url)
    try:
        return report.compute(conn, period=period, by=by, now=now, calendar=default_calendar(),
                              upstream=upstream_of(load_rules()), threshold=threshold,
                              groups=OSTERSUND if groups is None else groups, region="Region", monthly=True)
    finally:
        conn.close()


def rows(data: dict) -> dict:
    return {row["group"]: row for row in data["rows"]}


OSTERSUND_FIGURES = {
    "notices": 8,  # A B C D E F I K
    "notified_same_day": 7, "notified_same_day_share": 7 / 8,  # all but C
    "booked_in_time": 4, "booked_in_time_share": 4 / 8,  # A B E K
    "booking_pending": 1,  # F
    "workdays_to_booking_median": 2.0, "workdays_to_booking_p90": 5.6,  # 0 1 2 5 6
    "days_to_conversation_median": 7.0, "days_to_conversation_p90": 11.8,  # 2 3 7 7 15
    "days_to_results_median": 14.0, "days_to_results_p90": 22.8,  # 11 14 25
    "days_to_examination_median": 23.0, "days_to_examination_p90": 23.0,
    "days_to_school_start_median": 21.0, "days_to_school_start_p90": 21.0,
    "days_to_preschool_start_median": 18.0, "days_to_preschool_start_p90": 18.0,
    "offered": 5, "offered_share": 5 / 8, "conversations_held": 5,  # A B C E K
    "examined": 1, "examined_share": 1 / 8, "declined": 1,
    "results_late": 2,  # B late, C past due
    "vaccination_plans_made": 1, "vaccinations_completed": 0,
    "breaches_reception_unit": 2,  # C's notification, and C's school start after it
    "breaches_health_centre": 5,  # B results, B examination booking, C booking, C results, I booking
    "breaches_school": 1,  # B's school start
    "breaches_preschool": 0, "breaches_bvc": 0, "breaches_school_health": 0, "breaches_coordinator": 0,
}


def test_every_figure_of_a_known_population_exactly(population):
    data = compute(population)
    by_group = rows(data)
    assert list(by_group) == OSTERSUND + ["Region"]
    assert {k: by_group["Östersund"][k] for k in OSTERSUND_FIGURES} == pytest.approx(OSTERSUND_FIGURES)
    krokom = by_group["Krokom"]
    assert (krokom["notices"], krokom["notified_same_day"], krokom["booked_in_time"],
            krokom["workdays_to_booking_median"], krokom["offered"], krokom["breaches_health_centre"]) == (
        1, 1, 1, 1.0, 1, 0)
    region = by_group["Region"]
    assert region["level"] == "region" and not region["suppressed"]
    assert (region["notices"], region["notified_same_day"], region["booked_in_time"]) == (9, 8, 5)
    # working days 0 1 1 2 5 6: median (1 + 2) / 2, 90th percentile 5 + 0.5 · (6 − 5)
    assert (region["workdays_to_booking_median"], region["workdays_to_booking_p90"]) == (1.5, 5.5)
    assert region["breaches_health_centre"] == 5 and region["booked_in_time_share"] == pytest.approx(5 / 9)
    berg = by_group["Berg"]
    assert (berg["notices"], berg["booked_in_time"], berg["booked_in_time_share"], berg["suppressed"]) == (
        0, 0, None, False)


def test_the_period_edges_are_local_days_both_included(population):
    assert rows(compute(population))["Region"]["notices"] == 9
    first_day = rows(compute(population, period=Period(date(2026, 3, 1), date(2026, 3, 1))))["Region"]
    assert first_day["notices"] == 1  # I at 00:00:00
    last_day = rows(compute(population, period=Period(date(2026, 3, 31), date(2026, 3, 31))))["Region"]
    assert last_day["notices"] == 1  # F at 23:30, summer time
    around = rows(compute(population, period=Period(date(2026, 2, 28), date(2026, 4, 1))))["Region"]
    assert around["notices"] == 11  # and the two a second outside March


def test_figures_are_taken_as_they_stand_at_now(population):
    # on 13 April F's booking deadline (Friday 10 April) has passed: missed, not pending
    later = rows(compute(population, now=datetime(2026, 4, 13, 9, 0, tzinfo=STOCKHOLM)))["Östersund"]
    # F's booking is now missed too; E's results (due 15 April) are not yet
    assert (later["booking_pending"], later["breaches_health_centre"]) == (0, OSTERSUND_FIGURES[
        "breaches_health_centre"] + 1)


def test_by_health_centre_lists_every_centre_of_the_directory(population):
    data = compute(population, by="health_centre", groups=["hc-lugnvik", "hc-krokom", "hc-odensala"])
    by_group = rows(data)
    assert [r["level"] for r in data["rows"]] == ["health_centre"] * 3 + ["region"]
    assert (by_group["hc-lugnvik"]["notices"], by_group["hc-krokom"]["notices"], by_group["hc-odensala"]["notices"]
            ) == (8, 1, 0)
    assert by_group["hc-lugnvik"]["breaches_health_centre"] == 5


def test_a_small_group_and_the_group_that_would_give_it_away_are_hidden(population):
    by_group = rows(compute(population, threshold=5))
    assert by_group["Krokom"]["suppressed"] and by_group["Krokom"]["notices"] is None
    # region (9) − Östersund (8) would give Krokom's one child: Östersund is hidden too
    assert by_group["Östersund"]["suppressed"]
    assert all(value is None for key, value in by_group["Östersund"].items()
               if key not in ("group", "level", "suppressed"))
    region = by_group["Region"]
    assert not region["suppressed"] and region["notices"] == 9 and region["booked_in_time"] == 5
    assert region["workdays_to_booking_median"] == 1.5  # six children
    assert region["days_to_examination_median"] is None  # one child: no median of one
    assert by_group["Berg"]["notices"] == 0 and not by_group["Berg"]["suppressed"]


def test_a_region_smaller_than_the_threshold_shows_nothing(population):
    region = rows(compute(population, threshold=10))["Region"]
    assert region["suppressed"] and region["notices"] is None


def test_the_charts_figures_per_month_and_weeks_to_examination(population):
    data = compute(population, period=Period(date(2026, 2, 1), date(2026, 4, 30)), threshold=1)
    monthly = {(m["month"], m["group"]): m for m in data["monthly"]}
    assert monthly[("2026-03", "Östersund")]["notices"] == 8
    assert monthly[("2026-03", "Östersund")]["booked_in_time_share"] == pytest.approx(0.5)
    assert monthly[("2026-04", "Östersund")]["notices"] == 1 and monthly[("2026-02", "Östersund")]["notices"] == 1
    assert data["distribution"] == [{"weeks": 3, "children": 1}]  # A: 23 days
    hidden = compute(population, threshold=5)
    assert {(m["month"], m["group"]): m["booked_in_time_share"] for m in hidden["monthly"]} == {
        ("2026-03", "Krokom"): None, ("2026-03", "Östersund"): pytest.approx(0.5)}


def test_a_report_reads_nothing_medical_and_writes_nothing(population):
    conn = connect_raw(population)
    try:
        before = conn.scalar("SELECT COUNT(*) FROM audit"), conn.scalar("SELECT COUNT(*) FROM outbox")
    finally:
        conn.close()
    assert SECRET not in repr(compute(population))
    conn = connect_raw(population)
    try:
        assert (conn.scalar("SELECT COUNT(*) FROM audit"), conn.scalar("SELECT COUNT(*) FROM outbox")) == before
    finally:
        conn.close()
