"""The report on a terminal: a rich table, figures down and groups across, in the person's language."""

from __future__ import annotations

from screening.report import figure_names
from screening.report_formats import BY, HIDDEN, NO_GROUPS, REGIONS, cell, label
from screening.words import Words

TITLE = {"sv": "Uppföljning enligt § 10 per {by}", "en": "Follow-up under § 10 by {by}"}
CAPTION = {"sv": "Barn vars anmälan registrerades {first}–{last}, läget {at}. {hidden} : färre än {n} barn "
                 "(sekretess) eller inget att räkna.",
           "en": "Children whose notice was registered {first}–{last}, as of {at}. {hidden} : fewer than {n} "
                 "children (confidentiality) or nothing to count."}


RULES = {"sv": ("Tidsfristernas regler: {versions}.", "version {version} (inbyggd)",
                 "version {version} (inläst {at} av {by})"),
         "en": ("Deadline rules: {versions}.", "version {version} (bundled)", "version {version} (loaded {at} by {by})")}


def rules_line(report: dict, w: Words) -> str:
    """The rule table's versions the report's deadlines were computed under, said."""
    line, bundled, loaded = RULES[w.lang]
    said = [bundled.format(version=v["version"]) if v["loaded_by"] is None else
            loaded.format(version=v["version"], at=w.time(v["loaded_at"]), by=v["loaded_by"])
            for v in report.get("rules_versions", [])]
    return line.format(versions=", ".join(said)) if said else ""


def table(report: dict, w: Words):
    """A rich Table: one row per figure, one column per group and the region last."""
    from rich.table import Table

    lang = w.lang
    caption = CAPTION[lang].format(first=report["from"], last=report["to"], at=w.time(report["at"]), hidden=HIDDEN,
                                   n=report["min_group"])
    caption = f"{caption} {rules_line(report, w)}".strip()
    grid = Table(title=TITLE[lang].format(by=BY[lang][report["by"]].lower()), title_justify="left",
                 caption=caption, caption_justify="left")
    grid.add_column("", max_width=36)
    for row in report["rows"]:
        group = row["group"] if report["by"] == "municipality" else (w.names.get(row["group"], row["group"])
                                                                      if row["group"] else None)
        grid.add_column(REGIONS[lang] if row["level"] == "region" else group or NO_GROUPS[lang], justify="right")
    for name in figure_names():
        grid.add_row(label(name, lang), *(cell(name, row[name]) for row in report["rows"]))
    return grid
