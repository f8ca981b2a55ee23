"""The report: the § 10 figures per group and for the region, small groups hidden.

`compute` runs the grouped queries of `screening.storage.statistics` in one snapshot and shapes their
results into the contract's rows; `suppress` hides every figure of a group of fewer children
than the threshold, and of as many more groups as it takes so that the hidden ones cannot be
worked out from the region's total. Definitions of every figure: docs/statistics.md.
"""

from __future__ import annotations

from datetime import date, datetime

from screening.errors import BadInput
from screening.storage import rule_versions
from screening.storage import statistics as st
from screening.storage.statistics import Period
from screening.workdays import WorkingDays

BY = ("municipality", "health_centre")
PARTIES = st.PARTIES


def check_grouping(by: str) -> None:
    if by not in BY:
        raise BadInput("a report is grouped by municipality or health_centre, not '{value}'", value=by)


def period(first: date | None, last: date | None, *, today: date) -> Period:
    """Both days included; by default 1 January of `today`'s year to `today`."""
    chosen = Period(first or today.replace(month=1, day=1), last or today)
    if chosen.last < chosen.first:
        raise BadInput("the period ends ({last}) before it begins ({first})", last=chosen.last.isoformat(),
                       first=chosen.first.isoformat())
    return chosen


def figure_names() -> list[str]:
    """The figures of a row, in the contract's order (after `group`)."""
    names = ["notices", "notified_same_day", "notified_same_day_share", "booked_in_time", "booked_in_time_share",
             "booking_pending"]
    for duration in st.DURATIONS:
        names += [f"{duration}_median", f"{duration}_p90"]
    names += ["offered", "offered_share", "conversations_held", "examined", "examined_share", "declined",
              "results_late", "vaccination_plans_made", "vaccinations_completed"]
    return names + [f"breaches_{party}" for party in st.PARTIES]


def compute(conn, *, period: Period, by: str, now: datetime, calendar: WorkingDays, upstream: dict[str, str],
            threshold: int, groups: list[str | None], region: str, monthly: bool = False) -> dict:
    """The report at `now`. `groups` are the directory's municipalities or health centres, shown
    even without children; `monthly` adds the figures the charts draw."""
    check_grouping(by)
    conn.execute("BEGIN" if conn.sqlite else "BEGIN ISOLATION LEVEL REPEATABLE READ")  # one snapshot
    try:
        if conn.sqlite:
            conn.execute("PRAGMA temp_store = MEMORY")
            st.build_zone(conn)
        else:  # sorts and hashes of a few hundred thousand small rows: in memory, not on disk
            conn.execute("SET LOCAL work_mem = '64MB'")
            conn.execute("SET LOCAL jit = off")  # compiling costs more than these short queries gain
        st.build_cases(conn, period, now)
        st.build_calendar(conn, calendar)
        counts = st.counts(conn, (by,))
        ranks = st.percentiles(conn, (by,))
        missed = st.breaches(conn, (by,), upstream, conn.timestamp(now))
        versions = rule_versions.described(conn, st.rule_versions(conn))
        extra = {}
        if monthly:
            extra["monthly"] = [{"month": month, "group": group, "notices": c["notices"],
                                 "booked_in_time_share": c["booked_in_time"] / c["notices"]
                                 if c["notices"] >= threshold else None}
                                for (month, group), c in sorted(st.counts(conn, ("month", "municipality")).items())]
            extra["distribution"] = [{"weeks": weeks, "children": children} for weeks, children
                                     in sorted(st.arrival_to_examination(conn).items())]
    finally:
        conn.rollback()  # nothing was written but the temporary tables, which go with it
    known = list(groups) + sorted((key[0] for key in counts if key[0] not in groups), key=lambda g: (g is None, g))
    rows = [_row(group, by, counts.get((group,)), ranks.get((group,), {}), missed.get((group,), {}), threshold)
            for group in known]
    suppress(rows, threshold)
    region_row = _row(region, "region", _sum(counts.values()), ranks.get((), {}), _sum(missed.values()), threshold)
    suppress([region_row], threshold)
    return {"from": period.first.isoformat(), "to": period.last.isoformat(), "by": by,
            "at": now.isoformat(timespec="seconds"), "min_group": threshold, "rows": rows + [region_row],
            "rules_versions": versions, **extra}


def _sum(groups) -> dict:
    """The region's counts: every child is in exactly one group, so counts add up."""
    total: dict[str, int] = {}
    for figures in groups:
        for name, value in figures.items():
            total[name] = total.get(name, 0) + value
    return total


def _row(group, level: str, counted: dict | None, ranks: dict, missed: dict, threshold: int) -> dict:
    counted = {"notices": 0, **{name: 0 for name in st.COUNTS}, **(counted or {})}
    notices = counted["notices"]
    row = {"group": group, **counted}
    for share, count in st.SHARES.items():
        row[share] = counted[count] / notices if notices else None
    for duration in st.DURATIONS:
        rank = ranks.get(duration)
        shown = rank is not None and rank["n"] >= threshold  # a median of two children tells of them
        row[f"{duration}_median"] = rank["median"] if shown else None
        row[f"{duration}_p90"] = rank["p90"] if shown else None
    for party in st.PARTIES:
        row[f"breaches_{party}"] = missed.get(party, 0)
    return {"group": group, **{name: row[name] for name in figure_names()}, "level": level, "suppressed": False}


def suppress(rows: list[dict], threshold: int) -> None:
    """Hide the figures of every group of 1 to threshold − 1 children; then, while the hidden
    groups hold fewer than `threshold` children together (the region's total minus the shown
    groups would give them away), hide the smallest shown group too."""
    hidden = [row for row in rows if 0 < row["notices"] < threshold]
    shown = sorted((row for row in rows if row["notices"] >= threshold), key=lambda row: row["notices"])
    while hidden and shown and sum(row["notices"] for row in hidden) < threshold:
        hidden.append(shown.pop(0))
    for row in hidden:
        row.update({name: None for name in figure_names()}, suppressed=True)
