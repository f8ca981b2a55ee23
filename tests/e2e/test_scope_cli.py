"""Who sees which children, who may register, and the users and directory commands."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest

from screening.directory import BUNDLED
from tests.e2e.conftest import snapshot
from tests.e2e.support import BACKENDS, NOW, assert_one_line_error, call, database, listed_ids, pnr, register

ORG_KINDS = {"reception_unit", "health_centre", "school", "preschool", "school_health", "bvc", "coordinator",
             "interpreter_service"}


@dataclass
class Region:
    db: str
    ostersund: str  # school child: default health centre hc-lugnvik, school Norrby
    ostersund_small: str  # preschool child: hc-odensala, preschool Solrosen
    krokom: str  # default health centre hc-krokom


def _children(db: str, register_one) -> Region:
    return Region(
        db,
        register_one("--school", "ostersund-school-norrby", birth=date(2018, 3, 14), now="2026-11-23T09:00"),
        register_one("--health-centre", "hc-odensala", "--preschool", "ostersund-preschool-solrosen",
                     birth=date(2023, 6, 5), now="2026-11-23T09:30"),
        register_one(user="krokom-reception", municipality="Krokom", birth=date(2015, 9, 30),
                     now="2026-11-23T09:45"),
    )


@pytest.fixture(scope="module", params=BACKENDS)
def shared_region(request, tmp_path_factory) -> Region:
    """Three invented children, shared by the tests that write nothing (reads only add audit rows)."""
    def register_one(*options, user="ostersund-reception", municipality="Östersund", birth, now):
        return call(url, "case", "register", "--birth-date", birth.isoformat(), "--municipality", municipality,
                    *options, user=user, now=now)["id"]

    with database(request.param, tmp_path_factory) as url:
        call(url, "init", "--demo")
        yield _children(url, register_one)


@pytest.fixture
def region(run, cli_db) -> Region:
    """The same three children in a database of the test's own, for tests that write."""
    return _children(cli_db, lambda *options, **kw: register(run, cli_db, *options, **kw))


@pytest.mark.parametrize(("user", "expected"), [
    ("ostersund-reception", ["ostersund", "ostersund_small"]),
    ("ostersund-social", ["ostersund", "ostersund_small"]),
    ("krokom-reception", ["krokom"]),
    ("hc-lugnvik", ["ostersund"]),
    ("hc-odensala", ["ostersund_small"]),
    ("hc-krokom", ["krokom"]),
    ("ostersund-school-norrby", ["ostersund"]),
    ("ostersund-school-ekbacke", []),
    ("ostersund-preschool-solrosen", ["ostersund_small"]),
    ("ostersund-preschool-blaklockan", []),
    ("ostersund-school-health", ["ostersund", "ostersund_small"]),
    ("ostersund-bvc", ["ostersund", "ostersund_small"]),
    ("krokom-school-health", ["krokom"]),
    ("krokom-bvc", ["krokom"]),
    ("berg-reception", []),
    ("region-coordinator", ["ostersund", "ostersund_small", "krokom"]),
    ("admin", ["ostersund", "ostersund_small", "krokom"]),
])
def test_case_list_holds_exactly_the_children_in_the_users_scope(run, shared_region, user, expected):
    assert listed_ids(run, shared_region.db, user) == [getattr(shared_region, name) for name in expected]


@pytest.mark.parametrize(("user", "hidden"), [
    ("krokom-reception", "ostersund"),
    ("ostersund-reception", "krokom"),
    ("hc-odensala", "ostersund"),
    ("hc-lugnvik", "ostersund_small"),
    ("ostersund-school-ekbacke", "ostersund"),
    ("ostersund-preschool-blaklockan", "ostersund_small"),
    ("krokom-bvc", "ostersund"),
    ("ostersund-school-health", "krokom"),
])
@pytest.mark.parametrize("command", ["show", "history"])
def test_a_case_outside_the_scope_is_answered_exactly_like_an_unknown_case(run, shared_region, user, hidden,
                                                                           command):
    db, case_id = shared_region.db, getattr(shared_region, hidden)
    before = snapshot(db)

    outside = run("case", command, case_id, db=db, user=user, now=NOW)
    unknown = run("case", command, "SC-NOPE", db=db, user=user, now=NOW)

    error = assert_one_line_error(outside, 2)
    assert error == {key: value.replace("SC-NOPE", case_id)
                     for key, value in assert_one_line_error(unknown, 2).items()}
    assert outside.err == unknown.err.replace("SC-NOPE", case_id)
    assert snapshot(db) == before  # not even the read is logged


