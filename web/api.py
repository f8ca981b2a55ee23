"""The API's routes (`http.md`): each reads the request, calls the service the command calls, and
returns the document its `--json` prints. The person is the token's (`Caller`); the clock the App's."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from screening import clock
from screening.model import Actor
from screening.services import alerts, calendar, cases, events, follow_up, registration, tokens, worklist
from web import people
from web.documents import Document

router = APIRouter(prefix="/api")


def screening_app(request: Request):
    return request.app.state.screening


def caller(request: Request) -> Actor:
    """The person the request's token names, or its session's (401 otherwise; a change from a session
    needs its CSRF token)."""
    return people.person(request)


Caller = Annotated[Actor, Depends(caller)]
App = Annotated[object, Depends(screening_app)]


class Register(BaseModel):
    """`case register`'s options by their long names, `_` for `-`."""

    model_config = ConfigDict(extra="forbid")
    birth_date: str
    municipality: str
    name: Optional[str] = None
    personnummer: Optional[str] = None
    samordningsnummer: Optional[str] = None
    dossier: Optional[str] = None
    language: Optional[str] = None
    interpreter: bool = False
    unaccompanied: bool = False
    permit: Optional[str] = None
    arrival: Optional[str] = None
    notice_at: Optional[str] = None
    already_in_sweden: bool = False
    adult: bool = False
    health_centre: Optional[str] = None
    school: Optional[str] = None
    preschool: Optional[str] = None


class Event(BaseModel):
    """`case event`: the event, when it happened (default: now), its values, the version read."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    event: str
    at: Optional[str] = None
    values: dict[str, str] = Field(default_factory=dict, alias="set")
    if_version: Optional[int] = None


@router.get("/me")
def me(app: App, actor: Caller):
    """The caller: id, name, role, organisation."""
    return tokens.person(app, actor)


@router.get("/cases")
def case_list(app: App, actor: Caller, municipality: Optional[str] = None, health_centre: Optional[str] = None,
              overdue: bool = False, open: bool = False, limit: Annotated[Optional[int], Query(ge=1, le=100_000)] = None,
              after: Optional[str] = None):
    """`case list`: the cases the caller may see, oldest notice first."""
    # a Document, not the list: FastAPI would first copy every value through its jsonable_encoder (a
    # third of a page's time), of a document that is JSON's types already
    return Document(list(cases.each(app, actor, municipality=municipality, health_centre=health_centre,
                                    overdue=overdue, open_only=open, limit=limit, after=after)))


@router.post("/cases", status_code=201)
def case_register(app: App, actor: Caller, body: Register):
    """`case register`: an arrival notice (reception)."""
    given = body.model_dump()
    reg = registration.Registration(**{
        **given, "birth_date": clock.parse_date(body.birth_date, "birth_date"),
        "notice_at": clock.parse_datetime(body.notice_at, "notice_at") if body.notice_at else None,
        "arrival": clock.parse_date(body.arrival, "arrival") if body.arrival else None})
    return registration.register(app, actor, reg)


@router.get("/cases/{case_id}")
def case_show(app: App, actor: Caller, case_id: str):
    """`case show`: one case, as the caller may see it."""
    return Document(cases.show(app, actor, case_id))


@router.post("/cases/{case_id}/events")
def case_event(app: App, actor: Caller, case_id: str, body: Event):
    """`case event`: one event of the agreement; the case after it."""
    when = clock.parse_datetime(body.at, "at") if body.at else None
    return events.apply(app, actor, case_id, body.event, dict(body.values), at=when, if_version=body.if_version)


@router.get("/cases/{case_id}/history")
def case_history(app: App, actor: Caller, case_id: str, reads: bool = False):
    """`case history [--reads]`: the case's audit trail."""
    return cases.history(app, actor, case_id, reads_too=reads)


@router.get("/alerts")
def alert_list(app: App, actor: Caller, open: bool = False):
    """`alerts [--open]`."""
    return alerts.listing(app, actor, open_only=open)


@router.post("/alerts/{alert_id}/ack")
def alert_ack(app: App, actor: Caller, alert_id: int):
    """`alerts ack ID`."""
    return alerts.acknowledge(app, actor, alert_id)


@router.get("/overview")
def overview(app: App, actor: Caller, oldest: Annotated[int, Query(ge=1, le=100)] = 10):
    """`overview --json` (coordinator, admin)."""
    return follow_up.overview(app, actor, oldest=oldest)


@router.get("/report")
def report(app: App, actor: Caller, since: Annotated[Optional[str], Query(alias="from")] = None,
           until: Annotated[Optional[str], Query(alias="to")] = None,
           by: Literal["municipality", "health_centre"] = "municipality",
           format: Literal["json", "csv"] = "json"):
    """`report`: the § 10 follow-up (coordinator, admin), as JSON or CSV (for Excel)."""
    data = follow_up.report(app, actor, since=clock.parse_date(since, "from") if since else None,
                            until=clock.parse_date(until, "to") if until else None, by=by)
    if format == "json":
        return data
    from screening.report_formats import csv_bytes

    return Response(csv_bytes(data), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="report.csv"'})


@router.get("/worklist")
def worklist_steps(app: App, actor: Caller, q: str | None = None, when: Literal["all", "overdue", "today"] = "all",
                   kind: Literal["book", "results", "inform", "examination"] | None = None, after: str | None = None,
                   limit: Annotated[int, Query(ge=1, le=worklist.PAGE)] = worklist.PAGE,
                   municipality: str | None = None):
    """The health centre's work list (`/worklist`'s): a page of its open steps, overdue first; with `q`,
    the search for a case (`/cases`'): by case id, number or the beginnings of the name's words (a
    coordinator's among the region's cases, a name within one `municipality`). Either a page at a time
    (`after`: the document's `next`); every case named recorded as read."""
    if q is not None:
        return worklist.search(app, actor, q, after=after, limit=limit, municipality=municipality)
    return worklist.steps(app, actor, when=when, kind=kind, after=after, limit=limit)


@router.get("/calendar/free")
def calendar_free(app: App, actor: Caller, health_centre: str, since: Annotated[Optional[str], Query(alias="from")] = None,
                  days: Annotated[int, Query(ge=1, le=90)] = 7, examination: bool = False, interpreter: bool = False):
    """`calendar free`: a health centre's free appointment times."""
    start = clock.parse_datetime(since, "from") if since else None
    return calendar.free_times(app, actor, health_centre, since=start, days=days, examination=examination,
                               interpreter=interpreter)


@router.get("/calendar/{org_id}.ics")
def calendar_export(request: Request, app: App, org_id: str, token: Optional[str] = None):
    """`calendar export`: a health centre's bookings as iCalendar. A calendar client that cannot send a
    header subscribes with `?token=` (the address is then a secret; the server logs no addresses)."""
    actor = people.person(request, token)
    return Response(calendar.export(app, actor, org_id), media_type="text/calendar; charset=utf-8")
