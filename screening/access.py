"""Who may see and do what: scope, commands by role, and what each role may read of a case.

The secrecy rules of § 5 and step 7 live here and nowhere else.
"""

from __future__ import annotations

from screening.errors import NotFound, Refused
from screening.model import Actor

ALL_CASES = ("coordinator", "admin")
# role -> the case column that must equal the organisation's id or municipality
SCOPE_COLUMN = {
    "reception": ("municipality", "municipality"),
    "school_health": ("municipality", "municipality"),
    "bvc": ("municipality", "municipality"),
    "health_centre": ("health_centre_id", "org_id"),
    "school": ("school_id", "org_id"),
    "preschool": ("preschool_id", "org_id"),
}

COMMANDS = {
    "register": ("reception",),
    "user_admin": ("admin",),
    "user_list": ("coordinator", "admin"),  # who the users are, their roles and organisations (to read)
    "sweep": ("coordinator", "admin"),
    "outbox": ("coordinator", "admin"),  # follow and retry the messages (their texts are not shown)
    "report": ("coordinator", "admin"),  # § 10: the follow-up statistics (aggregates only)
    "overview": ("coordinator", "admin"),  # the coordinator's screen of what is late and waiting
    "backup": ("admin",),  # a copy of everything, medical content included
    "prune": ("admin",),  # deletes the outbox's old sent messages
    "letter": ("health_centre", "coordinator"),  # the family's letter: a name, a time, a place (its own HC's)
    "directory": ("admin",),  # the region's directory (once a user exists): who sees whose cases, where mail goes
    "restore": ("admin",),  # an admin of the backup restored
    "audit_sample": ("health_centre", "coordinator", "admin"),  # the access log's follow-up (HSLF-FS 2016:40 4:9)
    "audit_history": ("coordinator", "admin"),  # the administration's trail: directory changes, restores, samples
    "rules": ("admin",),  # a new version of the deadline rule table
    "audit_verify": ("admin",),  # the audit trail's hash chain checked end to end (its ids and times only)
    "token_admin": ("admin",),  # another person's API tokens: made, listed, revoked
}
# the party kind whose alerts a role receives (a deadline's and an alert's `owner`)
OWNER_OF_ROLE = {"reception": "reception_unit"}

# Roles that may read medical content (results, notes) of a case in their scope: the HC always,
# school health once a copy was shared with the guardian's consent (step 6; OSL 12 kap. 2-3 §§).
MEDICAL_READERS = ("health_centre",)
ORDERS_READERS = ("health_centre", "coordinator", "admin")
# the access log (`case history --reads`): the care provider's follow-up (HSLF-FS 2016:40 4 kap. 9 §)
READ_LOG_READERS = ("health_centre", "coordinator", "admin")  # where the interpreter orders stand (step 3)
SHARED_READERS = ("school_health",)


def scope_filter(actor: Actor) -> tuple[str, str] | None:
    """(column, value) that a visible case must match; None when every case is visible."""
    if actor.role in ALL_CASES:
        return None
    column, source = SCOPE_COLUMN[actor.role]
    return column, getattr(actor, source)


def can_see(actor: Actor, case) -> bool:
    scope = scope_filter(actor)
    return scope is None or _value(case, scope[0]) == scope[1]


def require_visible(actor: Actor, case, case_id: str) -> None:
    """A case outside the actor's scope is answered exactly like an unknown one."""
    if case is None or not can_see(actor, case):
        raise NotFound("unknown case '{case}'", case=case_id)


# how a refusal names what was asked for (otherwise the command's own name)
COMMAND_WORDS = {"user_admin": "add or list users", "user_list": "see the users", "outbox": "follow the outbox", "report": "run the report",
                 "overview": "see the overview", "backup": "back up the database",
                 "prune": "prune the outbox", "letter": "print the family's letter",
                 "directory": "load the region's directory", "restore": "restore the database",
                 "audit_sample": "draw or review a sample of the access log",
                 "audit_history": "see the administration's audit trail",
                 "audit_verify": "verify the audit trail", "token_admin": "make or revoke another person's API tokens",
                 "rules": "load the deadline rules"}


def require_command(actor: Actor, command: str) -> None:
    allowed = COMMANDS[command]
    if actor.role not in allowed:
        raise Refused("the role '{role}' may not {action} (only {roles})", role=actor.role,
                      action=COMMAND_WORDS.get(command, command), roles=allowed)


def require_calendar(actor: Actor, health_centre: str) -> None:
    """A centre's calendar (its bookings: case ids, initials, times) for its own staff and coordinators."""
    if actor.role not in ALL_CASES and actor.org_id != health_centre:
        raise Refused("{org} may export its own calendar only", org=actor.org_id)


VACCINATORS = ("health_centre", "bvc", "school_health")  # vacc 2: their own records of doses and referrals


def readable_notes(actor: Actor, case) -> frozenset[str]:
    """The kinds of confidential note (results, examination, reason, dose, referral) the actor may read."""
    kinds = set()
    if actor.role in MEDICAL_READERS or (actor.role in SHARED_READERS and _value(case, "shared_at") is not None):
        kinds |= {"results", "examination"}
    if actor.role in MEDICAL_READERS:
        kinds.add("reason")
    if actor.role in VACCINATORS:
        kinds |= {"dose", "referral"}
    return frozenset(kinds)


def sees_medical(actor: Actor, case) -> bool:
    return "results" in readable_notes(actor, case)


def _value(case, column: str):
    return case[column] if isinstance(case, dict) else getattr(case, column)


def alert_owner_filter(actor: Actor) -> str | None:
    """The owner kind of the alerts the actor receives; None for coordinators and admins (all)."""
    return None if actor.role in ALL_CASES else OWNER_OF_ROLE.get(actor.role, actor.role)


def may_see_alert(actor: Actor, alert, case) -> bool:
    owner = alert_owner_filter(actor)
    return case is not None and can_see(actor, case) and owner in (None, _value(alert, "owner"))


def sample_scope(actor: Actor) -> str | None:
    """The health centre whose cases' reads the actor's sample of the access log is drawn from (a
    centre follows up its own cases' log); None: every case's (coordinators, admins)."""
    require_command(actor, "audit_sample")
    return actor.org_id if actor.role == "health_centre" else None


def may_review(actor: Actor, drawn_for: str | None) -> bool:
    """A sample drawn for `drawn_for` (a centre's cases, or None: every case's) is reviewed by that
    centre, a coordinator or an admin."""
    return actor.role in ALL_CASES or (actor.role == "health_centre" and drawn_for == actor.org_id)
