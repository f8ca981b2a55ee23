"""The coordinator's screen drawn with rich, in the person's language (`screening.words`),
organisations by name and times in local form."""

from __future__ import annotations

from screening.words import Words

LABELS = {
    "sv": {"title": "Översikt, hela regionen, {at}", "counts": "Förseningar och påminnelser",
           "municipality": "kommun", "hc": "hälsocentral", "breaches": "överskridna", "missed": "missade mål",
           "reminders": "påminnelser", "unacknowledged": "ej kvitterade", "total": "Hela regionen",
           "nothing_late": "inget försenat, inga påminnelser", "oldest": "Längst väntande", "case": "ärende",
           "step": "steg", "owner": "ansvarig", "due": "förföll", "days": "dagar sen",
           "none_waiting": "inget ärende väntar efter sin tidsfrist", "bookings": "Dagens bokningar",
           "time": "tid", "kind": "typ", "interpreter": "tolk", "no_bookings": "inga bokningar i dag"},
    "en": {"title": "Overview, the whole region, {at}", "counts": "Breaches and reminders",
           "municipality": "municipality", "hc": "health centre", "breaches": "breaches", "missed": "missed targets",
           "reminders": "reminders", "unacknowledged": "unacknowledged", "total": "The whole region",
           "nothing_late": "nothing late, no reminders", "oldest": "Longest waiting", "case": "case",
           "step": "step", "owner": "owner", "due": "was due", "days": "days late",
           "none_waiting": "no case waits past its deadline", "bookings": "Today's bookings",
           "time": "time", "kind": "kind", "interpreter": "interpreter", "no_bookings": "no bookings today"},
}


def renderable(data: dict, w: Words):
    """The screen as one rich renderable: a header, the counts, the longest waiting, today's bookings."""
    from rich.console import Group
    from rich.text import Text

    header = Text(LABELS[w.lang]["title"].format(at=w.time(data["at"])), style="bold")
    return Group(header, _counts(data, w), _oldest(data["oldest"], w), _bookings(data["bookings_today"], w))


def _table(title: str, columns: tuple[str, ...], numeric: int = 0, empty: str = ""):
    from rich.table import Table

    table = Table(title=title, title_justify="left", caption=empty or None, caption_justify="left")
    for i, column in enumerate(columns):
        table.add_column(column, justify="right" if i >= len(columns) - numeric else "left")
    return table


def _counts(data: dict, w: Words):
    t, groups = LABELS[w.lang], data["breaches"]
    table = _table(t["counts"], (t["municipality"], t["hc"], t["breaches"], t["missed"], t["reminders"],
                                 t["unacknowledged"]), numeric=4, empty="" if groups else t["nothing_late"])
    for g in groups:
        table.add_row(g["municipality"], w.org(g["health_centre"]), *_figures(g))
    table.add_section()
    table.add_row(t["total"], "", *_figures(data["total"]), style="bold")
    return table


def _figures(counts: dict) -> list[str]:
    return [str(counts[name]) for name in ("breaches", "missed_targets", "reminders", "unacknowledged_alerts")]


def _oldest(rows: list[dict], w: Words):
    t = LABELS[w.lang]
    table = _table(t["oldest"], (t["case"], t["municipality"], t["hc"], t["step"], t["owner"], t["due"], t["days"]),
                   numeric=1, empty="" if rows else t["none_waiting"])
    for r in rows:
        table.add_row(r["case"], r["municipality"], w.org(r["health_centre"]), w.rule(r["rule"]), w.party(r["owner"]),
                      w.day(r["due_date"]), str(r["days_overdue"]))
    return table


def _bookings(rows: list[dict], w: Words):
    t = LABELS[w.lang]
    table = _table(t["bookings"], (t["time"], t["hc"], t["kind"], t["case"], t["interpreter"]),
                   empty="" if rows else t["no_bookings"])
    for b in rows:
        table.add_row(f"{b['start'][11:16]}–{b['end'][11:16]}", w.org(b["health_centre"]), w.appointment(b["kind"]),
                      b["case"], w.language(b["interpreter"]) if isinstance(b["interpreter"], str) else
                      w.yes_no(bool(b["interpreter"])))
    return table
