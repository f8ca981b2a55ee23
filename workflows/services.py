"""Use cases. Each runs in one unit of work and takes the clock (`now`) as a parameter."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from screening import access, clock
from screening.directory import ROLE_FOR_KIND, ROLES, Directory
from screening.errors import BadInput, NotFound, Refused, StaleWrite
from screening.model import Actor, Case
from screening.repository import AuditEntry

def load_actor(uow, user_id: str | None) -> Actor:
    if not user_id:
        raise NotFound("no acting user: give --as USER or set SCREENING_USER")
    row = uow.directory.actor(user_id)
    if row is None:
        raise NotFound(f"unknown user '{user_id}'")
    return Actor(row["id"], row["role"], row["org_id"], row["kind"], row["municipality"])


def load_directory(uow, directory: Directory, *, demo_users: bool) -> int:
    """Load a region's organisations (and, for the demo, an admin and one user per organisation)."""
    uow.directory.replace(directory)
    if demo_users:
        coordinator = directory.of_kind("coordinator")[0]
        if uow.directory.user("admin") is None:
            uow.directory.add_user("admin", "admin", coordinator.id)
        for org in directory.organisations:
            if uow.directory.user(org.id) is None:
                uow.directory.add_user(org.id, ROLE_FOR_KIND[org.kind], org.id)
    uow.commit()
    return len(directory.organisations)


def add_user(uow, acting_user: str | None, user_id: str, role: str, org_id: str) -> dict:
    """Add a user; needs an admin, except while no user exists."""
    if uow.directory.any_user():
        access.require_command(load_actor(uow, acting_user), "user_admin")
    if not user_id or len(user_id) > 64 or not user_id.isprintable() or any(ch.isspace() for ch in user_id):
        raise BadInput(f"user '{user_id[:64]}': an id is 1-64 characters, without spaces or control characters")
    if role not in ROLES:
        raise BadInput(f"unknown role '{role}'; one of: {', '.join(ROLES)}")
    org = uow.directory.organisation(org_id)
    if org is None:
        raise NotFound(f"unknown organisation '{org_id}'")
    if role != "admin" and ROLE_FOR_KIND[org["kind"]] != role:
        raise BadInput(f"the role '{role}' does not fit organisation '{org_id}' ({org['kind']})")
    if uow.directory.user(user_id) is not None:
        raise BadInput(f"user '{user_id}' exists already")
    uow.directory.add_user(user_id, role, org_id)
    uow.commit()
    return {"id": user_id, "role": role, "org": org_id}


@dataclass(frozen=True)
class Policy:
    """What the rules need besides the case: the deadline rule table, the working-day calendar,
    and which event tells which party (`notifications/data/routes.toml`, or SCREENING_ROUTES)."""

    rules: dict
    calendar: object
    routes: dict = field(default_factory=dict)

    @classmethod
    def default(cls, rules_path: str | None = None) -> "Policy":
        import os

        from notifications.routes import load_routes
        from screening.workdays import default_calendar
        from workflows.deadlines import load_rules

        return cls(load_rules(rules_path), default_calendar(), load_routes(os.environ.get("SCREENING_ROUTES")))


def _refresh_deadlines(uow, case: Case, policy: Policy, now: datetime) -> None:
    from workflows.deadlines import evaluate

    uow.deadlines.save(case.id, evaluate(case, policy.rules, policy.calendar, now))


