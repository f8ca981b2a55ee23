"""The report on a terminal: a rich table, figures down and groups across."""

from __future__ import annotations

from screening.report import figure_names
from screening.report_formats import BY_SV, HIDDEN, NO_GROUP, REGION, cell, label


def table(report: dict):
    """A rich Table: one row per figure, one column per group and the region last."""
    from rich.table import Table

    caption = (f"Barn vars anmälan registrerades {report['from']}–{report['to']}, läget {report['at'][:16]}. "
               f"{HIDDEN} : färre än {report['min_group']} barn (sekretess) eller inget att räkna.")
    grid = Table(title=f"Uppföljning enligt § 10 per {BY_SV[report['by']].lower()}", title_justify="left",
                 caption=caption, caption_justify="left")
    grid.add_column("", max_width=36)
    for row in report["rows"]:
        grid.add_column(REGION if row["level"] == "region" else row["group"] or NO_GROUP, justify="right")
    for name in figure_names():
        grid.add_row(label(name), *(cell(name, row[name]) for row in report["rows"]))
    return grid
