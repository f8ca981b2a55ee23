"""The coordinators' daily digest: new and still-open breaches per municipality and health centre."""

from __future__ import annotations

from datetime import datetime, timedelta

from screening import clock


def digest(conn, rules: dict, now: datetime, since: datetime | None = None) -> dict:
    """Counts only (no child, no medical content); queued once per day in the outbox.

    A breach is new if raised since `since`, the previous digest (default: a day before)."""
    since = since or now - timedelta(days=1)
    from workflows.deadlines import still_owed_sql

    owed = still_owed_sql(rules)
    groups = conn.all(
        "SELECT c.municipality, c.health_centre_id, "
        "SUM(CASE WHEN a.raised_at >= :since THEN 1 ELSE 0 END) AS new, COUNT(*) AS still_open "
        "FROM alert a JOIN deadline d ON d.case_id = a.case_id AND d.rule = a.rule "
        "JOIN screening_case c ON c.id = a.case_id "
        f"WHERE a.kind = 'breach' AND d.due = a.due AND d.due < :now AND {owed} "  # still not done, still owed
        "GROUP BY c.municipality, c.health_centre_id ORDER BY c.municipality, c.health_centre_id",
        {"since": conn.timestamp(since), "now": conn.timestamp(now)})
    from screening.storage.outbox import SqlOutbox

    day = clock.local_date(now).isoformat()
    groups = [{**g, "new": int(g["new"] or 0), "still_open": int(g["still_open"])} for g in groups]
    summary = {"day": day, "groups": groups, "open_breaches": sum(g["still_open"] for g in groups),
               "new_breaches": sum(g["new"] for g in groups)}
    SqlOutbox(conn).queue(f"digest:{day}", "digest", now, payload=summary)  # once a day: the key
    return summary
