"""The municipality's children as its units' pages show them: the reception unit's status of each child
(notified, booked, examined, obstacle yes or no — never results or notes), the school's and preschool's
steps, school health's and BVC's vaccination steps; and the arrival notice typed into the reception
unit's form, each field checked on its own before the notice is registered (`registration`).

The reception unit (and each unit of the municipality, in its own scope) searches its children by case id,
number or name (`search`), as the health centre searches its cases. Every child listed is recorded as read
(`case list`), as `cases.each` records them."""

from __future__ import annotations

from datetime import date

from screening import clock, model, views
from screening import languages as language_names
from screening.errors import BadInput, Refused, ScreeningError
from screening.identity import (
    parse_dossier,
    parse_personnummer,
    parse_samordningsnummer,
)
from screening.model import Actor
from screening.services import registration
from screening.text import LANGUAGE_LIMIT, NAME_LIMIT, check_line

ROLES = ("reception", "school", "preschool", "school_health", "bvc")
MUNICIPAL = ("reception_unit", "school", "preschool", "school_health", "bvc")  # the municipality's side
VACCINATING = ("school_health", "bvc")  # the units of catch-up vaccinations (vacc 2)
PAGE = 50
# the steps each unit sees (the deadlines' rules) and the tracks they follow
STEPS = {"reception": ("notify_parties", "renotify_arrival_change"),
         "school": ("school_start",), "preschool": ("preschool_start",),
         "school_health": ("vaccination_plan",), "bvc": ("vaccination_plan",)}


def page(app, actor: Actor, *, overdue: bool = False, open_only: bool = True, after: str | None = None,
         limit: int = PAGE, ours: bool = False) -> dict:
    """One page (at most `limit`) of the children in the actor's scope, each as the unit's row:
    `{"rows", "next"}` (`next`: the id to continue after when the page is full, or None). `overdue`: only those with a step
    past due on the municipality's side (`owners_of`); `ours` (BVC, school health): only the open cases whose
    catch-up vaccinations the unit is responsible for now (vacc 2)."""
    if actor.role not in ROLES:
        raise Refused("the role '{role}' has no list of the municipality's children", role=actor.role)
    now, policy = app.clock.now(), app.policy()
    after = model.case_id(after) if after else None
    with app.reads() as reads:
        found = list(reads.each_case(actor, overdue=overdue, open_only=open_only or ours, limit=limit, after=after,
                                     at=now, recorded_at=app.clock.real(), owners=owners_of(actor) if overdue else None,
                                     rules=policy.rules if overdue else None,
                                     unit=actor.role if ours and actor.role in VACCINATING else None))
    rows = [row_of(actor, views.case_view(row, actor, now, policy.upstream)) for row in found]
    # a full page may have more after it (none are read ahead: a case read is a case shown)
    return {"rows": rows, "next": rows[-1]["id"] if len(rows) == limit else None}


def search(app, actor: Actor, text: str, *, after: str | None = None, limit: int = PAGE) -> dict:
    """The children in the actor's scope (the reception unit's: its municipality) found by case id, identity
    number, dossier number or the beginnings of their names' words, as the health centre's search finds
    them (`worklist.find`), each as the unit's row (status only): `{"rows", "by", "next"}` (`next`: the
    id to continue after). Every child shown is recorded as read (`case list`)."""
    if actor.role not in ROLES:
        raise Refused("the role '{role}' has no list of the municipality's children", role=actor.role)
    from screening.services import worklist

    now, policy = app.clock.now(), app.policy()
    with app.reads() as reads:
        by, found, more = worklist.find(reads.conn, actor, text, after=after, limit=min(limit, PAGE),
                                        today=clock.local_date(now))
        ids = [row["id"] for row in found]
        listed = reads.listed(actor, ids, at=now, recorded_at=app.clock.real())
    rows = [row_of(actor, views.case_view(row, actor, now, policy.upstream)) for row in listed]
    return {"rows": rows, "by": by, "next": ids[-1] if more else None}


