"""The health centre's work list (`/worklist`: its open steps by due date, overdue first; its
appointments of today and tomorrow) and the search for a case (`/cases`: by case id, number or the
beginnings of the name's words, within the centre's cases; `GET /api/worklist?q=` gives the same over
the API). GET forms only; every case a page names is recorded as read."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request

from screening import clock
from screening.errors import Refused, ScreeningError
from screening.sayings import said
from screening.services import worklist
from screening.words import Words
from web.pages import lang, message, render, visitor

router = APIRouter(include_in_schema=False)


def _nurse(request: Request):
    """The signed-in person, and a refusal page unless they act for a health centre."""
    current = visitor(request)
    if current.actor.role != "health_centre":
        language = lang(request, current)
        return current, message(request, 403, said(Refused("the work list is a health centre's"), language), current)
    return current, None


def _arg(request: Request, name: str) -> str:
    return request.query_params.get(name, "").strip()[:200]


@router.get("/worklist")
def worklist_page(request: Request):
    current, refused = _nurse(request)
    if refused:
        return refused
    app, actor = request.app.state.screening, current.actor
    when, kind, after = _arg(request, "when") or "all", _arg(request, "kind"), _arg(request, "after") or None
    language = lang(request, current)
    words = Words(language, today=clock.local_date(app.clock.now()))
    error, page, status = None, {"steps": [], "next": None}, 200
    try:
        page = worklist.steps(app, actor, when=when, kind=kind or None, after=after)
    except ScreeningError as refusal:
        error, status, when, kind = said(refusal, language), 422, "all", ""
    shown = {"when": when if when != "all" else "", "kind": kind}
    return render(request, "worklist.html", "wl_title", current, status, error=error,
                  steps=[_step(step, words) for step in page["steps"]],
                  next=_link("/worklist", **shown, after=page["next"]) if page["next"] else None,
                  first=_link("/worklist", **shown) if after else None,
                  when=when, kind=kind, whens=worklist.WHEN, kinds=tuple(worklist.KINDS),
                  summary=worklist.summary(app, actor),
                  appointments=_appointments(app, actor, words) if not after else None)


def _step(step: dict, words: Words) -> dict:
    return {**step, "step": words.rule(step["rule"]), "due_words": words.time(step["due"]),
            "clause": words.clause(step["clause"]),
            "interpreter_words": words.language(step["interpreter"]) if step["interpreter"] else None}


def _appointments(app, actor, words: Words) -> dict:
    found = worklist.appointments(app, actor)
    return {"more": found["more"], "rows": [
        {**row, "when": words.time(row["starts"]), "until": row["ends"][11:16], "what": words.appointment(row["kind"]),
         "interpreter_words": words.language(row["interpreter"]) if row["interpreter"] else None}
        for row in found["appointments"]]}


def _link(path: str, **query) -> str:
    kept = {name: value for name, value in query.items() if value}
    return path + ("?" + urlencode(kept) if kept else "")


@router.get("/cases")
def cases_page(request: Request):
    current = visitor(request)
    if current.actor.role not in worklist.SEARCHERS:
        refusal = Refused("the search for a case is a health centre's or a coordinator's")
        return message(request, 403, said(refusal, lang(request, current)), current)
    app, actor = request.app.state.screening, current.actor
    text, after = _arg(request, "q"), _arg(request, "after") or None
    municipality = _arg(request, "municipality") or None
    language = lang(request, current)
    words = Words(language, today=clock.local_date(app.clock.now()))
    found, errors, status = None, {}, 200
    if text:
        try:
            found = worklist.search(app, actor, text, after=after, municipality=municipality)
        except ScreeningError as refusal:
            errors, status = {"q": said(refusal, language)}, 422
    rows = [{**row, "born": words.day(row["birth_date"]), "health_words": words.state("health", row["health"])}
            for row in (found or {}).get("cases", [])]
    place = {"municipality": municipality} if municipality else {}
    return render(request, "cases.html", "wl_cases_title", current, status, errors=errors, q=text, found=found,
                  rows=rows, municipalities=[(m, m) for m in worklist.municipalities(app, actor)], municipality=municipality or "",
                  next=_link("/cases", q=text, **place, after=found["next"]) if found and found["next"] else None,
                  first=_link("/cases", q=text, **place) if after else None)
