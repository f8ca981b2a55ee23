"""The case page's reads beyond `case show`: the case's trail (all its events, and its access log a
page at a time, newest first, read down the index `ix_audit_case (case_id, id)`: a case read ten
thousand times costs a page, not the whole log), and the units its corrections offer (the case's
municipality's schools and preschools, the region's health centres), read by kind and municipality."""

from __future__ import annotations

import json
from datetime import datetime

from screening import access, clock
from screening.errors import Refused
from screening.model import Actor

COLUMNS = "SELECT id, action, event, at, recorded_at, user_id, user_name, org_id, detail FROM audit_trail"


def trail(reads, actor: Actor, case_id: str, *, include_reads: bool, before: int | None, limit: int,
          at: datetime, recorded_at: datetime) -> dict:
    """`{"events": [every event, oldest first], "log": [at most `limit` entries, events and reads, newest
    first, those recorded before the audit row `before`] or None, "earlier": the row to read on from, or
    None}`; recorded as one read of the case's history. `reads`: the read model (its connection and its
    record of reads), checked as `ReadModel.history` checks."""
    conn = reads.conn
    row = conn.one("SELECT * FROM screening_case WHERE id = :id", {"id": case_id})
    access.require_visible(actor, row, case_id)
    if include_reads and actor.role not in access.READ_LOG_READERS:
        raise Refused("the access log of a case is for its health centre, the coordinators and admins")
    reads.record_reads(actor, [case_id], "history", at, recorded_at)
    events = conn.all(COLUMNS + " WHERE case_id = :id AND action = 'event' ORDER BY id", {"id": case_id})
    found = {"events": _shown(reads, actor, row, events), "log": None, "earlier": None}
    if include_reads:
        params = {"id": case_id, "limit": limit + 1}
        where = " WHERE case_id = :id"
        if before is not None:
            where, params["before"] = where + " AND id < :before", before
        page = conn.all(COLUMNS + where + " ORDER BY id DESC LIMIT :limit", params)
        if len(page) > limit:
            page = page[:limit]
            found["earlier"] = page[-1]["id"]
        found["log"] = _shown(reads, actor, row, page)
    return found


def _shown(reads, actor: Actor, case: dict, entries: list[dict]) -> list[dict]:
    # an alert's acknowledgement only to those who receive the alert: the read model's own rule
    shown = [entry for entry in entries if reads._acknowledgement_shown(actor, case, entry)]
    for entry in shown:
        entry["at"], entry["recorded_at"] = clock.from_db(entry["at"]), clock.from_db(entry["recorded_at"])
        del entry["detail"]  # never shown (it names what only coordinators may know: identity_elsewhere)
    return shown


def units(conn, municipality: str) -> dict[str, list[tuple[str, str]]]:
    """`{"school", "preschool": [(id, name)] of the municipality; "health_centre": [(id, name)] of the
    region, those serving the municipality first; "serving": the number of those}`, in the directory's
    order."""
    found: dict = {"school": [], "preschool": [], "health_centre": []}
    for row in conn.all("SELECT id, kind, name FROM organisation WHERE municipality = :municipality "
                        "AND kind IN ('school', 'preschool') ORDER BY position", {"municipality": municipality}):
        found[row["kind"]].append((row["id"], row["name"]))
    serving, others = [], []
    for row in conn.all("SELECT id, name, details FROM organisation WHERE kind = 'health_centre' ORDER BY position"):
        serves = json.loads(row["details"]).get("serves", ())
        (serving if municipality in serves else others).append((row["id"], row["name"]))
    found["health_centre"], found["serving"] = serving + others, len(serving)
    return found
