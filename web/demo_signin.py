"""The demo's sign-in shortcut: on a simulation database only, the invented people to sign in as with one
click (`/demo`, linked from /signin). On a database for real use every address here answers 404, as an
address that does not exist.

The buttons come before any sign-in, so without a session's CSRF token: a POST is refused unless it comes
from this server's own page (its Origin, as the sign-in's). The session starts as a sign-in's does
(`people.begin`: the browser's old one ended) and is audited as a sign-in `{"via": "demo"}`."""

from __future__ import annotations

from itertools import groupby
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse
from starlette.exceptions import HTTPException

from screening.errors import ScreeningError
from screening.sayings import ROLE_PARTY, said
from screening.services import demo
from screening.words import Words
from web import pages, people
from web.pages import form, lang, render, words
from web.signin import same_origin

router = APIRouter(include_in_schema=False)
Form = Annotated[dict, Depends(form)]


def _simulation(request: Request):
    """The server's App, on a simulation only; else the 404 of an address that does not exist."""
    app = request.app.state.screening
    if not app.simulation:
        raise HTTPException(404)
    return app


@router.get("/demo")
def demo_page(request: Request):
    app = _simulation(request)
    said_as = Words(lang(request))
    persons = demo.people(app)
    roles = [(role, said_as.party(ROLE_PARTY.get(role, role)), list(group))
             for role, group in groupby(persons, key=lambda person: person["role"])]
    first = [(said_as.party(ROLE_PARTY.get(person["role"], person["role"])), person)
             for person in demo.suggested(persons)]
    return render(request, "demo.html", "demo_title", roles=roles, first=first)


@router.post("/demo")
def demo_signin(request: Request, fields: Form):
    app = _simulation(request)
    if not same_origin(request):
        return pages.message(request, 403, words()[lang(request)]["csrf"], back="/demo")
    try:
        started = demo.sign_in(app, fields.get("user", ""))
    except ScreeningError as error:
        return pages.message(request, 404, said(error, lang(request)), back="/demo")
    response = RedirectResponse("/" + (started["setup"] or ""), status_code=303)
    people.begin(request, response, started)
    return response
