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

from screening.bootstrap import DOOR
from screening.errors import ScreeningError
from screening.sayings import said, say
from web.answers import failure, language, status_of
from web.documents import Document
from web.people import Throttle, bearer
from web.proxies import over_https, trusted_proxies

log = logging.getLogger("screening.web")

HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
                               "object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # not no-referrer: a browser then sends `Origin: null` with our own forms
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",  # a case, a note, a report: never kept by a browser or a proxy
}
HSTS = "max-age=31536000; includeSubDomains"
THROTTLE_FAILURES, THROTTLE_WINDOW = 20, timedelta(minutes=10)  # failed tokens or sign-ins per address


def create(app) -> FastAPI:
    """The server over `app` (database, settings, clock), as `screening serve` runs it and tests call it."""
    from web import api, oidc

    server = FastAPI(title="screening", version="1", openapi_url="/api/openapi.json", docs_url=None,
                     redoc_url=None, default_response_class=Document)
    server.state.screening = app
    server.state.trusted = trusted_proxies(app.settings.env.get("SCREENING_TRUSTED_PROXIES", ""))
    server.state.throttle = Throttle(THROTTLE_FAILURES, THROTTLE_WINDOW, app.clock.real)
    server.include_router(api.router)
    server.include_router(oidc.router)  # sign-in through the region's identity provider
    app.settings.oidc  # noqa: B018 - parsed now: a provider set up wrongly stops the server at start
    install_pages(server)  # sign-in and the pages, their style sheet under /static
    server.add_exception_handler(ScreeningError, refused)
    server.add_exception_handler(RequestValidationError, invalid)
    server.add_exception_handler(HTTPException, http_error)
    server.middleware("http")(guarded)
    return server


def install_pages(server: FastAPI) -> None:
    """The pages (each module's router) and their style sheet on the server; `state.pages` the addresses
    they serve (the header's navigation names only those)."""
    from fastapi.staticfiles import StaticFiles

    from web import case_page, demo_signin, municipality, pages, profile, region, signin, worklist

    routers = (signin.router, profile.router, worklist.router, case_page.router, municipality.router, region.router,
               demo_signin.router)
    for router in routers:
        server.include_router(router)
    server.state.pages = frozenset(route.path for router in routers for route in router.routes)
    server.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
    server.add_exception_handler(pages.Page, pages.shown)


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
    (the unit of work under way rolled back: nothing half-written), its traceback in the server's log only.
    The request's door (`api:<token id>` or `page`) goes on every audit row it makes."""
    DOOR.set(door_of(request))
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


def door_of(request: Request) -> str:
    """How the request comes in, for the audit trail: with a token (`api:` and the token's public id,
    when it has the token's shape), or from a browser's session (`page`)."""
    token = bearer(request) or (request.query_params.get("token") if request.url.path.startswith("/api/calendar/")
                                else None)
    if token is None:
        return "page"
    prefix, _, rest = token.partition("_")
    token_id = rest.partition("_")[0]
    return f"api:{token_id}" if prefix == "scr" and len(token_id) == 12 and token_id.isalnum() else "api"
