"""Files the product writes are its owner's only, and never written through a link someone planted:
the SQLite database, backups, messages (.eml), calendars (.ics), reports (CSV), charts."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.support import COORDINATOR, HC, NOW, RECEPTION, register

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def owner_only():
    """The umask a shell most often has (022): the product must not rely on it."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def screening(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """The command in its own process under umask 022, as an operator's shell runs it."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")} | (env or {})
    return subprocess.run(["sh", "-c", 'umask 022; exec "$0" -c "import cli, sys; sys.exit(cli.main())" "$@"',
                           sys.executable, *args], capture_output=True, text=True, env=environment, cwd=ROOT,
                          timeout=120)


def test_the_sqlite_database_its_backup_and_messages_are_the_owners_only(tmp_path):
    db = tmp_path / "region.db"
    url = f"sqlite:///{db}"
    assert screening("--db", url, "init", "--demo").returncode == 0
    assert mode(db) == 0o600
    done = screening("--db", url, "--as", "admin", "backup", "--out", str(tmp_path / "copy.db"))
    assert done.returncode == 0, done.stderr
    assert mode(tmp_path / "copy.db") == 0o600
    notice = screening("--db", url, "--as", RECEPTION, "--now", NOW, "case", "register", "--birth-date", "2019-04-02",
                       "--municipality", "Östersund", "--json")
    case_id = __import__("json").loads(notice.stdout)["id"]
    assert screening("--db", url, "--as", RECEPTION, "--now", NOW, "case", "event", case_id,
                     "notify_parties").returncode == 0
    sent = screening("--db", url, "--as", COORDINATOR, "--now", NOW, "outbox", "send", "--dir", str(tmp_path / "out"))
    assert sent.returncode == 0, sent.stderr
    messages = list((tmp_path / "out").glob("*.eml"))
    assert messages and {mode(path) for path in messages} == {0o600}


def test_with_the_group_granted_the_files_are_the_groups_to_read(tmp_path):
    db = tmp_path / "region.db"
    assert screening("--db", f"sqlite:///{db}", "init", "--demo", env={"SCREENING_FILE_GROUP": "1"}).returncode == 0
    assert mode(db) == 0o640


def test_a_report_and_a_calendar_are_the_owners_only(run, cli_db, tmp_path, owner_only):
    report = tmp_path / "report.csv"
    assert run("report", "--format", "csv", "--out", str(report), db=cli_db, user=COORDINATOR, now=NOW,
               json_output=False).code == 0
    calendar = tmp_path / "lugnvik.ics"
    assert run("calendar", "export", "--health-centre", HC, "--out", str(calendar), db=cli_db, user=HC,
               now=NOW).code == 0
    assert mode(report) == 0o600 and mode(calendar) == 0o600


def test_a_link_planted_where_a_message_goes_is_refused_not_followed(run, cli_db, tmp_path):
    case_id = register(run, cli_db)
    assert run("case", "event", case_id, "notify_parties", db=cli_db, user=RECEPTION, now=NOW).code == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("kept")
    out = tmp_path / "out"
    out.mkdir()
    version = run("case", "show", case_id, db=cli_db, user=HC, now=NOW).data["version"]
    planted = out / f"notify_parties-{case_id}-{version}-health_centre.eml"  # the name the HC's notice takes
    planted.symlink_to(victim)
    assert run("outbox", "send", "--dir", str(out), db=cli_db, user=COORDINATOR, now=NOW).code == 0
    assert victim.read_text() == "kept"
    [waiting] = [m for m in run("outbox", "list", db=cli_db, user=COORDINATOR, now=NOW).data
                 if m["key"].endswith(":health_centre")]
    assert waiting["status"] == "queued" and "is a symbolic link" in waiting["last_error"]


def test_a_message_folder_that_is_a_link_is_refused(run, cli_db, tmp_path):
    case_id = register(run, cli_db)
    assert run("case", "event", case_id, "notify_parties", db=cli_db, user=RECEPTION, now=NOW).code == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "out").symlink_to(elsewhere, target_is_directory=True)
    run("outbox", "send", "--dir", str(tmp_path / "out"), db=cli_db, user=COORDINATOR, now=NOW)
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("planted", ["target", "partial"])
def test_an_out_file_or_its_partial_that_is_a_link_is_never_written_through(run, cli_db, tmp_path, planted):
    from tests.e2e.support import assert_one_line_error

    victim = tmp_path / "victim.txt"
    victim.write_text("kept")
    target = tmp_path / "report.csv"
    (target if planted == "target" else tmp_path / ".report.csv.partial").symlink_to(victim)
    result = run("report", "--format", "csv", "--out", str(target), db=cli_db, user=COORDINATOR, now=NOW,
                 json_output=planted == "target")
    if planted == "target":
        assert assert_one_line_error(result, 2)["message"].endswith("är en symbolisk länk; programmet skriver inte "
                                                                    "genom länkar")
    else:  # a partial left behind (or planted) is removed, not followed
        assert result.code == 0 and target.read_bytes().startswith(b"\xef\xbb\xbf")
    assert victim.read_text() == "kept"
