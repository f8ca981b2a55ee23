"""The events of the agreement: who may apply each, its `--set` keys, and what it records.

The state changes are in `agreement.py`; this table says what an event writes on the case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from screening import clock
from screening.errors import BadInput
from screening.model import Case

VACCINATING_UNITS = ("bvc", "school_health")


@dataclass(frozen=True)
class Note:
    """Medical or confidential text: stored apart, shown only to the roles that may read it."""

    kind: str  # results | examination | reason | dose | referral
    text: str


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in allowed:
            raise BadInput(f"must be one of {', '.join(allowed)}, not '{value}'")
        return value
    return parse


def _text(value: str) -> str:
    if not value.strip():
        raise BadInput("must not be empty")
    return value.strip()


def _datetime(value: str) -> datetime:
    return clock.parse_datetime(value, "start")


@dataclass(frozen=True)
class Spec:
    roles: tuple[str, ...]
    required: dict[str, Callable] = None
    optional: dict[str, Callable] = None

    def parse(self, event: str, raw: dict[str, str]) -> dict:
        required, optional = self.required or {}, self.optional or {}
        unknown = sorted(set(raw) - set(required) - set(optional))
        if unknown:
            keys = ", ".join(list(required) + list(optional)) or "none"
            raise BadInput(f"{event}: unknown --set key {unknown[0]!r} (keys: {keys})")
        missing = [key for key in required if key not in raw]
        if missing:
            raise BadInput(f"{event}: --set {missing[0]}=… is required")
        parsed = {}
        for key, value in raw.items():
            try:
                parsed[key] = {**required, **optional}[key](value)
            except BadInput as error:
                raise BadInput(f"{event}: {key} {error.message}") from None
        return parsed


REASON = {"reason": _text}
EVENTS: dict[str, Spec] = {
    "verify_previous_screening": Spec(("reception",), {"done": _choice("yes", "no", "unknown")}),
    "notify_parties": Spec(("reception",)),
    "change_arrival": Spec(("reception",), {"arrival": lambda v: clock.parse_date(v, "arrival")}),
    "move_out": Spec(("reception",), optional=REASON),
    "book_health_conversation": Spec(("health_centre",), {"start": _datetime}),
    "cancel_booking": Spec(("health_centre",)),
    "hold_health_conversation": Spec(("health_centre",)),
    "record_results": Spec(("health_centre",), {"obstacle": _choice("yes", "no")}, {"note": _text}),
    "inform_family": Spec(("health_centre",)),
    "inform_reception": Spec(("health_centre",)),
    "record_consent": Spec(("health_centre",), {"given_by": _choice("guardian", "god_man"),
                                                "scope": _choice("school_health")}),
    "share_with_school_health": Spec(("health_centre",)),
    "book_examination": Spec(("health_centre",), {"start": _datetime}),
    "hold_examination": Spec(("health_centre",), optional={"note": _text}),
    "decline": Spec(("health_centre", "reception"), optional=REASON),
    "close": Spec(("reception", "coordinator"), optional=REASON),
    "invite_intro_meeting": Spec(("school", "preschool")),
    "hold_intro_meeting": Spec(("school", "preschool")),
    "make_intro_plan": Spec(("school", "preschool")),
    "start_school": Spec(("school",)),
    "start_preschool": Spec(("preschool",)),
    "start_with_adaptations": Spec(("school", "preschool"), REASON),
    "postpone_start": Spec(("school", "preschool"), REASON),
    "request_records": Spec(("school_health",)),
    "assess_vaccinations": Spec(VACCINATING_UNITS, {"status": _choice("complete", "missing", "unknown")}),
    # vacc 2: Hepatitis B is given within the unit (give_catch_up_dose); tuberculosis is referred
    "make_vaccination_plan": Spec(VACCINATING_UNITS, optional={"tb_referral": _choice("yes", "no")}),
    "give_catch_up_dose": Spec(VACCINATING_UNITS, {"vaccine": _text}),
    "complete_vaccinations": Spec(VACCINATING_UNITS),
}


# Within a track, steps happen in order: an event is never dated before the track's latest step.
TRACK_MILESTONES = {
    "health": ("notice_at", "previous_verified_at", "parties_notified_at", "arrival_changed_at", "renotified_at",
               "conversation_booked_at", "samples_taken_at", "results_received_at", "family_informed_at",
               "reception_informed_at", "consent_at", "shared_at", "examination_booked_at", "examined_at",
               "declined_at", "ended_at"),
    "school": ("notice_at", "intro_invited_at", "intro_held_at", "intro_plan_at", "school_started_at",
               "preschool_started_at", "postponed_at"),
    "vaccination": ("notice_at", "records_requested_at", "assessed_at", "vaccination_plan_at",
                    "vaccinations_done_at"),
}


def latest_step(case: Case, track: str) -> datetime:
    return max(value for name in TRACK_MILESTONES[track] if (value := getattr(case, name)) is not None)


def record(case: Case, event: str, at: datetime, params: dict, actor) -> None:
    """Write what the event says happened onto the case (memory only; the unit of work stores it)."""
    RECORDERS.get(event, lambda *_: None)(case, at, params, actor)
    if "note" in params:
        case.events.append(Note("results" if event == "record_results" else "examination", params["note"]))
    if "reason" in params:
        case.events.append(Note("reason", params["reason"]))
    if params.get("tb_referral") == "yes":
        case.events.append(Note("referral", "tuberculosis"))


def _set(**fields) -> Callable:
    """A recorder that stamps `at` into the named fields (value "at") or copies a param (value "=key")."""
    def recorder(case, at, params, _user):
        for name, source in fields.items():
            value = at if source == "at" else params[source[1:]]
            setattr(case, name, value)
    return recorder


def _notify(case, at, _params, _user):
    if case.parties_notified_at is None:
        case.parties_notified_at = at  # step 2: when the HC was informed
    else:
        case.renotified_at = at


def _book_conversation(case, at, params, _user):
    case.conversation_start = params["start"]
    case.conversation_booked_at = case.conversation_booked_at or at


def _cancel_booking(case, _at, _params, _user):
    case.conversation_start = None


def _results(case, at, params, _user):
    case.results_received_at, case.obstacle = at, params["obstacle"] == "yes"


def _consent(case, at, params, _user):
    case.consent_given_by, case.consent_scope, case.consent_at = params["given_by"], params["scope"], at


def _decline(case, at, _params, actor):
    case.declined_at, case.declined_by = at, actor.user_id


def _dose(case, at, params, _user):
    case.doses_given += 1
    case.events.append(Note("dose", params["vaccine"]))


RECORDERS = {
    "verify_previous_screening": _set(previous_screening="=done", previous_verified_at="at"),
    "notify_parties": _notify,
    "change_arrival": _set(arrival="=arrival", arrival_changed_at="at"),
    "book_health_conversation": _book_conversation,
    "cancel_booking": _cancel_booking,
    "hold_health_conversation": _set(samples_taken_at="at"),
    "record_results": _results,
    "inform_family": _set(family_informed_at="at"),
    "inform_reception": _set(reception_informed_at="at"),
    "record_consent": _consent,
    "share_with_school_health": _set(shared_at="at"),
    "book_examination": _set(examination_start="=start", examination_booked_at="at"),
    "hold_examination": _set(examined_at="at"),
    "decline": _decline,
    "move_out": _set(ended_at="at"),
    "close": _set(ended_at="at"),
    "invite_intro_meeting": _set(intro_invited_at="at"),
    "hold_intro_meeting": _set(intro_held_at="at"),
    "make_intro_plan": _set(intro_plan_at="at"),
    "start_school": _set(school_started_at="at"),
    "start_preschool": _set(preschool_started_at="at"),
    "start_with_adaptations": lambda case, at, params, actor: setattr(case, f"{actor.role}_started_at", at),
    "postpone_start": _set(postponed_at="at"),
    "request_records": _set(records_requested_at="at"),
    "assess_vaccinations": _set(vaccination_status="=status", assessed_at="at"),
    "make_vaccination_plan": _set(vaccination_plan_at="at"),
    "give_catch_up_dose": _dose,
    "complete_vaccinations": _set(vaccinations_done_at="at"),
}
