"""The server in-process (Starlette's TestClient) over a database made by `init --demo`, with
personal tokens for the demo's users. The App's clock is fixed (the system's too: tokens keep it),
so nothing depends on the real date; `at(...)` gives a client at another time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from screening.bootstrap import App, Clock
from screening.clock import STOCKHOLM
from screening.settings import Settings
from tests.e2e import conftest as e2e

T = datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM)  # a Monday


def app_at(url: str, when: datetime = T, env: dict | None = None) -> App:
    return App(url, Settings(env or {}), Clock(when, system=lambda: when))


run, cli_db = e2e.run, e2e.cli_db  # the command line in-process, and a database made by `init --demo`


class Api:
    """Requests to the server as a demo user (its token), at a time of the fixed clock."""

    def __init__(self, url: str):
        self.url = url
        self.tokens: dict[str, str] = {}
        self.clients: dict = {}

    def client(self, when: datetime = T, env: dict | None = None, **options):
        import warnings

        from web.app import create

        key = (when, tuple(sorted((env or {}).items())), tuple(sorted(options.items())))
        if key not in self.clients:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # starlette's note that httpx2 is coming
                from starlette.testclient import TestClient

                self.clients[key] = TestClient(create(app_at(self.url, when, env)), raise_server_exceptions=False,
                                               **options)
        return self.clients[key]

    def token(self, user: str, days: int = 90, when: datetime = T) -> str:
        from screening.services import tokens, users

        if user not in self.tokens or days != 90 or when != T:
            app = app_at(self.url, when)
            made = tokens.create(app, users.identify(app, user), user, days)["token"]
            if days != 90 or when != T:
                return made
            self.tokens[user] = made
        return self.tokens[user]

    def call(self, method: str, path: str, user: str | None = None, when: datetime = T, token: str | None = None,
             **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        token = token or (self.token(user) if user else None)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.client(when).request(method, path, headers=headers, **kwargs)

    def get(self, path, user=None, **kwargs):
        return self.call("GET", path, user, **kwargs)

    def post(self, path, user=None, **kwargs):
        return self.call("POST", path, user, **kwargs)


@pytest.fixture
def api(cli_db):
    return Api(cli_db)


def later(hours: float) -> datetime:
    return T + timedelta(hours=hours)
