"""Stored forms: a case as stored and as the domain holds it, and the numbers that stand for names in the audit trail."""

from __future__ import annotations

from dataclasses import fields

from screening import clock
from screening.errors import NotFound
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


ALERT_TIMES = ("due", "raised_at", "last_raised_at", "acknowledged_at")


def alerts_from_db(rows: list[dict]) -> list[dict]:
    """Stored alert rows with their times as aware UTC datetimes (in place)."""
    for row in rows:
        for name in ALERT_TIMES:
            row[name] = clock.from_db(row[name])
    return rows


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


def audit_kind(conn, action: str, event: str | None) -> int:
    """The number of an action (and event) in `audit_kind`; remembered by the connection."""
    key = ("audit_kind", action, event or "")
    if key not in conn.memo:
        found = conn.scalar("SELECT no FROM audit_kind WHERE action = :action AND event = :event",
                            {"action": action, "event": event or ""})
        if found is None:  # every action the product records is seeded by the migrations
            raise LookupError(f"audit_kind has no row for {action} {event or ''}".strip())
        conn.memo[key] = found
    return conn.memo[key]


def user_number(conn, user_id: str) -> int:
    """The user's number in the audit trail (users never change, so the connection remembers it)."""
    key = ("app_user", user_id)
    if key not in conn.memo:
        found = conn.scalar("SELECT no FROM app_user WHERE id = :id", {"id": user_id})
        if found is None:
            raise NotFound("unknown user '{user}'", user=user_id)
        conn.memo[key] = found
    return conn.memo[key]
