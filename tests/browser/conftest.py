"""The pages in a real browser: `screening serve` as a process over a demo database (made by
`screening init --demo`), driven by Playwright through Debian's Chromium, headless, with axe-core
(tests/browser/package.json, installed by `npm ci`) checking every page.

The server keeps the system's clock (it refuses --now), so the accounts and their TOTP codes are made
on it too. Chromium is /usr/bin/chromium, or the path in SCREENING_CHROMIUM; without it (or without the
`playwright` package, or axe-core and npm) the tests are skipped with the reason, except under
SCREENING_REQUIRE_BROWSER=1 (CI), where they fail instead. Every person, password and code is invented.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
SCREENS = ROOT / "docs" / "screens"
CHROMIUM = os.environ.get("SCREENING_CHROMIUM", "/usr/bin/chromium")
# A closed network: no background connections, no first-run work, a new empty profile (a
# non-persistent context) each time.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}
PASSWORD = "moln-fyrtorn-kanel-47"
WALKER = "hc-lugnvik"  # signs in with a password and a code
HOLDER = "are-reception"  # the signed-in pages, a session made by the service
NEWCOMER = "hc-lugnvik-2"  # a one-time password, enrols the factor on the page


def unavailable(reason: str):
    if os.environ.get("SCREENING_REQUIRE_BROWSER"):
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Account:
    """A local account with a password and a confirmed TOTP factor; its codes each used once."""

    user: str
    totp: object
    last_step: int = field(default=0)

    def code(self) -> str:
        """A code the server takes now: the current step's, or the next one's if this step is used up."""
        while True:
            current = int(time.time()) // 30
            step = max(current, self.last_step + 1)
            if step <= current + 1:  # the server accepts one step either side
                self.last_step = step
                return self.totp.generate_otp(step)
            time.sleep(1)


class Server:
    """`screening serve` over the demo database; the accounts made for the browser."""

    def __init__(self, url: str, base: str):
        self.url, self.base = url, base
        self.accounts: dict[str, Account] = {}

    def app(self):
        from screening.bootstrap import App, Clock
        from screening.settings import Settings

        return App(self.url, Settings({}), Clock(None))  # the system's clock, as the server's

    def account(self, user: str) -> Account:
        """`user`'s own password PASSWORD, and a TOTP factor enrolled by the admin and confirmed with the
        code of the step before (the one after stays free for the first sign-in)."""
        import pyotp

        from screening.services import accounts, users

        app = self.app()
        admin = users.identify(app, "admin")
        accounts.set_password(app, users.identify(app, user), user, PASSWORD)
        totp = pyotp.parse_uri(accounts.enrol_totp(app, admin, user)["uri"])
        step = int(time.time()) // 30 - 1
        accounts.confirm_totp(app, admin, user, totp.generate_otp(step))
        self.accounts[user] = made = Account(user, totp, step)
        return made

    def one_time_password(self, user: str) -> str:
        from screening.services import accounts, users

        app = self.app()
        return accounts.set_password(app, users.identify(app, "admin"), user)["password"]

    def session(self, user: str) -> str:
        """A session of `user` started by the service, as a sign-in would: its cookie's value."""
        from screening.services import sessions

        return sessions.start(self.app(), user)["session"]


def _environment() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")}


@pytest.fixture(scope="package")
def server(tmp_path_factory):
    """The real command, `screening serve --db URL --port PORT`, for the browser tests; SIGTERM at the end."""
    import httpx

    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'demo.db'}"
    env = _environment()
    made = subprocess.run([sys.executable, str(ROOT / "cli.py"), "--db", url, "init", "--demo"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert made.returncode == 0, made.stderr
    port = _free_port()
    log = (folder / "serve.log").open("w")
    process = subprocess.Popen([sys.executable, str(ROOT / "cli.py"), "--db", url, "serve", "--port", str(port)],
                               cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/signin", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, (folder / "serve.log").read_text()
            assert time.monotonic() < deadline, "the server did not answer within 30 s"
            time.sleep(0.2)
        served = Server(url, base)
        served.account(WALKER)
        served.account(HOLDER)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@pytest.fixture(scope="package")
def axe_source() -> str:
    """axe-core's script, from tests/browser/node_modules (`npm ci` there, run here if it was not)."""
    if not AXE.is_file():
        npm = shutil.which("npm")
        if npm is None:
            unavailable("axe-core is not installed in tests/browser and npm is not on the PATH (run npm ci there)")
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, capture_output=True, text=True,
                              check=False, timeout=300)
        if done.returncode != 0 or not AXE.is_file():
            unavailable(f"npm ci failed in {HERE}: {done.stderr.strip()[-300:]}")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="package")
def browser():
    """Headless Chromium (Debian's, never a browser Playwright downloads), for the browser tests."""
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"no Chromium at {CHROMIUM} (apt install chromium, or set SCREENING_CHROMIUM to its path)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@dataclass
class Watched:
    """A browser tab on the server; what its console said (a CSP violation is reported there)."""

    page: object
    context: object
    console: list = field(default_factory=list)

    def csp_violations(self) -> list[str]:
        return [text for text in self.console if "Content Security Policy" in text]


@pytest.fixture
def locale() -> str:
    """The browser's language (its Accept-Language); a test parametrizes `locale` for another."""
    return "sv-SE"


@pytest.fixture
def tab(browser, server, locale):
    """A new empty profile (non-persistent context) at 1280x800 in `locale`; after the test, no CSP
    violation may have been reported on its console."""
    context = browser.new_context(viewport=VIEWPORT, locale=locale, timezone_id="Europe/Stockholm",
                                  base_url=server.base, color_scheme="light", reduced_motion="reduce")
    context.set_default_timeout(10_000)
    page = context.new_page()
    watched = Watched(page, context)
    page.on("console", lambda message: watched.console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: watched.console.append(f"pageerror: {error}"))
    yield watched
    context.close()
    assert not watched.csp_violations(), watched.csp_violations()


def enter(page, field, path: str):
    """Enter in `field` (a locator): the form is sent, and the browser ends on a 200 page at `path`."""
    from urllib.parse import urlsplit

    with page.expect_navigation() as sent:
        field.press("Enter")
    status, at = sent.value.status, urlsplit(page.url).path
    assert (status, at) == (200, path), f"{status} at {at}, not {path}: {page.locator('main').inner_text()}"


def screenshot(page, name: str, mask: list | None = None) -> Path:
    """The page as docs/screens/NAME.png, at the fixed viewport; what changes from run to run (a secret,
    a time) under `mask`'s grey boxes, so that the picture stays the same while the page does."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    page.screenshot(path=str(path), animations="disabled", caret="hide", mask=mask or [], mask_color="#d0d0d0")
    return path
