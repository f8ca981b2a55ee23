"""Registering an arrival notice (event `register`, step 2), in one unit of work."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime

from screening import access, clock
from screening.directory import assignment
from screening.errors import BadInput, Refused
from screening.identity import parse_dossier, parse_personnummer, parse_samordningsnummer
from screening.model import Actor, Case, IdentityConflict, age_on
from screening.services import identities
from screening.services.events import refresh_deadlines
from screening.text import LANGUAGE_LIMIT, NAME_LIMIT, check_line
from screening.model import AuditEntry
from workflows.policy import Policy

CASE_ID_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud on the phone


def new_case_id() -> str:
    return "SC-" + "".join(secrets.choice(CASE_ID_ALPHABET) for _ in range(8))


@dataclass(frozen=True)
class Registration:
    """An arrival notice (step 2) as the reception unit registers it."""

    birth_date: date
    municipality: str
    notice_at: datetime | None = None  # when the notice arrived; None: now
    name: str | None = None
    personnummer: str | None = None
    samordningsnummer: str | None = None
    dossier: str | None = None
    language: str | None = None
    interpreter: bool = False
    unaccompanied: bool = False
    permit: str | None = None
    arrival: date | None = None
    already_in_sweden: bool = False
    adult: bool = False  # registered all the same though 18 or older (outside the 0-17 agreement)
    health_centre: str | None = None
    school: str | None = None
    preschool: str | None = None

    def identifiers(self, today: date) -> dict[str, str]:
        found = {}
        if self.personnummer:
            found["personnummer"] = parse_personnummer(self.personnummer, birth_date=self.birth_date, today=today).digits
        if self.samordningsnummer:
            found["samordningsnummer"] = parse_samordningsnummer(
                self.samordningsnummer, birth_date=self.birth_date, today=today).digits
        if self.dossier:
            found["dossier"] = parse_dossier(self.dossier)
        return found


def register(app, actor: Actor, reg: Registration) -> dict:
    """Register an arrival notice (event `register`, step 2): `{"id", "attached"}`.

    A notice whose identifier matches an existing case of the municipality attaches its new
    identifiers to that case instead of making a second one (B: the personnummer often comes after
    the dossier). One whose number is on another municipality's case is answered exactly as a new
    child and becomes this municipality's case; the coordinators are warned (`identities`).
    The notice's time is the clock's unless the notice says when it arrived.
    """
    now = app.clock.now()
    if reg.notice_at is None:
        reg = replace(reg, notice_at=now)
    policy = app.policy()
    with app.uow() as uow:
        case_id, attached = register_in(uow, actor, reg, now=now, recorded_at=app.clock.real(), policy=policy)
    return {"id": case_id, "attached": attached}


def register_in(uow, actor: Actor, reg: Registration, *, now: datetime, recorded_at: datetime,
                policy=None) -> tuple[str, bool]:
    """The registration in this unit of work, committed: (case id, attached)."""
    access.require_command(actor, "register")
    directory = uow.directory  # the municipality and the named organisations only, never the whole directory
    municipality = directory.municipality(reg.municipality)
    if actor.municipality != municipality:
        raise Refused("{org} registers the children of {municipality} only", org=actor.org_id,
                      municipality=actor.municipality)
    today = clock.local_date(now)
    if reg.birth_date > today:
        raise BadInput("the birth date is in the future")
    if reg.notice_at > now:
        raise BadInput("the notice's time is in the future")
    if reg.birth_date > clock.local_date(reg.notice_at):
        raise BadInput("the birth date is after the notice arrived")
    if age_on(reg.birth_date, clock.local_date(reg.notice_at)) >= 18 and not reg.adult:
        raise Refused("the person was 18 or older when the notice arrived: outside the 0–17 agreement; "
                      "register only where the region has decided to, as an adult")
    if reg.permit not in (None, "asylum", "residence"):
        raise BadInput("the permit must be asylum or residence, not '{value}'", value=reg.permit)
    for key, value, limit in (("name", reg.name, NAME_LIMIT), ("language", reg.language, LANGUAGE_LIMIT)):
        if value is not None:  # as update_details checks them: one line, no longer than its column
            try:
                check_line(value, limit)
            except BadInput as error:
                raise BadInput("{event}: {key} {error}", event="register", key=key, error=error) from None
    identifiers = reg.identifiers(today)
    assigned = {
        "health_centre_id": _health_centre(directory, reg.health_centre, municipality),
        "school_id": assignment(directory, reg.school, "school", municipality) if reg.school else None,
        "preschool_id": assignment(directory, reg.preschool, "preschool", municipality) if reg.preschool else None,
    }
    existing = uow.cases.find_by_identifiers(identifiers, municipality)  # the reception unit's scope
    if existing:
        return _attach(uow, actor, existing, identifiers, reg, now=now, recorded_at=recorded_at), True
    case = Case(
        id=new_case_id(), municipality=municipality, birth_date=reg.birth_date, notice_at=reg.notice_at,
        health_state="verifying_previous" if reg.already_in_sweden else "registered",
        name=reg.name, language=reg.language, interpreter=reg.interpreter, unaccompanied=reg.unaccompanied,
        permit=reg.permit, arrival=reg.arrival, already_in_sweden=reg.already_in_sweden,
        created_at=recorded_at, updated_at=recorded_at, **assigned, **identifiers,
    )
    uow.cases.add(case)
    refresh_deadlines(uow, case, policy or Policy.default(), now)
    elsewhere = identities.elsewhere(uow, case, identifiers, now)
    uow.audit.record(AuditEntry(case.id, "event", "register", reg.notice_at, recorded_at, actor.user_id,
                                {"identity_elsewhere": elsewhere} if elsewhere else None))
    uow.commit()
    return case.id, False


def _attach(uow, actor: Actor, existing: list[Case], identifiers: dict, reg: Registration, *,
            now: datetime, recorded_at: datetime) -> str:
    if len(existing) > 1:
        raise Refused("these identity numbers belong to two different cases; ask the coordinator to merge them")
    case = existing[0]
    if case.birth_date != reg.birth_date:
        raise Refused("case {case} has this identity number with another birth date", case=case.id)
    try:
        added = case.attach_identifiers(identifiers)
    except IdentityConflict as conflict:
        raise Refused("case {case}: {conflict}", case=case.id, conflict=conflict) from None
    if added:
        case.updated_at = recorded_at
        uow.cases.save(case)
        elsewhere = identities.elsewhere(uow, case, added, now)
        uow.audit.record(AuditEntry(case.id, "event", "attach_identity", reg.notice_at, recorded_at,
                                    actor.user_id, {"added": added, **({"identity_elsewhere": elsewhere} if elsewhere
                                                                       else {})}))
        uow.commit()
    return case.id


def _health_centre(directory, org_id: str | None, municipality: str) -> str | None:
    if org_id is None:
        default = directory.default_health_centre(municipality)
        return default.id if default else None
    return assignment(directory, org_id, "health_centre", municipality)
