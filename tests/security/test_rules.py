"""The deadline rules are the database's, versioned: an admin loads a file as a new version (who and
when recorded), each deadline names the version it was computed under, the report names the versions
it spans, and no environment variable changes them (SCREENING_RULES=lax.toml once turned a late
booking into "booked in time")."""

from __future__ import annotations

import pytest

from screening.storage.unit_of_work import SqlUnitOfWork
from tests.e2e.support import ADMIN, COORDINATOR, HC, NOW, RECEPTION, assert_one_line_error, register

LAX = "[book_health_conversation]\nworking_days = 300\n"
LATE = "2026-12-14T10:00"  # three weeks after the notice: five working days are long gone


def booking_deadline(run, db: str, case_id: str, now: str = LATE) -> dict:
    shown = run("case", "show", case_id, db=db, user=COORDINATOR, now=now).data
    return next(d for d in shown["deadlines"] if d["rule"] == "book_health_conversation")


def versions(url: str) -> list[dict]:
    with SqlUnitOfWork(url) as uow:
        return uow.conn.all("SELECT version, loaded_by FROM rule_version ORDER BY version")


def notified(run, db: str) -> str:
    case_id = register(run, db)
    assert run("case", "event", case_id, "notify_parties", db=db, user=RECEPTION, now=NOW).code == 0
    return case_id


def test_a_rule_file_in_the_environment_changes_nothing(run, cli_db, tmp_path, monkeypatch):
    lax = tmp_path / "lax.toml"
    lax.write_text(LAX, encoding="utf-8")
    monkeypatch.setenv("SCREENING_RULES", str(lax))
    case_id = notified(run, cli_db)
    assert run("case", "book", case_id, "--start", LATE, db=cli_db, user=HC, now="2026-12-07T10:00").code == 0
    deadline = booking_deadline(run, cli_db, case_id)
    assert deadline["status"] == "late" and deadline["due_date"] == "2026-11-30"
    report = run("report", "--from", "2026-11-01", "--to", "2026-11-30", db=cli_db, user=COORDINATOR, now=LATE)
    assert "SCREENING_RULES" in report.err  # said, never followed
    region = report.data["rows"][-1]
    assert region["booked_in_time"] in (0, None)


def test_only_an_admin_loads_rules_and_a_refusal_stores_nothing(run, cli_db, tmp_path):
    lax = tmp_path / "lax.toml"
    lax.write_text(LAX, encoding="utf-8")
    for user in (COORDINATOR, RECEPTION, HC):
        assert_one_line_error(run("rules", "load", str(lax), db=cli_db, user=user, now=NOW), 1)
    assert [v["version"] for v in versions(cli_db)] == [1]


@pytest.mark.parametrize("text", ["[no_such_rule]\nworking_days = 3\n",
                                  "[book_health_conversation]\nworking_days = -1\n",
                                  "[book_health_conversation]\nworking_days = 3\ncalendar_days = 3\n",
                                  "[book_health_conversation]\nworking_days = \"five\"\n",
                                  "[book_health_conversation\n"])
def test_a_rule_file_in_error_is_refused_in_one_line_and_stores_nothing(run, cli_db, tmp_path, text):
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    assert_one_line_error(run("rules", "load", str(bad), db=cli_db, user=ADMIN, now=NOW), 2)
    assert [v["version"] for v in versions(cli_db)] == [1]


def test_a_loaded_version_is_recorded_with_who_and_when_and_governs_from_the_next_event(run, cli_db, tmp_path):
    before = notified(run, cli_db)
    assert booking_deadline(run, cli_db, before, NOW)["rules_version"] == 1
    quick = tmp_path / "quick.toml"
    quick.write_text("[book_health_conversation]\nworking_days = 2\n", encoding="utf-8")
    loaded = run("rules", "load", str(quick), db=cli_db, user=ADMIN, now=NOW)
    assert loaded.code == 0 and loaded.data == {"version": 2}
    assert versions(cli_db) == [{"version": 1, "loaded_by": None}, {"version": 2, "loaded_by": ADMIN}]
    with SqlUnitOfWork(cli_db) as uow:
        trail = uow.conn.all("SELECT action, user_id, detail FROM audit_trail WHERE action = 'rules'")
    assert [(row["action"], row["user_id"]) for row in trail] == [("rules", ADMIN)]
    again = run("rules", "load", str(quick), db=cli_db, user=ADMIN, now=NOW)
    assert again.data == {"version": 2} and len(versions(cli_db)) == 2  # the same table: no new version

    assert booking_deadline(run, cli_db, before, NOW)["rules_version"] == 1  # computed before the load
    after = notified(run, cli_db)
    deadline = booking_deadline(run, cli_db, after, NOW)
    assert deadline["rules_version"] == 2 and deadline["due_date"] == "2026-11-25"  # two working days


def test_the_report_names_the_rule_versions_it_spans(run, cli_db, tmp_path):
    notified(run, cli_db)
    report = run("report", "--from", "2026-11-01", "--to", "2026-11-30", db=cli_db, user=COORDINATOR, now=NOW).data
    assert [v["version"] for v in report["rules_versions"]] == [1]
    quick = tmp_path / "quick.toml"
    quick.write_text("[book_health_conversation]\nworking_days = 2\n", encoding="utf-8")
    assert run("rules", "load", str(quick), db=cli_db, user=ADMIN, now=NOW).code == 0
    notified(run, cli_db)
    report = run("report", "--from", "2026-11-01", "--to", "2026-11-30", db=cli_db, user=COORDINATOR, now=NOW).data
    assert [(v["version"], v["loaded_by"]) for v in report["rules_versions"]] == [(1, None), (2, ADMIN)]
    table = run("report", "--from", "2026-11-01", "--to", "2026-11-30", db=cli_db, user=COORDINATOR, now=NOW,
                json_output=False).out
    assert "version 1 (inbyggd)" in table and "version 2 (inläst" in table
