"""The follow-up statistics of § 10, aggregated in SQL. Definitions: docs/statistics.md.

A child belongs to a period by the local date its notice was registered. Every figure is taken
as things stand at `now`: a deadline not yet due counts as neither met nor missed.

The database does the work. One pass writes each child of the period with the values the
figures need into a temporary table `report_case`. Grouped queries over it give the counts,
the percentiles (by window functions, so both backends compute the same number) and the missed
deadlines by the party that answers for them. Python only fills in the two small calendar
tables SQL cannot know and hides small groups (`suppress`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from screening.clock import STOCKHOLM
from screening.workdays import WorkingDays

PARTIES = ("reception_unit", "health_centre", "school", "preschool", "bvc", "school_health", "coordinator")
COUNTS = ("notified_same_day", "booked_in_time", "booking_pending", "offered", "conversations_held", "examined",
          "declined", "results_late", "vaccination_plans_made", "vaccinations_completed")
SHARES = {"notified_same_day_share": "notified_same_day", "booked_in_time_share": "booked_in_time",
          "offered_share": "offered", "examined_share": "examined"}
# duration figure -> (the later step's stored time, its local day in `report_case`, the start's
# day): calendar days from the arrival date, except the booking's, in working days from the day
# the HC was informed (step 3)
DURATIONS = {
    "workdays_to_booking": ("conversation_booked_at", "booked_day", "informed_day"),
    "days_to_conversation": ("samples_taken_at", "conversation_day", "arrival_day"),
    "days_to_results": ("results_received_at", "results_day", "arrival_day"),
    "days_to_examination": ("examined_at", "examination_day", "arrival_day"),
    "days_to_school_start": ("school_started_at", "school_day", "arrival_day"),
    "days_to_preschool_start": ("preschool_started_at", "preschool_day", "arrival_day"),
}
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) in UTC: from local midnight of the first day to that after the last."""
        start = datetime.combine(self.first, time(0), STOCKHOLM)
        end = datetime.combine(self.last + timedelta(days=1), time(0), STOCKHOLM)
        return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


class Dialect:
    """The few expressions the backends spell differently; days are whole days since 1970-01-01."""

    def __init__(self, sqlite: bool):
        self.sqlite = sqlite

    def local_day(self, column: str) -> str:
        if self.sqlite:  # Unix seconds; the offset in force then, from `report_zone`
            return (f"(({column} + (SELECT z.shift FROM report_zone z WHERE z.since <= {column} "
                    f"ORDER BY z.since DESC LIMIT 1)) / 86400)")
        return f"(({column} AT TIME ZONE 'Europe/Stockholm')::date - DATE '1970-01-01')"

    def day(self, column: str) -> str:
        if self.sqlite:  # ISO text
            return f"CAST(julianday({column}) - 2440587.5 AS INTEGER)"
        return f"({column} - DATE '1970-01-01')"

    def month(self, day: str) -> str:
        if self.sqlite:
            return f"strftime('%Y-%m', {day} * 86400, 'unixepoch')"
        return f"to_char(DATE '1970-01-01' + {day}, 'YYYY-MM')"

    def temp_table(self, name: str, columns: str = "", keyed: bool = False) -> str:
        """The start of a temporary table's CREATE, gone at the end of the report's transaction
        (`keyed`: the rows are stored in the order of the primary key, on SQLite too)."""
        return f"CREATE TEMP TABLE {name} {columns}" + (
            (" WITHOUT ROWID" if keyed else "") if self.sqlite else " ON COMMIT DROP")


def missed(alias: str) -> str:
    """A deadline done after its due, or past due and not done (stored open, shown breached)."""
    return f"({alias}.status = 'late' OR ({alias}.status = 'open' AND {alias}.due < :now))"


