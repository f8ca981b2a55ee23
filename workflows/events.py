"""The events of the agreement, each described once: who may apply it, the values it takes (and
which are confidential), what it writes on the case, and the appointments it books or cancels.

The states it moves between are its track's table in `agreement.py`; who is told is
`notifications/data/routes.toml`, by event. Everything else about an event is its row in `EVENTS`.
`happen` is the domain's whole part: the state machine fires, the case records what happened,
and what follows (a note stored apart, an appointment, a message) is left on `case.events` for
the service layer to carry out in its unit of work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from screening import clock
from screening.errors import BadInput, Refused
from screening.model import Case
from screening.text import LANGUAGE_LIMIT, NAME_LIMIT, check_line
from workflows.details import check_details, record_details
from workflows.records import APPOINTMENTS, Booked, Cancelled, Note

VACCINATING_UNITS = ("bvc", "school_health")


# --- values ---------------------------------------------------------------------------------

SWEDISH = {"ja": "yes", "nej": "no", "okänt": "unknown", "vet ej": "unknown"}  # what a Swedish nurse types


def _choice(*allowed: str) -> Callable[[str], str]:
    """One of `allowed` (the contract's words), or its Swedish word (`ja`, `nej`, `okänt`), in any case."""
    def parse(value: str) -> str:
        word = value.strip().lower()
        word = SWEDISH.get(word, word)
        if word not in allowed:
            swedish = [sv for sv, en in SWEDISH.items() if en in allowed]
            raise BadInput("must be one of {values}, not '{value}'", values=[*allowed, *swedish], value=value)
        return word
    return parse


def _text(value: str) -> str:
    if not value.strip():
        raise BadInput("must not be empty")
    return value.strip()


def _line(limit: int) -> Callable[[str], str]:
    """Text shown on one line, no longer than its column (a name, a language): `screening.text`."""
    return lambda value: check_line(_text(value), limit)


class Secret:
    """A confidential value: never in the audit detail, a log or a message."""

    def __init__(self, parse: Callable[[str], object]):
        self.parse = parse

    def __call__(self, value: str):
        return self.parse(value)


def _datetime(value: str) -> datetime:
    return clock.parse_datetime(value, "start")


def _date(value: str):
    return clock.parse_date(value, "arrival")


def _or_empty(parse: Callable[[str], object]) -> Callable[[str], object]:
    """The value, or '' (clear it)."""
    return lambda value: "" if not value.strip() else parse(value)


def _org_id(value: str) -> str:
    return value.strip()


# --- what an event writes on the case ---------------------------------------------------------

def _notify(case, at, _params, _actor):
    if case.parties_notified_at is None:
        case.parties_notified_at = at  # step 2: when the HC was informed
    else:
        case.renotified_at = at


def _book_conversation(case, at, params, _actor):
    case.conversation_start = params["start"]
    case.conversation_booked_at = case.conversation_booked_at or at  # the first booking: step 3's deadline


def _results(case, at, params, _actor):
    case.results_received_at, case.obstacle = at, params["obstacle"] == "yes"


def _consent(case, at, params, _actor):
    case.consent_given_by, case.consent_scope, case.consent_at = params["given_by"], params["scope"], at


def _decline(case, at, _params, actor):
    case.declined_at, case.declined_by = at, actor.user_id


def _started_adapted(case, at, _params, actor):
    setattr(case, f"{actor.role}_started_at", at)


def _plan(case, at, params, actor):
    case.vaccination_plan_at, case.vaccination_plan_unit = at, actor.role
    if params.get("tb_referral") == "yes":  # vacc 2: tuberculosis is a referral, not a vaccination step
        case.events.append(Note("referral", "tuberculosis"))


def _dose(case, _at, params, _actor):
    case.doses_given += 1
    case.events.append(Note("dose", params["vaccine"]))


@dataclass(frozen=True)
class Event:
    """One event of the agreement, described once."""

    roles: tuple[str, ...]
    required: dict[str, Callable] = field(default_factory=dict)
    optional: dict[str, Callable] = field(default_factory=dict)
    stamps: tuple[str, ...] = ()  # the case's fields that hold its time (its track's milestones): set to
    # the event's time, unless `records` says which and how
    copies: dict[str, str] = field(default_factory=dict)  # case field <- value of the event
    records: Callable | None = None  # anything else it writes on the case
    note: str | None = None  # the kind of note its confidential `note` value is stored as
    check: Callable | None = None  # (uow, case, values, at) -> the values to record, checked against storage
    only: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role -> the values it alone may give
    books: str | None = None  # the appointment it books at the event's `start`
    cancels: tuple[str, ...] = ()  # the appointments it cancels
    ends: bool = False  # the case ends for the health track: what is still to come is cancelled
    holds: str | None = None  # the appointment it says was held

    @property
    def confidential(self) -> frozenset[str]:
        values = {**self.required, **self.optional}
        return frozenset(key for key, parse in values.items() if isinstance(parse, Secret))

    def parse(self, event: str, raw: dict[str, str]) -> dict:
        required, optional = self.required, self.optional
        unknown = sorted(set(raw) - set(required) - set(optional))
        if unknown and not (required or optional):
            raise BadInput("{event}: unknown value {value!r} (its values: none)", event=event, value=unknown[0])
        if unknown:
            raise BadInput("{event}: unknown value {value!r} (its values: {keys})", event=event, value=unknown[0],
                           keys=[*required, *optional])
        missing = [key for key in required if key not in raw]
        if missing:
            raise BadInput("{event}: the value {key} is required", event=event, key=missing[0])
        parsed = {}
        for key, value in raw.items():
            try:
                parsed[key] = {**required, **optional}[key](value)
            except BadInput as error:
                raise BadInput("{event}: {key} {error}", event=event, key=key, error=error) from None
        return parsed

    def record(self, case: Case, at: datetime, params: dict, actor) -> None:
        """Write what happened on the case and leave what follows on `case.events` (memory only)."""
        for name in self.stamps if self.records is None else ():
            setattr(case, name, at)
        for name, key in self.copies.items():
            setattr(case, name, params[key])
        if self.records is not None:
            self.records(case, at, params, actor)
        if "note" in params:
            case.events.append(Note(self.note, params["note"]))
        if "reason" in params:
            case.events.append(Note("reason", params["reason"]))
        if self.books:
            case.events.append(Booked(self.books, params["start"]))
        if self.cancels:
            case.events.append(Cancelled(self.cancels, at if self.ends else None))


REASON = {"reason": Secret(_text)}
ENDS = {"optional": REASON, "cancels": APPOINTMENTS, "ends": True}
EVENTS: dict[str, Event] = {
    # health track (steps 2, 3, 5, 6, 7, 9; B)
    "verify_previous_screening": Event(("reception",), {"done": _choice("yes", "no", "unknown")},
                                       stamps=("previous_verified_at",), copies={"previous_screening": "done"}),
    "notify_parties": Event(("reception",), stamps=("parties_notified_at", "renotified_at"), records=_notify),
    "change_arrival": Event(("reception",), {"arrival": _date}, stamps=("arrival_changed_at",),
                            copies={"arrival": "arrival"}),
    "book_health_conversation": Event(("health_centre",), {"start": _datetime}, stamps=("conversation_booked_at",),
                                      records=_book_conversation, books="conversation"),
    "cancel_booking": Event(("health_centre",), records=lambda case, *_: setattr(case, "conversation_start", None),
                            cancels=("conversation",)),
    "hold_health_conversation": Event(("health_centre",), stamps=("samples_taken_at",), holds="conversation"),
    "record_results": Event(("health_centre",), {"obstacle": _choice("yes", "no")}, {"note": Secret(_text)},
                            stamps=("results_received_at",), records=_results, note="results"),
    "inform_family": Event(("health_centre",), stamps=("family_informed_at",)),
    "inform_reception": Event(("health_centre",), stamps=("reception_informed_at",)),
    "record_consent": Event(("health_centre",), {"given_by": _choice("guardian", "god_man"),
                                                 "scope": _choice("school_health")},
                            stamps=("consent_at",), records=_consent),
    "share_with_school_health": Event(("health_centre",), stamps=("shared_at",)),
    "book_examination": Event(("health_centre",), {"start": _datetime}, stamps=("examination_booked_at",),
                              copies={"examination_start": "start"}, books="examination"),
    "hold_examination": Event(("health_centre",), optional={"note": Secret(_text)}, stamps=("examined_at",),
                              holds="examination", note="examination"),
    "update_details": Event(("reception", "health_centre"), optional={
        "name": Secret(_or_empty(_line(NAME_LIMIT))), "language": _or_empty(_line(LANGUAGE_LIMIT)),
        "interpreter": _choice("yes", "no"),
        "unaccompanied": _choice("yes", "no"), "personnummer": Secret(_or_empty(str)),
        "samordningsnummer": Secret(_or_empty(str)), "dossier": Secret(_or_empty(str)), "school": _or_empty(_org_id),
        "preschool": _or_empty(_org_id), "health_centre": _or_empty(_org_id)},
        stamps=("hc_informed_at",), records=record_details, check=check_details,
        only={"health_centre": ("language", "interpreter")}),
    "decline": Event(("health_centre", "reception"), stamps=("declined_at",), records=_decline, **ENDS),
    "move_out": Event(("reception",), stamps=("ended_at",), **ENDS),
    "close": Event(("reception", "coordinator"), stamps=("ended_at",), **ENDS),
    # school track (steps 4, 8, 9; D)
    "invite_intro_meeting": Event(("school", "preschool"), stamps=("intro_invited_at",)),
    "hold_intro_meeting": Event(("school", "preschool"), stamps=("intro_held_at",)),
    "make_intro_plan": Event(("school", "preschool"), stamps=("intro_plan_at",)),
    "start_school": Event(("school",), stamps=("school_started_at",)),
    "start_preschool": Event(("preschool",), stamps=("preschool_started_at",)),
    "start_with_adaptations": Event(("school", "preschool"), REASON,
                                    stamps=("school_started_at", "preschool_started_at"), records=_started_adapted),
    "postpone_start": Event(("school", "preschool"), REASON, stamps=("postponed_at",)),
    # vaccination track (vacc 1-2; C, E)
    "request_records": Event(("school_health",), stamps=("records_requested_at",)),
    "assess_vaccinations": Event(VACCINATING_UNITS, {"status": _choice("complete", "missing", "unknown")},
                                 stamps=("assessed_at",), copies={"vaccination_status": "status"}),
    # vacc 2: Hepatitis B is given within the unit (give_catch_up_dose); tuberculosis is referred
    "make_vaccination_plan": Event(VACCINATING_UNITS, optional={"tb_referral": Secret(_choice("yes", "no"))},
                                   stamps=("vaccination_plan_at",), records=_plan),
    "give_catch_up_dose": Event(VACCINATING_UNITS, {"vaccine": Secret(_text)}, records=_dose),
    "complete_vaccinations": Event(VACCINATING_UNITS, stamps=("vaccinations_done_at",)),
}
KIND_OF_EVENT = {name: event.books for name, event in EVENTS.items() if event.books}
EVENT_OF_KIND = {kind: name for name, kind in KIND_OF_EVENT.items()}


def _milestones() -> dict[str, tuple[str, ...]]:
    from workflows.agreement import EVENT_TRACK

    found: dict[str, list[str]] = {}
    for name, event in EVENTS.items():
        found.setdefault(EVENT_TRACK[name], ["notice_at"]).extend(event.stamps)
    return {track: tuple(dict.fromkeys(names)) for track, names in found.items()}


# Within a track, steps happen in order: an event is never dated before the track's latest step.
TRACK_MILESTONES = _milestones()


def latest_step(case: Case, track: str) -> datetime:
    return max(value for name in TRACK_MILESTONES[track] if (value := getattr(case, name)) is not None)


def happen(case: Case, name: str, at: datetime, params: dict, actor) -> None:
    """The event on the case, in memory: its track's machine moves (or refuses), and the case
    records what happened. What follows is on `case.events`."""
    from transitions import MachineError

    from workflows.agreement import EVENT_TRACK, machine

    track = EVENT_TRACK[name]
    before = getattr(case, f"{track}_state")
    try:
        moved = machine(track).events[name].trigger(case, params=params, at=at)
    except MachineError:
        raise Refused("{event} is not allowed while the {track} track is '{state}'", event=name, track=track,
                      state=before) from None
    if not moved:
        raise Refused("{event} is not allowed for this case now", event=name)
    EVENTS[name].record(case, at, params, actor)


def record(case: Case, name: str, at: datetime, params: dict, actor) -> None:
    """What the event writes on the case, without its track's machine (a replay of a known trail)."""
    EVENTS[name].record(case, at, params, actor)


def held_early(case: Case, event: str, at: datetime) -> datetime | None:
    """The booked start of the appointment the event says was held, when that is after `at`: held
    before it began (a time typed wrong, or the wrong child), worth a second look."""
    held = EVENTS[event].holds if event in EVENTS else None
    start = getattr(case, f"{held}_start") if held else None
    return start if start is not None and at < start else None
