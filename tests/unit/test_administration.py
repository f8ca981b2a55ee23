"""Administration in the audit trail, on the in-memory unit of work: the directory loaded by an admin
only (once a user exists) and recorded with what changed, the first load recorded as the first user's,
the access log's sample drawn as documented and reviewed once. Every name here is invented."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from screening import directory as directories
from screening.cli import render
from screening.errors import BadInput, NotFound, Refused
from screening.model import AuditEntry
from screening.services import admin, audit_sample, users
from screening.services.admin import load_directory_in
from screening.words import Words
from tests.fakes import FakeUnitOfWork, fake_app
from tests.unit.test_services import ADMIN, COORDINATOR, HC, NOW, RECEPTION, SCHOOL, register

BUNDLED = directories.load_directory(None)


def hostile(base=BUNDLED):
    """krokom-reception moved into Östersund, hc-lugnvik's mail redirected."""
    moved = [replace(org, municipality="Östersund") if org.id == "krokom-reception" else
             replace(org, email="lugnvik@inkorg.example") if org.id == "hc-lugnvik" else org
             for org in base.organisations]
    return replace(base, organisations=tuple(moved))


def load(uow, acting_user, region, demo_users=False):
    with uow:
        return load_directory_in(uow, acting_user, region, demo_users=demo_users, source="region.toml", now=NOW,
                                 recorded_at=NOW)


@pytest.fixture
def uow() -> FakeUnitOfWork:
    fake = FakeUnitOfWork()
    load(fake, None, BUNDLED, demo_users=True)
    return fake


def refused(uow, error, act) -> None:
    """`act` raises `error`, and nothing it did was committed."""
    before, commits = repr(uow.committed), uow.commits
    with pytest.raises(error):
        act()
    assert (repr(uow.committed), uow.commits) == (before, commits)


def directory_entries(uow) -> list[AuditEntry]:
    return [e for e in uow.committed["audit"] if e.action == "directory"]


# --- the directory -------------------------------------------------------------------------------


def test_changes_name_the_region_and_the_organisations_added_changed_and_absent():
    centre = BUNDLED.get("hc-lugnvik")
    new = replace(hostile(), region_name="Region JH",
                  organisations=tuple(o for o in hostile().organisations if o.id != "krokom-social")
                  + (replace(centre, id="hc-ny", name="Hälsocentralen Ny"),))

    found = directories.changes(BUNDLED, new)

    assert found["region"] == {"name": ["Region Jämtland Härjedalen", "Region JH"]}
    assert found["changed"] == {"krokom-reception": {"municipality": ["Krokom", "Östersund"]},
                                "hc-lugnvik": {"email": [centre.email, "lugnvik@inkorg.example"]}}
    assert found["absent"] == ["krokom-social"]
    assert list(found["added"]) == ["hc-ny"] and found["added"]["hc-ny"]["name"] == "Hälsocentralen Ny"
    assert directories.changes(BUNDLED, BUNDLED) == {}
    assert set(directories.changes(None, BUNDLED)) == {"region", "added"}


@pytest.mark.parametrize("acting, error", [(None, Refused), ("hc-lugnvik", Refused), ("region-coordinator", Refused),
                                           ("krokom-reception", Refused), ("nobody", NotFound)])
def test_once_users_exist_only_an_admin_loads_the_directory(uow, acting, error):
    refused(uow, error, lambda: load(uow, acting, hostile()))


def test_an_admins_load_is_recorded_with_what_it_changed(uow):
    load(uow, "admin", hostile())
    assert uow.committed["directory"] == hostile()
    entry = directory_entries(uow)[-1]
    assert (entry.case_id, entry.user_id, entry.at) == (None, "admin", NOW)
    assert entry.detail == {"file": "region.toml", "changed": {
        "hc-lugnvik": {"email": [BUNDLED.get("hc-lugnvik").email, "lugnvik@inkorg.example"]},
        "krokom-reception": {"municipality": ["Krokom", "Östersund"]}}}
    assert render._change("directory", entry.detail, Words("sv")).endswith(
        "krokom-reception (kommun Krokom → Östersund)")


def test_the_demo_on_a_new_database_is_recorded_as_its_admins_first_load(uow):
    [entry] = directory_entries(uow)
    assert entry.user_id == "admin" and entry.detail["first"] is True
    assert set(entry.detail["added"]) == {o.id for o in BUNDLED.organisations}
    admin = entry.detail["users_added"][0]  # the person too: their name and e-mail (screening.demo_people)
    assert admin == {"id": "admin", "role": "admin", "org": "region-coordinator", "name": admin["name"],
                     "email": admin["email"]} and admin["name"]


def test_a_directory_loaded_before_any_user_is_recorded_when_the_first_user_is_made():
    uow = FakeUnitOfWork()
    app = fake_app(uow, NOW)
    load(uow, None, hostile())
    assert uow.committed["audit"] == []  # nobody to name yet

    users.add_user(app, None, "anna-admin", "admin", "region-coordinator")
    users.add_user(app, "anna-admin", "bo", "health_centre", "hc-lugnvik")

    first, second = directory_entries(uow)
    assert (first.user_id, first.detail["first"]) == ("anna-admin", True)
    assert first.detail["added"]["krokom-reception"]["municipality"] == "Östersund"  # as it stood
    assert first.detail["users_added"] == [{"id": "anna-admin", "role": "admin", "org": "region-coordinator"}]
    assert (second.user_id, second.detail) == ("anna-admin", {"users_added": [
        {"id": "bo", "role": "health_centre", "org": "hc-lugnvik"}]})
    refused(uow, Refused, lambda: load(uow, None, BUNDLED))


