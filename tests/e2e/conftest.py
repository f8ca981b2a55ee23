"""Drive the `screening` command in-process, as a user would type it."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

import cli


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def data(self):
        return json.loads(self.out)


@pytest.fixture
def run(capsys, monkeypatch):
    """run(*args, db=..., user=..., now=..., json=True) -> Result"""
    for name in ("SCREENING_DB", "SCREENING_USER", "SCREENING_NOW"):
        monkeypatch.delenv(name, raising=False)

    def _run(*args, db: str, user: str | None = None, now: str | None = None, json_output: bool = True):
        argv = ["--db", db]
        if user:
            argv += ["--as", user]
        if now:
            argv += ["--now", now]
        if json_output:
            argv.append("--json")
        capsys.readouterr()
        code = cli.main(argv + [str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _run


@pytest.fixture
def cli_db(run, db_url):
    """A database made by `screening init --demo` itself."""
    result = run("init", "--demo", db=db_url)
    assert result.code == 0, result.err
    return db_url


def snapshot(url: str) -> dict:
    """Every table's rows as stored, to prove that a refused command changed nothing."""
    from sqlalchemy import inspect

    from screening.storage import db

    names = inspect(db.engine(url)).get_table_names()
    conn = db.connect_raw(url)
    try:
        return {name: sorted(repr(sorted(row.items())) for row in conn.all(f"SELECT * FROM {name}"))
                for name in names}
    finally:
        conn.close()
