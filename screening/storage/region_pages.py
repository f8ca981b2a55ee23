"""The coordinator's pages' reads, a page at a time: alerts (open or acknowledged, by due date), users,
and what the § 10 report's cache compares to know whether the figures may have changed."""

from __future__ import annotations

from datetime import datetime

from screening import clock
from screening.storage.codec import alerts_from_db

ALERT_COLUMNS = ("a.id, a.case_id, a.rule, a.kind, a.owner, a.due, a.raised_at, a.last_raised_at, a.raise_count, "
                 "a.acknowledged_at")


def alerts(conn, *, acknowledged: bool, after: tuple[datetime, int] | None, limit: int) -> list[dict]:
    """Every case's alerts (a coordinator's), open or acknowledged, by due date then id, from after
    (due, id); `limit` of them."""
    where = ["a.acknowledged_at IS NOT NULL" if acknowledged else "a.acknowledged_at IS NULL"]
    params: dict = {"limit": limit}
    if after is not None:
        where.append("(a.due > :due OR (a.due = :due AND a.id > :id))")
        params.update(due=conn.timestamp(after[0]), id=after[1])
    rows = conn.all(f"SELECT {ALERT_COLUMNS} FROM alert a WHERE {' AND '.join(where)} "
                    "ORDER BY a.due, a.id LIMIT :limit", params)
    return alerts_from_db(rows)


def alert_counts(conn) -> dict:
    row = conn.one("SELECT COUNT(*) AS total, COUNT(a.acknowledged_at) AS acknowledged FROM alert a")
    return {"open": row["total"] - row["acknowledged"], "acknowledged": row["acknowledged"]}


def users(conn, *, after: str | None, limit: int) -> list[dict]:
    """Users by id, from after `after`; `limit` of them."""
    where = "WHERE id > :after " if after is not None else ""
    rows = conn.all("SELECT id, role, org_id AS org, name, email, hsa_id, disabled_at FROM app_user "
                    f"{where}ORDER BY id LIMIT :limit", {"after": after, "limit": limit})
    for row in rows:
        row["disabled_at"] = clock.from_db(row["disabled_at"])
    return rows


def report_state(conn) -> tuple:
    """What changes when a case or the rule table does: the audit trail's newest row (a case registered,
    changed or removed writes one in the same transaction; reads write them too, so this changes more
    often than the cases do, never less), and the newest rule table's version. Both are the end of an
    index: a page asking costs no scan of the cases (their count and newest change read every case, over
    a second at 1,000,000)."""
    newest = conn.scalar("SELECT MAX(id) FROM audit")
    rules = conn.scalar("SELECT COALESCE(MAX(version), 0) FROM rule_version")
    return newest or 0, rules
