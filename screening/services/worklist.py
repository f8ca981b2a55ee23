"""The health centre's work list (its open steps by due date, its appointments of today and
tomorrow) and the search for a case by id, name or number. A page at a time (PAGE); every case a
page names is recorded as read (action `list`, as `case list` records) before it is given."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from screening import clock, identity
from screening.access import scope_filter
from screening.errors import BadInput, Refused
from screening.model import Actor
from screening.storage import worklist as queries

PAGE = 50
# The kinds of step on the list, by the rules that make them (the health centre's steps).
KINDS = {
    "book": ("book_health_conversation",),  # step 3: a new notice, booked within five working days
    "results": ("results_received",),  # step 6: the samples' results awaited
    "inform": ("inform_family", "inform_reception"),  # steps 6, 7: results in, the family and reception told
    "examination": ("book_examination",),  # steps 6, 9: the doctor's examination booked
}
RULES = tuple(rule for rules in KINDS.values() for rule in rules)
WHEN = ("all", "overdue", "today")  # every open step; those past due; those due later today
_CASE_ID = re.compile(r"SC-[0-9A-Z]{8}")
_NUMBER = re.compile(r"[0-9]{6}([0-9]{2})?[-+]?[0-9]{4}")


def _centre(actor: Actor) -> str:
    if actor.role != "health_centre":
        raise Refused("the work list is a health centre's")
    return actor.org_id


def _day_ends(now: datetime) -> datetime:
    from screening.workdays import end_of_day

    return end_of_day(clock.local_date(now))


def steps(app, actor: Actor, *, when: str = "all", kind: str | None = None, after: str | None = None,
          limit: int = PAGE) -> dict:
    """One page of the centre's open steps, overdue first (by due): each with its case, the child's
    name, the rule, its due, and how many working days late; `next`: the page after, if any."""
    centre = _centre(actor)
    if when not in WHEN:
        raise BadInput("the list is filtered by one of {allowed}, not '{value}'", value=when, allowed=", ".join(WHEN))
    if kind is not None and kind not in KINDS:
        raise BadInput("the list is filtered by one of {allowed}, not '{value}'", value=kind, allowed=", ".join(KINDS))
    now, policy = app.clock.now(), app.policy()
    from workflows.deadlines import still_owed_sql

    owed = still_owed_sql(policy.rules, "d", "c")
    with app.reads() as reads:
        mark = _mark(reads.conn, centre, after)
        rows = queries.open_steps(reads.conn, centre, owed=owed, rules=KINDS[kind] if kind else RULES,
                                  due_from=now if when == "today" else None,
                                  due_before=now if when == "overdue" else
                                  _day_ends(now) + timedelta(seconds=1) if when == "today" else None,
                                  after=mark, limit=min(limit, PAGE) + 1)
        more, rows = len(rows) > min(limit, PAGE), rows[:min(limit, PAGE)]
        reads.record_reads(actor, list(dict.fromkeys(row["case_id"] for row in rows)), "list", now,
                           app.clock.real())
    today = clock.local_date(now)
    items = [_step(row, policy, now, today) for row in rows]
    return {"steps": items, "next": f"{rows[-1]['case_id']}:{rows[-1]['rule']}" if more else None}


def _mark(conn, centre: str, after: str | None) -> tuple | None:
    if after is None:
        return None
    case_id, _, rule = after.strip().upper().partition(":")
    mark = queries.step_mark(conn, centre, case_id, rule.lower()) if rule else None
    if mark is None:
        raise BadInput("the list cannot go on after '{after}': no such step on it", after=after)
    return mark


def _step(row: dict, policy, now: datetime, today) -> dict:
    rule = policy.rules.get(row["rule"])
    due_day = clock.local_date(row["due"])
    overdue = row["due"] < now
    return {"case_id": row["case_id"], "name": row["name"], "rule": row["rule"],
            "clause": rule.clause if rule else None, "starts": clock.local_iso(row["starts"]),
            "due": clock.local_iso(row["due"]), "due_date": due_day.isoformat(), "overdue": overdue,
            "due_today": not overdue and due_day == today,
            "days_late": policy.calendar.between(due_day, today) if overdue else 0,
            "interpreter": row["language"] if row["interpreter"] else None}


def summary(app, actor: Actor) -> dict:
    """How many of the centre's open steps there are: overdue, due later today, and open by kind
    (counts only: no case is named)."""
    centre = _centre(actor)
    now, policy = app.clock.now(), app.policy()
    from workflows.deadlines import still_owed_sql

    with app.reads() as reads:
        counts = queries.step_counts(reads.conn, centre, owed=still_owed_sql(policy.rules, "d", "c"), now=now,
                                     day_ends=_day_ends(now))
    ours = {rule: counts.get(rule, {"open": 0, "overdue": 0, "today": 0}) for rule in RULES}
    return {"overdue": sum(c["overdue"] for c in ours.values()), "today": sum(c["today"] for c in ours.values()),
            "kinds": {kind: sum(ours[rule]["open"] for rule in rules) for kind, rules in KINDS.items()}}


def appointments(app, actor: Actor, *, limit: int = PAGE) -> dict:
    """The centre's appointments of today and tomorrow (Europe/Stockholm), by time, with the
    interpreter's language; each case named is recorded as read."""
    centre = _centre(actor)
    now = app.clock.now()
    today = clock.local_date(now)
    start = datetime.combine(today, datetime.min.time(), clock.STOCKHOLM)
    end = datetime.combine(today + timedelta(days=2), datetime.min.time(), clock.STOCKHOLM)
    with app.reads() as reads:
        rows = queries.appointments(reads.conn, centre, start=start, end=end, limit=min(limit, PAGE) + 1)
        more, rows = len(rows) > min(limit, PAGE), rows[:min(limit, PAGE)]
        reads.record_reads(actor, list(dict.fromkeys(row["case_id"] for row in rows)), "list", now,
                           app.clock.real())
    return {"appointments": [{"case_id": row["case_id"], "name": row["name"], "kind": row["kind"],
                              "starts": clock.local_iso(row["starts"]), "ends": clock.local_iso(row["ends"]),
                              "day": "today" if clock.local_date(row["starts"]) == today else "tomorrow",
                              "interpreter": row["interpreter"]} for row in rows],
            "more": more}


