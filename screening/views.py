"""What a case looks like to the acting user: the JSON of the contract, secrecy applied."""

from __future__ import annotations

from datetime import date

from screening import access, clock
from screening.identity import format_dossier
from screening.model import Actor, age_on

TRACKS = ("health", "school", "vaccination")


def vaccination_unit(row: dict, today: date) -> str | None:
    """vacc 2: BVC before school start, school health after; age only when that is unknown."""
    if row["school_state"] in ("started", "started_adapted"):
        return "school_health"
    if row.get("preschool_id") and not row.get("school_id"):
        return "bvc"
    age = age_on(row["birth_date"], today)
    if age < 6:
        return "bvc"
    return "school_health" if age >= 7 else None


def case_view(row: dict, actor: Actor, today: date, deadlines: list[dict] | None = None) -> dict:
    view = {
        "id": row["id"],
        "version": row["version"],
        "municipality": row["municipality"],
        "birth_date": row["birth_date"].isoformat(),
        "age": age_on(row["birth_date"], today),
        "name": row["name"],
        "personnummer": _pnr(row["personnummer"]),
        "samordningsnummer": _pnr(row["samordningsnummer"]),
        "dossier": format_dossier(row["dossier"]) if row["dossier"] else None,
        "language": row["language"],
        "interpreter": row["interpreter"],
        "unaccompanied": row["unaccompanied"],
        "permit": row["permit"],
        "already_in_sweden": row["already_in_sweden"],
        "arrival": row["arrival"].isoformat() if row["arrival"] else None,
        "notice_at": clock.local_iso(row["notice_at"]),
        "health_centre": row["health_centre_id"],
        "school": row["school_id"],
        "preschool": row["preschool_id"],
        "tracks": {track: row[f"{track}_state"] for track in TRACKS},
        "vaccination_unit": vaccination_unit(row, today),
        "deadlines": deadlines or [],
        "results": {"received_at": None, "obstacle": None},
    }
    if access.sees_medical(actor):
        view["results"]["note"] = None
    return view


def _pnr(digits: str | None) -> str | None:
    return f"{digits[:8]}-{digits[8:]}" if digits else None
