"""Who is asking: the person behind a request, from its personal token (`Authorization: Bearer`) or
from its session cookie (pages, and the API from a signed-in browser); the cookie set at sign-in and
cleared at sign-out; the CSRF token every state-changing request from a session must carry; the
throttle on failed attempts (429).

A session is the server's (`screening/services/sessions.py`): the cookie holds its random id, the
table only the id's hash. The cookie is `HttpOnly` and `SameSite=Lax`, and `Secure` when the request
came over HTTPS (directly or through a trusted proxy). A sign-in always starts a new session and ends
the one the browser held (no fixation).
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta
from typing import Callable

from fastapi import Request
from fastapi.responses import Response

from screening.errors import NotSignedIn, Refused
from screening.model import Actor
from screening.services import sessions, tokens
from web.proxies import over_https, trusted

COOKIE = "screening_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


class TooMany(Refused):
    """Too many failed attempts from one address in a short while (HTTP 429)."""

    code = "too_many"


class BadCsrf(Refused):
    """A state-changing request from a session without the session's CSRF token (HTTP 403)."""

    code = "csrf"


class SetUpFirst(Refused):
    """A session whose local account is not yet set up (no second factor, or a one-time password) asked
    for anything but setting it up (HTTP 403)."""

    code = "setup_required"


def bearer(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def session_id(request: Request) -> str | None:
    return request.cookies.get(COOKIE) or None


def person(request: Request, token: str | None = None, *, csrf: str | None = None, setup: bool = False) -> Actor:
    """The person behind the request: its token's (a token given wins over a cookie), else its session's.
    A request from a session that changes something must carry the session's CSRF token: in the
    `X-CSRF-Token` header (the API), or `csrf` given here (a page's form field). Failed tokens from one
    address are throttled (429 until the window passes). A session that may only set its account up
    is refused (403) unless `setup` (the pages that set it up)."""
    app = request.app.state.screening
    token = token or bearer(request)
    if token:
        throttle = request.app.state.throttle
        address = client_address(request)
        throttle.check(address)
        try:
            return tokens.authenticate(app, token)
        except NotSignedIn:
            throttle.failed(address)
            raise
    return signed_in(request, csrf=csrf, setup=setup).actor


def signed_in(request: Request, *, csrf: str | None = None, setup: bool = False) -> sessions.Current:
    """The request's session (pages): its person, their name and organisation's, and the set-up step
    their account still needs; as `person` checks it (401, the CSRF token, 403 while set-up-only)."""
    session = session_id(request)
    found = sessions.current(request.app.state.screening, session)
    if found is None:
        raise NotSignedIn("not signed in: sign in, or give a valid personal token (Authorization: Bearer)")
    if request.method not in SAFE and not sessions.check_csrf(session, csrf or request.headers.get(CSRF_HEADER)):
        raise BadCsrf("the request lacks this session's CSRF token: reload the page and try again")
    if found.setup is not None and not setup:
        raise SetUpFirst("this session may only set up its account: sign in on a page, then enrol the second "
                         "factor and choose your own password")
    return found


def begin(request: Request, response: Response, started: dict) -> None:
    """After a sign-in: the browser's old session ended on the server, the new one's cookie set."""
    sessions.end(request.app.state.screening, session_id(request))
    response.set_cookie(COOKIE, started["session"], httponly=True, samesite="lax", secure=over_https(request),
                        path="/")


def finish(request: Request, response: Response) -> None:
    """Sign-out: the session ended on the server, its cookie cleared in the browser."""
    sessions.end(request.app.state.screening, session_id(request))
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=over_https(request))


def csrf_of(request: Request) -> str | None:
    """The CSRF token of the request's session, for a page's forms."""
    from screening import accounts

    session = session_id(request)
    return accounts.csrf_token(session) if session else None


def client_address(request: Request) -> str:
    """The client's address: the connection's; through trusted proxies, the address the outermost of
    them saw: `X-Forwarded-For` read from the right, past the proxies the server trusts (an address a
    client put there itself is further left, and never reached)."""
    host = request.client.host if request.client else "?"
    networks = request.app.state.trusted
    if not trusted(host, networks):
        return host
    for address in reversed(request.headers.get("x-forwarded-for", "").split(",")):
        address = address.strip()
        if address and not trusted(address, networks):
            return address
        host = address or host
    return host


class Throttle:
    """At most `limit` failures per key (an address, an account) within `window`; after that every
    attempt from the key is refused (`TooMany`) until the oldest failure leaves the window. Kept in
    the server's memory (one process); the clock is given (the App's real time), so tests set it."""

    KEYS = 100_000  # beyond this, the oldest keys are forgotten: memory stays bounded under a flood

    def __init__(self, limit: int, window: timedelta, now: Callable[[], datetime]):
        self.limit, self.window, self.now = limit, window, now
        self.failures: dict[str, deque] = {}
        self.lock = threading.Lock()

    def _recent(self, key: str, now: datetime) -> deque:
        seen = self.failures.get(key)
        if seen is None:
            return deque()
        while seen and now - seen[0] >= self.window:
            seen.popleft()
        if not seen:
            del self.failures[key]
        return seen

    def check(self, key: str) -> None:
        with self.lock:
            if len(self._recent(key, self.now())) >= self.limit:
                raise TooMany("too many failed attempts: wait a while and try again")

    def failed(self, key: str) -> None:
        with self.lock:
            now = self.now()
            seen = self._recent(key, now)
            if not seen:
                if len(self.failures) >= self.KEYS:
                    self.failures.pop(next(iter(self.failures)))
                self.failures[key] = seen
            seen.append(now)
