"""The pages of a local account: sign-in and sign-out, one's own password, the second factor's
enrolment (a QR code, its recovery codes once), one's API tokens, and the start page after sign-in.

Sign-in (`accounts.sign_in`): one message for every failure, and the server's throttle per address
(429). A success starts a new session and ends the browser's old one (`people.begin`: no fixation),
then sends the person on (303) to the start, or to the step their account still needs (/totp, then
/password): a session of an account with a one-time password and no confirmed factor may only set it
up. Every POST but the sign-in carries the session's CSRF token (`pages.visitor`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from screening.errors import ScreeningError
from screening.sayings import said
from screening.services import accounts, tokens
from screening.services.accounts import SignInFailed
from screening.words import Words
from web import pages, people
from web.pages import form, lang, render, visitor, words

router = APIRouter(include_in_schema=False)
Form = Annotated[dict, Depends(form)]


def _app(request: Request):
    return request.app.state.screening


def _throttled(request: Request) -> str:
    """The client's address, refused (a 429 page) while it has failed too often."""
    address = people.client_address(request)
    try:
        request.app.state.throttle.check(address)
    except people.TooMany:
        refused = pages.message(request, 429, words()[lang(request)]["too_many"], back="/signin",
                                title="too_many_title")
        refused.headers["Retry-After"] = "600"
        raise pages.Page(refused) from None
    return address


def same_origin(request: Request) -> bool:
    """A sign-in form posted from this server's own page (a browser sends Origin with a POST): another
    site cannot sign a browser in to an account of its choosing. This server is the request's Host, the
    X-Forwarded-Host of a trusted proxy, or SCREENING_BASE_URL's host."""
    from urllib.parse import urlsplit

    from web.proxies import trusted

    origin = request.headers.get("origin")
    if origin is None:
        return True
    ours = {request.headers.get("host", "")}
    client = request.client.host if request.client else ""
    if trusted(client, request.app.state.trusted):
        ours.add(request.headers.get("x-forwarded-host", "").split(",")[-1].strip())
    base = request.app.state.screening.settings.get("SCREENING_BASE_URL")
    if base:
        ours.add(urlsplit(base).netloc)
    return urlsplit(origin).netloc in ours - {""}


def _signin_page(request: Request, user: str = "", failed: str | None = None):
    return render(request, "signin.html", "signin_title", user=user, failed=failed)


@router.get("/signin")
def signin_page(request: Request):
    return _signin_page(request)


@router.post("/signin")
def signin(request: Request, fields: Form):
    if not same_origin(request):
        return pages.message(request, 403, words()[lang(request)]["csrf"], back="/signin")
    address = _throttled(request)
    user = fields.get("user", "").strip()
    try:
        started = accounts.sign_in(_app(request), user, fields.get("password", ""), fields.get("code", ""))
    except SignInFailed:
        request.app.state.throttle.failed(address)
        return _signin_page(request, user, words()[lang(request)]["signin_failed"])
    except ScreeningError as error:  # the server itself cannot sign anyone in (its secrets key)
        return _signin_page(request, user, said(error, lang(request)))
    response = RedirectResponse("/" + (started["setup"] or ""), status_code=303)
    people.begin(request, response, started)
    return response


@router.post("/signout")
def signout(request: Request, fields: Form):
    visitor(request, fields.get("csrf"), setup_page=True)
    response = RedirectResponse("/signin", status_code=303)
    people.finish(request, response)
    return response


@router.get("/")
def start(request: Request):
    """The person's start page: their role's first page (`pages.NAV`), else this one."""
    current = visitor(request)
    first = pages.start_of(request, current)
    if first is not None:
        return RedirectResponse(first, status_code=303)
    return render(request, "start.html", "start_title", current)


@router.get("/password")
def password_page(request: Request):
    current = visitor(request, setup_page=True)
    if current.setup == "totp":  # the factor first: a password of one's own with none would lock one out
        raise pages.redirect("/totp")
    return render(request, "password.html", "password_title", current, forced=current.setup == "password")


