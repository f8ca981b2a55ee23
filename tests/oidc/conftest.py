"""An independent OpenID provider on 127.0.0.1 for the sign-in tests: the npm package `oidc-provider`
(pinned in tests/oidc/provider/package-lock.json, installed by `npm ci`), configured by
tests/oidc/provider/server.js, run by node for the whole test session.

Without node (or when its packages cannot be installed) the tests are skipped with the reason,
except under SCREENING_REQUIRE_OIDC=1 (CI), where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest

PROVIDER = Path(__file__).parent / "provider"
CALLBACK = "http://testserver/signin/oidc/callback"  # Starlette's TestClient is http://testserver


def _unavailable(reason: str):
    if os.environ.get("SCREENING_REQUIRE_OIDC"):
        pytest.fail(reason)
    pytest.skip(reason)


def _installed(node: str) -> None:
    if (PROVIDER / "node_modules" / "oidc-provider").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        _unavailable("the identity provider's packages are not installed and npm is not on the PATH")
    done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER, capture_output=True, text=True,
                          check=False, timeout=300)
    if done.returncode != 0:
        _unavailable(f"npm ci failed in {PROVIDER}: {done.stderr.strip()[-300:]}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def provider(tmp_path_factory) -> str:
    """The provider's issuer (http://127.0.0.1:PORT); its discovery document below it."""
    node = shutil.which("node")
    if node is None:
        _unavailable("node is not on the PATH: the OpenID provider of the tests (oidc-provider) needs it")
    _installed(node)
    port = _free_port()
    log = tmp_path_factory.mktemp("provider") / "provider.log"
    env = {**os.environ, "PROVIDER_PORT": str(port), "PROVIDER_REDIRECT_URI": CALLBACK, "NODE_ENV": "test"}
    with log.open("w") as errors:
        process = subprocess.Popen([node, "server.js"], cwd=PROVIDER, env=env, stdout=subprocess.PIPE,
                                   stderr=errors, text=True)
    first: list[str] = []
    reader = threading.Thread(target=lambda: first.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(30)
    if not first or not first[0].startswith("ready "):
        process.kill()
        _unavailable(f"the OpenID provider did not start: {log.read_text()[-500:]}")
    try:
        yield first[0].split()[1]
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