# --- the access log's sample ---------------------------------------------------------------------


@pytest.fixture
def logged(uow):
    """Two cases (Östersund's at hc-lugnvik, Krokom's at hc-krokom) and reads of them: one a day for 40
    days before NOW, alternately, by the coordinator; an event between."""
    ostersund = register(uow)
    krokom = register(uow, replace(RECEPTION, user_id="krokom-reception", org_id="krokom-reception",
                                   municipality="Krokom"), municipality="Krokom", school=None, preschool=None)
    with uow:
        for day in range(40):
            at = NOW - timedelta(days=day)
            uow.audit.record(AuditEntry(ostersund if day % 2 else krokom, "show", None, at, at, COORDINATOR.user_id))
        uow.audit.record(AuditEntry(ostersund, "event", "notify_parties", NOW, NOW, RECEPTION.user_id))
        uow.commit()
    return ostersund, krokom


def read_days(reads: list[dict]) -> set[int]:
    return {(NOW.date() - datetime.fromisoformat(r["at"]).date()).days for r in reads}


def test_the_sample_is_drawn_from_the_last_30_days_reads_and_recorded(uow, logged, monkeypatch):
    monkeypatch.setattr(audit_sample.secrets, "randbits", lambda bits: 12345)
    app = fake_app(uow, NOW)

    drawn = audit_sample.draw(app, COORDINATOR, size=500)

    assert read_days(drawn["reads"]) == set(range(30)) and drawn["population"] == 30
    record = uow.committed["audit"][-1]
    assert (record.action, record.case_id, record.user_id) == ("sample", None, COORDINATOR.user_id)
    assert record.detail["seed"] == f"{12345:016x}" and record.detail["from"] == "2026-10-25"
    population = record.detail["reads"]
    small = audit_sample.draw(app, COORDINATOR, size=3)
    assert [r["id"] for r in small["reads"]] == audit_sample.choose(population, 3, 12345)
    assert small["sample"] != drawn["sample"]


def test_a_health_centre_draws_from_its_own_cases_reads_only(uow, logged):
    ostersund, _ = logged
    drawn = audit_sample.draw(fake_app(uow, NOW), HC, size=500)
    assert {r["case"] for r in drawn["reads"]} == {ostersund} and read_days(drawn["reads"]) == set(range(1, 30, 2))
    assert uow.committed["audit"][-1].detail["health_centre"] == "hc-lugnvik"


@pytest.mark.parametrize("size, start, end", [(0, None, None), (501, None, None),
                                              (5, NOW.date(), NOW.date() - timedelta(days=1))])
def test_a_bad_size_or_period_draws_nothing(uow, logged, size, start, end):
    app = fake_app(uow, NOW)
    refused(uow, BadInput, lambda: audit_sample.draw(app, COORDINATOR, size=size, start=start, end=end))


@pytest.mark.parametrize("actor", [RECEPTION, SCHOOL])
def test_other_roles_draw_no_sample(uow, logged, actor):
    refused(uow, Refused, lambda: audit_sample.draw(fake_app(uow, NOW), actor))


def test_a_sample_is_reviewed_once_by_its_centre_or_a_coordinator(uow, logged):
    app = fake_app(uow, NOW)
    centres = audit_sample.draw(app, HC)["sample"]
    everyones = audit_sample.draw(app, COORDINATOR)["sample"]
    refused(uow, NotFound, lambda: audit_sample.review(app, HC, everyones))
    refused(uow, BadInput, lambda: audit_sample.review(app, HC, centres, finding="två\nrader"))

    done = audit_sample.review(app, HC, centres, finding="läst utan vårdrelation")
    assert done == {"sample": centres, "outcome": "finding", "finding": "läst utan vårdrelation", "reads": 15,
                    "drawn_by": HC.user_id}
    assert audit_sample.review(app, ADMIN, everyones)["outcome"] == "ok"
    refused(uow, Refused, lambda: audit_sample.review(app, COORDINATOR, centres))  # reviewed already
    kinds = [e.action for e in uow.committed["audit"][-4:]]
    assert kinds == ["sample", "sample", "review", "review"]
    shown = admin.administration(app, COORDINATOR, "review")
    assert [row["detail"]["outcome"] for row in shown] == ["finding", "ok"]
    with pytest.raises(Refused):
        admin.administration(app, HC)


@pytest.mark.parametrize("lang, expected", [
    ("sv", "låst till mån 23 nov 2026 10:15; 5 misslyckade i rad"),
    ("en", "locked until Mon 23 Nov 2026 10:15; 5 failures in a row")])
def test_a_lock_in_the_history_says_until_when_in_local_time(lang, expected):
    detail = {"until": "2026-11-23T09:15:00+00:00", "failures": 5}
    assert render._change("locked", detail, Words(lang)) == expected


def test_an_accounts_row_says_its_facts_and_never_what_it_does_not_know():
    detail = {"user": "hc-lugnvik-2", "temporary": True, "secret": "never-shown"}
    assert render._change("password", detail, Words("en")) == "user hc-lugnvik-2; one-time password: yes"
    assert render._change("token_revoked", {"token": "ab12cd"}, Words("sv")) == "nyckel ab12cd"
