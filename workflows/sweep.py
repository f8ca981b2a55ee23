"""The deadline sweep: one transaction of set-based statements over one partial index.

It raises each alert once (unique per case, rule, kind and due: repeated or concurrent sweeps
never raise one twice) for the deadlines that came up since the last sweep, raises an
unresolved breach again to the coordinators once a week, and hands every alert it raised to the
outbox in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from screening.storage.codec import alerts_from_db
from screening.storage.outbox import SqlOutbox
from screening.storage.sql import RAISE_ALERTS
from workflows.deadlines import still_owed_sql

RERAISE_AFTER = timedelta(days=7)

ALERT_COLUMNS = "id, case_id, rule, kind, owner, due, raised_at, last_raised_at, raise_count, acknowledged_at"


@dataclass(frozen=True)
class SweepResult:
    alerts: list[dict]  # raised by this sweep (new ones, and breaches raised again)
    breached: int  # breaches and warnings this sweep raised for deadlines past due


def _kind_sql(rules: dict) -> str:
    warnings = ", ".join(f"'{name}'" for name, rule in rules.items() if rule.kind == "warning") or "''"
    return f"CASE WHEN d.rule IN ({warnings}) THEN 'warning' ELSE 'breach' END"


def _take_mark(conn):
    """The last sweep's mark, locked until this sweep commits (a concurrent one waits, then
    finds the time covered). Events read it too: see `SqlDeadlineRepository.save`."""
    lock = "" if conn.sqlite else " FOR UPDATE"  # SQLite: the unit of work holds the write lock
    return conn.scalar(f"SELECT swept_to FROM sweep_mark WHERE id = 1{lock}")


def sweep(conn, rules: dict, now: datetime) -> SweepResult:
    """One sweep at `now` in the connection's transaction; the caller commits.

    It reads the open deadlines whose `next_alert_at` (the reminder time, then the due) came up
    since the last sweep — [swept_to, now) — through one partial index, raises their alerts and
    moves the mark. Past-due deadlines are not rewritten (they show as breached): the sweep
    writes alerts and outbox rows only, so its cost follows what it raises, not the database.
    """
    swept_to = _take_mark(conn)
    if swept_to is not None and swept_to >= conn.timestamp(now):
        return SweepResult([], 0)  # a later sweep covered this time already
    stamp = conn.timestamp
    times = {"now": stamp(now), "week_ago": stamp(now - RERAISE_AFTER), "swept_to": swept_to}

    def run(sql: str):
        return conn.execute(sql, times)

    def alerts(sql: str) -> list[dict]:
        return alerts_from_db(conn.all(sql, times))

    came_up = "d.status = 'open' AND d.next_alert_at < :now" + (
        "" if swept_to is None else " AND d.next_alert_at >= :swept_to")
    insert = RAISE_ALERTS.format(rows="SELECT d.case_id, d.rule, {kind}, d.owner, d.due, :now, :now, 1 "
                                      "FROM deadline d WHERE {where}", returning=ALERT_COLUMNS)
    raised = alerts(insert.format(kind=_kind_sql(rules), where=f"{came_up} AND d.due < :now"))
    breached = len(raised)
    to_remind = f"{came_up} AND d.next_alert_at < d.due AND d.due >= :now"
    raised += alerts(insert.format(kind="'reminder'", where=to_remind))
    run(f"UPDATE deadline SET next_alert_at = due WHERE {to_remind.replace('d.', '')}")  # next: the due
    unresolved = (  # the deadline as it was raised, still not done, on a case still open
        "EXISTS (SELECT 1 FROM deadline d JOIN screening_case c ON c.id = d.case_id WHERE d.case_id = alert.case_id "
        f"AND d.rule = alert.rule AND d.due = alert.due AND {still_owed_sql(rules)})")
    stale = "kind = 'breach' AND resolved_at IS NULL AND last_raised_at <= :week_ago"  # ix_alert_unresolved_breach
    run(f"UPDATE alert SET resolved_at = :now WHERE {stale} AND NOT {unresolved}")  # once: never looked at again
    raised += alerts(
        "UPDATE alert SET last_raised_at = :now, raise_count = raise_count + 1, acknowledged_at = NULL, "
        f"acknowledged_by = NULL WHERE {stale} RETURNING {ALERT_COLUMNS}")
    SqlOutbox(conn).queue_many([{"key": f"alert:{a['id']}:{a['raise_count']}", "topic": "alert", "ref": a["id"]}
                                for a in raised], now)
    run("UPDATE sweep_mark SET swept_to = :now WHERE id = 1")
    return SweepResult(raised, breached)
