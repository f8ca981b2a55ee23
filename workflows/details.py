"""`update_details`: what the notice said, corrected or completed after it (step 2, 3).

Checked as at registration; what follows from a new school, preschool or health centre is the
routes' (they are told) and the bookings' (a new centre books anew)."""

from __future__ import annotations

from datetime import datetime

from screening import clock
from screening.errors import BadInput, Refused
from screening.model import Case
from workflows.records import APPOINTMENTS, Cancelled

DETAILS = ("name", "language", "interpreter", "unaccompanied", "personnummer", "samordningsnummer", "dossier",
           "school", "preschool", "health_centre")
ASSIGNED = {"school": "school_id", "preschool": "preschool_id", "health_centre": "health_centre_id"}


def check_details(uow, case: Case, params: dict, at: datetime) -> dict:
    """What `update_details` may write, checked as at registration: identity numbers valid for the
    birth date and on no other case of the municipality (another municipality's: `identities`, after),
    organisations of the right kind in the child's municipality.
    Returns the values as the case keeps them."""
    from screening.directory import assignment
    from screening.identity import parse_dossier, parse_personnummer, parse_samordningsnummer

    if not params:
        raise BadInput("update_details: give at least one of {keys}", keys=DETAILS)
    checked = dict(params)
    parsers = {"personnummer": lambda v: parse_personnummer(v, birth_date=case.birth_date,
                                                             today=clock.local_date(at)).digits,
               "samordningsnummer": lambda v: parse_samordningsnummer(v, birth_date=case.birth_date,
                                                                       today=clock.local_date(at)).digits,
               "dossier": parse_dossier}
    for key, parse in parsers.items():
        if params.get(key):
            checked[key] = parse(params[key])
            others = [other.id for other in uow.cases.find_by_identifiers({key: checked[key]}, case.municipality)
                      if other.id != case.id]
            if others:  # as at registration: one child, two cases is for the coordinator to merge
                raise Refused("another case has this {number}; ask the coordinator to merge the two cases", number=key)
    if params.get("health_centre") == "":
        raise BadInput("update_details: a health centre is changed to another, not removed")
    for party, column in ASSIGNED.items():
        if params.get(party):
            checked[party] = assignment(uow.directory, params[party], party, case.municipality)
        if party in checked and (checked[party] or None) == getattr(case, column):
            del checked[party]  # as it was: nothing changes, nobody is told again
    return checked


def record_details(case, at, params, _actor):
    """The notice corrected or completed. A health centre, school or preschool assigned after the
    parties were told is told now (its route); a new health centre's booking clock starts now, and
    what was still to come at the old one is cancelled."""
    for name in ("name", "language", "personnummer", "samordningsnummer", "dossier"):
        if name in params:
            setattr(case, name, params[name] or None)
    for flag in ("interpreter", "unaccompanied"):
        if flag in params:
            setattr(case, flag, params[flag] == "yes")
    for party in ("school", "preschool"):
        if party in params:
            setattr(case, ASSIGNED[party], params[party] or None)
    centre = params.get("health_centre")
    if centre and centre != case.health_centre_id:
        case.health_centre_id = centre
        if case.parties_notified_at is not None:
            case.hc_informed_at = at  # step 3: the new centre's five working days start when it is told
        if case.samples_taken_at is None:  # the conversation is the new centre's to book
            case.conversation_start = case.conversation_booked_at = None
        if case.examined_at is None:
            case.examination_start = case.examination_booked_at = None
        case.events.append(Cancelled(APPOINTMENTS, at))
