"""What the scheduler runs as itself (an admin started it): the sweep with delivery, the
coordinators' digest, the outbox's pruning, the audit trail's nightly check. Each at the app's
clock, in its own transactions."""

from __future__ import annotations

from datetime import datetime, timedelta

from screening import access, clock
from screening.model import Actor
from screening.services import alerts, outbox


def ready(app, actor: Actor) -> None:
    """The scheduler may start (admin), and every setting it will use is read now: one in error
    stops it at start, not at every sweep."""
    access.require_command(actor, "user_admin")
    app.settings.check_scheduler()


def sweep_and_deliver(app, channel) -> tuple[int, int]:
    """One sweep, then the messages due: (alerts raised, messages sent)."""
    raised = alerts.sweep_now(app)
    return len(raised), outbox.deliver(app, channel)


def digest(app, since: datetime) -> dict:
    """The coordinators' digest of new and still-open breaches, queued once for the day."""
    from workflows.digest import digest as summarise

    rules = app.policy().rules
    with app.uow() as uow:
        summary = summarise(uow.conn, rules, app.clock.now(), since)
        uow.commit()
    return summary


def verify_audit(app, anchor: tuple[int, bytes] | None = None) -> dict:
    """The audit trail's hash chain checked end to end (`anchor`: the last row the previous check saw).
    On a break the coordinators are told by e-mail, once per break: the row, why, and whole up to
    when; nothing of any case."""
    from screening.services import chain

    checked = chain.check(app, anchor)
    if not checked["ok"]:
        broken, last, now = checked["first_break"], checked["last"], app.clock.now()
        with app.uow() as uow:
            uow.outbox.queue(f"audit_break:{broken['id']}", "audit_break", now, payload={
                "row": broken["id"], "reason": broken["reason"], "after": broken["after"],
                "since": last and last["recorded_at"], "checked_at": clock.local_iso(now)})
            uow.commit()
    return checked


def prune(app, keep: timedelta) -> int:
    """The sent messages older than `keep`, deleted."""
    return outbox.prune_now(app, keep)
