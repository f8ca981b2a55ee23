"""The coordinator's and admin's pages: the region's overview (`/region`), alerts (`/alerts`), the § 10 follow-up (`/report`), the access log's review (`/audit`), users (`/users`) and the directory (`/directory`).

Each page reads through the services (`region_pages`, `report_cache`, `alerts`, `audit_sample`, `admin`,
`users`, `accounts`), which check the person's role again; another role gets a 403 page, never the data.
The overview refreshes itself with `static/region.js` (a fragment at `/region/now` every minute), and
without script offers a link that refreshes it; its figures are read in the background and shared
between the screens for 30 s (while there are none yet, the page says they are being counted).
The report is computed in the background and kept per period (`screening.services.report_cache`): the
page shows its progress until it is ready.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from screening import clock
from screening.errors import BadInput, ScreeningError
from screening.sayings import said, say
from screening.services import (
    accounts,
    admin,
    alerts,
    audit_sample,
    region_pages,
    users,
)
from screening.services.report_cache import Reports, chart_png
from screening.services.sessions import Current
from screening.words import Words
from web.pages import Page, form, lang, message, render, visitor, words

router = APIRouter(include_in_schema=False)
Form = Annotated[dict, Depends(form)]
STAFF = ("coordinator", "admin")
REPORT_WAIT = 2.0  # seconds a report page waits for the figures before it shows their progress instead
OLDEST = 10
SEEN_KEEP = 1000  # people whose overview's reads are remembered (a case listed again is not recorded again)
_lock = threading.Lock()


def staff(request: Request, csrf: str | None = None) -> Current:
    """The signed-in coordinator or admin; anyone else a 403 page."""
    current = visitor(request, csrf)
    if current.actor.role not in STAFF:
        raise Page(message(request, 403, words()[lang(request, current)]["region_refused"], current))
    return current


def refused(request: Request, current: Current, error: ScreeningError, back: str) -> Response:
    from web.answers import status_of

    return message(request, status_of(error), said(error, lang(request, current)), current, back=back)


def said_words(request: Request, current: Current) -> Words:
    """The product's words (steps, parties, times) with the organisations by name."""
    app = request.app.state.screening
    names = {org["id"]: org["name"] for org in users.organisations(app)}
    return Words(lang(request, current), names=names, today=clock.local_date(app.clock.now()))


def _state(request: Request, name: str, make):
    with _lock:
        found = getattr(request.app.state, name, None)
        if found is None:
            found = make()
            setattr(request.app.state, name, found)
        return found


# --- the overview -----------------------------------------------------------------------------------

def _overview(request: Request, current: Current) -> dict | None:
    """The overview (None while its figures are being counted, none to show meanwhile); a case listed
    is recorded as read the first time this person's screen shows it on a day (as `overview --watch`
    does over its run)."""
    app = request.app.state.screening
    seen = _state(request, "region_seen", OrderedDict)
    key = (current.actor.user_id, clock.local_date(app.clock.now()))
    with _lock:
        audited = seen.setdefault(key, set())
        seen.move_to_end(key)
        while len(seen) > SEEN_KEEP:
            seen.popitem(last=False)
    data = region_pages.overview(app, current.actor, oldest=OLDEST, audited=audited)
    if data is None:
        return None  # being counted: the page says so and asks again
    parties: dict[str, int] = {}
    for row in data["oldest"]:
        parties[row["owner"]] = parties.get(row["owner"], 0) + 1
    return {**data, "parties": sorted(parties.items(), key=lambda item: (-item[1], item[0]))}


@router.get("/region")
def region(request: Request):
    current = staff(request)
    return render(request, "region.html", "rgn_title", current, data=_overview(request, current),
                  said=said_words(request, current))


@router.get("/region/now")
def region_now(request: Request):
    """The overview's content alone (what `region.js` puts in place every minute)."""
    current = staff(request)
    return render(request, "region_now.html", "rgn_title", current, data=_overview(request, current),
                  said=said_words(request, current))


# --- alerts -----------------------------------------------------------------------------------------

def _after(value: str | None) -> tuple[datetime, int] | None:
    """A page's start, `<due as ISO>~<id>`; anything else the first page."""
    if not value or "~" not in value:
        return None
    due, _, alert_id = value.rpartition("~")
    try:
        return datetime.fromisoformat(due), int(alert_id)
    except ValueError:
        return None


@router.get("/alerts")
def alert_page(request: Request, done: bool = False, after: str | None = None, acked: int | None = None,
               acked_many: int | None = None):
    current = staff(request)
    page = region_pages.alerts(request.app.state.screening, current.actor, acknowledged=done, after=_after(after))
    following = None
    if page["next"] is not None:
        due, alert_id = page["next"]
        following = f"{clock.local_iso(due)}~{alert_id}"
    return render(request, "alerts.html", "alerts_title", current, page=page, done=done, following=following,
                  first=after is not None, acked=acked, acked_many=acked_many, said=said_words(request, current))


