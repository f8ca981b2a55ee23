"""The README's main job (`make demo`) runs to the end and leaves messages, a report and a chart a
newcomer can open."""

from __future__ import annotations

import subprocess
import sys
from email import message_from_bytes
from email import policy as email_policy

import pytest

TODAY = "2026-11-23T10:00"  # the demo's last moment (by default it is the moment it is run)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    result = subprocess.run([sys.executable, "-m", "screening.cli.demo", "--no-serve", "--today", TODAY], cwd=folder,
                            capture_output=True, check=False, text=True, timeout=300)
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


def test_the_demo_says_nothing_on_stderr_a_user_could_take_for_a_fault(demo):
    folder, _ = demo
    again = subprocess.run([sys.executable, "-m", "screening.cli.demo", "--no-serve"], cwd=folder,
                           capture_output=True, check=False, text=True, timeout=300)
    assert again.returncode == 0 and again.stderr == ""


def test_the_demo_holds_no_appointment_before_its_booked_time(demo):
    import sqlite3

    folder, _ = demo
    with sqlite3.connect(folder / "demo.db") as conn:
        held, early = conn.execute(
            "SELECT COUNT(*), TOTAL(samples_taken_at < conversation_start) + TOTAL(examined_at < examination_start) "
            "FROM screening_case WHERE samples_taken_at IS NOT NULL").fetchone()
    assert held > 40 and early == 0


def test_the_demo_reads_swedish_and_shows_organisations_by_name(demo):
    _, stdout = demo
    assert "Hälsocentralen Lugnvik" in stdout and "hc-lugnvik │" not in stdout
    assert "examination_booked" not in stdout and "not_started" not in stdout  # states in words
    assert "T10:00:00" not in stdout  # times in local form, never raw ISO


def test_the_demo_prints_a_few_families_letters(demo):
    folder, stdout = demo
    letters = sorted((folder / "demo-out" / "letters").glob("*.pdf"))
    assert len(letters) >= 3 and all(path.read_bytes().startswith(b"%PDF-") for path in letters)
    assert "demo-out/letters/" in stdout


def test_the_demo_serves_its_region_with_the_shortcut_and_stops_on_ctrl_c(demo):
    """`make demo` ends by serving (here `--serve-only`, over the run's database): the address and the
    people to sign in as printed, the shortcut signs one in, Ctrl-C (SIGINT) stops it with exit 0."""
    import re
    import signal
    import time

    import httpx

    folder, _ = demo
    server = subprocess.Popen([sys.executable, "-m", "screening.cli.demo", "--serve-only", "--port", "0"], cwd=folder,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        printed = [server.stdout.readline() for _ in range(4)]
        address = re.search(r"http://127\.0\.0\.1:[0-9]+", printed[1]).group(0)
        assert f"{address}/demo" in printed[2] and printed[3].split() == ["Roll", "Organisation", "Användar-id"]
        deadline = time.monotonic() + 30
        while True:
            try:
                signin = httpx.get(f"{address}/signin", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()
                time.sleep(0.2)
        assert 'href="/demo"' in signin.text
        sent = httpx.post(f"{address}/demo", data={"user": "hc-lugnvik"}, headers={"origin": address})
        assert sent.status_code == 303
        me = httpx.get(f"{address}/api/me", cookies={"screening_session": sent.cookies["screening_session"]})
        assert me.json()["id"] == "hc-lugnvik"
    finally:
        server.send_signal(signal.SIGINT)
        try:
            code = server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            raise
    rest = server.stdout.read()
    assert code == 0 and "hc-lugnvik" in "".join(printed) + rest and "Traceback" not in server.stderr.read()
