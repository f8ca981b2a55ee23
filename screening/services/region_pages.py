"""The coordinator's and admin's pages' reads, a page at a time: the region's alerts (open or
acknowledged), the users, and one sample of the access log with its reads."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from screening import access, clock, views
from screening.errors import NotFound
from screening.model import Actor
from screening.services.users import user_view

log = logging.getLogger(__name__)
PAGE = 50
OVERVIEW_FRESH = timedelta(seconds=30)  # the overview's figures shared between the screens watching it
OVERVIEW_KEPT = timedelta(minutes=5)  # figures older than this are shown with a word that newer ones are counted
OVERVIEW_SHOWN = timedelta(hours=1)  # figures this old are not shown at all: the screen says they are being counted
OVERVIEW_WAIT = 2.0  # seconds a screen with no figures to show waits for them before it says they are being counted
_overviews: dict[tuple, tuple[datetime, dict]] = {}
_reading: dict[tuple, threading.Event] = {}  # the overviews being read in the background: set when read
_failed: dict[tuple, Exception] = {}  # why the last read of an overview failed (until one succeeds)
_lock = threading.Lock()


def overview(app, actor: Actor, *, oldest: int = 10, audited: set[str] | None = None,
             wait: float | None = None) -> dict | None:
    """`follow_up.overview` for screens that refresh themselves: its figures read at most once every
    OVERVIEW_FRESH per database and shared between the people watching (the page says the time of its
    figures), always in a thread of their own: over a country's cases the read takes seconds (every open
    step of the region), and nobody waits for it. Figures older than OVERVIEW_FRESH are shown at once
    while newer ones are read for the next to ask (`stale` once older than OVERVIEW_KEPT: the screen says
    so); with none younger than OVERVIEW_SHOWN, the screen waits up to `wait` seconds (OVERVIEW_WAIT)
    for the read and, if it is not done, gets None (the page says the figures are being counted, and
    asks again); if it failed, its error is raised (a page that says so, not one counting for ever).
    Each person's reads of the cases listed are recorded as `follow_up.overview` records them."""
    access.require_command(actor, "overview")
    now, key = app.clock.now(), (app.url, oldest)
    with _lock:
        kept = _overviews.get(key)
        age = now - kept[0] if kept is not None else None
        usable = age is not None and timedelta(0) <= age < OVERVIEW_SHOWN
        reading = _reading.get(key)
        if reading is None and not (usable and age < OVERVIEW_FRESH):
            reading = _reading[key] = threading.Event()
            threading.Thread(target=_read_in_background, args=(app, key, oldest, now, reading), name="overview",
                             daemon=True).start()
    if not usable:
        read = reading.wait(OVERVIEW_WAIT if wait is None else wait)
        with _lock:
            kept, failed = _overviews.get(key), _failed.get(key)
        age = now - kept[0] if kept is not None else None
        if age is None or not timedelta(0) <= age < OVERVIEW_SHOWN:
            if read and failed is not None:
                raise failed
            return None  # being counted
    data = {**kept[1], "stale": age >= OVERVIEW_KEPT}
    listed = dict.fromkeys([row["case"] for row in data["oldest"]] + [b["case"] for b in data["bookings_today"]])
    new = [case_id for case_id in listed if audited is None or case_id not in audited]
    if new:
        with app.reads() as reads:
            reads.record_reads(actor, new, "list", now, app.clock.real())
    if audited is not None:
        audited.update(new)
    return data


def overview_settled(timeout: float) -> bool:
    """Whether no overview is being read any more (waited for up to `timeout` seconds): for tests and
    benchmarks, which measure the next page without a read weighing on it."""
    with _lock:
        under_way = list(_reading.values())
    return all(event.wait(timeout) for event in under_way)


def _read_in_background(app, key: tuple, oldest: int, now: datetime, reading: threading.Event) -> None:
    from screening.storage.overview import read

    try:
        with app.reads() as reads:
            data = read(reads.conn, app.policy().rules, now, oldest)
        with _lock:
            if key not in _overviews or _overviews[key][0] <= now:
                _overviews[key] = (now, data)
            _failed.pop(key, None)
    except Exception as error:  # the figures kept are shown until they are too old; the next screen asks again
        log.exception("the overview could not be read")
        with _lock:
            _failed[key] = error
    finally:
        with _lock:
            _reading.pop(key, None)
        reading.set()


def alerts(app, actor: Actor, *, acknowledged: bool = False, after: tuple[datetime, int] | None = None) -> dict:
    """A page of the region's alerts (coordinator, admin), by due date: open ones, or those
    acknowledged; `next` the (due, id) to go on from, or None. The cases named are recorded as read."""
    from screening.storage import region_pages

    access.require_command(actor, "overview")
    with app.reads() as reads:
        rows = region_pages.alerts(reads.conn, acknowledged=acknowledged, after=after, limit=PAGE + 1)
        counts = region_pages.alert_counts(reads.conn)
        shown = rows[:PAGE]
        reads.record_reads(actor, list(dict.fromkeys(row["case_id"] for row in shown)), "alerts", app.clock.now(),
                           app.clock.real())
    more = len(rows) > PAGE
    return {"alerts": [views.alert_view(row) for row in shown], "counts": counts,
            "next": (shown[-1]["due"], shown[-1]["id"]) if more else None}


def people(app, actor: Actor, *, after: str | None = None) -> dict:
    """A page of the users, by id (coordinator: to read; admin: to change); `next` the id to go on from."""
    from screening.storage import region_pages

    access.require_command(actor, "user_list")
    with app.reads() as reads:
        rows = region_pages.users(reads.conn, after=after, limit=PAGE + 1)
    return {"users": [user_view(row) for row in rows[:PAGE]], "next": rows[PAGE - 1]["id"] if len(rows) > PAGE else None}


def sample(app, actor: Actor, sample_id: str) -> dict:
    """A sample of the access log drawn before, with its reads and its review (None: not yet)."""
    access.require_command(actor, "audit_sample")
    with app.uow() as uow:
        drawn = next((row for row in uow.audit.administration(("sample",))
                      if row["detail"].get("sample") == sample_id), None)
        if drawn is None or not access.may_review(actor, drawn["detail"].get("health_centre")):
            raise NotFound("unknown sample '{sample}'", sample=sample_id)
        review = next((row for row in uow.audit.administration(("review",))
                       if row["detail"].get("sample") == sample_id), None)
        shown = uow.audit.entries(list(drawn["detail"].get("reads", [])))
    detail = drawn["detail"]
    return {"sample": sample_id, "from": detail.get("from"), "to": detail.get("to"),
            "health_centre": detail.get("health_centre"), "population": detail.get("population"),
            "drawn_by": drawn["user_id"], "drawn_at": clock.local_iso(drawn["at"]),
            "reads": [{"id": row["id"], "at": clock.local_iso(row["at"]), "user": row["user_id"],
                       "name": row.get("user_name"), "org": row["org_id"], "case": row["case_id"],
                       "kind": row["action"]} for row in shown],
            "review": None if review is None else {**review["detail"], "user": review["user_id"],
                                                   "at": clock.local_iso(review["at"])}}
