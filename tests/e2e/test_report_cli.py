"""`screening report` end to end: the contract's JSON, a CSV that a Swedish Excel reads, the chart,
the refusals, and no medical word in any of it. The figures themselves are checked exactly in
tests/integration/test_report.py."""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.conftest import snapshot
from tests.e2e.support import COORDINATOR, HC, RECEPTION, assert_one_line_error, register

NOW = "2026-11-23T10:00"
SECRET = "HEMLIGT-FYND-4417"


@pytest.fixture
def reported(run, cli_db):
    """Six Östersund children registered on 2026-11-16, all notified that day (one 2 days late);
    four booked on 17 November, one of them with results recorded."""
    ids = []
    for n in range(6):
        ids.append(register(run, cli_db, "--dossier", f"{31_000_000 + n}", "--notice-at", "2026-11-16T09:00",
                            "--arrival", "2026-11-16"))
    for n, case_id in enumerate(ids):
        told = "2026-11-18T09:00" if n == 5 else "2026-11-16T10:00"
        assert run("case", "event", case_id, "notify_parties", "--at", told, db=cli_db, user=RECEPTION,
                   now=told).code == 0
    for n, case_id in enumerate(ids[:4]):
        start = f"2026-11-19T{9 + n:02d}:00"
        assert run("case", "event", case_id, "book_health_conversation", "--set", f"start={start}", "--at",
                   "2026-11-17T09:00", db=cli_db, user=HC, now="2026-11-17T09:00").code == 0
    assert run("case", "event", ids[0], "hold_health_conversation", "--at", "2026-11-19T09:30", db=cli_db,
               user=HC, now="2026-11-19T09:30").code == 0
    assert run("case", "event", ids[0], "record_results", "--set", "obstacle=yes", "--set", f"note={SECRET}",
               "--at", "2026-11-20T09:00", db=cli_db, user=HC, now="2026-11-20T09:00").code == 0
    return cli_db


def test_the_json_is_the_contracts_with_the_region_last(run, reported):
    result = run("report", db=reported, user=COORDINATOR, now=NOW)
    assert result.code == 0, result.err
    data = result.data
    assert (data["from"], data["to"], data["by"], data["min_group"]) == ("2026-01-01", "2026-11-23", "municipality", 5)
    ostersund = next(row for row in data["rows"] if row["group"] == "Östersund")
    assert {"group", "notices", "notified_same_day", "booked_in_time", "booked_in_time_share"} <= set(ostersund)
    assert (ostersund["notices"], ostersund["notified_same_day"], ostersund["booked_in_time"]) == (6, 5, 4)
    assert ostersund["booked_in_time_share"] == pytest.approx(4 / 6)
    assert data["rows"][-1]["level"] == "region" and data["rows"][-1]["notices"] == 6
    same = run("report", "--format", "json", db=reported, user=COORDINATOR, now=NOW, json_output=False)
    assert same.code == 0 and same.data == data


def test_the_csv_opens_in_a_swedish_excel(run, reported):
    result = run("report", "--format", "csv", db=reported, user=COORDINATOR, now=NOW, json_output=False)
    assert result.code == 0, result.err
    assert result.out.startswith("\ufeff") and "\r\n" in result.out
    table = list(csv.reader(io.StringIO(result.out.lstrip("\ufeff"), newline=""), delimiter=";"))
    header, rows = table[0], {row[0]: row for row in table[1:]}
    assert header[0] == "Kommun" and header[1] == "Anmälningar (barn)" and header[-1].startswith("Dold")
    ostersund = rows["Östersund"]
    share = ostersund[header.index("Andel bokade inom 5 arbetsdagar")]
    assert share == "0,6667"  # decimal comma, four decimals
    assert ostersund[header.index("Bokade inom 5 arbetsdagar")] == "4"
    assert rows["Berg"][header.index("Andel bokade inom 5 arbetsdagar")] == ""  # nothing to count
    assert any(name.endswith("(hela regionen)") for name in rows)