def search(app, actor: Actor, text: str, *, after: str | None = None, limit: int = PAGE) -> dict:
    """The cases in the actor's scope with this case id, identity number (personnummer or
    samordningsnummer, 10 or 12 digits), dossier number, or a name holding the text; by id, a page
    at a time (`after`: a case id). A case outside the scope is not found, as if it did not exist."""
    _centre(actor)
    text = " ".join(text.split())
    if len(text) < 2:
        raise BadInput("give at least two characters to search for")
    if len(text) > 100:
        raise BadInput("the text to search for is too long")
    now = app.clock.now()
    found = _what(text.upper(), clock.local_date(now))
    after = after.strip().upper() if after else None
    with app.reads() as reads:
        rows = queries.find_cases(reads.conn, scope_filter(actor), **found, after=after, limit=min(limit, PAGE) + 1)
        more, rows = len(rows) > min(limit, PAGE), rows[:min(limit, PAGE)]
        last = rows[-1]["id"] if rows else None
        if "name" in found:  # the names that hold the text, whatever the case of their letters
            rows = [row for row in rows if found["name"].casefold() in " ".join((row["name"] or "").split()).casefold()]
        reads.record_reads(actor, [row["id"] for row in rows], "list", now, app.clock.real())
    return {"cases": [{"id": row["id"], "name": row["name"], "birth_date": str(row["birth_date"])[:10],
                       "municipality": row["municipality"], "health": row["health_state"],
                       "ended": row["ended_at"] is not None} for row in rows],
            "by": next(iter(found)),
            "next": last if more else None}


def _what(text: str, today) -> dict:
    """What the text is: a case id, an identity number, a dossier number, else a part of a name."""
    if _CASE_ID.fullmatch(text):
        return {"case_id": text}
    compact = text.replace(" ", "")
    if _NUMBER.fullmatch(compact):
        digits = re.sub(r"[-+]", "", compact)[-10:]
        coordination = int(digits[4:6]) > 60  # a samordningsnummer's day is the day + 60
        parse = identity.parse_samordningsnummer if coordination else identity.parse_personnummer
        return {"number": parse(compact, today=today).digits}
    if re.fullmatch(r"[0-9]{2}-?[0-9]{6}", compact):
        return {"dossier": identity.parse_dossier(compact)}
    return {"name": text}