def owners_of(actor: Actor) -> tuple[str, ...]:
    """Whose overdue steps the unit's list puts first: the whole municipality's for the reception unit,
    the unit's own for the others."""
    return MUNICIPAL if actor.role == "reception" else (actor.role,)


def row_of(actor: Actor, view: dict) -> dict:
    """What the unit's list shows of a case: status and steps, nothing medical (the view holds no note
    for these roles; the row takes none of the view's other fields either)."""
    owners = owners_of(actor)
    late = [d["rule"] for d in view["deadlines"] if d["status"] == "breached" and d["owner"] in owners]
    row = {"id": view["id"], "name": view["name"], "birth_date": view["birth_date"], "age": view["age"],
           "health": view["tracks"]["health"], "late": late}
    if actor.role == "reception":
        notified = next((d["met_at"] for d in view["deadlines"] if d["rule"] == "notify_parties"), None)
        row.update(notified=view["tracks"]["health"] not in ("registered", "verifying_previous"),
                   notified_at=notified,
                   booked=view["bookings"]["health_conversation"], examination=view["bookings"]["examination"],
                   examined=view["tracks"]["health"] == "examined" or (
                       view["tracks"]["health"] == "closed" and view["bookings"]["examination"] is not None),
                   obstacle=view["results"]["obstacle"], school=view["school"], preschool=view["preschool"])
    elif actor.role in ("school", "preschool"):
        row.update(track=view["tracks"]["school"], obstacle=view["results"]["obstacle"],
                   arrival=view["arrival"], due=_due(view, STEPS[actor.role]))
    else:
        responsible = view["vaccination_unit"] == actor.role
        row.update(responsible=responsible, unit=view["vaccination_unit"],
                   track=view["tracks"]["vaccination"] if responsible else None,
                   doses=view["doses_given"] if responsible else None,
                   due=_due(view, STEPS[actor.role]) if responsible else None)
    return row


def _due(view: dict, rules: tuple[str, ...]) -> dict | None:
    return next(({"rule": d["rule"], "due_date": d["due_date"], "status": d["status"]}
                 for d in view["deadlines"] if d["rule"] in rules), None)


def choices(app, actor: Actor) -> dict:
    """What the reception unit's form offers: its municipality, and the health centres serving it and
    its schools and preschools, each `(id, name)`."""
    from screening import access
    from screening.storage.children import organisations_of

    access.require_command(actor, "register")
    with app.reads() as reads:
        found = organisations_of(reads.conn, actor.municipality)
    return {"municipality": actor.municipality, **found}


def language_choices(lang: str = "sv") -> dict[str, list[tuple[str, str]]]:
    """The languages the form offers, `(code, name)`: those the family's letter is written in first, then
    the others."""
    from notifications.letters import languages

    lettered = set(languages()) - {"sv"}
    offered = language_names.choices(lang)
    return {"lettered": [pair for pair in offered if pair[0] in lettered],
            "others": [pair for pair in offered if pair[0] not in lettered]}


class NoticeErrors(Exception):
    """An arrival notice with fields wrong or missing: `errors`, the field's name to its error (None:
    the notice's, no one field's); each a ScreeningError, said by the edge."""

    def __init__(self, errors: dict[str | None, ScreeningError]):
        super().__init__(", ".join(error.message for error in errors.values()))
        self.errors = errors


FLAGS = ("interpreter", "unaccompanied", "already_in_sweden", "adult")
TEXTS = ("name", "personnummer", "samordningsnummer", "dossier", "language", "permit", "arrival", "notice_at",
         "health_centre", "school", "preschool")


def register(app, actor: Actor, fields: dict[str, str]) -> dict:
    """An arrival notice from the reception unit's form (its fields as typed): `{"id", "attached"}`, or
    NoticeErrors naming each field wrong or missing. The fields are checked each on its own first, so
    that every mistake is named at once; then `registration.register` checks them together."""
    reg, errors = _notice(fields, clock.local_date(app.clock.now()))
    if errors:
        raise NoticeErrors(errors)
    try:
        return registration.register(app, actor, reg)
    except ScreeningError as error:
        raise NoticeErrors({_field_of(error, fields): error}) from None


