"""The demo's sign-in shortcut: on a simulation database, and only there, one of the demo's invented
people (`screening.demo_people`) signs in without a password, to try each role's pages. On a database
for real use nothing of it exists: every call is NotFound."""

from __future__ import annotations

from screening.demo_people import people as demo_people
from screening.errors import NotFound
from screening.model import AuditEntry
from screening.services import sessions
from screening.services.users import actor_in

ROLES = ("health_centre", "reception", "school", "preschool", "school_health", "bvc", "coordinator", "admin")


def _simulation_only(app) -> None:
    if not app.simulation:
        raise NotFound("there is nothing at this address")


def people(app) -> list[dict]:
    """The demo's people still enabled in the database, by role (`ROLES`' order), then organisation (the
    directory's order): `{"id", "role", "org", "org_name", "municipality", "name"}`."""
    _simulation_only(app)
    with app.uow() as uow:
        directory = uow.directory.load()
        names = {org.id: (org.name, org.municipality) for org in directory.organisations}
        found = []
        for person in demo_people(directory):
            row = uow.directory.user(person["id"])
            if row is None or row.get("disabled_at") is not None or row["role"] != person["role"]:
                continue
            org_name, municipality = names.get(row["org_id"], (row["org_id"], None))
            found.append({"id": row["id"], "role": row["role"], "org": row["org_id"], "org_name": org_name,
                          "municipality": municipality, "name": row.get("name")})
    order = {role: n for n, role in enumerate(ROLES)}
    return sorted(found, key=lambda person: order.get(person["role"], len(ROLES)))  # stable: the directory's order


def suggested(persons: list[dict], municipality: str = "Östersund") -> list[dict]:
    """One person for each role to begin with, from `people`: an organisation's first user, in
    `municipality` where the role has one there (so the reception unit, the health centre and the school
    share their children), else the first of the role."""
    chosen: dict[str, dict] = {}
    for person in persons:
        if person["id"] == person["org"] and person["municipality"] in (None, municipality):
            chosen.setdefault(person["role"], person)
    for person in persons:
        chosen.setdefault(person["role"], person)
    order = {role: n for n, role in enumerate(ROLES)}
    return sorted(chosen.values(), key=lambda person: order.get(person["role"], len(ROLES)))


def sign_in(app, user_id: str) -> dict:
    """A session for one of the demo's people, without a password (a simulation only): audited as a
    sign-in `{"via": "demo"}`. `{"user", "session", "csrf", "setup"}` like `accounts.sign_in`."""
    from screening import accounts as rules

    _simulation_only(app)
    now = app.clock.now()
    with app.uow() as uow:
        if user_id not in {person["id"] for person in demo_people(uow.directory.load())}:
            raise NotFound("unknown user '{user}'", user=user_id)
        actor_in(uow, user_id)  # still a user, still enabled
        setup = rules.setup_step(uow.accounts.get(user_id))
        uow.audit.record(AuditEntry(None, "signin", None, now, app.clock.real(), user_id, {"via": "demo"}))
        started = sessions.start_in(uow, user_id, now)
        uow.commit()
    return {"user": user_id, **started, "setup": setup}
