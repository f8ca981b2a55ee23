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
    it cannot decide (age 6, school unknown), the unit that made the plan keeps it."""
    return vaccination_unit(case, today) or case.vaccination_plan_unit