def _born_of(given: dict, today) -> date | None:
    """The birth date a personnummer or samordningsnummer holds (None when neither is given or valid: the
    number's own mistake is named at its field)."""
    for name, parse in (("personnummer", parse_personnummer), ("samordningsnummer", parse_samordningsnummer)):
        if given[name]:
            try:
                return parse(given[name], today=today).birth_date
            except ScreeningError:
                return None
    return None


def _notice(fields: dict[str, str], today) -> tuple[registration.Registration | None, dict]:
    given = {name: fields.get(name, "").strip() or None for name in ("birth_date", "municipality", *TEXTS)}
    errors: dict[str | None, ScreeningError] = {}

    def check(name, parse):
        try:
            return parse(given[name])
        except ScreeningError as error:
            errors[name] = error
            return None

    if given["birth_date"] is None:  # an identity number that holds it gives it; else it is missing
        born = _born_of(given, today)
        if born is None:
            errors["birth_date"] = BadInput("the birth date is missing")
    else:
        born = check("birth_date", lambda text: clock.parse_date(text, "birth_date"))
        if born is not None and born > today:
            errors["birth_date"] = BadInput("the birth date is in the future")
    if given["municipality"] is None:
        errors["municipality"] = BadInput("the municipality is missing")
    known = born if "birth_date" not in errors else None
    if given["personnummer"]:
        check("personnummer", lambda text: parse_personnummer(text, birth_date=known, today=today))
    if given["samordningsnummer"]:
        check("samordningsnummer", lambda text: parse_samordningsnummer(text, birth_date=known, today=today))
    if given["dossier"]:
        check("dossier", parse_dossier)
    for name, limit in (("name", NAME_LIMIT), ("language", LANGUAGE_LIMIT)):
        if given[name] is not None:
            check(name, lambda text, limit=limit: check_line(text, limit))
    if given["permit"] not in (None, "asylum", "residence"):
        errors["permit"] = BadInput("the permit must be asylum or residence, not '{value}'", value=given["permit"])
    arrival = check("arrival", lambda text: clock.parse_date(text, "arrival")) if given["arrival"] else None
    notice_at = check("notice_at", lambda text: clock.parse_datetime(text, "notice_at")) if given["notice_at"] else None
    if errors:
        return None, errors
    flags = {name: fields.get(name, "") in ("on", "true", "1", "yes") for name in FLAGS}
    return registration.Registration(
        birth_date=born, municipality=given["municipality"], notice_at=notice_at, arrival=arrival,
        **{name: given[name] for name in ("name", "personnummer", "samordningsnummer", "dossier", "language",
                                          "permit", "health_centre", "school", "preschool")}, **flags), {}


# the service's errors that name one field (by their template), for the page to show at that field
TEMPLATE_FIELDS = {
    "the birth date is in the future": "birth_date",
    "the birth date is after the notice arrived": "birth_date",
    "the notice's time is in the future": "notice_at",
    "{org} registers the children of {municipality} only": "municipality",
    "unknown municipality '{name}'; one of: {municipalities}": "municipality",
    "the permit must be asylum or residence, not '{value}'": "permit",
}


def _field_of(error: ScreeningError, fields: dict[str, str]) -> str | None:
    """The form's field an error of the registration names, or None (the notice's as a whole)."""
    if error.template in TEMPLATE_FIELDS:
        return TEMPLATE_FIELDS[error.template]
    if error.template.startswith("the person was 18 or older"):
        return "adult"
    if "key" in error.facts and error.facts["key"] in ("name", "language"):
        return error.facts["key"]
    if error.facts.get("kind") in ("personnummer", "samordningsnummer"):
        return error.facts["kind"]
    if error.template.startswith("dossier number"):
        return "dossier"
    org = error.facts.get("org")
    if org is not None:
        return next((name for name in ("health_centre", "school", "preschool") if fields.get(name, "").strip() == org),
                    None)
    return None
