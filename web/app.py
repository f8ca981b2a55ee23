"""The server's application: `create(app)` gives the FastAPI app over one screening `App` (made once
per process), with the API's routes (`web.api`), the person behind each request, the services'
errors as HTTP statuses and `{"error": {"code", "message"}}` documents, and the security headers.

FastAPI: the OpenAPI description comes from the routes and their pydantic bodies; its interactive
pages (Swagger UI, ReDoc) are off, since they load scripts from elsewhere and inline (the CSP forbids both).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from screening.errors import NotSignedIn, ScreeningError
from screening.sayings import said, say
from web.documents import Document
from web.people import Throttle, TooMany
from web.proxies import over_https, trusted_proxies

log = logging.getLogger("screening.web")

HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
                               "object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",  # a case, a note, a report: never kept by a browser or a proxy
}
HSTS = "max-age=31536000; includeSubDomains"
THROTTLE_FAILURES, THROTTLE_WINDOW = 20, timedelta(minutes=10)  # failed tokens or sign-ins per address


def create(app) -> FastAPI:
    """The server over `app` (database, settings, clock), as `screening serve` runs it and tests call it."""
    from web import api

    server = FastAPI(title="screening", version="1", openapi_url="/api/openapi.json", docs_url=None,
                     redoc_url=None, default_response_class=Document)
    server.state.screening = app
    server.state.trusted = trusted_proxies(app.settings.env.get("SCREENING_TRUSTED_PROXIES", ""))
    server.state.throttle = Throttle(THROTTLE_FAILURES, THROTTLE_WINDOW, app.clock.real)
    server.include_router(api.router)
    server.add_exception_handler(ScreeningError, refused)
    server.add_exception_handler(RequestValidationError, invalid)
    server.add_exception_handler(HTTPException, http_error)
    server.middleware("http")(guarded)
    return server


def status_of(error: ScreeningError) -> int:
    """The command's exit code as an HTTP status: 1 refused (403), 2 bad input (422); a case changed
    meanwhile 409; an unknown case, or one out of scope (alike), 404; no person 401."""
    if isinstance(error, NotSignedIn):
        return 401
    if isinstance(error, TooMany):
        return 429
    if error.code == "conflict":
        return 409
    if error.code == "not_found":
        return 404
    return 422 if error.exit_code == 2 else 403


def failure(request: Request, status: int, code: str, message: str) -> Document:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {"Retry-After": "600"} if status == 429 else None
    return Document({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def language(request: Request) -> str:
    """The caller's language: the first of sv and en that `Accept-Language` asks for, else the server's
    setting (SCREENING_LANGUAGE: sv, or en)."""
    asked = []
    for position, part in enumerate(request.headers.get("accept-language", "").split(",")[:20]):
        tag, _, weight = part.strip().partition(";q=")
        try:
            quality = float(weight) if weight else 1.0
        except ValueError:
            continue
        asked.append((-quality, position, tag.split("-")[0].strip().lower()))
    chosen = next((tag for quality, _, tag in sorted(asked) if tag in ("sv", "en") and quality < 0), None)
    return chosen or request.app.state.screening.settings.language


async def refused(request: Request, error: ScreeningError) -> Document:
    return failure(request, status_of(error), error.code, said(error, language(request)))


async def invalid(request: Request, error: RequestValidationError) -> Document:
    problems = error.errors()
    first = problems[0] if problems else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part != "body") or "?"
    message = say("the request's {field} is not valid: {detail}", {"field": where, "detail": first.get("msg", "")},
                  language(request))
    return failure(request, 422, "bad_input", message)


async def http_error(request: Request, error: HTTPException) -> Document:
    lang = language(request)
    if error.status_code == 404:
        return failure(request, 404, "not_found", say("there is nothing at this address", {}, lang))
    if error.status_code == 405:
        return failure(request, 405, "method_not_allowed", say("this address does not take that method", {}, lang))
    return failure(request, error.status_code, "http", HTTPStatus(error.status_code).phrase)


async def guarded(request: Request, call_next):
    """Every response with the security headers; a failure that is not ours a 500 with a generic message
    (the unit of work under way rolled back: nothing half-written), its traceback in the server's log only."""
    try:
        response = await call_next(request)
    except Exception:
        log.exception("internal error on %s %s", request.method, request.url.path)
        response = failure(request, 500, "internal", say("internal error: the request was not carried out. "
                                                         "Please report it.", {}, language(request)))
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if over_https(request):
        response.headers["Strict-Transport-Security"] = HSTS
    return response
