"""Which event tells which party (`data/routes.toml`), and what such a message may say.

A message caused by an event is queued in the event's own unit of work, with the few facts its
template needs taken from the case at that moment (`FIELDS`): nothing medical can reach a
template, because nothing medical is handed to one.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

from screening.errors import BadInput

BUNDLED = Path(__file__).parent / "data" / "routes.toml"
PARTIES = ("health_centre", "school", "preschool", "reception_unit", "school_health", "bvc", "coordinator",
           "vaccination_unit", "interpreter_service")  # vaccination_unit: BVC or school health, as vacc 2 routes
# the child; interpreter_service: the one the case's centre (or municipality) orders from, if it needs one


@dataclass(frozen=True)
class Route:
    event: str
    to: tuple[str, ...]
    template: str
    assigned: bool = False  # only the parties the event assigns, once the parties have been told


@cache
def load_routes(path: str | None = None) -> dict[str, Route]:
    source = Path(path) if path else BUNDLED
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise BadInput("routes {path}: {error}", path=source, error=str(error)) from None
    routes = {}
    for event, values in raw.items():
        to, template = values.get("to"), values.get("template")
        if not isinstance(to, list) or not to or not isinstance(template, str):
            raise BadInput("routes {path}: [{event}] needs to = [parties] and template = \"name\"", path=source,
                           event=event)
        unknown = [party for party in to if party not in PARTIES]
        if unknown:
            raise BadInput("routes {path}: [{event}] unknown party '{value}'", path=source, event=event, value=unknown[0])
        routes[event] = Route(event, tuple(to), template, bool(values.get("assigned", False)))
    return routes


def _concrete(case, party: str, on: date | None) -> tuple[str, ...]:
    """The parties a route's party stands for: the vaccinating unit is BVC or school health as the
    routing rule says on `on` (vacc 2); where it cannot say (age 6, school unknown), both are told."""
    if party != "vaccination_unit":
        return (party,)
    from workflows.routing import responsible_unit

    unit = responsible_unit(case, on) if on is not None else None
    return (unit,) if unit else ("bvc", "school_health")


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# What a template may say, by field: the case's non-medical facts and the event's own times.
FIELDS = {
    "case": lambda case, params: case.id,
    "municipality": lambda case, params: case.municipality,
    "birth_year": lambda case, params: case.birth_date.year,
    "arrival": lambda case, params: case.arrival.isoformat() if case.arrival else None,
    "language": lambda case, params: case.language,
    "interpreter": lambda case, params: case.interpreter,
    "unaccompanied": lambda case, params: case.unaccompanied,
    "booked": lambda case, params: _when(params.get("start") or case.conversation_start),
    "results_at": lambda case, params: _when(case.results_received_at),
    "obstacle": lambda case, params: case.obstacle,  # yes or no: the reception unit may know it (step 7)
    "started": lambda case, params: _when(case.school_started_at),
    "previous": lambda case, params: None,  # a booking's earlier time: known only when sent (notifications.outbox)
}
# What a booking's message also says, made from the booking when it is sent (notifications.outbox):
# the kind of visit, its length, the centre, its address and contact, the booking's stable reference.
BOOKING_FIELDS = ("visit", "minutes", "centre", "address", "centre_phone", "centre_email", "reference")


def case_facts(case, params: dict | None = None) -> dict:
    """The facts a message may say of the case (`FIELDS`), at this moment."""
    return {name: field(case, params or {}) for name, field in FIELDS.items()}


def interpreter_messages(case, event: str, kinds_booked: dict) -> list[dict]:
    """An interpreter needed, or no longer needed, after the appointments were booked (a corrected
    case): an order for each appointment still booked, or its cancellation (`withdrawn`)."""
    return [{"key": f"{event}:{case.id}:{case.version}:interpreter_service:{kind}", "case_id": case.id,
             "payload": {"template": "interpreter_order", "party": "interpreter_service", "fields": case_facts(case),
                         "booking": {"kind": kind, "previous": None if case.interpreter else start.isoformat(),
                                     "withdrawn": not case.interpreter}}}
            for kind, start in kinds_booked.items()]


def event_messages(case, event: str, params: dict, routes: dict[str, Route], booking: dict | list | None = None,
                   on: date | None = None) -> list[dict]:
    """The messages an event causes: one per party told, each with its idempotency key. An event that
    books or cancels an appointment hands `booking` on: its kind, and the time booked before the event
    (`previous`, none if nothing was), for the text made when the message is sent; an event that
    cancels several (a case that ends) hands a list, and each party gets a message per appointment."""
    route = routes.get(event)
    if route is None:
        return []
    facts = case_facts(case, params)
    parties = [unit for party in route.to for unit in _concrete(case, party, on)]
    parties = [party for party in parties if getattr(case, f"{party}_id", True) is not None]  # no preschool: none told
    parties = [party for party in parties  # an interpreter only for a child who needs one, and an appointment
               if party != "interpreter_service" or (case.interpreter and booking)]
    if route.assigned:  # step 2: one assigned later is told as the others were, once they have been
        parties = [party for party in parties if params.get(party) and case.parties_notified_at is not None]
    if isinstance(booking, list):  # one message a party and appointment
        return [{"key": f"{event}:{case.id}:{case.version}:{party}:{each['kind']}", "case_id": case.id,
                 "payload": {"template": route.template, "party": party, "fields": facts, "booking": each}}
                for party in parties for each in booking]
    return [{"key": f"{event}:{case.id}:{case.version}:{party}", "case_id": case.id,
             "payload": {"template": route.template, "party": party, "fields": facts,
                         **({"booking": booking} if booking else {})}} for party in parties]
