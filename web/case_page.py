"""The case page (`/cases/{case_id}`) for every role, as that role may see it: the three tracks, deadlines, notes, the next allowed steps with their forms, booking with a slot picker, the letter, the interpreter order, consent, the history.

The case is read with `cases.show` (the same secrecy and the same record of the read as `case show`);
a case out of the person's scope is answered exactly like an unknown one (404). The steps offered are
those the rules allow this person now (`case_view.allowed`); each is sent to POST
`/cases/{case_id}/events` with the session's CSRF token and the version of the case the page showed
(`if_version`): a case changed meanwhile is refused with a message (409), nothing changed. Each may say
when it happened (`at`, the person's local time: `case event --at`, with its checks); a correction may
empty a value (`clear_<key>`, or a unit's "none": the empty value `case event … --set key=` sends).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from screening import access, clock
from screening.errors import BadInput, NotFound, ScreeningError
from screening.sayings import said
from screening.services import case_view, cases, events, letters
from screening.words import Words
from web.answers import status_of
from web.pages import environment, form, lang, message, redirect, render, visitor, words

router = APIRouter(include_in_schema=False)
Form = Annotated[dict, Depends(form)]
HISTORY_SHOWN = 50  # the history's newest events on the page
BOOKED = {"conversation": "health_conversation", "examination": "examination"}  # the case's bookings' keys
OWN = {"csrf", "event", "if_version", "interpreter_shown", "at", "show"}  # the form's fields that are not the event's values
CLEAR = "clear_"  # a tick `clear_<key>`: empty the value
NO_UNIT = "-"  # a unit list's "none" (never an organisation's id: those are slugs)


def _page(request: Request, current, case_id: str, *, error: str | None = None, failed: str | None = None,
          status: int = 200, done: str | None = None, values: dict | None = None, reads: bool = False,
          early: bool = False, interpreter: bool | None = None, before: int | None = None):
    app, actor, language = request.app.state.screening, current.actor, lang(request, current)
    try:
        case = cases.show(app, actor, case_id)
    except NotFound as missing:
        return message(request, 404, said(missing, language), current, back="/")
    reads = reads and actor.role in access.READ_LOG_READERS
    trail = case_view.trail(app, actor, case["id"], reads=reads, before=before if reads else None)
    history = trail["events"]
    steps = case_view.allowed(app, actor, case["id"])
    rules = case_view.clauses(app)
    orgs = [case["health_centre"], case["school"], case["preschool"]] + [e["org"] for e in history]
    orgs += [e["org"] for e in trail["log"] or ()]
    today = clock.local(app.clock.now()).date()
    booked = {event: case["bookings"].get(BOOKED[kind]) for event, kind in case_view.BOOKS.items()}
    booking = {}
    for event in steps:  # a booking to make gets its free times; one to move, when asked (they cost a read
        if event in case_view.BOOKS and (interpreter is not None or failed == event or not booked[event]):
            booking[event] = case_view.slots(app, actor, case, case_view.BOOKS[event], interpreter=interpreter)
    last_done = {entry["event"]: entry["at"] for entry in history}
    once = _done_once(last_done)
    forms = [(event, case_view.values_of(event, actor.role)) for event in steps if event not in once]
    again = [(event, case_view.values_of(event, actor.role), last_done[event]) for event in steps if event in once]
    units = None
    if any(v.kind == "unit" for _, values_ in forms for v in values_):
        units = case_view.units(app, case)  # by name already: only the case's own are looked up
    said_as = Words(language, names=case_view.names(app, orgs), today=today)
    letter = actor.role in access.COMMANDS["letter"] and any(case["bookings"].values())
    return render(request, "case_page.html", "case_title", current, status, case=case, trail=history[-HISTORY_SHOWN:],
                  booked=booked,
                  trail_more=len(history) > HISTORY_SHOWN, reads=reads, log=trail["log"], earlier=trail["earlier"],
                  paged=before is not None and reads, log_reader=actor.role in access.READ_LOG_READERS,
                  tracks=case_view.timeline(case, history, rules), forms=forms, again=again, booking=booking,
                  said_as=said_as,
                  letter=letter, early=early, error=error, failed=failed,
                  done=done if done in case_view.EVENT_NAMES else None, units=units, no_unit=NO_UNIT,
                  latest=f"{today.isoformat()}T23:59",  # the browser's bound; the service checks the minute
                  values_given=values or {})


def _done_once(last_done: dict) -> set[str]:
    """The steps done once already that the rules still allow (telling the family or the reception unit
    again, sharing again): shown apart, so that a step already done is not taken for one still owed."""
    return {event for event in case_view.ONCE if event in last_done}


def _cursor(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None  # not a page of the log: its newest


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: str, done: str | None = None, reads: str | None = None,
              early: str | None = None, interpreter: str | None = None, before: str | None = None):
    """The case; `?reads=1`: its history with every read of it (the access log, newest first, a page of
    `case_view.LOG_PAGE`; `&before=N`: the page of those before the entry N), for those who follow it up;
    `?done=EVENT` says it was recorded (`&early=1`: said to be held before its booked start);
    `?interpreter=yes|no`: the free times for a visit with or without an interpreter."""
    need = {"yes": True, "no": False}.get(interpreter or "")
    return _page(request, visitor(request), case_id, done=done, reads=reads not in (None, "", "0"),
                 early=early not in (None, "", "0"), interpreter=need, before=_cursor(before))


@router.get("/cases/{case_id}/slots")
def case_slots(request: Request, case_id: str, event: str = "", interpreter: str | None = None):
    """The free times of a booking step as they would be on the page (`?interpreter=yes|no`), the slot list
    alone: what the page's script puts in place when the interpreter tick changes. Read as the page is."""
    current = visitor(request)
    app, actor, language = request.app.state.screening, current.actor, lang(request, current)
    try:
        case = cases.show(app, actor, case_id)
    except NotFound as missing:
        return message(request, 404, said(missing, language), current, back="/")
    if event not in case_view.BOOKS or event not in case_view.allowed(app, actor, case["id"]):
        return message(request, 404, words()[language]["case_slots_not_offered"], current, back=f"/cases/{case['id']}")
    need = {"yes": True, "no": False}.get(interpreter or "")
    slots = case_view.slots(app, actor, case, case_view.BOOKS[event], interpreter=need)
    said_as = Words(language, today=clock.local(app.clock.now()).date())
    macros = environment().get_template("case_fields.html").module
    html = macros.slot_list(f"step-{event}-start", slots, words()[language], said_as, "", f"/cases/{case['id']}",
                            f"step-{event}")
    return HTMLResponse(str(html))


