"""vacc 2: which unit gives catch-up vaccinations, BVC or school health."""

from __future__ import annotations

from datetime import date

from screening.model import age_on

def vaccination_unit(case, today: date) -> str | None:
    """BVC for children not yet in school, school health for children in school.

    The agreement's age bands overlap at 6: decide by whether the child has started school
    (förskoleklass counts); by age only when that is unknown (under 6: BVC, 7 and over:
    school health, 6: None, ask). A child who starts school is handed over to school health.
    Works on a Case or on a row mapping.
    """
    get = case.get if isinstance(case, dict) else lambda name: getattr(case, name)
    if get("school_started_at") is not None:
        return "school_health"
    if get("preschool_id") and not get("school_id"):
        return "bvc"
    age = age_on(get("birth_date"), today)
    if age < 6:
        return "bvc"
    if age == 6 and not get("school_id"):
        return None
    return "school_health"


def responsible_unit(case, today: date) -> str | None:
    """The unit that acts now: the routing rule, which hands a child over at school start; where
    it cannot decide (age 6, school unknown), the unit that made the plan keeps it. Works on a Case or
    on a row mapping."""
    plan = case.get("vaccination_plan_unit") if isinstance(case, dict) else case.vaccination_plan_unit
    return vaccination_unit(case, today) or plan


def responsible_unit_sql(case: str = "c") -> str:
    """SQL: `responsible_unit` of the case row `case`, as 'bvc', 'school_health' or NULL, with the
    parameters `age_bounds` gives for the day (SQL and Python are checked against each other by a test)."""
    return (f"(CASE WHEN {case}.school_started_at IS NOT NULL THEN 'school_health' "
            f"WHEN {case}.preschool_id IS NOT NULL AND {case}.school_id IS NULL THEN 'bvc' "
            f"WHEN {case}.birth_date > :born_six_years_ago THEN 'bvc' "
            f"WHEN {case}.birth_date > :born_seven_years_ago AND {case}.school_id IS NULL "
            f"THEN {case}.vaccination_plan_unit ELSE 'school_health' END)")


def age_bounds(today: date) -> dict[str, date]:
    """The last birth dates of a child 6 and of a child 7 years old today (`age_on`), for `responsible_unit_sql`."""
    return {"born_six_years_ago": _years_before(today, 6), "born_seven_years_ago": _years_before(today, 7)}


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February, in a year without one: a child born on the 28th has had the birthday
        return day.replace(year=day.year - years, day=28)
