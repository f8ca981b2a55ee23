"""Scope: which cases a user's organisation may see (contract: "Who may do what")."""

from __future__ import annotations

from datetime import date

import pytest

from screening import access
from screening.errors import NotFound, Refused
from screening.model import Actor, Case, IdentityConflict, age_on

CASE = {"id": "SC-1", "municipality": "Östersund", "health_centre_id": "hc-lugnvik",
        "school_id": "ostersund-school-norrby", "preschool_id": None}


def actor(role: str, org_id: str = "x", municipality: str | None = "Östersund") -> Actor:
    return Actor("u", role, org_id, "kind", municipality)


@pytest.mark.parametrize("who, sees", [
    (actor("reception"), True),
    (actor("reception", municipality="Krokom"), False),
    (actor("school_health"), True),
    (actor("bvc", municipality="Berg"), False),
    (actor("health_centre", "hc-lugnvik"), True),
    (actor("health_centre", "hc-odensala"), False),
    (actor("school", "ostersund-school-norrby"), True),
    (actor("school", "ostersund-school-solbacka"), False),
    (actor("preschool", "ostersund-preschool-solrosen"), False),
    (actor("coordinator", municipality=None), True),
    (actor("admin", municipality=None), True),
])
def test_each_role_sees_the_cases_of_its_scope(who, sees):
    assert access.can_see(who, CASE) is sees


def test_a_case_outside_the_scope_is_answered_like_an_unknown_one():
    with pytest.raises(NotFound) as outside:
        access.require_visible(actor("reception", municipality="Krokom"), CASE, "SC-1")
    with pytest.raises(NotFound) as unknown:
        access.require_visible(actor("reception"), None, "SC-1")
    assert outside.value.message == unknown.value.message


def test_only_the_reception_unit_registers():
    access.require_command(actor("reception"), "register")
    for role in ("health_centre", "school", "coordinator", "admin"):
        with pytest.raises(Refused):
            access.require_command(actor(role), "register")


def test_identifiers_attach_but_never_overwrite():
    case = Case(id="SC-1", municipality="Berg", birth_date=date(2019, 4, 2), notice_at=None,
                health_state="registered", dossier="12345678")
    assert case.attach_identifiers({"dossier": "12345678", "personnummer": "201904022389"}) == ["personnummer"]
    with pytest.raises(IdentityConflict):
        case.attach_identifiers({"dossier": "87654321"})


@pytest.mark.parametrize("day, age", [(date(2026, 4, 1), 6), (date(2026, 4, 2), 7), (date(2019, 4, 2), 0)])
def test_age_counts_whole_years_from_the_birthday(day, age):
    assert age_on(date(2019, 4, 2), day) == age
