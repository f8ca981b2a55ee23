"""The case page (`/cases/{case_id}`) for every role, as that role may see it: the three tracks, deadlines, notes, the next allowed steps with their forms, booking with a slot picker, the letter, the interpreter order, consent, the history.

The case is read with `cases.show` (the same secrecy and the same record of the read as `case show`);
a case out of the person's scope is answered exactly like an unknown one (404). The steps offered are
those the rules allow this person now (`case_view.allowed`); each is sent to POST
`/cases/{case_id}/events` with the session's CSRF token and the version of the case the page showed
(`if_version`): a case changed meanwhile is refused with a message (409), nothing changed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from screening import access, clock
from screening.errors import BadInput, NotFound, ScreeningError
from screening.sayings import said
from screening.services import case_view, cases, events, letters
from screening.words import Words
from web.answers import status_of
from web.pages import form, lang, message, redirect, render, visitor

router = APIRouter(include_in_schema=False)
Form = Annotated[dict, Depends(form)]
HISTORY_SHOWN = 50  # the history's newest entries on the page (the access log can be long)
OWN = {"csrf", "event", "if_version", "interpreter_shown"}  # the form's fields that are not the event's values


def _page(request: Request, current, case_id: str, *, error: str | None = None, failed: str | None = None,
          status: int = 200, done: str | None = None, values: dict | None = None, reads: bool = False,
          early: bool = False, interpreter: bool | None = None):
    app, actor, language = request.app.state.screening, current.actor, lang(request, current)
    try:
        case = cases.show(app, actor, case_id)
    except NotFound as missing:
        return message(request, 404, said(missing, language), current, back="/")
    reads = reads and actor.role in access.READ_LOG_READERS
    trail = cases.history(app, actor, case["id"], reads_too=reads)
    history = [entry for entry in trail if entry["action"] == "event"]
    steps = case_view.allowed(app, actor, case["id"])
    rules = case_view.clauses(app)
    orgs = [case["health_centre"], case["school"], case["preschool"]] + [e["org"] for e in history]
    today = clock.local(app.clock.now()).date()
    said_as = Words(language, names=case_view.names(app, orgs), today=today)
    booking = {}
    for event in steps:
        if event in case_view.BOOKS:
            booking[event] = case_view.slots(app, actor, case, case_view.BOOKS[event], interpreter=interpreter)
    forms = [(event, case_view.values_of(event, actor.role)) for event in steps]
    letter = actor.role in access.COMMANDS["letter"] and any(case["bookings"].values())
    return render(request, "case_page.html", "case_title", current, status, case=case, trail=trail[-HISTORY_SHOWN:],
                  trail_more=len(trail) > HISTORY_SHOWN, reads=reads,
                  log_reader=actor.role in access.READ_LOG_READERS,
                  tracks=case_view.timeline(case, history, rules), forms=forms, booking=booking, said_as=said_as,
                  letter=letter, early=early, error=error, failed=failed,
                  done=done if done in case_view.EVENT_NAMES else None,
                  values_given=values or {})


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: str, done: str | None = None, reads: str | None = None,
              early: str | None = None, interpreter: str | None = None):
    """The case; `?reads=1`: its history with every read of it (the access log), for those who follow it up;
    `?done=EVENT` says it was recorded (`&early=1`: said to be held before its booked start);
    `?interpreter=yes|no`: the free times for a visit with or without an interpreter."""
    need = {"yes": True, "no": False}.get(interpreter or "")
    return _page(request, visitor(request), case_id, done=done, reads=reads not in (None, "", "0"),
                 early=early not in (None, "", "0"), interpreter=need)


@router.post("/cases/{case_id}/events")
def case_event(request: Request, case_id: str, fields: Form):
    """One event of the agreement from the page's form: applied (303 back with a status message), or
    refused in words on the page with nothing changed."""
    current = visitor(request, fields.get("csrf"))
    app, actor, language = request.app.state.screening, current.actor, lang(request, current)
    event = fields.get("event", "")
    try:
        version = int(fields["if_version"]) if fields.get("if_version", "").strip() else None
    except ValueError:
        version = None
    values = {key: value for key, value in fields.items() if key not in OWN}
    known = {v.key: v for v in case_view.VALUES.get(event, ())}
    given = {key: value for key, value in values.items() if value.strip() or (key in known and known[key].required)}
    try:
        if event in case_view.BOOKS:
            interpreter = (given.pop("interpreter", "") == "yes") if fields.get("interpreter_shown") else None
            if "start" not in given:
                raise BadInput("{event}: the value {key} is required", event=event, key="start")
            done = case_view.book(app, actor, case_id, event, given["start"], interpreter=interpreter,
                                  if_version=version)
        else:
            done = events.apply(app, actor, case_id, event, given, if_version=version)
    except NotFound as missing:
        return message(request, 404, said(missing, language), current, back="/")
    except ScreeningError as error:
        return _page(request, current, case_id, error=said(error, language), failed=event, status=status_of(error),
                     values=values)
    early = any(warning["code"] == "held_before_start" for warning in done.get("warnings", ()))
    raise redirect(f"/cases/{done['id']}?done={event}" + ("&early=1" if early else ""))


@router.get("/cases/{case_id}/letter.pdf")
def case_letter(request: Request, case_id: str, examination: str | None = None):
    """The family's letter of the booked conversation (or, `?examination=1`, examination) as a PDF to
    print; each print recorded. Health centre and coordinator only."""
    current = visitor(request)
    language = lang(request, current)
    kind = "examination" if examination not in (None, "", "0") else "conversation"
    try:
        made = letters.letter(request.app.state.screening, current.actor, case_id, kind)
    except ScreeningError as error:
        return message(request, status_of(error), said(error, language), current, back=f"/cases/{case_id}")
    return Response(made["pdf"], media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="letter-{kind}.pdf"',
                             "Cache-Control": "no-store"})
