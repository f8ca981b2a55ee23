"""What a case looks like to the acting user: the JSON of the contract, secrecy applied."""

from __future__ import annotations

from datetime import datetime

from screening import access, clock
from screening.identity import format_dossier
from screening.model import Actor, age_on
from workflows.routing import vaccination_unit

TRACKS = ("health", "school", "vaccination")


def deadline_view(d: dict, now: datetime, attributed_to: str | None = None) -> dict:
    status = d["status"]
    if status == "open" and d["due"] < now:
        status = "breached"  # past due and not done: stored open, shown breached
    return {"rule": d["rule"], "owner": d["owner"], "starts": clock.local_iso(d["starts"]),
            "due": clock.local_iso(d["due"]), "due_date": clock.local(d["due"]).date().isoformat(),
            "status": status, "met_at": clock.local_iso(d["met_at"]),
            "attributed_to": d["attributed_to"] or attributed_to, "rules_version": d.get("rules_version", 1)}


def deadline_views(deadlines: list[dict], now: datetime, upstream: dict[str, str]) -> list[dict]:
    """The case's deadlines; one breached since its last event is attributed as `evaluate` does
    (§ 10): to the owner of a late or breached upstream step, else to its own owner."""
    from workflows.deadlines import answerable

    by_rule = {d["rule"]: (d["status"] == "late" or (d["status"] == "open" and d["due"] < now), d["owner"],
                           d["attributed_to"]) for d in deadlines}
    return [deadline_view(d, now, answerable(d["rule"], by_rule, upstream)) for d in deadlines]


def case_view(row: dict, actor: Actor, now: datetime, upstream: dict[str, str] | None = None) -> dict:
    """The case as `actor` may see it. Medical content only where `access` allows (§ 5, step 7)."""
    today = clock.local(now).date()
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
        "identity_missing": not (row["personnummer"] or row["samordningsnummer"] or row["dossier"]),
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
        "bookings": {"health_conversation": clock.local_iso(row["conversation_start"]),
                     "examination": clock.local_iso(row["examination_start"])},
        "deadlines": deadline_views(row.get("deadlines", []), now, upstream or {}),
        "results": {"received_at": clock.local_iso(row["results_received_at"]), "obstacle": row["obstacle"]},
        "consent": {"given_by": row["consent_given_by"], "scope": row["consent_scope"],
                    "at": clock.local_iso(row["consent_at"])},
        "shared_with_school_health": clock.local_iso(row["shared_at"]),
        "declined": {"at": clock.local_iso(row["declined_at"]), "by": row["declined_by"]}
        if row["declined_at"] else None,
        "doses_given": row["doses_given"],
    }
    if "interpreter_orders" in row:  # the health centre's and the coordinators' (step 3: "Tolk bokas")
        view["interpreter_orders"] = row["interpreter_orders"]
    notes = row.get("notes")
    if notes is not None:  # only the kinds `access.readable_notes` allows were read at all
        if access.sees_medical(actor, row):
            view["results"]["note"] = _last(notes, "results")
            view["examination"] = {"at": clock.local_iso(row["examined_at"]), "note": _last(notes, "examination")}
        if "reason" in access.readable_notes(actor, row):
            view["reasons"] = [n["text"] for n in notes if n["kind"] == "reason"]
        if "dose" in access.readable_notes(actor, row):
            view["vaccines_given"] = [n["text"] for n in notes if n["kind"] == "dose"]
            view["referrals"] = [n["text"] for n in notes if n["kind"] == "referral"]
    return view


def _last(notes: list[dict], kind: str) -> str | None:
    texts = [n["text"] for n in notes if n["kind"] == kind]
    return texts[-1] if texts else None


def _pnr(digits: str | None) -> str | None:
    return f"{digits[:8]}-{digits[8:]}" if digits else None


def alert_view(row: dict) -> dict:
    """An alert as the contract shows it; it names a case, a rule and a date, nothing medical. The
    coordinators' `identity_elsewhere` warning names the other municipalities' cases too (`elsewhere`)."""
    return {"id": row["id"], "case": row["case_id"], "rule": row["rule"], "kind": row["kind"],
            "owner": row["owner"], "due": clock.local_iso(row["due"]), "raised_at": clock.local_iso(row["raised_at"]),
            "last_raised_at": clock.local_iso(row["last_raised_at"]), "raise_count": row["raise_count"],
            "acknowledged": row["acknowledged_at"] is not None,
            **({"elsewhere": row["elsewhere"]} if "elsewhere" in row else {})}