@pytest.mark.parametrize(("user", "visible"), [
    ("ostersund-reception", "ostersund"),
    ("hc-lugnvik", "ostersund"),
    ("hc-odensala", "ostersund_small"),
    ("ostersund-school-norrby", "ostersund"),
    ("ostersund-preschool-solrosen", "ostersund_small"),
    ("ostersund-school-health", "ostersund_small"),
    ("ostersund-bvc", "ostersund"),
    ("krokom-bvc", "krokom"),
    ("region-coordinator", "krokom"),
    ("admin", "ostersund_small"),
])
def test_a_case_in_the_scope_can_be_shown(run, shared_region, user, visible):
    result = run("case", "show", getattr(shared_region, visible), db=shared_region.db, user=user, now=NOW)

    assert result.code == 0, result.err
    assert result.data["id"] == getattr(shared_region, visible)


def test_the_municipality_filter_narrows_the_scope_and_never_widens_it(run, shared_region):
    db = shared_region.db
    assert listed_ids(run, db, "region-coordinator", "--municipality", "Krokom") == [shared_region.krokom]
    assert listed_ids(run, db, "ostersund-reception", "--municipality", "Krokom") == []
    assert listed_ids(run, db, "hc-lugnvik", "--health-centre", "hc-odensala") == []


@pytest.mark.parametrize("user", [
    "hc-lugnvik", "ostersund-school-norrby", "ostersund-preschool-solrosen", "ostersund-school-health",
    "ostersund-bvc", "region-coordinator", "admin",
])
def test_only_a_reception_unit_may_register_a_child(run, shared_region, user):
    before = snapshot(shared_region.db)

    result = run("case", "register", "--birth-date", "2019-04-02", "--municipality", "Östersund",
                 "--personnummer", pnr(), db=shared_region.db, user=user, now=NOW)

    assert assert_one_line_error(result, 1)["code"] == "refused"
    assert snapshot(shared_region.db) == before


def test_the_reception_unit_for_unaccompanied_children_may_register_one(run, region):
    case_id = register(run, region.db, "--unaccompanied", user="ostersund-social")

    assert case_id in listed_ids(run, region.db, "ostersund-reception")


def test_a_reception_unit_cannot_register_a_child_of_another_municipality(run, shared_region):
    before = snapshot(shared_region.db)

    result = run("case", "register", "--birth-date", "2019-04-02", "--municipality", "Östersund",
                 db=shared_region.db, user="krokom-reception", now=NOW)

    assert_one_line_error(result, 1)
    assert snapshot(shared_region.db) == before


def test_a_number_on_another_municipalitys_case_makes_a_new_case_and_leaves_that_one_as_it_was(run, region):
    """No refusal tells Krokom of Östersund's case: the notice is Krokom's own case (the coordinators are
    warned: tests/security/test_registration_elsewhere.py), and nothing is attached to Östersund's."""
    ostersund = register(run, region.db, "--dossier", "31-415926", birth=date(2017, 1, 8))
    before = run("case", "show", ostersund, db=region.db, user="region-coordinator", now=NOW).data

    krokom = register(run, region.db, "--dossier", "31-415926", "--personnummer", pnr(date(2017, 1, 8)),
                      user="krokom-reception", municipality="Krokom", birth=date(2017, 1, 8))

    assert krokom != ostersund
    assert run("case", "show", ostersund, db=region.db, user="region-coordinator", now=NOW).data == before
    assert krokom in listed_ids(run, region.db, "krokom-reception")
    assert ostersund not in listed_ids(run, region.db, "krokom-reception")


# --- users and the directory ------------------------------------------------------------------


def test_an_admin_adds_a_user_who_can_then_act(run, cli_db):
    result = run("user", "add", "nurse-anna", "--role", "health_centre", "--org", "hc-lugnvik",
                 db=cli_db, user="admin")

    assert result.code == 0, result.err
    assert result.data == {"id": "nurse-anna", "role": "health_centre", "org": "hc-lugnvik", "name": None,
                           "email": None, "hsa_id": None}
    users = run("user", "list", db=cli_db, user="admin").data
    assert {**result.data, "disabled": None} in users
    assert run("case", "list", db=cli_db, user="nurse-anna", now=NOW).code == 0


