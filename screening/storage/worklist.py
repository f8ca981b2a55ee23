"""The health centre's work list and case search: plain SQL over the read model's connection
(`screening.storage.queries.ReadModel`), one page at a time.

The steps are read from the open deadlines' index by centre, owner and due (`ix_deadline_centre_open`,
0028), each case by its key; the appointments from the centre's bookings (`ix_booking_centre_starts`):
a page stops at its end, the counts read the centre's own open steps, never the region's. The search by name reads the scope's entries of the index of
the names' words (`case_name_word`) that begin with what was typed, never the cases in scope one by
one. The caller records the reads of the cases it shows."""

from __future__ import annotations

from datetime import datetime

from screening import clock
from screening.storage import name_words

OWNER = "health_centre"  # the party whose steps the list holds (a deadline's `owner`)


def open_steps(conn, centre: str, *, owed: str, rules: tuple[str, ...] | None, due_from: datetime | None,
               due_before: datetime | None, after: tuple | None, limit: int) -> list[dict]:
    """The centre's open steps still owed (`owed`: SQL over `d` and `c`), by due, case and rule:
    `rules` only these; `due_from` / `due_before` a window; `after` (due as stored, case, rule) the
    page after that step; at most `limit`."""
    where, params = _centre_steps(centre, owed, rules)
    if due_from is not None:
        where.append("d.due >= :due_from")
        params["due_from"] = conn.timestamp(due_from)
    if due_before is not None:
        where.append("d.due < :due_before")
        params["due_before"] = conn.timestamp(due_before)
    if after is not None:
        where.append("d.due >= :a_due AND (d.due > :a_due OR d.case_id > :a_case "
                     "OR (d.case_id = :a_case AND d.rule > :a_rule))")
        params.update(a_due=after[0], a_case=after[1], a_rule=after[2])
    params["limit"] = limit
    rows = conn.all("SELECT d.case_id, d.rule, d.starts, d.due, c.name, c.language, c.interpreter "
                    "FROM deadline d JOIN screening_case c ON c.id = d.case_id "
                    f"WHERE {' AND '.join(where)} ORDER BY d.due, d.case_id, d.rule LIMIT :limit", params)
    for row in rows:
        row["starts"], row["due"] = clock.from_db(row["starts"]), clock.from_db(row["due"])
    return rows


def step_mark(conn, centre: str, case_id: str, rule: str) -> tuple | None:
    """(due as stored, case, rule) of a step of the centre's: where a page continues; None if not its."""
    row = conn.one("SELECT d.due FROM deadline d JOIN screening_case c ON c.id = d.case_id "
                   "WHERE d.case_id = :case AND d.rule = :rule AND c.health_centre_id = :centre",
                   {"case": case_id, "rule": rule, "centre": centre})
    return None if row is None else (row["due"], case_id, rule)


def step_counts(conn, centre: str, *, owed: str, now: datetime, day_ends: datetime) -> dict[str, dict]:
    """By rule: the centre's open steps still owed, how many are overdue and how many due later today."""
    where, params = _centre_steps(centre, owed, None)
    params.update(now=conn.timestamp(now), day_ends=conn.timestamp(day_ends))
    rows = conn.all("SELECT d.rule, COUNT(*) AS open, "
                    "SUM(CASE WHEN d.due < :now THEN 1 ELSE 0 END) AS overdue, "
                    "SUM(CASE WHEN d.due >= :now AND d.due <= :day_ends THEN 1 ELSE 0 END) AS today "
                    "FROM deadline d JOIN screening_case c ON c.id = d.case_id "
                    f"WHERE {' AND '.join(where)} GROUP BY d.rule", params)
    return {row["rule"]: {key: int(row[key] or 0) for key in ("open", "overdue", "today")} for row in rows}


def appointments(conn, centre: str, *, start: datetime, end: datetime, limit: int) -> list[dict]:
    """The centre's booked appointments starting in [start, end), by time: the case, the kind, the
    time and the interpreter's language (none: no interpreter)."""
    rows = conn.all("SELECT b.case_id, b.kind, b.starts, b.ends, b.interpreter, c.name "
                    "FROM booking b JOIN screening_case c ON c.id = b.case_id "
                    "WHERE b.health_centre_id = :centre AND b.status = 'booked' AND b.starts >= :start "
                    "AND b.starts < :end AND c.health_centre_id = :centre AND c.ended_at IS NULL "
                    "ORDER BY b.starts, b.case_id LIMIT :limit",
                    {"centre": centre, "start": conn.timestamp(start), "end": conn.timestamp(end), "limit": limit})
    for row in rows:
        row["starts"], row["ends"] = clock.from_db(row["starts"]), clock.from_db(row["ends"])
    return rows


