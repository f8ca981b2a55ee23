"""What the scheduler runs as itself (an admin started it): the sweep with delivery, the
coordinators' digest, the outbox's pruning. Each at the app's clock, in its own transactions."""

from __future__ import annotations

from datetime import datetime, timedelta

from screening import access
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

    with app.uow() as uow:
        summary = summarise(uow.conn, app.settings.rules, app.clock.now(), since)
        uow.commit()
    return summary


def prune(app, keep: timedelta) -> int:
    """The sent messages older than `keep`, deleted."""
    return outbox.prune_now(app, keep)