@router.post("/alerts/ack")
def alerts_ack(request: Request, fields: Form):
    """The alerts ticked on the page (`alert-<id>` fields), acknowledged together: all or none."""
    current = staff(request, fields.get("csrf"))
    ids = [int(name[6:]) for name in fields if name.startswith("alert-") and name[6:].isdigit() and len(name) < 26]
    try:
        done = alerts.acknowledge_all(request.app.state.screening, current.actor, ids)
    except ScreeningError as error:
        return refused(request, current, error, "/alerts")
    return RedirectResponse(f"/alerts?acked_many={len(done['ids'])}", status_code=303)


@router.post("/alerts/{alert_id}/ack")
def alert_ack(request: Request, alert_id: int, fields: Form):
    current = staff(request, fields.get("csrf"))
    try:
        alerts.acknowledge(request.app.state.screening, current.actor, alert_id)
    except ScreeningError as error:
        return refused(request, current, error, "/alerts")
    return RedirectResponse(f"/alerts?acked={alert_id}", status_code=303)


# --- the § 10 report --------------------------------------------------------------------------------

def _day(value: str | None) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    return date.fromisoformat(value)  # ValueError: not a date as YYYY-MM-DD (the page says so by the field)


def _report(request: Request, current: Current, since: str | None, until: str | None, by: str, wait: float):
    """The report's job (see `report_cache`), or the form's errors by field."""
    errors = {}
    days = {}
    for name, value in (("from", since), ("to", until)):
        try:
            days[name] = _day(value)
        except ValueError:
            errors[name] = words()[lang(request, current)]["report_bad_date"]
    if by not in ("municipality", "health_centre"):
        by = "municipality"
    if errors:
        return None, errors, by
    reports = _state(request, "reports", Reports)
    job = reports.get(request.app.state.screening, current.actor, since=days["from"], until=days["to"], by=by,
                      wait=wait)
    return job, {}, by


@router.get("/report")
def report_page(request: Request, by: str = "municipality"):
    current = staff(request)
    since, until = request.query_params.get("from"), request.query_params.get("to")
    try:
        job, errors, by = _report(request, current, since, until, by, REPORT_WAIT)
    except ScreeningError as error:
        job, errors = None, {"to": said(error, lang(request, current))}
    chosen = {"from": since or "", "to": until or "", "by": by}
    if job is not None and job.data is not None:
        from urllib.parse import urlencode

        data = job.data
        query = urlencode({"from": data["from"], "to": data["to"], "by": data["by"]})
        refreshing = job.newer is not None and not job.newer.done.is_set()
        return render(request, "report.html", "report_title", current, chosen=chosen, report=data, query=query,
                      table=_table(data, said_words(request, current)), said=said_words(request, current),
                      errors=errors, refreshing=refreshing)
    status = 422 if errors else 200
    return render(request, "report_working.html" if job is not None else "report.html", "report_title", current,
                  status, chosen=chosen, report=None, job=job, errors=errors, here_query=request.url.query)


def _table(data: dict, said: Words) -> dict:
    """The report as a page's table: the groups across, the figures down (as `report` on a terminal)."""
    from screening.report import figure_names
    from screening.report_formats import BY, HIDDEN, NO_GROUPS, REGIONS, cell, label

    language = said.lang
    heads = [REGIONS[language] if row["level"] == "region" else
             (said.org(row["group"]) if data["by"] == "health_centre" and row["group"] else row["group"])
             or NO_GROUPS[language] for row in data["rows"]]
    lines = [(label(name, language), [cell(name, row[name]) for row in data["rows"]]) for name in figure_names()]
    return {"by": BY[language][data["by"]], "heads": heads, "lines": lines, "hidden": HIDDEN}


def _ready_job(request: Request, current: Current):
    by = request.query_params.get("by", "municipality")
    job, errors, _ = _report(request, current, request.query_params.get("from"), request.query_params.get("to"),
                             by, 120.0)
    if errors or job is None or job.data is None:
        raise Page(message(request, 422 if errors else 503, next(iter(errors.values()), ""), current, back="/report"))
    return job


@router.get("/report/chart.png")
def report_chart(request: Request):
    """The report's charts as a PNG (the table on the page is their text)."""
    current = staff(request)
    png = chart_png(_ready_job(request, current))
    return Response(png, media_type="image/png",
                    headers={"Content-Disposition": 'inline; filename="uppfoljning.png"'})