def test_a_group_below_the_threshold_shows_no_figures(run, reported, monkeypatch):
    monkeypatch.setenv("SCREENING_MIN_GROUP", "7")
    data = run("report", db=reported, user=COORDINATOR, now=NOW).data
    ostersund = next(row for row in data["rows"] if row["group"] == "Östersund")
    assert ostersund["suppressed"] and ostersund["notices"] is None and ostersund["booked_in_time"] is None
    assert data["rows"][-1]["suppressed"]


def test_by_health_centre_and_a_period_that_leaves_everyone_out(run, reported):
    data = run("report", "--by", "health_centre", db=reported, user=COORDINATOR, now=NOW).data
    assert next(row for row in data["rows"] if row["group"] == "hc-lugnvik")["notices"] == 6
    empty = run("report", "--from", "2026-11-17", "--to", "2026-11-23", db=reported, user=COORDINATOR, now=NOW).data
    assert empty["rows"][-1]["notices"] == 0


def test_the_chart_and_the_csv_file_are_written(run, reported, tmp_path):
    chart, sheet = tmp_path / "uppfoljning.png", tmp_path / "uppfoljning.csv"
    result = run("report", "--chart", chart, "--format", "csv", "--out", sheet, db=reported, user=COORDINATOR,
                 now=NOW, json_output=False)
    assert result.code == 0, result.err
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sheet.read_bytes().startswith(b"\xef\xbb\xbfKommun;")


def test_the_human_table_has_the_swedish_labels_and_no_secret(run, reported):
    result = run("report", db=reported, user=COORDINATOR, now=NOW, json_output=False)
    assert result.code == 0, result.err
    assert "Andel bokade inom 5 arbetsdagar" in result.out and "Hela regionen" in result.out


def test_no_medical_content_in_any_format(run, reported, tmp_path):
    outputs = [run("report", *args, db=reported, user=COORDINATOR, now=NOW, json_output=False).out
               for args in ([], ["--format", "csv"], ["--format", "json"], ["--by", "health_centre"])]
    assert all(SECRET not in text and "obstacle" not in text.replace("hinder", "") for text in outputs)


@pytest.mark.parametrize("args, code, words", [
    (["--by", "school"], 2, "--by"),
    (["--format", "xlsx"], 2, "--format"),
    (["--from", "2026-13-01"], 2, "--from"),
    (["--from", "2026-11-20", "--to", "2026-11-01"], 2, "innan den börjar"),
])
def test_bad_arguments_are_one_line_and_change_nothing(run, reported, args, code, words):
    before = snapshot(reported)
    result = run("report", *args, db=reported, user=COORDINATOR, now=NOW)
    assert words in assert_one_line_error(result, code)["message"]
    assert snapshot(reported) == before


def test_only_coordinators_and_admins_may_report(run, reported):
    assert_one_line_error(run("report", db=reported, user=RECEPTION, now=NOW), 1)
    assert_one_line_error(run("report", db=reported, user=HC, now=NOW), 1)


def test_a_bad_threshold_setting_and_an_unwritable_file_are_one_line(run, reported, monkeypatch, tmp_path):
    table = run("report", "--out", tmp_path / "r.txt", db=reported, user=COORDINATOR, now=NOW, json_output=False)
    assert "--format csv eller json" in table.err and table.code == 2 and not (tmp_path / "r.txt").exists()
    missing = tmp_path / "no-such-folder" / "r.csv"
    error = assert_one_line_error(run("report", "--format", "csv", "--out", missing, db=reported,
                                      user=COORDINATOR, now=NOW), 2)
    assert "kan inte skriva" in error["message"] and not missing.exists()
    monkeypatch.setenv("SCREENING_MIN_GROUP", "0")
    assert "SCREENING_MIN_GROUP" in assert_one_line_error(run("report", db=reported, user=COORDINATOR, now=NOW),
                                                          2)["message"]