def apply_event(uow, acting_user: str | None, case_id: str, event: str, raw_params: dict[str, str], *,
                policy: Policy, now: datetime, recorded_at: datetime, at: datetime | None = None,
                expected_version: int | None = None, also=None) -> Case:
    """Apply one event of the agreement: state, deadlines and audit commit together or not at all."""
    from transitions import MachineError

    from workflows.agreement import EVENT_TRACK, machine
    from workflows.events import EVENTS, VACCINATING_UNITS, latest_step, record
    from workflows.routing import responsible_unit

    actor = load_actor(uow, acting_user)
    spec = EVENTS.get(event)
    if spec is None:
        raise BadInput(f"unknown event '{event}'; one of: {', '.join(EVENTS)}")
    case = uow.cases.get(case_id)
    access.require_visible(actor, case, case_id)
    if actor.role not in spec.roles:
        raise Refused(f"the role '{actor.role}' may not {event} (only {', '.join(spec.roles)})")
    params = spec.parse(event, raw_params)
    given_at, at = at, at or now
    if at > now:
        raise BadInput("--at is in the future")
    if at < case.notice_at:
        raise BadInput("--at is before the arrival notice was registered")
    track = EVENT_TRACK[event]
    latest = latest_step(case, track)
    if at < latest and given_at is None:  # the clock was read before someone else recorded a later step
        raise StaleWrite(f"case {case.id} was changed by someone else meanwhile: its {track} track has a step at "
                         f"{clock.local(latest):%Y-%m-%d %H:%M:%S}, after the clock; read it again and retry")
    if at < latest:
        raise BadInput(f"--at is before the {track} track's latest step "
                       f"({clock.local(latest):%Y-%m-%d %H:%M}); steps are recorded in order")
    if expected_version is not None and expected_version != case.version:
        raise StaleWrite(f"case {case.id} was changed by someone else meanwhile (version {case.version}, "
                         f"you read {expected_version}); read it again and retry")
    if spec.roles == VACCINATING_UNITS:
        unit = responsible_unit(case, clock.local_date(now))
        if unit is not None and actor.role != unit:  # vacc 2: the routing rule decides
            raise Refused(f"the catch-up vaccination of this child is for {unit}, not {actor.role}")
    before = getattr(case, f"{track}_state")
    try:
        moved = machine(track).events[event].trigger(case, params=params, at=at)
    except MachineError:
        raise Refused(f"{event} is not allowed while the {track} track is '{before}'") from None
    if not moved:
        raise Refused(f"{event} is not allowed for this case now")
    record(case, event, at, params, actor)
    if event == "make_vaccination_plan":
        case.vaccination_plan_unit = actor.role
    case.updated_at = recorded_at
    uow.cases.save(case)
    _refresh_deadlines(uow, case, policy, now)
    for note in case.events:
        uow.notes.add(case.id, note.kind, note.text, at, actor.user_id)
    if event in BOOKING_EVENTS:
        from workflows.bookings import after_event

        after_event(uow, case, event, params, at, recorded_at)
    _tell_parties(uow, case, event, params, policy, recorded_at)
    public = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in params.items()
              if k not in CONFIDENTIAL_PARAMS}
    uow.audit.record(AuditEntry(case.id, "event", event, at, recorded_at, actor.user_id, public or None))
    if also is not None:  # what the caller writes with the event, in its unit of work
        also(case)
    uow.commit()
    case.events.clear()
    return case


def _tell_parties(uow, case: Case, event: str, params: dict, policy: Policy, recorded_at: datetime) -> None:
    """The messages the event causes (routes), queued in its unit of work: sent only if it commits."""
    from notifications.outbox import queue
    from notifications.routes import event_messages

    for message in event_messages(case, event, params, policy.routes):
        queue(uow.conn, message["key"], "event", recorded_at, case_id=message["case_id"], payload=message["payload"])


BOOKING_EVENTS = ("book_health_conversation", "book_examination", "cancel_booking", "decline", "move_out", "close")
CONFIDENTIAL_PARAMS = ("note", "reason", "vaccine", "tb_referral")  # never in the audit detail, a log or a message


def run_sweep(uow, acting_user: str | None, *, policy: Policy, now: datetime) -> list[dict]:
    """One deadline sweep at `now` in one transaction: alerts raised once, handed to the outbox."""
    from workflows.sweep import sweep

    if acting_user is not None:  # the scheduler sweeps as itself
        access.require_command(load_actor(uow, acting_user), "sweep")
    result = sweep(uow.conn, policy.rules, now)
    uow.commit()
    return result.alerts


def acknowledge_alert(uow, acting_user: str | None, alert_id: int, *, now: datetime,
                      recorded_at: datetime) -> None:
    """Mark an alert seen; a breach still unresolved is raised again to the coordinators weekly."""
    actor = load_actor(uow, acting_user)
    alert = uow.alerts.get(alert_id) if 0 < alert_id < 2**63 else None  # ids are 64-bit: none beyond
    if alert is None or not access.may_see_alert(actor, alert, uow.cases.get(alert["case_id"])):
        raise NotFound(f"unknown alert '{alert_id}'")
    uow.alerts.acknowledge(alert_id, actor.user_id, now)
    uow.audit.record(AuditEntry(alert["case_id"], "event", "acknowledge_alert", now, recorded_at, actor.user_id,
                                {"alert": alert_id}))
    uow.commit()


# Registration (step 2) lives in its own module; its names are the service layer's too.
from workflows.registration import CASE_ID_ALPHABET, Registration, new_case_id, register_case  # noqa: E402,F401
