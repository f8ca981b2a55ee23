"""Reading cases: one, a list, a case's history. Every case shown is recorded as read
(patientdatalagen 4 kap. 3 §) before anything is shown."""

from __future__ import annotations

from typing import Iterator

from screening import clock, model, views
from screening.errors import BadInput
from screening.model import Actor


def show(app, actor: Actor, case_id: str) -> dict:
    """One case, as the actor may see it."""
    case_id, now, upstream = model.case_id(case_id), app.clock.now(), app.policy().upstream
    with app.reads() as reads:
        row = reads.case(actor, case_id, at=now, recorded_at=app.clock.real())
    return views.case_view(row, actor, now, upstream)


def each(app, actor: Actor, *, municipality: str | None = None, health_centre: str | None = None,
         overdue: bool = False, open_only: bool = False, limit: int | None = None,
         after: str | None = None) -> Iterator[dict]:
    """The cases the actor may see, oldest notice first, as they are read (a long list needs the
    memory of one chunk, not of the list). `overdue`: with a step past due and still owed;
    `open_only`: not closed or moved out; `limit` and `after` (a case id): one page. Every case
    listed is recorded as read before the first is given; a refusal or bad input comes before it."""
    now, policy = app.clock.now(), app.policy()
    upstream = policy.upstream
    after = model.case_id(after) if after is not None else None
    with app.reads() as reads:
        if municipality is not None:
            municipality = reads.municipality(municipality)
        if health_centre is not None and reads.organisation(health_centre)["kind"] != "health_centre":
            raise BadInput("'{org}' is not a health centre", org=health_centre)
        rows = reads.each_case(actor, municipality=municipality, health_centre=health_centre, overdue=overdue,
                               open_only=open_only, limit=limit, after=after, at=now, recorded_at=app.clock.real(),
                               rules=policy.rules if overdue else None)
        first = next(rows, None)  # the reads recorded, and any refusal raised, before the first is given
        if first is None:
            return
        yield views.case_view(first, actor, now, upstream)
        for row in rows:
            yield views.case_view(row, actor, now, upstream)


def history(app, actor: Actor, case_id: str, *, reads_too: bool = False) -> list[dict]:
    """The case's audit trail: its events, and with `reads_too` every read of it (the log extract)."""
    case_id, now = model.case_id(case_id), app.clock.now()
    with app.reads() as reads:
        entries = reads.history(actor, case_id, include_reads=reads_too, at=now, recorded_at=app.clock.real())
    return [{"event": e["event"] or e["action"], "action": e["action"], "at": clock.local_iso(e["at"]),
             "recorded_at": clock.local_iso(e["recorded_at"]), "user": e["user_id"], "name": e.get("user_name"),
             "org": e["org_id"]}
            for e in entries]