@router.post("/password")
def password(request: Request, fields: Form):
    current = visitor(request, fields.get("csrf"), setup_page=True)
    if current.setup == "totp":
        raise pages.redirect("/totp")
    said_words = words()[lang(request)]
    errors = {}
    if fields.get("new", "") != fields.get("repeat", ""):
        errors["repeat"] = said_words["mismatch"]
    else:
        address = _throttled(request)
        try:
            accounts.change_password(_app(request), current.actor, fields.get("current", ""), fields.get("new", ""))
            return RedirectResponse("/", status_code=303)
        except ScreeningError as error:
            wrong_current = error.exit_code == 1
            if wrong_current:
                request.app.state.throttle.failed(address)
            errors["current" if wrong_current else "new"] = said(error, lang(request))
    return render(request, "password.html", "password_title", current, forced=current.setup == "password",
                  errors=errors)


def _enrolment(request: Request, current, errors: dict | None = None):
    if current.setup != "totp":
        return render(request, "totp.html", "totp_title", current, done=True)
    try:
        made = accounts.enrol_totp(_app(request), current.actor, current.actor.user_id, keep=True)
    except ScreeningError as error:  # a real database without SCREENING_SECRETS_KEY
        return pages.message(request, 403 if error.exit_code == 1 else 422, said(error, lang(request)), current,
                             back="/")
    secret = made["secret"]
    return render(request, "totp.html", "totp_title", current, done=False, errors=errors or {},
                  qr=pages.qr_svg(made["uri"], words()[lang(request)]["totp_qr"]),
                  secret_groups=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)))


@router.get("/totp")
def totp_page(request: Request):
    return _enrolment(request, visitor(request, setup_page=True))


@router.post("/totp")
def totp(request: Request, fields: Form):
    current = visitor(request, fields.get("csrf"), setup_page=True)
    if current.setup != "totp":
        raise pages.redirect("/")
    try:
        done = accounts.confirm_totp(_app(request), current.actor, current.actor.user_id, fields.get("code", ""))
    except ScreeningError as error:
        return _enrolment(request, current, {"code": said(error, lang(request))})
    following = visitor(request, fields.get("csrf"), setup_page=True)  # now: a one-time password still to change?
    return render(request, "codes.html", "codes_title", following, codes=done["recovery_codes"],
                  next="/" + (following.setup or ""))


def _tokens_page(request: Request, current, made: dict | None = None, errors: dict | None = None, days: str = "90"):
    said_as = Words(lang(request))
    times = ("created_at", "expires_at", "last_used_at")
    listed = [{**token, **{name: said_as.time(token[name]) if token[name] else None for name in times}}
              for token in tokens.listing(_app(request), current.actor) if token["user"] == current.actor.user_id]
    if made:
        made = {**made, "expires_at": said_as.time(made["expires_at"])}
    return render(request, "tokens.html", "tokens_title", current, listed=listed, made=made, errors=errors or {},
                  days=days)


@router.get("/tokens")
def tokens_page(request: Request):
    return _tokens_page(request, visitor(request))


@router.post("/tokens")
def tokens_change(request: Request, fields: Form):
    current = visitor(request, fields.get("csrf"))
    app = _app(request)
    if fields.get("action") == "revoke":
        try:
            tokens.revoke(app, current.actor, fields.get("id", ""))
        except ScreeningError as error:
            return pages.message(request, 404, said(error, lang(request)), current, back="/tokens")
        return RedirectResponse("/tokens", status_code=303)
    days = fields.get("days", "").strip()
    try:
        made = tokens.create(app, current.actor, None, int(days) if days.isdigit() else 0)
    except ScreeningError as error:
        return _tokens_page(request, current, errors={"days": said(error, lang(request))}, days=days)
    return _tokens_page(request, current, made=made)
