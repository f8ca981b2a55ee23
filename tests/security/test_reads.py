"""Every read of a case is in the access log, by person: the lists outside `case show` and
`case list` too (the alerts, a centre's calendar, the outbox). The access log itself is for the case's
health centre, the coordinators and admins (HSLF-FS 2016:40 4 kap. 9 §), not for every role in scope."""

from __future__ import annotations

import pytest

from screening.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.support import (ADMIN, BVC, COORDINATOR, HC, NOW, PRESCHOOL, RECEPTION, SCHOOL, SCHOOL_HEALTH,
                               assert_one_line_error, register)

LATER = "2026-12-10T10:00"  # the booking long overdue: alerts


def reads(url: str, case_id: str) -> list[tuple[str, str]]:
    with SqlUnitOfWork(url) as uow:
        return [(row["action"], row["user_id"]) for row in uow.conn.all(
            "SELECT action, user_id FROM audit_trail WHERE case_id = :id AND action <> 'event' ORDER BY id",
            {"id": case_id})]


@pytest.fixture
def booked(run, cli_db):
    case_id = register(run, cli_db, "--school", SCHOOL, "--language", "ar", "--interpreter")
    assert run("case", "event", case_id, "notify_parties", db=cli_db, user=RECEPTION, now=NOW).code == 0
    assert run("case", "book", case_id, "--start", "2026-11-25T10:00", db=cli_db, user=HC, now=NOW).code == 0
    return cli_db, case_id


def test_listing_the_alerts_records_a_read_of_each_case_listed(run, booked):
    db, case_id = booked
    other = register(run, db)
    assert run("case", "event", other, "notify_parties", db=db, user=RECEPTION, now=NOW).code == 0
    assert run("sweep", db=db, user=COORDINATOR, now=LATER).code == 0
    listed = run("alerts", db=db, user=HC, now=LATER).data
    assert {alert["case"] for alert in listed} == {other}  # the booked one is in time: no alert
    assert ("alerts", HC) in reads(db, other) and ("alerts", HC) not in reads(db, case_id)


def test_exporting_a_centres_calendar_records_a_read_of_each_case_in_it(run, booked, tmp_path):
    db, case_id = booked
    assert run("calendar", "export", "--health-centre", HC, "--out", str(tmp_path / "c.ics"), db=db, user=HC,
               now=NOW).code == 0
    assert ("calendar", HC) in reads(db, case_id)


def test_following_the_outbox_records_a_read_of_each_case_named(run, booked):
    db, case_id = booked
    listed = run("outbox", "list", db=db, user=COORDINATOR, now=NOW).data
    assert case_id in {message["case"] for message in listed}
    assert ("outbox", COORDINATOR) in reads(db, case_id)


@pytest.mark.parametrize("user", [RECEPTION, SCHOOL, PRESCHOOL, SCHOOL_HEALTH, BVC])
def test_the_access_log_is_refused_to_the_other_roles_and_the_refusal_reads_nothing(run, booked, user):
    db, case_id = booked
    in_scope = run("case", "show", case_id, db=db, user=user, now=NOW).code == 0
    before = reads(db, case_id)
    result = run("case", "history", case_id, "--reads", db=db, user=user, now=NOW)
    if in_scope:
        assert assert_one_line_error(result, 1)["code"] == "refused"
    else:  # a case outside the role's scope is answered as an unknown one, as everywhere
        assert assert_one_line_error(result, 2)["code"] == "not_found"
    assert reads(db, case_id) == before
    assert run("case", "history", case_id, db=db, user=RECEPTION, now=NOW).code == 0  # the events: still theirs


@pytest.mark.parametrize("user", [HC, COORDINATOR, ADMIN])
def test_the_access_log_is_for_the_centre_the_coordinators_and_admins(run, booked, user):
    db, case_id = booked
    log = run("case", "history", case_id, "--reads", db=db, user=user, now=NOW).data
    assert {entry["action"] for entry in log} >= {"event", "show"}
