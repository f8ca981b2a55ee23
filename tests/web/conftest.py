"""The pages in-process (Starlette's TestClient) over a demo database, its clock a hand the test moves
(`Site.at`): the sign-in's lock-out, the throttle and TOTP codes follow it; nothing depends on the
date the tests run. Every person, password and code is invented."""

from __future__ import annotations

import re
import warnings
from datetime import datetime, timedelta

import pyotp
import pytest

from screening.bootstrap import App, Clock
from screening.clock import STOCKHOLM
from screening.services import accounts, users
from screening.settings import Settings

T = datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM)  # a Monday
PERSON = "hc-lugnvik"  # the demo's first person of Hälsocentralen Lugnvik
OWN_PASSWORD = "blåbär-regnrock-fyrtorn-3"


class Site:
    """The server over the database at a time the test sets; browsers with their own cookies."""

    def __init__(self, url: str, env: dict | None = None):
        self.url = url
        self.now = T
        self.app = App(url, Settings(env or {}), Clock(None, system=lambda: self.now))

    def at(self, when: datetime) -> None:
        self.now = when

    def later(self, **delta) -> None:
        self.now = self.now + timedelta(**delta)

    def browser(self, **options):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # starlette's note that httpx2 is coming
            from starlette.testclient import TestClient

        from web.app import create

        return TestClient(create(self.app), raise_server_exceptions=False, **options)

    def admin(self):
        return users.identify(self.app, "admin")

    def one_time_password(self, user: str = PERSON) -> str:
        return accounts.set_password(self.app, self.admin(), user)["password"]

    def set_up(self, browser, user: str = PERSON) -> pyotp.TOTP:
        """The account set up through the pages (one-time password, the factor, a password of one's
        own) and signed out: the person's authenticator."""
        password = self.one_time_password(user)
        sign_in(browser, user, password)
        page = browser.get("/totp")
        totp = pyotp.TOTP(secret_of(page.text))
        assert browser.post("/totp", data={"csrf": csrf_of(page.text), "code": totp.at(self.now)}).status_code == 200
        self.later(seconds=30)
        done = browser.post("/password", data={"csrf": csrf_of(page.text), "current": password,
                                               "new": OWN_PASSWORD, "repeat": OWN_PASSWORD}, follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == "/"
        assert browser.post("/signout", data={"csrf": csrf_of(page.text)}, follow_redirects=False).status_code == 303
        self.later(seconds=30)
        return totp


def sign_in(browser, user: str, password: str, code: str = ""):
    """POST /signin (not followed)."""
    return browser.post("/signin", data={"user": user, "password": password, "code": code}, follow_redirects=False)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def secret_of(html: str) -> str:
    return re.search(r'id="secret">([^<]*)<', html).group(1).replace(" ", "")


@pytest.fixture
def site(demo_db) -> Site:
    return Site(demo_db)
