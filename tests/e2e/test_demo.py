"""The README's main job (`make demo`) runs to the end and leaves messages, a report and a chart a
newcomer can open."""

from __future__ import annotations

import subprocess
import sys
from email import message_from_bytes
from email import policy as email_policy

import pytest


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    result = subprocess.run([sys.executable, "-m", "screening.cli.demo"], cwd=folder, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    return folder, result.stdout


def test_the_demo_runs_and_writes_its_messages_to_a_folder(demo):
    folder, _ = demo
    messages = sorted((folder / "demo-out" / "outbox").glob("*.eml"))
    kinds = {path.name.split("-SC-")[0].split("-")[0] for path in messages}
    assert {"alert", "notify_parties", "book_health_conversation"} <= kinds
    booking = next(path for path in messages if path.name.startswith("book_health_conversation"))
    mail = message_from_bytes(booking.read_bytes(), policy=email_policy.default)
    assert any(part.get_content_type() == "text/calendar" for part in mail.iter_attachments())
    assert (folder / "demo.db").exists()


def test_the_demo_leaves_a_report_for_excel_and_a_chart(demo):
    folder, stdout = demo
    sheet = (folder / "demo-out" / "uppfoljning.csv").read_bytes()
    assert sheet.startswith(b"\xef\xbb\xbfKommun;") and "Östersund;".encode() in sheet
    assert (folder / "demo-out" / "uppfoljning.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Andel bokade inom 5 arbetsdagar" in stdout


def test_the_demo_shows_each_command_as_it_can_be_typed_again(demo):
    _, stdout = demo
    shown = [line for line in stdout.splitlines() if line.startswith("\033[1m$ screening ")]
    assert shown and all("--db sqlite:///demo.db --now " in line for line in shown), shown[:3]
