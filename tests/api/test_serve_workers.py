"""`screening serve --workers 2`: several server processes on one port, each answering with a token
and writing the reads it serves to the audit trail; SIGTERM stops them all, exit 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.api.test_serve import free_port

ROOT = Path(__file__).resolve().parents[2]


def workers_of(pid: int) -> set[int]:
    """The worker processes uvicorn's supervisor started (multiprocessing's spawned children; not its
    resource tracker, which goes on its own a moment later)."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.add(int(child))
    return found


def test_two_workers_answer_audit_their_reads_and_stop_on_sigterm_with_exit_0(cli_db, run):
    from screening.bootstrap import bootstrap
    from screening.services import tokens, users

    registered = run("case", "register", "--birth-date", "2019-04-02", "--municipality", "Östersund",
                     "--dossier", "11112222", db=cli_db, user="ostersund-reception", now="2026-11-23T10:00")
    assert registered.code == 0, registered.err
    case_id = registered.data["id"]
    app = bootstrap(cli_db, env={})
    token = tokens.create(app, users.identify(app, "hc-lugnvik"))["token"]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    server = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "--db", cli_db, "serve", "--port", str(port),
                               "--workers", "2"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              start_new_session=True)  # its own process group: a failure kills the workers too
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/me")
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        workers = workers_of(server.pid)
        assert len(workers) == 2
        headers = {"Authorization": f"Bearer {token}"}
        # a new connection for each request, so that both workers serve some
        answers = [httpx.get(f"http://127.0.0.1:{port}/api/cases/{case_id}", headers=headers) for _ in range(20)]
        assert [a.status_code for a in answers] == [200] * 20, answers[0].text
        assert answers[0].json()["id"] == case_id
        history = run("case", "history", case_id, "--reads", db=cli_db, user="region-coordinator")
        assert sum(1 for entry in history.data if entry["action"] == "show" and entry["user"] == "hc-lugnvik") == 20
        server.send_signal(signal.SIGTERM)
        _, err = server.communicate(timeout=45)
        assert server.returncode == 0, err
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers)  # no worker left behind
    finally:
        try:
            os.killpg(server.pid, signal.SIGKILL)  # what is left of the group: the workers hold the pipes too
        except ProcessLookupError:
            pass
        if server.returncode is None:
            server.communicate(timeout=30)