def find_cases(conn, scope: tuple[str, str] | None, *, case_id: str | None = None, number: str | None = None,
               dossier: str | None = None, words: list[str] | None = None, after: str | None, limit: int) -> list[dict]:
    """The cases in `scope` (column, value; None: all, but for a search by name) with this id, identity
    number (personnummer or samordningsnummer, 12 digits), dossier number, or a word of the name beginning
    with each of `words` (folded as `name_words.words` folds them), by id; `after`: the cases after this id."""
    if words:
        return _by_name(conn, scope, words, after=after, limit=limit)
    where, params = [], {"limit": limit}
    if scope is not None:  # an expression, not the column: the id's or number's own index is read, then
        where.append(f"COALESCE({scope[0]}, '') = :scope")  # the scope checked on its few rows (SQLite
        params["scope"] = scope[1]  # would otherwise walk the whole scope's index: 0.8 s at 1,000,000)
    if case_id is not None:
        where.append("id = :id")
        params["id"] = case_id
    elif number is not None:
        where.append("(personnummer = :number OR samordningsnummer = :number)")
        params["number"] = number
    else:
        where.append("dossier = :dossier")
        params["dossier"] = dossier
    if after is not None:
        where.append("id > :after")
        params["after"] = after
    return _found(conn.all(f"SELECT {FOUND} FROM screening_case c WHERE {' AND '.join(where)} ORDER BY id LIMIT :limit",
                           params))


FOUND = "c.id, c.name, c.birth_date, c.municipality, c.health_state, c.ended_at"


def _by_name(conn, scope: tuple[str, str] | None, words: list[str], *, after: str | None, limit: int) -> list[dict]:
    """The search by name: for each word, the range of `case_name_word`'s key within the scope that
    begins with it (the index only), the cases in every range (INTERSECT) by id, the page's first
    `limit` of them; then those cases by their key. SQLite joins in the order written (CROSS JOIN):
    from the page found to its cases."""
    if scope is None:
        raise ValueError("a search by name is within a scope (the region's coordinators have none to search)")
    params: dict = {"limit": limit, "scope": name_words.scope_key(*scope)}
    ranges = [_prefix_range(i, word, params, after) for i, word in enumerate(words)]
    found = " INTERSECT ".join(ranges) if len(ranges) > 1 else ranges[0].replace("SELECT", "SELECT DISTINCT", 1)
    return _found(conn.all(f"SELECT {FOUND} FROM ({found} ORDER BY case_id LIMIT :limit) m "
                           "CROSS JOIN screening_case c WHERE c.id = m.case_id ORDER BY c.id", params))


def _prefix_range(i: int, word: str, params: dict, after: str | None) -> str:
    """The scope's cases with a name word beginning with `word`: a range of the key (byte order on both
    databases)."""
    params[f"w{i}"] = word
    sql = f"SELECT case_id FROM case_name_word WHERE scope = :scope AND word >= :w{i}"
    upper = name_words.after_prefix(word)
    if upper is not None:
        params[f"w{i}_next"] = upper
        sql += f" AND word < :w{i}_next"
    if after is not None:
        params["after"] = after
        sql += " AND case_id > :after"
    return sql


def _found(rows: list[dict]) -> list[dict]:
    for row in rows:
        row["ended_at"] = clock.from_db(row["ended_at"])
    return rows


def _centre_steps(centre: str, owed: str, rules: tuple[str, ...] | None) -> tuple[list[str], dict]:
    """The centre's open steps, read from the deadlines' own index (`ix_deadline_centre_open`: centre,
    owner, due), each joined to its case by key; the case's centre checked too (a row the index names is
    the centre's as its case says)."""
    where = ["d.health_centre_id = :centre", "d.owner = :owner", "d.status = 'open'", "c.health_centre_id = :centre",
             owed]
    params: dict = {"centre": centre, "owner": OWNER}
    if rules:
        names = {f"r{i}": rule for i, rule in enumerate(rules)}
        where.append(f"d.rule IN ({', '.join(':' + name for name in names)})")
        params.update(names)
    return where, params
