"""Invented children and the checks the e2e tests share. Every identity number here is made up."""

from __future__ import annotations

import io
import json
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from datetime import date

import pytest

import cli
from screening.identity import luhn_check_digit
from tests.conftest import pg_schema_url

NOW = "2026-11-23T10:00"  # a Monday in winter (+01:00)
BORN = date(2019, 4, 2)
CASE_KEYS = {"id", "municipality", "birth_date", "age", "arrival", "tracks", "vaccination_unit",
             "deadlines", "results"}
DEADLINE_KEYS = {"rule", "owner", "starts", "due", "due_date", "status", "met_at", "rules_version"}
HISTORY_KEYS = {"event", "at", "recorded_at", "user", "org"}


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

# The demo users of Östersund (a user's id is its organisation's id).
RECEPTION = "ostersund-reception"
HC = "hc-lugnvik"
SCHOOL = "ostersund-school-norrby"
PRESCHOOL = "ostersund-preschool-solrosen"
SCHOOL_HEALTH = "ostersund-school-health"
BVC = "ostersund-bvc"
COORDINATOR = "region-coordinator"
ADMIN = "admin"


@contextmanager
def database(backend: str, tmp_path_factory):
    """An empty database that outlives one test (for module fixtures); `db_url` does it per test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'screening.db'}"
        return
    schema = pg_schema_url()
    url = next(schema)
    try:
        yield url
    finally:
        schema.close()


def call(url: str, *args: str, user: str | None = None, now: str | None = NOW):
    """Run one command in-process where the `run` fixture is not at hand; returns its JSON."""
    argv = ["--db", url, *(["--as", user] if user else []), *(["--now", now] if now else []), "--json"]
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(argv + list(args))
    assert code == 0, err.getvalue()
    return json.loads(out.getvalue())


def pnr(birth: date = BORN, serial: str = "238", *, coordination: bool = False) -> str:
    """A valid invented personnummer (or samordningsnummer: day + 60) as YYYYMMDD-NNNC."""
    day = birth.day + (60 if coordination else 0)
    body = f"{birth.year:04d}{birth.month:02d}{day:02d}{serial}"
    return f"{body[:8]}-{body[8:]}{luhn_check_digit(body[2:])}"


def register(run, db: str, *options: str, user: str = "ostersund-reception",
             municipality: str = "Östersund", birth: date = BORN, now: str = NOW) -> str:
    """Register an invented child; returns the new case id."""
    result = run("case", "register", "--birth-date", birth.isoformat(), "--municipality", municipality,
                 *options, db=db, user=user, now=now)
    assert result.code == 0, result.err
    assert result.data["attached"] is False
    return result.data["id"]


def listed_ids(run, db: str, user: str, *options: str, now: str = NOW) -> list[str]:
    result = run("case", "list", *options, db=db, user=user, now=now)
    assert result.code == 0, result.err
    return [case["id"] for case in result.data]


def assert_one_line_error(result, code: int, *, json_output: bool = True) -> dict | None:
    """Exit code, one line on stderr, no traceback; the error object as the only JSON document."""
    assert result.code == code, (result.code, result.out, result.err)
    assert "Traceback" not in result.err
    assert result.err.strip(), "stderr is empty"
    assert len(result.err.rstrip("\n").splitlines()) == 1, result.err
    if not json_output:
        assert result.out == ""
        return None
    document = json.loads(result.out)  # fails on a second document or any other text
    assert set(document) == {"error"}
    error = document["error"]
    assert {"code", "message"} <= set(error)
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    assert "\n" not in error["message"]
    assert error["message"] in result.err
    return error


def roomy(url: str, capacity: int = 1000) -> None:
    """Give every health centre room for `capacity` appointments at once: for a module's shared
    database whose tests book the same times for many children (the capacity has tests of its own)."""
    import json as _json

    from screening.storage import db as _db

    conn = _db.connect_raw(url)
    try:
        conn.begin()
        for row in conn.all("SELECT id, details FROM organisation WHERE kind = 'health_centre'"):
            details = _json.loads(row["details"])
            details["appointments"]["capacity"] = capacity
            conn.execute("UPDATE organisation SET details = :details WHERE id = :id",
                         {"details": _json.dumps(details, ensure_ascii=False), "id": row["id"]})
        conn.commit()
    finally:
        conn.close()
