"""The health centre's work list and case search: plain SQL over the read model's connection
(`screening.storage.queries.ReadModel`), one page at a time.

Every read goes through the centre's cases (`ix_screening_case_centre_notice`), then each case's
deadlines by their key or the centre's bookings by `ix_booking_centre_starts`: bounded by one
centre's open cases, never the region's. The caller records the reads of the cases it shows."""

from __future__ import annotations

from datetime import datetime

from screening import clock

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
               dossier: str | None = None, name: str | None = None, after: str | None, limit: int) -> list[dict]:
    """The cases in `scope` (column, value; None: all) with this id, identity number (personnummer or
    samordningsnummer, 12 digits), dossier number, or a name holding `name` (any case; a letter beyond
    ASCII matches any one letter here: the caller keeps the names that hold `name`), by id."""
    where, params = [], {"limit": limit}
    if scope is not None:
        where.append(f"{scope[0]} = :scope")
        params["scope"] = scope[1]
    if case_id is not None:
        where.append("id = :id")
        params["id"] = case_id
    elif number is not None:
        where.append("(personnummer = :number OR samordningsnummer = :number)")
        params["number"] = number
    elif dossier is not None:
        where.append("dossier = :dossier")
        params["dossier"] = dossier
    else:
        where.append("LOWER(name) LIKE :name ESCAPE '\\'")
        params["name"] = f"%{_pattern(name)}%"
    if after is not None:
        where.append("id > :after")
        params["after"] = after
    rows = conn.all("SELECT id, name, birth_date, municipality, health_state, ended_at FROM screening_case "
                    f"WHERE {' AND '.join(where)} ORDER BY id LIMIT :limit", params)
    for row in rows:
        row["ended_at"] = clock.from_db(row["ended_at"])
    return rows


def _pattern(name: str) -> str:
    """`name` for LIKE, lower case, its wildcards escaped; a letter beyond ASCII matched by any one
    character (SQLite's LOWER folds ASCII only: 'Å' stays 'Å'), the caller keeping the true matches."""
    return "".join("\\" + ch if ch in "\\%_" else "_" if ord(ch) > 127 else ch for ch in name.lower())


def _centre_steps(centre: str, owed: str, rules: tuple[str, ...] | None) -> tuple[list[str], dict]:
    where = ["c.health_centre_id = :centre", "d.owner = :owner", owed]
    params: dict = {"centre": centre, "owner": OWNER}
    if rules:
        names = {f"r{i}": rule for i, rule in enumerate(rules)}
        where.append(f"d.rule IN ({', '.join(':' + name for name in names)})")
        params.update(names)
    return where, params
