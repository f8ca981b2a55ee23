"""Users are people, on the in-memory unit of work: the checks of a person's name, e-mail and HSA-id,
disabling, the demo's people, and the door on every audit row. No database. Every name is invented."""

from __future__ import annotations

from datetime import datetime

import pytest

from screening.audit_chain import content
from screening.clock import STOCKHOLM
from screening.demo_people import people
from screening.directory import ROLE_FOR_KIND, load_directory, sound_email
from screening.errors import BadInput, NotFound, Refused
from screening.model import Actor
from screening.services import users
from screening.services.users import store_directory
from tests.fakes import FakeUnitOfWork, fake_app

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM)
ADMIN = Actor("admin", "admin", "region-coordinator", "coordinator", "Östersund")


@pytest.fixture
def uow() -> FakeUnitOfWork:
    fake = FakeUnitOfWork()
    with fake:
        store_directory(fake, fake.state["directory"], demo_users=True)
    return fake


def test_the_demo_keeps_each_organisations_id_and_adds_people_named_and_reachable_at_invented_domains():
    directory = load_directory(None)
    found = people(directory)
    ids = [person["id"] for person in found]

    assert ids[0] == "admin" and len(ids) == len(set(ids))
    assert {org.id for org in directory.organisations if org.kind in ROLE_FOR_KIND} <= set(ids)
    for org in directory.organisations:
        if org.kind in ROLE_FOR_KIND:
            mine = [person for person in found if person["org"] == org.id and person["role"] != "admin"]
            assert [p["id"] for p in mine] == [org.id, f"{org.id}-2"] + (
                [f"{org.id}-3"] if org.kind in ("health_centre", "reception_unit") else [])
            assert {p["role"] for p in mine} == {ROLE_FOR_KIND[org.kind]}
    assert len({person["name"] for person in found}) == len(found)
    assert all(sound_email(p["email"]) and p["email"].endswith(".example.se") for p in found)
    assert all(p["email"].isascii() for p in found)


def test_the_fake_holds_the_demos_people_with_their_names(uow):
    assert uow.committed["users"]["hc-lugnvik"]["name"] and uow.committed["users"]["hc-lugnvik-3"]["email"]


@pytest.mark.parametrize(("name", "email", "hsa_id"), [
    ("Amal\nNur", None, None), ("Amal\u200fNur", None, None), ("A" * 201, None, None),
    (None, "amal@", None), (None, "a@b@example.se", None), (None, "amal@example.se\n", None),
    (None, None, "SE2321000032"), (None, None, "se2321000032-abc"), (None, None, "SE2321000032-ab-c"),
    (None, None, "SE2321000032-" + "x" * 32),
])
def test_a_person_in_error_is_bad_input(name, email, hsa_id):
    with pytest.raises(BadInput):
        users.person(name, email, hsa_id)


def test_a_person_is_taken_as_given_and_an_empty_value_is_none():
    assert users.person(" Amal Nur ", "amal.nur@hc-lugnvik.example.se", "SE2321000032-E12345") == {
        "name": "Amal Nur", "email": "amal.nur@hc-lugnvik.example.se", "hsa_id": "SE2321000032-E12345"}
    assert users.person("", None, "  ") == {"name": None, "email": None, "hsa_id": None}


def test_adding_a_person_stores_them_and_records_them_in_the_trail(uow):
    app = fake_app(uow, NOW)

    added = users.add_user(app, "admin", "nurse-amal", "health_centre", "hc-lugnvik", name="Amal Nur",
                           email="amal.nur@hc-lugnvik.example.se", hsa_id="SE2321000032-E1")

    assert added == {"id": "nurse-amal", "role": "health_centre", "org": "hc-lugnvik", "name": "Amal Nur",
                     "email": "amal.nur@hc-lugnvik.example.se", "hsa_id": "SE2321000032-E1"}
    assert uow.committed["users"]["nurse-amal"]["hsa_id"] == "SE2321000032-E1"
    entry = uow.committed["audit"][-1]
    assert (entry.action, entry.user_id, entry.detail["users_added"][0]["name"]) == ("directory", "admin", "Amal Nur")
    with pytest.raises(BadInput):
        users.add_user(app, "admin", "nurse-bo", "health_centre", "hc-krokom", hsa_id="SE2321000032-E1")
    assert "nurse-bo" not in uow.committed["users"]


def test_a_disabled_user_is_refused_as_the_acting_user_and_the_disabling_is_recorded(uow):
    app = fake_app(uow, NOW)
    before = len(uow.committed["audit"])

    done = users.disable_user(app, ADMIN, "hc-lugnvik-2")

    assert done == {"id": "hc-lugnvik-2", "disabled": "2026-11-23T10:00:00+01:00"}
    entry = uow.committed["audit"][before]
    assert (entry.case_id, entry.action, entry.user_id) == (None, "directory", "admin")
    assert entry.detail == {"users_disabled": [{"id": "hc-lugnvik-2", "role": "health_centre", "org": "hc-lugnvik",
                                                "sessions_ended": 0, "tokens_revoked": 0}]}
    with uow:
        with pytest.raises(Refused, match="is disabled"):
            users.actor_in(uow, "hc-lugnvik-2")
        assert users.actor_in(uow, "hc-lugnvik").user_id == "hc-lugnvik"
    with pytest.raises(Refused):
        users.add_user(app, "hc-lugnvik-2", "x", "health_centre", "hc-lugnvik")


@pytest.mark.parametrize(("actor", "target", "error"), [
    (Actor("region-coordinator", "coordinator", "region-coordinator", "coordinator", "Östersund"), "hc-lugnvik-2",
     Refused),
    (ADMIN, "admin", Refused),
    (ADMIN, "nobody", NotFound),
])
def test_only_an_admin_disables_another_user_and_a_refusal_changes_nothing(uow, actor, target, error):
    before = (dict(uow.committed["users"]), len(uow.committed["audit"]))

    with pytest.raises(error):
        users.disable_user(fake_app(uow, NOW), actor, target)

    assert (uow.committed["users"], len(uow.committed["audit"])) == before


def test_the_chain_covers_a_door_where_one_is_set_and_a_row_without_one_as_before():
    row = ("SC-1", "show", None, NOW, NOW, "hc-lugnvik", None)

    assert content(*row) == content(*row, None)
    assert content(*row, "cli:anna") != content(*row) != content(*row, "api")
    assert content(*row, "cli:anna") != content(*row, "cli:bo")