def build_cases(conn, period: Period, now: datetime) -> None:
    """Write `report_case`: one row per child of the period, with what the figures need."""
    sql = Dialect(conn.sqlite)
    start, end = period.bounds()
    flag = "CASE WHEN {} THEN 1 ELSE 0 END".format
    days = ",\n".join(f"{sql.local_day('c.' + column)} AS {day}" for column, day, _since in DURATIONS.values())
    numbers = ("notice_day", *COUNTS, "informed_day", "arrival_day", *(day for _c, day, _s in DURATIONS.values()))
    key = " PRIMARY KEY" if conn.sqlite else ""  # SQLite looks children up by it; PostgreSQL hashes
    conn.execute(sql.temp_table("report_case", f"(id VARCHAR(16){key}, municipality TEXT, health_centre TEXT, "
                                + ", ".join(f"{name} INTEGER" for name in numbers) + ")", keyed=True))
    conn.execute(f"""INSERT INTO report_case (id, municipality, health_centre, {', '.join(numbers)})
        SELECT c.id, c.municipality, c.health_centre_id AS health_centre,
          {sql.local_day('c.notice_at')} AS notice_day,
          {flag("n.status = 'met'")} AS notified_same_day,
          {flag("b.status = 'met'")} AS booked_in_time,
          {flag("b.status = 'open' AND b.due >= :now")} AS booking_pending,
          {flag("c.conversation_booked_at IS NOT NULL")} AS offered,
          {flag("c.samples_taken_at IS NOT NULL")} AS conversations_held,
          {flag("c.examined_at IS NOT NULL")} AS examined,
          {flag("c.declined_at IS NOT NULL")} AS declined,
          {flag(missed('r'))} AS results_late,
          {flag("c.vaccination_plan_at IS NOT NULL")} AS vaccination_plans_made,
          {flag("c.vaccinations_done_at IS NOT NULL")} AS vaccinations_completed,
          {sql.local_day('c.parties_notified_at')} AS informed_day,
          {sql.day('c.arrival')} AS arrival_day,
          {days}
        FROM screening_case c {_three_deadlines(conn.sqlite)}
        WHERE c.notice_at >= :start AND c.notice_at < :end{" ORDER BY c.id" if conn.sqlite else ""}""",
                 {"start": conn.timestamp(start), "end": conn.timestamp(end), "now": conn.timestamp(now)})
    if not conn.sqlite:
        conn.execute("ANALYZE report_case (id)")  # a temporary table has no row count for the planner


def rule_versions(conn) -> list[int]:
    """The versions of the rule table the period's deadlines were computed under (`report_case`
    built). With one version stored there is nothing to look up."""
    if conn.scalar("SELECT COUNT(*) FROM rule_version") <= 1:
        return [conn.scalar("SELECT MAX(version) FROM rule_version") or 1]
    return [row["version"] for row in conn.all(
        "SELECT v.version FROM rule_version v WHERE EXISTS (SELECT 1 FROM report_case rc JOIN deadline d "
        "ON d.case_id = rc.id WHERE d.rules_version = v.version) ORDER BY v.version")]


def _three_deadlines(sqlite: bool) -> str:
    """The child's notification (n), booking (b) and results (r) deadlines, as columns `status`
    and `due`: SQLite seeks each by its key; PostgreSQL reads the deadlines once and pivots them
    (one scan and a hash join instead of three)."""
    rules = {"n": "notify_parties", "b": "book_health_conversation", "r": "results_received"}
    if sqlite:
        return " ".join(f"LEFT JOIN deadline {a} ON {a}.case_id = c.id AND {a}.rule = '{rule}'"
                        for a, rule in rules.items())
    pivot = ", ".join(f"MAX(CASE WHEN rule = '{rule}' THEN {column} END) AS {a}_{column}"
                      for a, rule in rules.items() for column in ("status", "due"))
    wanted = ", ".join(f"'{rule}'" for rule in rules.values())
    aliases = " ".join(f"CROSS JOIN LATERAL (SELECT p.{a}_status AS status, p.{a}_due AS due) {a}" for a in rules)
    return (f"LEFT JOIN (SELECT case_id, {pivot} FROM deadline WHERE rule IN ({wanted}) GROUP BY case_id) p "
            f"ON p.case_id = c.id {aliases}")


def build_calendar(conn, calendar: WorkingDays) -> None:
    """`report_workday`: for each day the booking figures touch, the working days up to it, so
    that the working days in (informed, booked] are one subtraction (step 3: day 0 is the day
    the HC is informed)."""
    sql = Dialect(conn.sqlite)
    span = conn.one("SELECT MIN(informed_day) AS a, MIN(booked_day) AS b, MAX(informed_day) AS c, "
                    "MAX(booked_day) AS d FROM report_case WHERE informed_day IS NOT NULL AND booked_day IS NOT NULL")
    conn.execute(sql.temp_table("report_workday", "(day INTEGER PRIMARY KEY, no INTEGER NOT NULL)"))
    if span is None or span["a"] is None:
        return
    rows, count = [], 0
    for number in range(min(span["a"], span["b"]), max(span["c"], span["d"]) + 1):
        count += calendar.is_working_day(_EPOCH + timedelta(days=number))
        rows.append({"day": number, "no": count})
    conn.many("INSERT INTO report_workday (day, no) VALUES (:day, :no)", rows)


