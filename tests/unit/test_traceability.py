"""docs/agreement.md maps every clause to the tests that prove it; each test it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLAUSES = ([f"§ {n}" for n in range(4, 11)] + [f"step {n}" for n in range(1, 10)] + list("ABCDE")
           + ["vacc 1", "vacc 2", "scope"])
TEST_REF = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)`")


def _rows() -> dict[str, str]:
    rows = {}
    for line in (ROOT / "docs" / "agreement.md").read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] in CLAUSES:
            rows[cells[0]] = line
    return rows


def test_every_clause_of_the_agreement_has_a_row():
    assert sorted(_rows()) == sorted(CLAUSES)


def test_every_clause_names_at_least_one_test():
    assert [clause for clause, line in _rows().items() if not TEST_REF.search(line)] == []


def test_every_test_the_map_names_exists():
    missing = []
    for clause, line in _rows().items():
        for path, name in TEST_REF.findall(line):
            source = ROOT / path
            if not source.exists() or not re.search(rf"^(async )?def {name}\(", source.read_text(encoding="utf-8"), re.M):
                missing.append(f"{clause}: {path}::{name}")
    assert missing == []
