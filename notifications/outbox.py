"""Deliver what the outbox holds: each queued message once, marked sent after delivery."""

from __future__ import annotations

from datetime import datetime

from notifications.messages import alert_message

# Which party receives an alert: its owner's organisation for the case; a breach also the coordinators.
OWNER_COLUMN = {"health_centre": "health_centre_id", "school": "school_id", "preschool": "preschool_id"}


def recipients(directory, case: dict, alert: dict) -> tuple[str, ...]:
    owner = alert["owner"]
    if owner in OWNER_COLUMN:
        orgs = [directory.get(case[OWNER_COLUMN[owner]])] if case[OWNER_COLUMN[owner]] else []
    elif owner == "coordinator":
        orgs = []
    else:  # reception unit (social services for an unaccompanied child), school health, BVC
        orgs = [o for o in directory.of_kind(owner) if o.municipality == case["municipality"]
                and (owner != "reception_unit" or o.for_unaccompanied == bool(case["unaccompanied"]))]
    if alert["kind"] == "breach" or owner == "coordinator":
        orgs += directory.of_kind("coordinator")
    return tuple(dict.fromkeys(o.email for o in orgs if o.email))


def dispatch(uow, channel, now: datetime, limit: int = 500) -> int:
    """Send up to `limit` queued alert messages; returns how many were sent."""
    from screening import clock

    directory = uow.directory.load()
    rows = uow.conn.all(
        "SELECT o.id AS outbox_id, o.key, a.*, c.municipality, c.unaccompanied, c.health_centre_id, "
        "c.school_id, c.preschool_id FROM outbox o JOIN alert a ON a.id = o.ref "
        "JOIN screening_case c ON c.id = a.case_id "
        "WHERE o.status = 'queued' AND o.topic = 'alert' ORDER BY o.id LIMIT :limit", {"limit": limit})
    for row in rows:
        for name in ("due", "raised_at", "last_raised_at", "acknowledged_at"):
            row[name] = clock.from_db(row[name])
        channel.send(alert_message(row["key"], row, recipients(directory, row, row)))
        uow.conn.execute("UPDATE outbox SET status = 'sent', sent_at = :now, attempts = attempts + 1 WHERE id = :id",
                         {"id": row["outbox_id"], "now": uow.conn.timestamp(now)})
        uow.commit()  # one message at a time: a crash re-sends at most the message in flight
    return len(rows)


def channel_from_environment(folder: str | None = None):
    """A folder of .eml files where one is named (SCREENING_OUTBOX_DIR), else the console."""
    import os

    from notifications.channels import ConsoleChannel, FileChannel

    folder = folder or os.environ.get("SCREENING_OUTBOX_DIR")
    return FileChannel(folder) if folder else ConsoleChannel()
