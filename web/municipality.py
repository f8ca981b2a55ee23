"""The municipality's pages: the reception unit's children (`/children`, status only) and the arrival notice (`/register`); the school's, preschool's, school health's and BVC's children and their steps (`/children`).

Each unit searches its own children on `/children?q=` (case id, identity or dossier number, or the
beginnings of the name's words: `children.search`), the results in the list's columns, 50 a page.

Each list is one page of at most 50 children from `children.page` (read as `case list`), the
municipality's overdue steps first where the list shows every child; each child links to its case page
(`/cases/{id}`), where its events are. The notice's form is checked field by field by the service
(`children.register`): each mistake is shown at its field and in a summary at the top, what was typed is
kept, and a notice registered leads (303) to its case page. `static/register.js` checks identity
numbers and dates as they are typed; the server checks everything again.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request

from screening import clock
from screening.errors import BadInput, ScreeningError
from screening.sayings import said
from screening.services import children
from screening.words import Words
from web.answers import status_of
from web.pages import form, lang, message, redirect, render, visitor

router = APIRouter(include_in_schema=False)
Form = Annotated[dict, Depends(form)]
# the form's fields in the order the page shows them (the error summary follows it)
OTHER = "other"  # the language list's "another language", typed beside it
NOTICE_FIELDS = ("birth_date", "municipality", "name", "personnummer", "samordningsnummer", "dossier", "language",
                 "interpreter", "unaccompanied", "permit", "arrival", "notice_at", "already_in_sweden", "adult",
                 "health_centre", "school", "preschool")


def _refused(request: Request, current, error: ScreeningError):
    return message(request, status_of(error), said(error, lang(request, current)), current)


def _register_page(request: Request, current, typed: dict | None = None, errors: dict | None = None,
                   status: int = 200):
    try:
        offered = children.choices(request.app.state.screening, current.actor)
    except ScreeningError as error:
        return _refused(request, current, error)
    typed = {"municipality": offered["municipality"], **(typed or {})}
    languages = children.language_choices(lang(request, current))
    listed = {code for group in languages.values() for code, _ in group}
    if typed.get("language") and typed["language"] not in listed:  # a language not in the list: as typed
        typed = {**typed, "language_other": typed["language"], "language": OTHER}
    order = {name: i for i, name in enumerate(NOTICE_FIELDS)}
    order["language_other"] = order["language"]
    summary = sorted((errors or {}).items(), key=lambda item: order.get(item[0], -1))
    return render(request, "register.html", "reg_title", current, status, offered=offered, typed=typed,
                  languages=languages, other=OTHER,
                  errors={name: text for name, text in (errors or {}).items() if name}, summary=summary)


@router.get("/register")
def register_form(request: Request):
    return _register_page(request, visitor(request))


@router.post("/register")
def register(request: Request, fields: Form):
    """An arrival notice (`case register`): 303 to the case's page, or the form again (422) with what is
    wrong at each field."""
    current = visitor(request, fields.get("csrf"))
    typed = {name: fields.get(name, "") for name in NOTICE_FIELDS}
    if typed["language"] == OTHER:  # "another language": the one typed beside the list
        typed["language"] = fields.get("language_other", "").strip()
        if not typed["language"]:
            language = lang(request, current)
            missing = said(BadInput("write which language, or choose one in the list"), language)
            return _register_page(request, current, {**typed, "language": OTHER}, {"language_other": missing}, 422)
    try:
        done = children.register(request.app.state.screening, current.actor, typed)
    except children.NoticeErrors as wrong:
        language = lang(request, current)
        errors = {name: said(error, language) for name, error in wrong.errors.items()}
        return _register_page(request, current, typed, errors, 422)
    raise redirect(f"/cases/{done['id']}")


SHOWS = ("open", "all")  # the list's choices, the default first
SHOWS_VACCINATING = ("ours", "open", "all")  # BVC's and school health's: their own children first


@router.get("/children")
def children_page(request: Request, show: str = "", overdue: bool = False, after: str | None = None,
                  q: str = ""):
    """The unit's children, a page of 50: `show` open (the default) or all; for BVC and school health also
    `ours` (their default: the open cases whose catch-up vaccinations they are responsible for now);
    `overdue` on the municipality's side only, `after` the last child of the page before; `q` a search
    (case id, number or name, the unit's own children only), its results a page of 50 in the same columns."""
    current = visitor(request)
    app, q = request.app.state.screening, q.strip()[:200]
    shows = SHOWS_VACCINATING if current.actor.role in children.VACCINATING else SHOWS
    show = show if show in shows else shows[0]
    if q:
        return _search_page(request, current, q, after)
    try:
        late = None
        if not overdue and after is None:  # the first page: what is overdue on the municipality's side first
            late = children.page(app, current.actor, overdue=True, open_only=True)
        listed = children.page(app, current.actor, overdue=overdue, open_only=show != "all", ours=show == "ours",
                               after=after)
    except ScreeningError as error:
        return _refused(request, current, error)
    say = Words(lang(request, current), today=clock.local_date(app.clock.now()))
    return render(request, "children.html", "mun_title", current, late=late, listed=listed, show=show,
                  shows=shows, overdue=overdue, after=after, unit_role=current.actor.role, say=say, q="", errors={},
                  found=None)


def _search_page(request: Request, current, q: str, after: str | None):
    """The search's page: the children found (422 with the error at the field when the text is wrong)."""
    app, language = request.app.state.screening, lang(request, current)
    found, errors, status = None, {}, 200
    try:
        found = children.search(app, current.actor, q, after=after)
    except ScreeningError as error:
        if status_of(error) != 422:
            return _refused(request, current, error)
        errors, status = {"q": said(error, language)}, 422
    say = Words(language, today=clock.local_date(app.clock.now()))
    return render(request, "children.html", "mun_title", current, status, late=None, listed=None, show="open",
                  shows=SHOWS, overdue=False, after=after, unit_role=current.actor.role, say=say, q=q, errors=errors,
                  found=found, first="/children?" + urlencode({"q": q}) if after else None,
                  next="/children?" + urlencode({"q": q, "after": found["next"]}) if found and found["next"] else None)
