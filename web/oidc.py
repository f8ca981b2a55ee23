"""Sign-in through the region's identity provider (OpenID Connect): `GET /signin/oidc` sends the browser
to the provider, `GET /signin/oidc/callback` takes its answer (`screening.services.identity_provider`).

The flow's state is kept on the server (hashed) and in a cookie that binds it to the browser that
began it: `HttpOnly`, `SameSite=Lax` (the provider's redirect back is a top-level GET, which Lax lets
through), ten minutes, for these two paths only. A success starts a new session (`web.people.begin`:
no fixation) and goes to `/`; every refusal is logged with its reason (never a token), counted by the
address's throttle, and shown as a page (a browser) or an error document (401 or 403).
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException

from screening.sayings import said
from screening.services import identity_provider
from screening.services.identity_provider import PersonRefused, SignInRefused
from web import people

router = APIRouter(include_in_schema=False)
log = logging.getLogger("screening.signin")

FLOW_COOKIE = "screening_oidc"
FLOW_PATH = "/signin/oidc"
START, CALLBACK = "/signin/oidc", "/signin/oidc/callback"


@router.get(START)
def start(request: Request) -> Response:
    """To the identity provider, with a new flow's state bound to this browser."""
    app = request.app.state.screening
    if not identity_provider.configured(app):
        raise HTTPException(404)
    try:
        begun = identity_provider.begin(app)
    except SignInRefused as refusal:
        return refused(request, refusal)
    response = RedirectResponse(begun["url"], status_code=303)
    response.set_cookie(FLOW_COOKIE, begun["state"], max_age=int(identity_provider.FLOW_LIFETIME.total_seconds()),
                        httponly=True, samesite="lax", secure=people.over_https(request), path=FLOW_PATH)
    return response


@router.get(CALLBACK)
def callback(request: Request, state: str | None = None, code: str | None = None, error: str | None = None,
             iss: str | None = None) -> Response:
    """The provider's answer: a new session and 303 to /, or a refusal."""
    app = request.app.state.screening
    if not identity_provider.configured(app):
        raise HTTPException(404)
    throttle, address = request.app.state.throttle, people.client_address(request)
    throttle.check(address)
    try:
        started = identity_provider.finish(app, state=state, browser_state=request.cookies.get(FLOW_COOKIE),
                                           code=code, error=error, issuer=iss)
    except (SignInRefused, PersonRefused) as refusal:
        throttle.failed(address)
        return refused(request, refusal)
    response = RedirectResponse("/", status_code=303)
    people.begin(request, response, started)
    forget_flow(request, response)
    return response


def refused(request: Request, refusal: SignInRefused | PersonRefused) -> Response:
    """The refusal logged (its reason, what is known of the person; no token) and said to the person."""
    from web.answers import failure, language, status_of

    known = refusal.known
    log.warning("signin_failed via=oidc reason=%s detail=%r issuer=%r subject=%r user=%r address=%s",
                refusal.reason, refusal.detail, known.get("issuer"), known.get("subject"), known.get("user"),
                people.client_address(request))
    status, lang = status_of(refusal), language(request)
    text = said(refusal, lang)
    if "text/html" in request.headers.get("accept", ""):
        from web import pages

        response = pages.message(request, status, text, back=START if status == 401 else "/")
    else:
        response = failure(request, status, refusal.code, text)
    forget_flow(request, response)
    return response


def forget_flow(request: Request, response: Response) -> None:
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH, httponly=True, samesite="lax",
                           secure=people.over_https(request))
