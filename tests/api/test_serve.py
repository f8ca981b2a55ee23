"""`screening serve` as a real process on a free port: it answers with a token and stops on SIGTERM
with exit 0. The token is made on the system's clock, as the server keeps it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_answers_with_a_token_and_stops_on_sigterm_with_exit_0(cli_db):
    from screening.bootstrap import bootstrap
    from screening.services import tokens, users

    app = bootstrap(cli_db, env={})
    token = tokens.create(app, users.identify(app, "hc-lugnvik"))["token"]
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}
    server = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "--db", cli_db, "serve", "--port", str(port)],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/me", headers={"Authorization": f"Bearer {token}"})
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.2)
        assert response.status_code == 200, response.text
        assert response.json()["id"] == "hc-lugnvik"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert httpx.get(f"http://127.0.0.1:{port}/api/me").status_code == 401
        server.send_signal(signal.SIGTERM)
        out, err = server.communicate(timeout=30)
        assert server.returncode == 0, err
        assert token.split("_", 2)[2].encode() not in out + err  # no access log names a token
    finally:
        if server.poll() is None:
            server.kill()
            server.communicate()


def test_serve_refuses_a_set_clock(run, cli_db):
    result = run("serve", "--port", str(free_port()), db=cli_db, now="2026-11-23T10:00", json_output=False)
    assert result.code == 2 and "--now" in result.err
