"""vacc 2 in SQL (`workflows.routing.responsible_unit_sql`, BVC's and school health's own children on their
lists) says what `responsible_unit` says, for every combination of what decides it, on both databases."""

from __future__ import annotations

from datetime import date, datetime, timezone
from itertools import product

from screening.storage import db
from workflows.routing import age_bounds, responsible_unit, responsible_unit_sql

DAYS = (date(2026, 12, 2), date(2028, 2, 29), date(2027, 3, 1))  # an ordinary day, a leap day, the day after one


def births(today: date) -> list[date]:
    """Around each age that decides: 5, 6 and 7 years old, the day before, on and after the birthday."""
    found = set()
    for years in (5, 6, 7):
        for day in (28, 29, 1, 2):
            for month in (2, 3, today.month):
                try:
                    found.add(date(today.year - years, month, day))
                except ValueError:
                    pass
    return sorted(found | {date(today.year - 12, 1, 1), date(today.year - 2, 1, 1)})


def test_the_sql_says_what_the_rule_says(demo_db):
    conn = db.connect_raw(demo_db)
    try:
        conn.execute("CREATE TEMP TABLE c (n INTEGER, school_started_at TIMESTAMP, preschool_id VARCHAR(64), "
                     "school_id VARCHAR(64), birth_date DATE, vaccination_plan_unit VARCHAR(16))")
        for today in DAYS:
            rows = [dict(school_started_at=started, preschool_id=preschool, school_id=school, birth_date=born,
                         vaccination_plan_unit=plan)
                    for started, preschool, school, born, plan in product(
                        (None, datetime(2026, 8, 20, tzinfo=timezone.utc)), (None, "p-1"), (None, "s-1"),
                        births(today), (None, "bvc", "school_health"))]
            conn.execute("DELETE FROM c")
            conn.many("INSERT INTO c (n, school_started_at, preschool_id, school_id, birth_date, "
                      "vaccination_plan_unit) VALUES (:n, :started, :preschool, :school, :born, :plan)",
                      [{"n": n, "started": conn.timestamp(row["school_started_at"]), "preschool": row["preschool_id"],
                        "school": row["school_id"], "born": conn.day(row["birth_date"]),
                        "plan": row["vaccination_plan_unit"]} for n, row in enumerate(rows)])
            bounds = {name: conn.day(bound) for name, bound in age_bounds(today).items()}
            said = {row["n"]: row["unit"]
                    for row in conn.all(f"SELECT n, {responsible_unit_sql('c')} AS unit FROM c", bounds)}
            assert len(said) == len(rows) > 300
            for n, row in enumerate(rows):
                assert said[n] == responsible_unit(row, today), (today, row)
    finally:
        conn.rollback()
        conn.close()