class _Unsaid(Exception):
    """A form the page refuses before any service is asked (said in the page's words)."""


def _values(event: str, fields: dict, language: str) -> dict:
    """The event's values from its form: an empty field is left as it is; a value ticked `clear_<key>`, or a
    unit's "none", is sent empty (cleared, as `--set key=`). A tick on a value that cannot be emptied,
    or with a new value typed beside it, is refused in words."""
    said_here = words()[language]
    known = {v.key: v for v in case_view.VALUES.get(event, ())}
    values = {key: value for key, value in fields.items() if key not in OWN and not key.startswith(CLEAR)}
    given = {key: value for key, value in values.items() if value.strip() or (key in known and known[key].required)}
    for key, value in values.items():
        if value.strip() == NO_UNIT and key in known and known[key].kind == "unit":
            given[key] = ""
    for field, tick in fields.items():
        if not field.startswith(CLEAR) or not tick.strip():
            continue
        key = field[len(CLEAR):]
        label = said_here.get(f"case_value_{key}", key)
        if key not in known or not known[key].clearable:
            raise _Unsaid(said_here["case_clear_not"].format(value=label))
        if values.get(key, "").strip() and values[key].strip() != NO_UNIT:
            raise _Unsaid(said_here["case_clear_both"].format(value=label))
        given[key] = ""
    return given


@router.post("/cases/{case_id}/events")
def case_event(request: Request, case_id: str, fields: Form):
    """One event of the agreement from the page's form: applied (303 back with a status message), or
    refused in words on the page with nothing changed. `show=times` (the booking form without script):
    the page again with the free times for the interpreter tick as it is, nothing recorded."""
    current = visitor(request, fields.get("csrf"))
    app, actor, language = request.app.state.screening, current.actor, lang(request, current)
    event = fields.get("event", "")
    try:
        version = int(fields["if_version"]) if fields.get("if_version", "").strip() else None
    except ValueError:
        version = None
    kept = {key: value for key, value in fields.items() if key not in OWN - {"at"}}
    if fields.get("show") == "times" and event in case_view.BOOKS:
        return _page(request, current, case_id, failed=event, values=kept,
                     interpreter=fields.get("interpreter") == "yes")
    try:
        given = _values(event, fields, language)
        when = fields.get("at", "").strip()
        at = clock.parse_datetime(when, words()[language]["case_value_at"]) if when else None
        if event in case_view.BOOKS:
            interpreter = (given.pop("interpreter", "") == "yes") if fields.get("interpreter_shown") else None
            if "start" not in given:
                raise BadInput("{event}: the value {key} is required", event=event, key="start")
            done = case_view.book(app, actor, case_id, event, given["start"], interpreter=interpreter,
                                  if_version=version, at=at)
        else:
            done = events.apply(app, actor, case_id, event, given, at=at, if_version=version)
    except ScreeningError as error:  # an unknown case or one out of scope: `_page` answers as for any unknown one
        return _page(request, current, case_id, error=said(error, language), failed=event, status=status_of(error),
                     values=kept)
    except _Unsaid as refused:
        return _page(request, current, case_id, error=str(refused), failed=event, status=422, values=kept)
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
