"""The deadline sweep: one transaction of set-based statements over the indexed due column.

It raises each alert once (unique per case, rule, kind and due: repeated or concurrent sweeps
never raise one twice), marks the past-due deadlines breached, raises an unresolved breach again to the
coordinators once a week, and hands every alert it raised to the outbox in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from screening import clock

RERAISE_AFTER = timedelta(days=7)

ALERT_COLUMNS = "id, case_id, rule, kind, owner, due, raised_at, last_raised_at, raise_count, acknowledged_at"


@dataclass(frozen=True)
class SweepResult:
    alerts: list[dict]  # raised by this sweep (new ones, and breaches raised again)
    breached: int  # deadlines this sweep marked breached


def _kind_sql(rules: dict) -> str:
    warnings = ", ".join(f"'{name}'" for name, rule in rules.items() if rule.kind == "warning") or "''"
    return f"CASE WHEN d.rule IN ({warnings}) THEN 'warning' ELSE 'breach' END"


def _upstream_sql(rules: dict) -> str:
    # § 10: a deadline late because of a late upstream step is that step's owner's
    pairs = " ".join(f"WHEN '{name}' THEN '{rule.upstream}'" for name, rule in rules.items() if rule.upstream)
    if not pairs:
        return "owner"
    return ("COALESCE((SELECT COALESCE(u.attributed_to, u.owner) FROM deadline u WHERE u.case_id = deadline.case_id "
            f"AND u.rule = CASE deadline.rule {pairs} END AND u.status IN ('late', 'breached')), owner)")


def sweep(conn, rules: dict, now: datetime) -> SweepResult:
    """One sweep at `now` in the connection's transaction; the caller commits.

    Each open deadline carries `next_alert_at` (its reminder time, then its due), so that the
    sweep reads only what has come up since the last one: two range scans of one partial index."""
    stamp = conn.timestamp
    times = {"now": stamp(now), "week_ago": stamp(now - RERAISE_AFTER)}

    def run(sql: str):
        return conn.execute(sql, times)

    def alerts(sql: str) -> list[dict]:
        rows = conn.all(sql, times)
        for row in rows:
            for name in ("due", "raised_at", "last_raised_at", "acknowledged_at"):
                row[name] = clock.from_db(row[name])
        return rows

    past_due = "d.status = 'open' AND d.next_alert_at < :now AND d.due < :now"  # next_alert_at <= due
    raised = alerts(
        "INSERT INTO alert (case_id, rule, kind, owner, due, raised_at, last_raised_at, raise_count) "
        f"SELECT d.case_id, d.rule, {_kind_sql(rules)}, d.owner, d.due, :now, :now, 1 FROM deadline d "
        f"WHERE {past_due} ON CONFLICT (case_id, rule, kind, due) DO NOTHING RETURNING {ALERT_COLUMNS}")
    breached = run(
        f"UPDATE deadline SET status = 'breached', attributed_to = {_upstream_sql(rules)} "
        f"WHERE {past_due.replace('d.', '')}").rowcount
    to_remind = "d.status = 'open' AND d.next_alert_at <= :now AND d.next_alert_at < d.due AND d.due >= :now"
    raised += alerts(
        "INSERT INTO alert (case_id, rule, kind, owner, due, raised_at, last_raised_at, raise_count) "
        f"SELECT d.case_id, d.rule, 'reminder', d.owner, d.due, :now, :now, 1 FROM deadline d WHERE {to_remind} "
        f"ON CONFLICT (case_id, rule, kind, due) DO NOTHING RETURNING {ALERT_COLUMNS}")
    run(f"UPDATE deadline SET next_alert_at = due WHERE {to_remind.replace('d.', '')}")  # reminded: next, the due
    health_rules = ", ".join(f"'{n}'" for n, r in rules.items() if r.track == "health") or "''"
    unresolved = (  # the breached deadline as it was raised, on a case still open
        "EXISTS (SELECT 1 FROM deadline d JOIN screening_case c ON c.id = d.case_id WHERE d.case_id = alert.case_id "
        "AND d.rule = alert.rule AND d.due = alert.due AND d.status = 'breached' AND c.ended_at IS NULL "
        f"AND (c.declined_at IS NULL OR d.rule NOT IN ({health_rules})))")
    stale = "kind = 'breach' AND resolved_at IS NULL AND last_raised_at <= :week_ago"  # ix_alert_unresolved_breach
    run(f"UPDATE alert SET resolved_at = :now WHERE {stale} AND NOT {unresolved}")  # once: never looked at again
    raised += alerts(
        "UPDATE alert SET last_raised_at = :now, raise_count = raise_count + 1, acknowledged_at = NULL, "
        f"acknowledged_by = NULL WHERE {stale} RETURNING {ALERT_COLUMNS}")
    conn.many("INSERT INTO outbox (key, topic, ref, created_at, status, attempts) "
              "VALUES (:key, 'alert', :ref, :now, 'queued', 0) ON CONFLICT (key) DO NOTHING",
              [{"key": f"alert:{a['id']}:{a['raise_count']}", "ref": a["id"], "now": times["now"]} for a in raised])
    return SweepResult(raised, breached)
