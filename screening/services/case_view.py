"""What the case page shows beyond `cases.show`: the events the rules allow this actor now (each with
the values it asks for), the deadlines with their clause, the three tracks as a timeline, the free
times to book before the deadline, and a booking with the interpreter flag set in the same unit of work.

"May this actor apply event E now" is answered by the same checks `events.apply_in` makes before it
changes anything: the role, the case in scope, the vaccinating unit of vacc 2, and the track's machine
(with its guards) fired on a copy of the case."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from screening import access, clock, model
from screening.errors import BadInput, Refused
from screening.model import Actor
from workflows.events import EVENTS


@dataclass(frozen=True)
class Value:
    """One value an event's form asks for: `kind` text, note (several lines), date, choice, slot, unit (an
    organisation picked from the directory); `clearable`: the form may empty it (an empty value clears it)."""

    key: str
    kind: str
    required: bool = False
    choices: tuple[str, ...] = ()
    clearable: bool = False


YES_NO = ("yes", "no")
REASON = (Value("reason", "note"),)
# Each event's values as its form asks for them (the keys of `case event ID EVENT --set key=value`).
VALUES: dict[str, tuple[Value, ...]] = {
    "verify_previous_screening": (Value("done", "choice", True, ("yes", "no", "unknown")),),
    "change_arrival": (Value("arrival", "date", True),),
    "book_health_conversation": (Value("start", "slot", True),),
    "book_examination": (Value("start", "slot", True),),
    "record_results": (Value("obstacle", "choice", True, YES_NO), Value("note", "note")),
    "record_consent": (Value("given_by", "choice", True, ("guardian", "god_man")),
                       Value("scope", "choice", True, ("school_health",))),
    "hold_examination": (Value("note", "note"),),
    # a health centre is changed to another, never removed (`workflows.details`): not clearable
    "update_details": (Value("name", "text", clearable=True), Value("language", "text", clearable=True),
                       Value("interpreter", "choice", False, YES_NO), Value("unaccompanied", "choice", False, YES_NO),
                       Value("personnummer", "text", clearable=True), Value("samordningsnummer", "text", clearable=True),
                       Value("dossier", "text", clearable=True), Value("school", "unit", clearable=True),
                       Value("preschool", "unit", clearable=True), Value("health_centre", "unit")),
    "decline": REASON,
    "move_out": REASON,
    "close": REASON,
    "start_with_adaptations": (Value("reason", "note", True),),
    "postpone_start": (Value("reason", "note", True),),
    "assess_vaccinations": (Value("status", "choice", True, ("complete", "missing", "unknown")),),
    "make_vaccination_plan": (Value("tb_referral", "choice", False, YES_NO),),
    "give_catch_up_dose": (Value("vaccine", "text", True),),
}
# values that only pick between two destinations of a transition: any of them tells whether it may fire
PROBE = {"verify_previous_screening": {"done": "unknown"}, "assess_vaccinations": {"status": "unknown"}}
BOOKS = {"book_health_conversation": "conversation", "book_examination": "examination"}
BOOKING_RULE = {"conversation": "book_health_conversation", "examination": "book_examination"}
EVENT_NAMES = frozenset(EVENTS)
SLOT_DAYS = 21  # the free times offered: up to the deadline, at most this many days ahead
SLOTS_SHOWN = 50  # the first free times offered
LOG_PAGE = 50  # the access log's entries on a page


def values_of(event: str, role: str) -> tuple[Value, ...]:
    """The values the role gives the event (a health centre corrects only language and interpreter)."""
    only = EVENTS[event].only.get(role)
    return tuple(v for v in VALUES.get(event, ()) if only is None or v.key in only)


# Steps the agreement asks for once, which the rules still allow after (information given again, say after
# a result was corrected): the page shows them apart once done.
ONCE = ("inform_family", "inform_reception", "share_with_school_health")


def allowed(app, actor: Actor, case_id: str) -> list[str]:
    """The events `actor` may apply to the case now, in the agreement's order; a case out of scope is
    unknown (NotFound). Nothing is recorded: the page's read is `cases.show`'s."""
    case_id = model.case_id(case_id)
    with app.uow() as uow:
        case = uow.cases.get(case_id)
    access.require_visible(actor, case, case_id)
    return allowed_on(case, actor, app.clock.now())


def allowed_on(case, actor: Actor, now) -> list[str]:
    from transitions import MachineError

    from workflows.agreement import EVENT_TRACK, machine
    from workflows.events import VACCINATING_UNITS
    from workflows.routing import responsible_unit

    found = []
    for name, described in EVENTS.items():
        if actor.role not in described.roles:
            continue
        if described.roles == VACCINATING_UNITS:
            unit = responsible_unit(case, clock.local_date(now))
            if unit is not None and actor.role != unit:
                continue
        trial = copy.deepcopy(case)
        try:
            moved = machine(EVENT_TRACK[name]).events[name].trigger(trial, params=PROBE.get(name, {}), at=now)
        except (MachineError, Refused):
            continue
        if moved:
            found.append(name)
    return found


def clauses(app) -> dict[str, dict]:
    """Each deadline rule's clause of the agreement and its track: `{rule: {"clause", "track"}}`."""
    return {name: {"clause": rule.clause, "track": rule.track} for name, rule in app.policy().rules.items()}


def names(app, org_ids) -> dict[str, str]:
    """The organisations' names (id -> name) of those named on a page."""
    found = {}
    with app.reads() as reads:
        for org_id in {o for o in org_ids if o}:
            try:
                found[org_id] = reads.organisation(org_id).get("name") or org_id
            except BadInput:
                found[org_id] = org_id
    return found


