"""One event of the agreement (`case event`): state, deadlines, notes, bookings, messages and the
audit row commit together or not at all."""

from __future__ import annotations

from datetime import datetime

from screening import access, clock, model
from screening.errors import BadInput, Refused, StaleWrite
from screening.model import Actor, Case
from screening.services import identities, interpreters
from screening.services.effects import Step, carry_out
from screening.model import AuditEntry


def apply(app, actor: Actor, case_id: str, event: str, params: dict[str, str], *, at: datetime | None = None,
          if_version: int | None = None) -> dict:
    """Apply one event of the agreement to a case; returns the case after it, as the actor may see it,
    with `warnings`: what was recorded but is worth a second look (an appointment said to be held
    before its booked start: `{"code": "held_before_start", "start": …}`)."""
    from screening.services import cases
    from workflows.events import held_early

    case_id, now, policy = model.case_id(case_id), app.clock.now(), app.policy()
    with app.uow() as uow:
        case = record_event(uow, actor, case_id, event, params, policy=policy, now=now,
                            recorded_at=app.clock.real(), at=at, expected_version=if_version)
    early = held_early(case, event, at or now)
    warnings = [{"code": "held_before_start", "start": clock.local_iso(early)}] if early else []
    return {**cases.show(app, actor, case_id), "warnings": warnings}


def refresh_deadlines(uow, case: Case, policy, now: datetime) -> None:
    """The case's deadlines under the rule table in force, each marked with its version."""
    from dataclasses import replace

    from workflows.deadlines import evaluate

    uow.deadlines.save(case.id, [replace(deadline, rules_version=policy.version)
                                 for deadline in evaluate(case, policy.rules, policy.calendar, now)])


def record_event(uow, actor: Actor, case_id: str, event: str, raw_params: dict[str, str], *, policy,
                 now: datetime, recorded_at: datetime, at: datetime | None = None,
                 expected_version: int | None = None) -> Case:
    """The event in this unit of work, committed."""
    case = apply_in(uow, actor, case_id, event, raw_params, policy=policy, now=now, recorded_at=recorded_at, at=at,
                    expected_version=expected_version)
    uow.commit()
    return case


def apply_in(uow, actor: Actor, case_id: str, event: str, raw_params: dict[str, str], *, policy, now: datetime,
             recorded_at: datetime, at: datetime | None = None, expected_version: int | None = None) -> Case:
    """The event in this unit of work, not yet committed: the case's new state, its deadlines, what
    follows from it (notes, appointments, messages) and its audit row."""
    from workflows.agreement import EVENT_TRACK
    from workflows.events import EVENTS, VACCINATING_UNITS, happen, latest_step
    from workflows.routing import responsible_unit

    described = EVENTS.get(event)
    if described is None:
        raise BadInput("unknown event '{event}'; one of: {events}", event=event, events=list(EVENTS))
    case = uow.cases.get(case_id)
    access.require_visible(actor, case, case_id)
    if actor.role not in described.roles:
        raise Refused("the role '{role}' may not {event} (only {roles})", role=actor.role, event=event,
                      roles=described.roles)
    params = described.parse(event, raw_params)
    beyond = sorted(set(params) - set(described.only.get(actor.role, params)))
    if beyond:
        raise Refused("the role '{role}' may give {event} only {only:and}, not {beyond}", role=actor.role,
                      event=event, only=described.only[actor.role], beyond=beyond)
    given_at, at = at, at or now
    if at > now:
        raise BadInput("the time the event happened is in the future")
    if at < case.notice_at:
        raise BadInput("the time the event happened is before the arrival notice was registered")
    track = EVENT_TRACK[event]
    latest = latest_step(case, track)
    if event == "close" and actor.role == "coordinator" and latest > now and given_at is None:
        latest = at  # a step recorded at a time still to come (a clock once set wrong): a coordinator closes anyway
    if at < latest and given_at is None:  # the clock was read before someone else recorded a later step
        raise StaleWrite("case {case} was changed by someone else meanwhile: its {track} track has a step at "
                         "{latest:%Y-%m-%d %H:%M:%S}, after the clock; read it again and retry", case=case.id,
                         track=track, latest=clock.local(latest))
    if at < latest:
        raise BadInput("the time the event happened is before the {track} track's latest step "
                       "({latest:%Y-%m-%d %H:%M}); steps are recorded in order", track=track, latest=clock.local(latest))
    if expected_version is not None and expected_version != case.version:
        raise StaleWrite("case {case} was changed by someone else meanwhile (version {version}, you read {read}); "
                         "read it again and retry", case=case.id, version=case.version, read=expected_version)
    if described.roles == VACCINATING_UNITS:
        unit = responsible_unit(case, clock.local_date(now))
        if unit is not None and actor.role != unit:  # vacc 2: the routing rule decides
            raise Refused("the catch-up vaccination of this child is for {unit}, not {acting_unit}", unit=unit,
                          acting_unit=actor.role)
    if described.check is not None:
        params = described.check(uow, case, params, at)
    booking, interpreter, identity = _booking_before(case, described), case.interpreter, case.identifiers()
    happen(case, event, at, params, actor)
    case.updated_at = recorded_at
    uow.cases.save(case)
    refresh_deadlines(uow, case, policy, now)
    carry_out(Step(uow, case, actor, at, recorded_at))
    _tell_parties(uow, case, event, params, policy, recorded_at, booking, clock.local_date(at))
    if case.interpreter != interpreter:
        interpreters.need_changed(uow, case, event, recorded_at)
    given = [key for key, value in case.identifiers().items() if identity.get(key) != value]
    public = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in params.items()
              if k not in described.confidential}
    if elsewhere := identities.elsewhere(uow, case, given, now):
        public["identity_elsewhere"] = elsewhere  # the coordinators warned; no registering unit reads it
    uow.audit.record(AuditEntry(case.id, "event", event, at, recorded_at, actor.user_id, public or None))
    return case


def _booking_before(case: Case, described) -> dict | list | None:
    """The appointment an event books or cancels, as it was booked before it: what its messages
    compare with when they are sent ("ombokad" from that time, or cancelled). An event that cancels
    every appointment (a case that ends): those that were booked, a list."""
    kinds = (described.books,) if described.books else described.cancels
    before = {kind: getattr(case, f"{kind}_start") for kind in kinds}
    if len(kinds) == 1:
        return {"kind": kinds[0], "previous": before[kinds[0]].isoformat() if before[kinds[0]] else None}
    return [{"kind": kind, "previous": start.isoformat()} for kind, start in before.items() if start] or None


def _tell_parties(uow, case: Case, event: str, params: dict, policy, recorded_at: datetime,
                  booking: dict | list | None = None, on=None) -> None:
    """The messages the event causes (routes), queued in its unit of work: sent only if it commits."""
    from notifications.routes import event_messages

    for message in event_messages(case, event, params, policy.routes, booking, on):
        if message["payload"]["party"] == "interpreter_service" and not interpreters.orderable(uow, case, message,
                                                                                               recorded_at):
            continue  # none to order from: the health centre is warned
        uow.outbox.queue(message["key"], "event", recorded_at, case_id=message["case_id"], payload=message["payload"])
