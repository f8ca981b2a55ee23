"""Deadlines and alerts: the sweep, the alerts a party receives, acknowledging one."""

from __future__ import annotations

from screening import access, views
from screening.errors import BadInput, NotFound
from screening.model import Actor, AuditEntry


def sweep(app, actor: Actor) -> list[dict]:
    """One deadline sweep at the clock's time (coordinator, admin): the alerts it raised."""
    access.require_command(actor, "sweep")
    return [views.alert_view(row) for row in sweep_now(app)]


def sweep_now(app) -> list[dict]:
    """The sweep in one transaction: alerts raised once, handed to the outbox (the scheduler's too)."""
    rules = app.policy().rules  # read before the unit of work: one connection at a time
    with app.uow() as uow:
        return sweep_in(uow, rules, app.clock.now())


def sweep_in(uow, rules: dict, now) -> list[dict]:
    """The sweep at `now` in this unit of work, committed: the alerts it raised."""
    from workflows.sweep import sweep as run

    result = run(uow.conn, rules, now)
    uow.commit()
    return result.alerts


def listing(app, actor: Actor, *, open_only: bool = False) -> list[dict]:
    """The alerts of the cases in the actor's scope that the actor's party receives (a coordinator: all)."""
    with app.reads() as reads:
        return [views.alert_view(row) for row in reads.alerts(actor, open_only=open_only, at=app.clock.now(),
                                                               recorded_at=app.clock.real())]


def acknowledge(app, actor: Actor, alert_id: int) -> dict:
    """Mark an alert seen; a breach still unresolved is raised again to the coordinators weekly."""
    with app.uow() as uow:
        acknowledge_in(uow, actor, alert_id, now=app.clock.now(), recorded_at=app.clock.real())
    return {"id": alert_id, "acknowledged": True}


ACKNOWLEDGE_MOST = 50  # one page of the alerts list


def acknowledge_all(app, actor: Actor, alert_ids: list[int]) -> dict:
    """Mark several alerts seen at once (the ones ticked on a page), in one unit of work: all of them, or
    none where one is unknown to `actor`."""
    ids = sorted(set(alert_ids))
    if not ids:
        raise BadInput("choose at least one alert to acknowledge")
    if len(ids) > ACKNOWLEDGE_MOST:
        raise BadInput("at most {most} alerts at a time", most=ACKNOWLEDGE_MOST)
    now, recorded_at = app.clock.now(), app.clock.real()
    with app.uow() as uow:
        for alert_id in ids:
            _acknowledge(uow, actor, alert_id, now=now, recorded_at=recorded_at)
        uow.commit()
    return {"ids": ids, "acknowledged": True}


def acknowledge_in(uow, actor: Actor, alert_id: int, *, now, recorded_at) -> None:
    """The acknowledgement in this unit of work, committed with its audit row."""
    _acknowledge(uow, actor, alert_id, now=now, recorded_at=recorded_at)
    uow.commit()


def _acknowledge(uow, actor: Actor, alert_id: int, *, now, recorded_at) -> None:
    alert = uow.alerts.get(alert_id) if 0 < alert_id < 2**63 else None  # ids are 64-bit: none beyond
    if alert is None or not access.may_see_alert(actor, alert, uow.cases.get(alert["case_id"])):
        raise NotFound("unknown alert '{alert}'", alert=alert_id)
    uow.alerts.acknowledge(alert_id, actor.user_id, now)
    uow.audit.record(AuditEntry(alert["case_id"], "event", "acknowledge_alert", now, recorded_at, actor.user_id,
                                {"alert": alert_id}))
