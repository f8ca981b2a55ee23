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
    from sqlalchemy import select, update

    from screening.tables import AlertRow, CaseRow, OutboxRow

    outbox, alerts, cases = OutboxRow.__table__, AlertRow.__table__, CaseRow.__table__
    directory = uow.directory.load()
    rows = uow.session.execute(
        select(outbox.c.id.label("outbox_id"), outbox.c.key, alerts, cases.c.municipality, cases.c.unaccompanied,
               cases.c.health_centre_id, cases.c.school_id, cases.c.preschool_id)
        .join(alerts, alerts.c.id == outbox.c.ref).join(cases, cases.c.id == alerts.c.case_id)
        .where(outbox.c.status == "queued", outbox.c.topic == "alert").order_by(outbox.c.id).limit(limit)
    ).mappings().all()
    for row in rows:
        channel.send(alert_message(row["key"], row, recipients(directory, row, row)))
        uow.session.execute(update(outbox).where(outbox.c.id == row["outbox_id"]).values(
            status="sent", sent_at=now, attempts=outbox.c.attempts + 1))
        uow.commit()  # one message at a time: a crash re-sends at most the message in flight
    return len(rows)


def channel_from_environment(folder: str | None = None):
    """A folder of .eml files where one is named (SCREENING_OUTBOX_DIR), else the console."""
    import os

    from notifications.channels import ConsoleChannel, FileChannel

    folder = folder or os.environ.get("SCREENING_OUTBOX_DIR")
    return FileChannel(folder) if folder else ConsoleChannel()
