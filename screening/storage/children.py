"""The organisations a reception unit's form offers: its municipality's schools and preschools and the
health centres serving it, read by municipality (never the whole directory)."""

from __future__ import annotations

import json


def organisations_of(conn, municipality: str) -> dict[str, list[tuple[str, str]]]:
    """`{"health_centres", "schools", "preschools"}`, each `(id, name)` in the directory's order."""
    found = {"health_centres": [], "schools": [], "preschools": []}
    for row in conn.all("SELECT id, kind, name FROM organisation WHERE municipality = :municipality "
                        "AND kind IN ('school', 'preschool') ORDER BY position", {"municipality": municipality}):
        found[row["kind"] + "s"].append((row["id"], row["name"]))
    quoted = json.dumps(municipality, ensure_ascii=False)
    pattern = "%" + quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    for row in conn.all("SELECT id, name, details FROM organisation WHERE kind = 'health_centre' "
                        "AND details LIKE :pattern ESCAPE '\\' ORDER BY position", {"pattern": pattern}):
        if municipality in json.loads(row["details"]).get("serves", ()):
            found["health_centres"].append((row["id"], row["name"]))
    return found
