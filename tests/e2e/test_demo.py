"""The README's main job (`make demo`) runs to the end and leaves messages a newcomer can open."""

from __future__ import annotations

import subprocess
import sys
from email import message_from_bytes, policy as email_policy
from pathlib import Path


def test_the_demo_runs_and_writes_its_messages_to_a_folder(tmp_path):
    result = subprocess.run([sys.executable, "-m", "screening.demo"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    messages = sorted((tmp_path / "demo-out" / "outbox").glob("*.eml"))
    kinds = {path.name.split("-SC-")[0].split("-")[0] for path in messages}
    assert {"alert", "notify_parties", "book_health_conversation"} <= kinds
    booking = next(path for path in messages if path.name.startswith("book_health_conversation"))
    mail = message_from_bytes(booking.read_bytes(), policy=email_policy.default)
    assert any(part.get_content_type() == "text/calendar" for part in mail.iter_attachments())
    assert Path(tmp_path / "demo.db").exists()
