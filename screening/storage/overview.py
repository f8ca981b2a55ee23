"""The coordinator's screen (`overview`) as SQL: what is late and waiting in the region, now.

Counts by municipality and health centre come from grouped SQL, read in one short read-only
transaction (one snapshot; none is held between refreshes). A breach or missed target is a
deadline past due and not done (stored open, shown breached) on a case still waiting: not one
whose case ended, nor a health step of a declined case (the sweep counts those resolved too).
`next_alert_at` is the reminder time until the sweep reminds, then the due: an open reminder is
one whose time came but not swept yet (`next_alert_at <= now < due`), or one the sweep raised
for the deadline's present due.

Audit: listing a case id with its late step or its appointment is a read of the case
(patientdatalagen), recorded as `list` for each case listed, before the screen shows it. With
a watching screen a case is recorded only the first time that screen shows it (a set kept for the
process): a screen left open all day would otherwise write a row per case at every refresh and
bury the log extract under the same read; the first row says who has seen it, and from when.
The counts name no case and are not recorded. Nothing medical, no name or number is read.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from datetime import time as day_time

from screening.clock import STOCKHOLM, from_db, local_date, local_iso

COUNTS = ("breaches", "missed_targets", "reminders", "unacknowledged_alerts")
WAITING = "{owed}"  # workflows.deadlines.still_owed_sql: open, on a case still open, not a declined health step
REMINDED = ("EXISTS (SELECT 1 FROM alert a WHERE a.due = d.due AND a.case_id = d.case_id AND a.rule = d.rule "
            "AND a.kind = 'reminder' AND a.raised_at <= :now)")
GROUPS = (
    "SELECT c.municipality, c.health_centre_id AS health_centre, "
    "SUM(CASE WHEN d.due < :now AND d.rule NOT IN ({warning}) THEN 1 ELSE 0 END) AS breaches, "
    "SUM(CASE WHEN d.due < :now AND d.rule IN ({warning}) THEN 1 ELSE 0 END) AS missed_targets, "
    "SUM(CASE WHEN d.due >= :now THEN 1 ELSE 0 END) AS reminders "
    "FROM deadline d JOIN screening_case c ON c.id = d.case_id "
    f"WHERE {WAITING} AND (d.due < :now OR (d.next_alert_at <= :now AND d.next_alert_at < d.due) OR {REMINDED}) "
    "GROUP BY c.municipality, c.health_centre_id")
UNACKNOWLEDGED = (  # alerts nobody acknowledged, on a step still open for the due they were raised for
    "SELECT c.municipality, c.health_centre_id AS health_centre, COUNT(*) AS unacknowledged_alerts FROM alert a "
    "JOIN deadline d ON d.case_id = a.case_id AND d.rule = a.rule AND d.due = a.due "
    f"JOIN screening_case c ON c.id = a.case_id WHERE a.acknowledged_at IS NULL AND a.raised_at <= :now AND {WAITING} "
    "GROUP BY c.municipality, c.health_centre_id")
OLDEST = (  # each case once, by its oldest past-due step (the open deadlines read through the partial index)
    "WITH late AS MATERIALIZED (SELECT d.case_id, c.municipality, c.health_centre_id AS health_centre, d.rule, "
    f"d.owner, d.due FROM deadline d JOIN screening_case c ON c.id = d.case_id WHERE {WAITING} AND d.due < :now) "
    "SELECT case_id, municipality, health_centre, rule, owner, due FROM (SELECT late.*, "
    "ROW_NUMBER() OVER (PARTITION BY case_id ORDER BY due, rule) AS n FROM late) ranked "
    "WHERE n = 1 ORDER BY due, case_id LIMIT :oldest")
BOOKINGS = (  # per centre through ix_booking_centre_starts
    "SELECT b.starts, b.ends, b.health_centre_id AS health_centre, b.kind, b.case_id, b.interpreter FROM booking b "
    "WHERE b.health_centre_id IN (SELECT id FROM organisation WHERE kind = 'health_centre') "
    "AND b.status = 'booked' AND b.starts >= :day_starts AND b.starts < :day_ends "
    "ORDER BY b.starts, b.health_centre_id, b.case_id")


def read(conn, rules: dict, now: datetime, oldest: int) -> dict:
    """The screen's contents at `now`, in one snapshot; the caller records the cases listed as read."""
    from workflows.deadlines import still_owed_sql

    params = {"now": conn.timestamp(now), "oldest": oldest}
    lists = {}
    warnings = [n for n, r in rules.items() if r.kind == "warning"]
    params.update({f"warning{i}": rule for i, rule in enumerate(warnings)})
    lists["warning"] = ", ".join(f":warning{i}" for i in range(len(warnings))) or "''"
    lists["owed"] = still_owed_sql(rules)
    today = local_date(now)
    day = {"day_starts": conn.timestamp(datetime.combine(today, day_time(0), STOCKHOLM)),
           "day_ends": conn.timestamp(datetime.combine(today + timedelta(days=1), day_time(0), STOCKHOLM))}
    conn.execute("BEGIN" if conn.sqlite else "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
    try:  # one snapshot for the counts and the lists
        counted = [conn.all(sql.format(**lists), params) for sql in (GROUPS, UNACKNOWLEDGED)]
        late = conn.all(OLDEST.format(**lists), params)
        booked = conn.all(BOOKINGS, day)
        region = conn.one("SELECT municipalities FROM region")
    finally:
        conn.rollback()  # read only: nothing to keep
    groups = _merge(counted, region)
    return {
        "at": local_iso(now),
        "breaches": groups,
        "total": {name: sum(g[name] for g in groups) for name in COUNTS},
        "oldest": [{"case": r["case_id"], "municipality": r["municipality"], "health_centre": r["health_centre"],
                    "rule": r["rule"], "owner": r["owner"], "due_date": local_date(from_db(r["due"])).isoformat(),
                    "days_overdue": (today - local_date(from_db(r["due"]))).days} for r in late],
        "bookings_today": [{"start": local_iso(from_db(b["starts"])), "end": local_iso(from_db(b["ends"])),
                            "health_centre": b["health_centre"], "kind": b["kind"], "case": b["case_id"],
                            "interpreter": b["interpreter"] is not None} for b in booked],
    }


def _merge(counted: list[list[dict]], region: dict | None) -> list[dict]:
    """One row per municipality and health centre, in the region's order of municipalities."""
    import json

    groups: dict[tuple, dict] = {}
    for rows in counted:
        for row in rows:
            place = {"municipality": row["municipality"], "health_centre": row["health_centre"]}
            group = groups.setdefault(tuple(place.values()), {**place, **dict.fromkeys(COUNTS, 0)})
            group.update({name: int(row[name] or 0) for name in COUNTS if name in row})
    order = {name: i for i, name in enumerate(json.loads(region["municipalities"]) if region else [])}
    return sorted(groups.values(), key=lambda g: (order.get(g["municipality"], len(order)), g["municipality"],
                                                  g["health_centre"] or ""))