def build_zone(conn) -> None:
    """SQLite only: Europe/Stockholm's offsets from zoneinfo, as (since, shift) in seconds."""
    conn.execute("CREATE TEMP TABLE report_zone (since INTEGER PRIMARY KEY, shift INTEGER NOT NULL)")
    conn.many("INSERT INTO report_zone (since, shift) VALUES (:since, :shift)",
              [{"since": since, "shift": shift} for since, shift in zone_shifts()])


@functools.cache
def zone_shifts(first_year: int = 1970, last_year: int = 2100) -> tuple[tuple[int, int], ...]:
    """Every change of Stockholm's UTC offset from `first_year` to `last_year`, found by bisection
    between month starts (the first entry holds the offset before them all)."""

    def shift(second: int) -> int:
        return int(datetime.fromtimestamp(second, STOCKHOLM).utcoffset().total_seconds())

    starts = [int(datetime(year, month, 1, tzinfo=timezone.utc).timestamp())
              for year in range(first_year, last_year + 1) for month in range(1, 13)]
    changes = [(-(2 ** 62), shift(starts[0]))]
    for lo, hi in zip(starts, starts[1:]):
        if shift(lo) == shift(hi):
            continue
        while hi - lo > 1:  # the first second of the new offset
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if shift(mid) == shift(lo) else (lo, mid)
        changes.append((hi, shift(hi)))
    return tuple(changes)


def duration(name: str) -> tuple[str, str]:
    """(`FROM …` of its values, the value's SQL): one row per child of `report_case` that has one.

    Working days in (informed, booked] are a subtraction of `report_workday`'s running counts (a
    join, not a lookup per row); a booking made before the HC was told counts as 0."""
    _column, day, since = DURATIONS[name]
    if since == "informed_day":
        return ("report_case JOIN report_workday wb ON wb.day = booked_day "
                "JOIN report_workday wi ON wi.day = informed_day",
                "CASE WHEN booked_day <= informed_day THEN 0 ELSE wb.no - wi.no END")
    return f"report_case WHERE {day} IS NOT NULL AND {since} IS NOT NULL", f"{day} - {since}"


def counts(conn, by: tuple[str, ...]) -> dict[tuple, dict]:
    """The children and the counted figures per group (`by` empty: the whole region)."""
    month = Dialect(conn.sqlite).month("notice_day")  # the notice's month, for the charts
    keys = ", ".join(month + " AS month" if key == "month" else key for key in by)
    sums = ", ".join(f"SUM({name}) AS {name}" for name in COUNTS)
    rows = conn.all(f"SELECT {keys + ', ' if by else ''}COUNT(*) AS notices, {sums} FROM report_case"
                    + (f" GROUP BY {', '.join(month if key == 'month' else key for key in by)}" if by else ""))
    return {tuple(row[k] for k in by): {k: int(v or 0) for k, v in row.items() if k not in by} for row in rows}


def percentiles(conn, by: tuple[str, ...]) -> dict[tuple, dict]:
    """Median and 90th percentile of every duration per group and (key `()`) for the region,
    interpolated between the two nearest ranks (as PERCENTILE.INC in a spreadsheet): rank
    h = p·(n − 1) counted from 0. The durations are whole days, so the database counts the
    children at each value (a histogram per group) and finds the ranks by running sums over it;
    whole numbers of tenths throughout, so both backends give the same exact result."""
    keys = "".join(f"{k}, " for k in by)
    conn.execute(Dialect(conn.sqlite).temp_table(
        "report_hist", "(" + "".join(f"{k} TEXT, " for k in by) + "figure TEXT, x INTEGER, c INTEGER)"))
    for name in DURATIONS:  # one grouped pass per figure sorts less than one over them all
        source, value = duration(name)
        conn.execute(f"INSERT INTO report_hist SELECT {keys}'{name}', {value} AS x, COUNT(*) FROM {source} "
                     f"GROUP BY {keys}x")
    found = {key + (): ranks for key, ranks in _ranks(conn, "report_hist", by).items()}
    region = _ranks(conn, "(SELECT figure, x, SUM(c) AS c FROM report_hist GROUP BY figure, x)", ())
    found[()] = region.get((), {})
    return found


