"""The health centre's work list (its open steps by due date, its appointments of today and
tomorrow) and the search for a case by id, name or number (`find`, which the municipality's children
page searches with too). A page at a time (PAGE); every case a page names is recorded as read
(action `list`, as `case list` records) before it is given."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from screening import clock, identity
from screening.access import scope_filter
from screening.errors import BadInput, Refused
from screening.model import Actor
from screening.storage import name_words
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
MAX_WORDS = 5  # the words of a name a search matches (all of them; more are not read)


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


SEARCHERS = ("health_centre", "coordinator")


def search(app, actor: Actor, text: str, *, after: str | None = None, limit: int = PAGE,
           municipality: str | None = None) -> dict:
    """The cases in the actor's scope with this case id, identity number (personnummer or
    samordningsnummer, 10 or 12 digits), dossier number, or a name with a word beginning with each
    word of the text (case and accents aside: `name_words`); by id, a page at a time (`after`: a case
    id). A case outside the scope is not found, as if it did not exist. A health centre searches its own
    cases; a coordinator the region's, a name within one `municipality` (the names are kept per scope)."""
    if actor.role not in SEARCHERS:
        raise Refused("the search for a case is a health centre's or a coordinator's")
    now = app.clock.now()
    with app.reads() as reads:
        scope = None
        if scope_filter(actor) is None and municipality:
            scope = ("municipality", reads.municipality(municipality))
        found, rows, more = find(reads.conn, actor, text, after=after, limit=min(limit, PAGE),
                                 today=clock.local_date(now), scope=scope)
        reads.record_reads(actor, [row["id"] for row in rows], "list", now, app.clock.real())
    return {"cases": [{"id": row["id"], "name": row["name"], "birth_date": str(row["birth_date"])[:10],
                       "municipality": row["municipality"], "health": row["health_state"],
                       "ended": row["ended_at"] is not None} for row in rows],
            "by": found,
            "next": rows[-1]["id"] if more else None}


def municipalities(app, actor: Actor) -> list[str]:
    """The municipalities a coordinator chooses among to search a name in (the region's order); for
    anyone searching within their own scope, none."""
    if actor.role not in SEARCHERS or scope_filter(actor) is not None:
        return []
    with app.reads() as reads:
        return reads.report_groups("municipality")[1]


def find(conn, actor: Actor, text: str, *, after: str | None, limit: int, today,
         scope: tuple[str, str] | None = None) -> tuple[str, list[dict], bool]:
    """What the text is (`case_id`, `number`, `dossier` or `name`), a page of the cases in the actor's
    scope it finds (at most `limit`), and whether there are more: for every search (the health centre's,
    the municipality's). The caller records the cases it shows as read."""
    found = what(text, today)
    after = after.strip().upper() if after else None
    scope = scope_filter(actor) or scope  # within the actor's own scope; a coordinator's chosen one
    if scope is None and "words" in found:
        raise BadInput("choose the municipality to search a name in")
    rows = queries.find_cases(conn, scope, **found, after=after, limit=limit + 1)
    return "name" if "words" in found else next(iter(found)), rows[:limit], len(rows) > limit


def what(text: str, today) -> dict:
    """What the text is: a case id, an identity number, a dossier number, else the words of a name
    (folded; each a word's beginning). BadInput if there is too little or too much of it."""
    text = " ".join(text.split())
    if len(text) < 2:
        raise BadInput("give at least two characters to search for")
    if len(text) > 100:
        raise BadInput("the text to search for is too long")
    upper = text.upper()
    if _CASE_ID.fullmatch(upper):
        return {"case_id": upper}
    compact = upper.replace(" ", "")
    if _NUMBER.fullmatch(compact):
        digits = re.sub(r"[-+]", "", compact)[-10:]
        coordination = int(digits[4:6]) > 60  # a samordningsnummer's day is the day + 60
        parse = identity.parse_samordningsnummer if coordination else identity.parse_personnummer
        return {"number": parse(compact, today=today).digits}
    if re.fullmatch(r"[0-9]{2}-?[0-9]{6}", compact):
        return {"dossier": identity.parse_dossier(compact)}
    words = name_words.words(text)
    if not words or max(len(word) for word in words) < 2:  # one letter alone would read a twentieth of the names
        raise BadInput("give at least two characters to search for")
    return {"words": words[:MAX_WORDS]}
