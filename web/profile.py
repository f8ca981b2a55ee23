"""Everyone's own page: who they are (name, role, organisation, e-mail, HSA-id), the language of the
pages (sv or en, or the browser's), and the way to their password, second factor and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse

from screening.errors import ScreeningError
from screening.sayings import said
from screening.services import users
from web.pages import form, lang, render, visitor

router = APIRouter(include_in_schema=False)
Form = Annotated[dict, Depends(form)]


def _page(request: Request, current, errors: dict | None = None, status: int = 200):
    with request.app.state.screening.uow() as uow:
        person = uow.directory.user(current.actor.user_id) or {}
    return render(request, "profile.html", "profile_title", current, status, person=person, errors=errors or {})


@router.get("/profile")
def profile(request: Request):
    return _page(request, visitor(request))


@router.post("/profile")
def profile_change(request: Request, fields: Form):
    """The pages' language chosen (`language`: sv, en, or empty for the browser's)."""
    current = visitor(request, fields.get("csrf"))
    chosen = fields.get("language", "").strip() or None
    try:
        users.set_language(request.app.state.screening, current.actor, chosen)
    except ScreeningError as error:
        return _page(request, current, {"language": said(error, lang(request, current))}, 422)
    return RedirectResponse("/profile", status_code=303)
