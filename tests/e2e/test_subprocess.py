"""The real console script and `python cli.py`, in their own processes (a handful: they are slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.support import NOW, pnr

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).parent / "screening"
COMMANDS = ("init", "org", "user", "case")


def environment(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    return {**env, **variables}


def screening(*args: str, env: dict[str, str] | None = None, command=(str(SCRIPT),)):
    return subprocess.run([*command, *args], capture_output=True, text=True, cwd=ROOT, timeout=60,
                          env=env or environment())


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('subprocess') / 'screening.db'}"
    done = screening("--db", url, "init", "--demo")
    assert done.returncode == 0, done.stderr
    return url


def test_the_console_script_is_installed_beside_the_interpreter():
    assert SCRIPT.is_file() and os.access(SCRIPT, os.X_OK)


def test_help_exits_0_and_lists_the_commands():
    done = screening("--help")

    assert done.returncode == 0, done.stderr
    for command in COMMANDS:
        assert command in done.stdout
    assert done.stderr == ""


def test_python_cli_py_from_the_project_root_shows_the_same_help():
    done = screening("--help", command=(sys.executable, "cli.py"))

    assert done.returncode == 0, done.stderr
    for command in COMMANDS:
        assert command in done.stdout


def test_an_unknown_case_exits_2_with_one_line_and_no_traceback(demo_file):
    done = screening("--db", demo_file, "--as", "admin", "case", "show", "SC-NOPE")

    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "okänt ärende 'SC-NOPE'" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stdout == ""


def test_the_environment_variables_stand_in_for_db_as_and_now(demo_file):
    env = environment(SCREENING_DB=demo_file, SCREENING_USER="ostersund-reception", SCREENING_NOW=NOW)
    registered = screening("--json", "case", "register", "--birth-date", "2019-04-02",
                           "--municipality", "Östersund", "--personnummer", pnr(), env=env)
    assert registered.returncode == 0, registered.stderr
    case_id = json.loads(registered.stdout)["id"]

    shown = screening("--json", "case", "show", case_id, env=env)

    assert shown.returncode == 0, shown.stderr
    case = json.loads(shown.stdout)
    assert case["id"] == case_id
    assert case["notice_at"] == "2026-11-23T10:00:00+01:00"  # SCREENING_NOW was the clock
    assert case["age"] == 7
