"""The outbox: delivering the queued messages, following them, a dead one again, old ones pruned."""

from __future__ import annotations

from datetime import timedelta

from screening import access, clock
from screening.errors import BadInput
from screening.model import Actor, AuditEntry

STATUSES = ("queued", "sent", "dead", "replaced")  # replaced: a later message said it instead


def send(app, actor: Actor, folder: str | None = None) -> dict:
    """Deliver the messages due, once (coordinator, admin): as .eml files in `folder` where one is
    named, else over the configured channel."""
    access.require_command(actor, "outbox")
    return {"sent": deliver(app, app.settings.channel(folder))}


def deliver(app, channel) -> int:
    """The due messages delivered on `channel`, one transaction each (the scheduler's too)."""
    from notifications.outbox import dispatch

    from dataclasses import replace

    settings = app.settings
    templates = replace(settings.templates, simulation=app.simulation)
    with app.uow() as uow:
        return dispatch(uow, channel, app.clock.now(), templates=templates, calendars=settings.caldav,
                        case_link=settings.case_link)


def listing(app, actor: Actor, status: str | None = None) -> list[dict]:
    """The messages and where each stands: key, case, attempts, next try, why a dead one failed;
    never their text (coordinator, admin)."""
    access.require_command(actor, "outbox")
    if status not in (None, *STATUSES):
        raise BadInput("a message's status is queued, sent, dead or replaced, not '{value}'", value=status)
    with app.uow() as uow:
        found = uow.outbox.listing(status)
        now, real = app.clock.now(), app.clock.real()
        for case_id in dict.fromkeys(r["case_id"] for r in found if r["case_id"]):  # a key names the case
            uow.audit.record(AuditEntry(case_id, "outbox", None, now, real, actor.user_id))
        uow.commit()
    return [{"id": r["id"], "key": r["key"], "topic": r["topic"], "case": r["case_id"], "status": r["status"],
             "attempts": r["attempts"],
             **{name: clock.local_iso(r[name]) for name in ("created_at", "next_attempt_at", "sent_at")},
             "last_error": r["last_error"]} for r in found]


def retry(app, actor: Actor, message_id: int) -> dict:
    """Queue a dead message again, once its cause (an address, the mail server) is fixed."""
    from notifications.outbox import retry as again

    access.require_command(actor, "outbox")
    with app.uow() as uow:
        again(uow, message_id)
        uow.commit()
    return {"id": message_id, "status": "queued"}


def prune(app, actor: Actor, keep_days: int | None = None) -> dict:
    """Delete the messages sent longer ago than `keep_days` (default: the setting); queued and dead
    ones stay (admin). `{"pruned": N}`, with `"kept": true` where the setting keeps every message."""
    access.require_command(actor, "prune")
    keep = timedelta(days=keep_days) if keep_days is not None else app.settings.keep_sent
    if keep is None:
        return {"pruned": 0, "kept": True}
    return {"pruned": prune_now(app, keep)}


def prune_now(app, keep: timedelta) -> int:
    from notifications.outbox import prune as delete

    with app.uow() as uow:
        return delete(uow, app.clock.now(), keep)
