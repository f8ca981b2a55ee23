"""The family's letters as stored: one per booking's sequence, the facts it was made from, and
whether a later booking (or a cancellation) has superseded it."""

from __future__ import annotations

import json
from datetime import datetime

from screening import clock
from screening.storage import abstract


class SqlLetterRepository(abstract.LetterRepository):
    def __init__(self, conn):
        self.conn = conn

    def keep(self, case_id: str, kind: str, sequence: int, facts: dict, now: datetime) -> None:
        """The letter of this booking's sequence; those before it superseded now."""
        self.supersede(case_id, kind, now)
        self.conn.execute(
            "INSERT INTO letter (case_id, kind, sequence, facts, made_at) VALUES (:case_id, :kind, :sequence, "
            ":facts, :now) ON CONFLICT (case_id, kind, sequence) DO NOTHING",
            {"case_id": case_id, "kind": kind, "sequence": sequence, "now": self.conn.timestamp(now),
             "facts": json.dumps(facts, ensure_ascii=False)})

    def supersede(self, case_id: str, kind: str, now: datetime) -> None:
        self.conn.execute("UPDATE letter SET superseded_at = :now WHERE case_id = :case_id AND kind = :kind "
                          "AND superseded_at IS NULL", {"case_id": case_id, "kind": kind,
                                                        "now": self.conn.timestamp(now)})

    def letters(self, case_id: str, kind: str) -> list[dict]:
        """The case's letters of this kind, the latest first."""
        rows = self.conn.all("SELECT sequence, facts, made_at, superseded_at FROM letter WHERE case_id = :case_id "
                             "AND kind = :kind ORDER BY sequence DESC", {"case_id": case_id, "kind": kind})
        return [{"sequence": row["sequence"], "facts": json.loads(row["facts"]), "made_at": clock.from_db(row["made_at"]),
                 "superseded_at": clock.from_db(row["superseded_at"])} for row in rows]
