"""The coordinator's screen drawn with rich: Swedish labels beside the contract's English names."""

from __future__ import annotations

from screening.directory import KIND_LABELS_SV

RULES_SV = {
    "notify_parties": "underrätta parterna", "renotify_arrival_change": "underrätta om ny ankomst",
    "book_health_conversation": "boka hälsosamtal", "results_received": "provsvar klara",
    "inform_family": "informera familjen", "inform_reception": "informera mottagningen",
    "book_examination": "boka läkarundersökning", "school_start": "skolstart", "preschool_start": "förskolestart",
    "vaccination_plan": "vaccinationsplan", "turns_18": "fyller 18",
}
APPOINTMENTS_SV = {"conversation": "hälsosamtal", "examination": "läkarundersökning"}
COUNT_COLUMNS = ("breaches (överskridna)", "missed_targets (missade mål)", "reminders (påminnelser)",
                 "unacknowledged (ej kvitterade)")


def renderable(data: dict):
    """The screen as one rich renderable: a header, the counts, the longest waiting, today's bookings."""
    from rich.console import Group
    from rich.text import Text

    header = Text(f"Översikt, hela regionen (overview) {_minute(data['at'])}", style="bold")
    return Group(header, _counts(data), _oldest(data["oldest"]), _bookings(data["bookings_today"]))


def _table(title: str, columns: tuple[str, ...], numeric: int = 0, empty: str = ""):
    from rich.table import Table

    table = Table(title=title, title_justify="left", caption=empty or None, caption_justify="left")
    for i, column in enumerate(columns):
        table.add_column(column, justify="right" if i >= len(columns) - numeric else "left")
    return table


def _counts(data: dict):
    groups = data["breaches"]
    table = _table("Förseningar och påminnelser (breaches and reminders)",
                   ("municipality (kommun)", "health_centre (HC)", *COUNT_COLUMNS), numeric=4,
                   empty="" if groups else "inget försenat, inga påminnelser (none)")
    for g in groups:
        table.add_row(g["municipality"], g["health_centre"] or "–", *_figures(g))
    table.add_section()
    table.add_row("Hela regionen (total)", "", *_figures(data["total"]), style="bold")
    return table


def _figures(counts: dict) -> list[str]:
    return [str(counts[name]) for name in ("breaches", "missed_targets", "reminders", "unacknowledged_alerts")]


def _oldest(rows: list[dict]):
    table = _table("Längst väntande (oldest)", ("case (ärende)", "municipality (kommun)", "health_centre (HC)",
                                                "rule (steg)", "owner (ansvarig)", "due_date (förföll)",
                                                "days_overdue (dagar)"), numeric=1,
                   empty="" if rows else "inget ärende väntar efter sin tidsfrist (none)")
    for r in rows:
        table.add_row(r["case"], r["municipality"], r["health_centre"] or "–",
                      f"{r['rule']} ({RULES_SV.get(r['rule'], r['rule'])})",
                      f"{r['owner']} ({KIND_LABELS_SV.get(r['owner'], r['owner'])})", r["due_date"],
                      str(r["days_overdue"]))
    return table


def _bookings(rows: list[dict]):
    table = _table("Dagens bokningar (bookings today)", ("time (tid)", "health_centre (HC)", "kind (typ)",
                                                         "case (ärende)", "interpreter (tolk)"),
                   empty="" if rows else "inga bokningar i dag (none)")
    for b in rows:
        table.add_row(f"{b['start'][11:16]}–{b['end'][11:16]}", b["health_centre"],
                      f"{b['kind']} ({APPOINTMENTS_SV.get(b['kind'], b['kind'])})", b["case"],
                      "ja" if b["interpreter"] else "nej")
    return table


def _minute(iso: str) -> str:
    return iso[:16].replace("T", " ")