def _ranks(conn, histogram: str, by: tuple[str, ...]) -> dict[tuple, dict]:
    """The k-th smallest value of a group is the first x whose running count passes k."""
    keys = "".join(f"{k}, " for k in by)
    rows = conn.all(f"""
        WITH r AS (SELECT {keys}figure, x, SUM(c) OVER (PARTITION BY {keys}figure ORDER BY x
                                                        ROWS UNBOUNDED PRECEDING) AS upto,
                          SUM(c) OVER (PARTITION BY {keys}figure) AS n FROM {histogram} h),
        q AS (SELECT {keys}figure, x, upto, n, (n - 1) / 2 AS m, 9 * (n - 1) / 10 AS t FROM r)
        SELECT {keys}figure, MAX(n) AS n, MIN(CASE WHEN upto > m THEN x END) AS m0,
               MIN(CASE WHEN upto > m + 1 THEN x END) AS m1, MIN(CASE WHEN upto > t THEN x END) AS t0,
               MIN(CASE WHEN upto > t + 1 THEN x END) AS t1
        FROM q GROUP BY {keys}figure""")
    found: dict[tuple, dict] = {}
    for row in rows:
        n = int(row["n"])
        mf, tf = (n - 1) % 2, 9 * (n - 1) % 10
        median2 = row["m0"] * (2 - mf) + (row["m1"] * mf if mf else 0)
        p90x10 = row["t0"] * (10 - tf) + (row["t1"] * tf if tf else 0)
        found.setdefault(tuple(row[k] for k in by), {})[row["figure"]] = {
            "n": n, "median": int(median2) / 2, "p90": int(p90x10) / 10}
    return found


def breaches(conn, by: tuple[str, ...], upstream: dict[str, str], now_param) -> dict[tuple, dict]:
    """Missed deadlines of the period's children by the party that answers for each (§ 10): a
    late or breached step is counted against the owner of a late or breached step upstream of it,
    as far up as the chain goes, else against its own owner (as `case show` attributes)."""
    depth = _depth(upstream)
    joins = "".join(
        f" LEFT JOIN deadline u{level} ON u{level}.case_id = d.case_id AND u{level}.rule = "
        f"{_upstream_of('d' if level == 1 else f'u{level - 1}', upstream)}" for level in range(1, depth + 1))
    answer = "NULL"
    for level in range(depth, 0, -1):
        u = f"u{level}"
        answer = (f"CASE WHEN {u}.attributed_to IS NOT NULL THEN {u}.attributed_to "
                  f"WHEN {missed(u)} THEN COALESCE({answer}, {u}.owner) END")
    party = f"COALESCE(d.attributed_to, {answer}, d.owner)"
    keys = "".join(f"rc.{k}, " for k in by)
    # SQLite: read the deadlines in their stored order and look each child up in `report_case`
    # (in memory), rather than seek every child's deadlines on disk (CROSS JOIN keeps that order)
    join = "CROSS JOIN" if conn.sqlite else "JOIN"
    rows = conn.all(f"SELECT {keys}{party} AS party, COUNT(*) AS missed FROM deadline d "
                    f"{join} report_case rc ON rc.id = d.case_id{joins} WHERE {missed('d')} "
                    f"GROUP BY {keys}{party}", {"now": now_param})
    found: dict[tuple, dict] = {}
    for row in rows:
        found.setdefault(tuple(row[k] for k in by), {})[row["party"]] = int(row["missed"])
    return found


def _upstream_of(alias: str, upstream: dict[str, str]) -> str:
    cases = " ".join(f"WHEN '{rule}' THEN '{before}'" for rule, before in sorted(upstream.items()))
    if not cases:
        return "NULL"
    steps = ", ".join(f"'{before}'" for before in sorted(set(upstream.values())))
    # the IN lets PostgreSQL read only the upstream steps' deadlines for its hash
    return f"CASE {alias}.rule {cases} END AND u{_level(alias) + 1}.rule IN ({steps})"


def _level(alias: str) -> int:
    return 0 if alias == "d" else int(alias[1:])


def _depth(upstream: dict[str, str]) -> int:
    """The longest chain of upstream steps (a rule file's cycle is cut where it closes)."""
    longest = 0
    for rule in upstream:
        seen = {rule}
        while rule in upstream and upstream[rule] not in seen:
            rule = upstream[rule]
            seen.add(rule)
        longest = max(longest, len(seen) - 1)
    return longest


def arrival_to_examination(conn) -> dict[int, int]:
    """Children by whole weeks from arrival to the doctor's examination (week 0: days 0–6)."""
    source, days = duration("days_to_examination")
    rows = conn.all(f"SELECT ({days}) / 7 AS weeks, COUNT(*) AS children FROM {source} "
                    f"AND {days} >= 0 GROUP BY ({days}) / 7")
    return {int(row["weeks"]): int(row["children"]) for row in rows}
