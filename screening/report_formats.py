"""The report's formats for every edge: the figures' Swedish labels, a CSV for a Swedish Excel (UTF-8
with BOM, semicolons, decimal comma) and the yearly charts. JSON needs nothing of this."""

from __future__ import annotations

import csv
import io

from screening.report import PARTIES, figure_names

LABELS_SV = {
    "notices": "Anmälningar (barn)",
    "notified_same_day": "Underrättade samma dag",
    "notified_same_day_share": "Andel underrättade samma dag",
    "booked_in_time": "Bokade inom 5 arbetsdagar",
    "booked_in_time_share": "Andel bokade inom 5 arbetsdagar",
    "booking_pending": "Bokning ännu inom tidsgränsen",
    "workdays_to_booking": "Arbetsdagar HC informerad → bokning",
    "days_to_conversation": "Dagar ankomst → hälsosamtal",
    "days_to_results": "Dagar ankomst → provsvar",
    "days_to_examination": "Dagar ankomst → läkarundersökning",
    "days_to_school_start": "Dagar ankomst → skolstart",
    "days_to_preschool_start": "Dagar ankomst → förskolestart",
    "offered": "Erbjudna hälsosamtal",
    "offered_share": "Andel erbjudna",
    "conversations_held": "Hälsosamtal hållna",
    "examined": "Läkarundersökta",
    "examined_share": "Andel läkarundersökta",
    "declined": "Avböjt",
    "results_late": "Provsvar försenade (> 14 dagar)",
    "vaccination_plans_made": "Vaccinationsplaner gjorda",
    "vaccinations_completed": "Kompletterande vaccinationer klara",
    "breaches_reception_unit": "Missade tidsgränser: mottagningsenhet",
    "breaches_health_centre": "Missade tidsgränser: hälsocentral",
    "breaches_school": "Missade tidsgränser: skola",
    "breaches_preschool": "Missade tidsgränser: förskola",
    "breaches_bvc": "Missade tidsgränser: BVC",
    "breaches_school_health": "Missade tidsgränser: elevhälsa",
    "breaches_coordinator": "Missade tidsgränser: samordnare",
}
LABELS_EN = {  # the report on a screen for a person reading English (the CSV is for a Swedish Excel)
    "notices": "Notices (children)",
    "notified_same_day": "Parties notified the same day",
    "notified_same_day_share": "Share notified the same day",
    "booked_in_time": "Booked within 5 working days",
    "booked_in_time_share": "Share booked within 5 working days",
    "booking_pending": "Booking still within its time",
    "workdays_to_booking": "Working days HC informed → booking",
    "days_to_conversation": "Days arrival → health conversation",
    "days_to_results": "Days arrival → results",
    "days_to_examination": "Days arrival → examination",
    "days_to_school_start": "Days arrival → school start",
    "days_to_preschool_start": "Days arrival → preschool start",
    "offered": "Health conversations offered",
    "offered_share": "Share offered",
    "conversations_held": "Health conversations held",
    "examined": "Examined by a doctor",
    "examined_share": "Share examined",
    "declined": "Declined",
    "results_late": "Results late (> 14 days)",
    "vaccination_plans_made": "Vaccination plans made",
    "vaccinations_completed": "Catch-up vaccinations complete",
    "breaches_reception_unit": "Deadlines missed: reception unit",
    "breaches_health_centre": "Deadlines missed: health centre",
    "breaches_school": "Deadlines missed: school",
    "breaches_preschool": "Deadlines missed: preschool",
    "breaches_bvc": "Deadlines missed: child health (BVC)",
    "breaches_school_health": "Deadlines missed: school health",
    "breaches_coordinator": "Deadlines missed: coordinator",
}
LABELS = {"sv": LABELS_SV, "en": LABELS_EN}
BY_SV = {"municipality": "Kommun", "health_centre": "Hälsocentral"}
BY = {"sv": BY_SV, "en": {"municipality": "Municipality", "health_centre": "Health centre"}}
NO_GROUP = "(ingen)"
NO_GROUPS = {"sv": NO_GROUP, "en": "(none)"}
REGION = "Hela regionen"
REGIONS = {"sv": REGION, "en": "The whole region"}
PERCENTILE = {"sv": "90:e percentil", "en": "90th percentile"}
HIDDEN = "–"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula (CSV injection)


def label(name: str, lang: str = "sv") -> str:
    labels = LABELS[lang]
    if name.endswith("_median"):
        return f"{labels[name[:-7]]}, median"
    if name.endswith("_p90"):
        return f"{labels[name[:-4]]}, {PERCENTILE[lang]}"
    return labels[name]


def cell(name: str, value) -> str:
    if value is None:
        return HIDDEN
    if name.endswith("_share"):
        return f"{value * 100:.0f} %".replace(".", ",")
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",").removesuffix(",0")
    return str(value)


def csv_bytes(report: dict) -> bytes:
    """Opens in a Swedish Excel as it stands: a BOM so that it reads UTF-8, ';' between fields,
    ',' before decimals; shares as fractions (0,75), hidden figures as empty cells. Every text cell
    (the group names come from the directory) is `_text`: never run as a formula."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_text(BY_SV[report["by"]]), *(_text(label(name)) for name in figure_names()),
                     _text(f"Dold (färre än {report['min_group']} barn)")])
    for row in report["rows"]:
        group = row["group"] if row["level"] != "region" else f"{row['group']} (hela regionen)"
        writer.writerow([_text(group or NO_GROUP), *(_number(row[name]) for name in figure_names()),
                         "ja" if row["suppressed"] else "nej"])
    versions = ", ".join(str(v["version"]) for v in report.get("rules_versions", []))
    if versions:  # the rule table's versions the figures were computed under
        writer.writerow([f"Tidsfristernas regler: version {versions}"])
    if report.get("simulation"):  # a simulation's report says so, after its figures
        writer.writerow(["SIMULERING – inte verkliga uppgifter"])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _text(value: str) -> str:
    """A text cell as text: one that starts with a character a spreadsheet reads as the start of a
    formula (=, +, -, @, a tab or a carriage return) gets a single quote before it (OWASP's advice on CSV
    injection), which Excel shows as text and does not run. Only text goes through here: the figures
    (`_number`, negative durations included) stay numbers."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".").replace(".", ",")
    return str(value)


def draw_chart(report: dict, path: str) -> None:
    """The yearly follow-up's charts of a report computed with `monthly=True` (which they consume)."""
    from datetime import date

    from screening import charts

    region = report["rows"][-1]
    charts.draw(path, period=(date.fromisoformat(report["from"]), date.fromisoformat(report["to"])),
                monthly=report.pop("monthly"), breaches={party: region[f"breaches_{party}"] for party in PARTIES},
                distribution=report.pop("distribution"), threshold=report["min_group"])