@pytest.mark.parametrize("user", ["hc-lugnvik", "region-coordinator", "ostersund-reception"])
def test_only_an_admin_may_add_a_user_once_users_exist(run, shared_region, user):
    before = snapshot(shared_region.db)

    result = run("user", "add", "nurse-anna", "--role", "health_centre", "--org", "hc-lugnvik",
                 db=shared_region.db, user=user)

    assert assert_one_line_error(result, 1)["code"] == "refused"
    assert snapshot(shared_region.db) == before


@pytest.mark.parametrize(("user_id", "role", "org"), [
    pytest.param("nurse-anna", "nurse", "hc-lugnvik", id="unknown-role"),
    pytest.param("nurse-anna", "health_centre", "hc-nowhere", id="unknown-org"),
    pytest.param("nurse-anna", "school", "hc-lugnvik", id="role-does-not-fit-the-kind"),
    pytest.param("nurse-anna", "reception", "region-coordinator", id="reception-at-the-coordinator"),
    pytest.param("hc-lugnvik", "health_centre", "hc-lugnvik", id="duplicate-id"),
    pytest.param("admin", "admin", "region-coordinator", id="duplicate-admin"),
])
def test_a_user_that_cannot_be_added_is_bad_input_and_changes_nothing(run, shared_region, user_id, role, org):
    before = snapshot(shared_region.db)

    result = run("user", "add", user_id, "--role", role, "--org", org, db=shared_region.db, user="admin")

    assert_one_line_error(result, 2)
    assert snapshot(shared_region.db) == before


def test_the_first_user_needs_no_acting_user_and_the_second_does(run, db_url):
    assert run("init", "--directory", str(BUNDLED), db=db_url).code == 0

    first = run("user", "add", "first-admin", "--role", "admin", "--org", "region-coordinator", db=db_url)
    assert first.code == 0, first.err
    assert first.data == {"id": "first-admin", "role": "admin", "org": "region-coordinator", "name": None,
                          "email": None, "hsa_id": None}

    before = snapshot(db_url)
    second = run("user", "add", "second", "--role", "reception", "--org", "ostersund-reception", db=db_url)
    assert_one_line_error(second, 2)
    assert snapshot(db_url) == before

    third = run("user", "add", "second", "--role", "reception", "--org", "ostersund-reception",
                db=db_url, user="first-admin")
    assert third.code == 0, third.err
    assert [u["id"] for u in run("user", "list", db=db_url, user="first-admin").data] == ["first-admin", "second"]


def test_user_list_shows_every_user_to_an_admin(run, shared_region):
    result = run("user", "list", db=shared_region.db, user="admin")

    assert result.code == 0, result.err
    contract = [{k: user[k] for k in ("id", "role", "org")} for user in result.data]
    assert {"id": "admin", "role": "admin", "org": "region-coordinator"} in contract
    assert {"id": "hc-lugnvik", "role": "health_centre", "org": "hc-lugnvik"} in contract
    assert all(set(user) >= {"id", "role", "org"} for user in result.data)


@pytest.mark.parametrize("user", ["region-coordinator", "hc-lugnvik", "ostersund-reception"])
def test_user_list_is_refused_to_everyone_but_an_admin(run, shared_region, user):
    result = run("user", "list", db=shared_region.db, user=user)

    assert assert_one_line_error(result, 1)["code"] == "refused"


def test_org_list_needs_no_acting_user_and_names_only_the_contracts_kinds(run, shared_region):
    result = run("org", "list", db=shared_region.db)

    assert result.code == 0, result.err
    assert all(set(org) >= {"id", "kind", "name", "municipality"} for org in result.data)
    assert {org["kind"] for org in result.data} == ORG_KINDS
    by_id = {org["id"]: org for org in result.data}
    assert by_id["hc-lugnvik"]["kind"] == "health_centre"
    assert by_id["ostersund-social"] == {**by_id["ostersund-social"], "kind": "reception_unit",
                                         "municipality": "Östersund"}
    assert by_id["region-coordinator"]["kind"] == "coordinator"