def trail(app, actor: Actor, case_id: str, *, reads: bool = False, before: int | None = None) -> dict:
    """The case's events (all, oldest first, as `case history` gives them) and, with `reads`, a page of its
    access log (as `case history` shows it with the reads): LOG_PAGE entries at most, newest first, those recorded before
    the entry `before`; `earlier`: where the next page starts, or None. One read of the history recorded."""
    from screening.storage.case_page import trail as read_trail

    case_id, now = model.case_id(case_id), app.clock.now()
    with app.reads() as stored:
        found = read_trail(stored, actor, case_id, include_reads=reads, before=before, limit=LOG_PAGE, at=now,
                           recorded_at=app.clock.real())

    def entry(e: dict) -> dict:
        return {"id": e["id"], "event": e["event"] or e["action"], "action": e["action"],
                "at": clock.local_iso(e["at"]), "recorded_at": clock.local_iso(e["recorded_at"]),
                "user": e["user_id"], "name": e.get("user_name"), "org": e["org_id"]}

    log = found["log"]
    return {"events": [entry(e) for e in found["events"]], "log": None if log is None else [entry(e) for e in log],
            "earlier": found["earlier"]}


def units(app, case: dict) -> dict:
    """The organisations a correction of the case offers, each `(id, name)`: its municipality's schools
    and preschools, the region's health centres (those serving the municipality first; `serving`: how
    many). What is offered is what `update_details` accepts; the service checks what is sent all the same."""
    from screening.storage.case_page import units as read_units

    with app.reads() as reads:
        return read_units(reads.conn, case["municipality"])


def timeline(case: dict, history: list[dict], rules: dict[str, dict]) -> dict[str, dict]:
    """The three tracks: each its state, the steps done (when, which event, by whom) and its deadlines
    (done, due, late; with their clause). A deadline of the whole case counts as the health track's."""
    from workflows.agreement import EVENT_TRACK

    tracks = {track: {"state": case["tracks"][track], "done": [], "deadlines": []}
              for track in ("health", "school", "vaccination")}
    for entry in history:
        track = "health" if entry["event"] == "register" else EVENT_TRACK.get(entry["event"])
        if track is not None:
            tracks[track]["done"].append(entry)
    for deadline in case["deadlines"]:
        rule = rules.get(deadline["rule"], {})
        track = rule.get("track") if rule.get("track") in tracks else "health"
        tracks[track]["deadlines"].append({**deadline, "clause": rule.get("clause")})
    for track in tracks.values():
        track["deadlines"].sort(key=lambda d: d["due"])
    return tracks


def slots(app, actor: Actor, case: dict, kind: str, *, interpreter: bool | None = None) -> dict:
    """The free times to book the case's conversation or examination at its health centre, from now up to
    its deadline (at most SLOT_DAYS days): `{"due", "interpreter", "days": [(date, [start, …]), …]}`, the
    length of each time that of the kind of visit, with an interpreter if the case needs one."""
    from screening.services.calendar import free_times

    now = app.clock.now()
    if case["health_centre"] is None:
        return {"due": None, "interpreter": bool(case["interpreter"]), "days": [], "more": False}
    need = bool(case["interpreter"]) if interpreter is None else interpreter
    due = next((d["due"] for d in case["deadlines"] if d["rule"] == BOOKING_RULE[kind] and d["status"] == "open"),
               None)
    due_at = clock.parse_datetime(due, "due") if due else None
    until = min(due_at, now + timedelta(days=SLOT_DAYS)) if due_at else now + timedelta(days=SLOT_DAYS)
    days = max(1, (until - now).days + 1)
    times = [t for t in free_times(app, actor, case["health_centre"], since=now, days=days,
                                   examination=kind == "examination", interpreter=need)
             if due_at is None or clock.parse_datetime(t["end"], "end") <= due_at]
    by_day: dict[date, list[str]] = {}
    for t in times[:SLOTS_SHOWN]:
        by_day.setdefault(date.fromisoformat(t["start"][:10]), []).append(t["start"])
    return {"due": due, "interpreter": need, "days": sorted(by_day.items()), "more": len(times) > SLOTS_SHOWN}


def book(app, actor: Actor, case_id: str, event: str, start: str, *, interpreter: bool | None,
         if_version: int | None, at: datetime | None = None) -> dict:
    """Book the conversation or examination at `start`; the case's interpreter flag set first where the
    booking changes it, both in one unit of work (together or not at all), both at `at` (when it happened,
    as a `case event` may say; default now). The case after it."""
    from screening.services import cases
    from screening.services.events import apply, apply_in

    if event not in BOOKS:
        raise BadInput("unknown event '{event}'; one of: {events}", event=event, events=list(BOOKS))
    case_id, now, policy = model.case_id(case_id), app.clock.now(), app.policy()
    with app.uow() as uow:
        current = uow.cases.get(case_id)
        access.require_visible(actor, current, case_id)
        changes = interpreter is not None and bool(current.interpreter) != interpreter
    if not changes:
        return apply(app, actor, case_id, event, {"start": start}, at=at, if_version=if_version)
    with app.uow() as uow:
        recorded_at = app.clock.real()
        apply_in(uow, actor, case_id, "update_details", {"interpreter": "yes" if interpreter else "no"},
                 policy=policy, now=now, recorded_at=recorded_at, at=at, expected_version=if_version)
        apply_in(uow, actor, case_id, event, {"start": start}, policy=policy, now=now, recorded_at=recorded_at, at=at)
        uow.commit()
    return {**cases.show(app, actor, case_id), "warnings": []}
