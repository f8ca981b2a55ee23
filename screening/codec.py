"""A case as stored and as the domain holds it: one place that knows the column types."""

from __future__ import annotations

from dataclasses import fields

from screening import clock
from screening.model import Case

CASE_FIELDS = tuple(f.name for f in fields(Case) if f.name != "events")
CASE_DATETIMES = tuple(f.name for f in fields(Case) if "datetime" in str(f.type))
CASE_DATES = tuple(f.name for f in fields(Case) if str(f.type).split(" ")[0] == "date")
CASE_BOOLS = tuple(f.name for f in fields(Case) if str(f.type).startswith("bool"))


def case_from_db(row: dict) -> dict:
    """A stored case row with Python values: aware UTC datetimes, dates, booleans."""
    row = dict(row)
    for name in CASE_DATETIMES:
        row[name] = clock.from_db(row[name])
    for name in CASE_DATES:
        row[name] = clock.date_from_db(row[name])
    for name in CASE_BOOLS:
        if row[name] is not None:
            row[name] = bool(row[name])
    return row


def case_to_row(case: Case) -> dict:
    """The case's columns as Python values (for SQLAlchemy, which encodes them itself)."""
    return {name: getattr(case, name) for name in CASE_FIELDS}


def case_to_db(conn, case: Case) -> dict:
    """The case's columns as the connection's backend stores them."""
    values = case_to_row(case)
    for name in CASE_DATETIMES:
        values[name] = conn.timestamp(values[name])
    for name in CASE_DATES:
        values[name] = conn.day(values[name])
    return values