@router.get("/report/report.csv")
def report_csv(request: Request):
    """The report as CSV for a Swedish Excel (as `report --format csv`)."""
    from screening.report_formats import csv_bytes

    current = staff(request)
    return Response(csv_bytes(_ready_job(request, current).data), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="uppfoljning.csv"'})


# --- the access log's review ------------------------------------------------------------------------

def _samples(request: Request, current: Current) -> list[dict]:
    """The samples drawn, newest first (50), each with its review."""
    app = request.app.state.screening
    drawn = admin.administration(app, current.actor, kind="sample")
    reviews = {row["detail"].get("sample"): row for row in admin.administration(app, current.actor, kind="review")}
    return [{**row, "review": reviews.get(row["detail"].get("sample"))} for row in reversed(drawn[-50:])]


def _audit_page(request: Request, current: Current, errors: dict | None = None, chosen: dict | None = None,
                status: int = 200):
    return render(request, "audit.html", "audit_title", current, status, samples=_samples(request, current),
                  errors=errors or {}, chosen=chosen or {"size": "20", "from": "", "to": ""},
                  said=said_words(request, current))


@router.get("/audit")
def audit_page(request: Request):
    return _audit_page(request, staff(request))


@router.post("/audit")
def audit_draw(request: Request, fields: Form):
    current = staff(request, fields.get("csrf"))
    chosen = {name: fields.get(name, "").strip() for name in ("size", "from", "to")}
    errors = {}
    try:
        size = int(chosen["size"] or audit_sample.DEFAULT_SIZE)
    except ValueError:
        size, errors["size"] = 0, said(BadInput("a sample holds 1 to {limit} reads, not {size}",
                                                limit=audit_sample.SIZE_LIMIT, size=chosen["size"][:20]),
                                       lang(request, current))
    days = {}
    for name in ("from", "to"):
        try:
            days[name] = _day(chosen[name])
        except ValueError:
            errors[name] = words()[lang(request, current)]["report_bad_date"]
    if not errors:
        try:
            drawn = audit_sample.draw(request.app.state.screening, current.actor, size=size, start=days["from"],
                                      end=days["to"])
        except BadInput as error:
            errors["size" if "sample holds" in error.template else "from"] = said(error, lang(request, current))
        else:
            return RedirectResponse(f"/audit/{drawn['sample']}", status_code=303)
    return _audit_page(request, current, errors, chosen, 422)


def _sample_page(request: Request, current: Current, sample_id: str, errors: dict | None = None, status: int = 200,
                 finding: str = ""):
    try:
        shown = region_pages.sample(request.app.state.screening, current.actor, sample_id)
    except ScreeningError as error:
        return refused(request, current, error, "/audit")
    said_ = said_words(request, current)
    title = words()[lang(request, current)]["audit_sample_title"].format(sample=sample_id)
    return render(request, "audit_sample.html", "audit_title", current, status, sample=shown, heading=title,
                  errors=errors or {}, finding=finding, said=said_)


@router.get("/audit/{sample_id}")
def audit_sample_page(request: Request, sample_id: str):
    return _sample_page(request, staff(request), sample_id)


@router.post("/audit/{sample_id}/review")
def audit_review(request: Request, sample_id: str, fields: Form):
    current = staff(request, fields.get("csrf"))
    finding = fields.get("finding", "")
    outcome = fields.get("outcome", "ok")
    try:
        audit_sample.review(request.app.state.screening, current.actor, sample_id,
                            finding=None if outcome == "ok" else finding)
    except BadInput as error:
        return _sample_page(request, current, sample_id, {"finding": said(error, lang(request, current))}, 422,
                            finding)
    except ScreeningError as error:
        return refused(request, current, error, f"/audit/{sample_id}")
    return RedirectResponse(f"/audit/{sample_id}", status_code=303)


# --- users and the directory ------------------------------------------------------------------------

def _users_page(request: Request, current: Current, after: str | None = None, done: dict | None = None,
                status: int = 200):
    app = request.app.state.screening
    page = region_pages.people(app, current.actor, after=after or None)
    is_admin = current.actor.role == "admin"
    locked = accounts.locked(app, current.actor) if is_admin else []
    return render(request, "users.html", "users_title", current, status, page=page, admin=is_admin, locked=locked,
                  done=done, first=bool(after), said=said_words(request, current))


@router.get("/users")
def users_page(request: Request, after: str | None = None):
    return _users_page(request, staff(request), after)


USER_ACTIONS = ("disable", "reset", "password")


@router.post("/users/{user_id}/{action}")
def users_change(request: Request, user_id: str, action: str, fields: Form):
    """An admin disables a user, resets their second factor or gives them a one-time password (shown on
    this answer only, never again)."""
    current = staff(request, fields.get("csrf"))
    app = request.app.state.screening
    if action not in USER_ACTIONS:
        return message(request, 404, say("there is nothing at this address", {}, lang(request, current)), current,
                       back="/users")
    try:
        if action == "disable":
            users.disable_user(app, current.actor, user_id)
            done = {"kind": "disabled", "user": user_id}
        elif action == "reset":
            made = accounts.reset_factor(app, current.actor, user_id)
            done = {"kind": "reset", "user": user_id, "password": made["password"]}
        else:
            made = accounts.set_password(app, current.actor, user_id)
            done = {"kind": "password", "user": user_id, "password": made["password"]}
    except ScreeningError as error:
        return refused(request, current, error, "/users")
    return _users_page(request, current, done=done)


@router.get("/directory")
def directory_page(request: Request):
    current = staff(request)
    return render(request, "directory.html", "directory_title", current,
                  organisations=users.organisations(request.app.state.screening), said=said_words(request, current))
