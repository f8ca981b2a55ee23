"""vacc 2: catch-up vaccination by BVC before school, by school health in school (invented children)."""

from __future__ import annotations

from screening.model import Actor

from dataclasses import replace
from datetime import date, datetime

import pytest

from screening.clock import STOCKHOLM
from screening.model import Case
from workflows.routing import vaccination_unit

TODAY = date(2026, 3, 15)


def born_aged(years: int) -> date:
    """A birth date making the child `years` old on TODAY (birthday well away from it)."""
    return date(TODAY.year - years - 1, 6, 1)


def make_case(age: int, **fields) -> Case:
    values = {
        "id": "case-r1",
        "municipality": "Härjedalen",
        "birth_date": born_aged(age),
        "notice_at": datetime(2026, 3, 2, 9, tzinfo=STOCKHOLM),
        "health_state": "examined",
    }
    values.update(fields)
    return Case(**values)


@pytest.mark.parametrize("state", ["started", "started_adapted"])
@pytest.mark.parametrize("age", [5, 6, 7, 12])
def test_a_child_who_has_started_school_is_vaccinated_by_school_health(age, state):
    case = make_case(age, school_id="school-herjedalen-1", school_state=state,
                     school_started_at=datetime(2026, 3, 16, 8, tzinfo=STOCKHOLM))
    assert vaccination_unit(case, TODAY) == "school_health"


def test_a_six_year_old_in_forskoleklass_is_vaccinated_by_school_health():
    case = make_case(6, school_id="forskoleklass-herjedalen-1", school_state="started",
                     school_started_at=datetime(2026, 8, 17, 8, tzinfo=STOCKHOLM))
    assert vaccination_unit(case, TODAY) == "school_health"


@pytest.mark.parametrize("age", [1, 4, 5])
def test_a_child_with_only_a_preschool_is_vaccinated_by_bvc(age):
    case = make_case(age, preschool_id="preschool-herjedalen-1")
    assert vaccination_unit(case, TODAY) == "bvc"


@pytest.mark.parametrize(
    ("age", "unit"),
    [(0, "bvc"), (3, "bvc"), (5, "bvc"), (6, None), (7, "school_health"), (11, "school_health"), (17, "school_health")],
)
def test_with_the_school_status_unknown_age_decides_and_six_means_ask(age, unit):
    assert vaccination_unit(make_case(age), TODAY) == unit


def test_a_six_year_old_with_a_school_assigned_is_vaccinated_by_school_health():
    case = make_case(6, school_id="school-herjedalen-1", school_state="not_started")
    assert vaccination_unit(case, TODAY) == "school_health"


def test_age_is_counted_on_the_day_asked_so_a_five_year_old_turning_six_becomes_ask():
    case = make_case(5)
    birthday = date(TODAY.year, 6, 1)
    assert vaccination_unit(case, date(TODAY.year, 5, 31)) == "bvc"
    assert vaccination_unit(case, birthday) is None


def test_a_bvc_child_who_starts_school_is_handed_over_to_school_health():
    preschooler = make_case(5, preschool_id="preschool-herjedalen-1")
    assert vaccination_unit(preschooler, TODAY) == "bvc"

    assigned = replace(preschooler, school_id="school-herjedalen-1")
    assert vaccination_unit(assigned, TODAY) == "bvc"  # assigned, not started yet: still BVC

    started = replace(assigned, school_state="started", school_started_at=datetime(2026, 3, 16, 8, tzinfo=STOCKHOLM))
    assert vaccination_unit(started, TODAY) == "school_health"


def test_routing_works_on_a_row_mapping_as_on_a_case():
    row = {"school_id": None, "school_state": "not_started", "preschool_id": "preschool-herjedalen-1",
           "birth_date": born_aged(4), "school_started_at": None}
    assert vaccination_unit(row, TODAY) == "bvc"
    row.update(school_id="school-herjedalen-1", school_state="started",
               school_started_at=datetime(2026, 3, 16, 8, tzinfo=STOCKHOLM))
    assert vaccination_unit(row, TODAY) == "school_health"


def test_a_five_year_old_who_starts_preschool_with_a_school_assigned_stays_with_bvc():
    from workflows.agreement import machine
    from workflows.events import record

    case = make_case(5, preschool_id="preschool-herjedalen-1", school_id="school-herjedalen-1",
                     school_state="plan_made", obstacle=False,
                     results_received_at=datetime(2026, 3, 5, 10, tzinfo=STOCKHOLM))
    assert vaccination_unit(case, TODAY) == "bvc"
    started = datetime(2026, 3, 10, 8, tzinfo=STOCKHOLM)
    machine("school").events["start_preschool"].trigger(case, params={}, at=started)
    record(case, "start_preschool", started, {}, Actor("preschool-user-1", "preschool", "p", "preschool", None))

    assert vaccination_unit(case, TODAY) == "bvc"
