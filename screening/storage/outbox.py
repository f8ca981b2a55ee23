"""The outbox as stored: messages queued with what caused them, claimed and marked as they are
delivered, followed by the coordinators, pruned once sent long ago."""

from __future__ import annotations

import json
from datetime import datetime

from screening import clock
from screening.storage import abstract

DUE = "status = 'queued' AND (next_attempt_at IS NULL OR next_attempt_at <= :now)"

QUEUE = ("INSERT INTO outbox (key, topic, ref, case_id, payload, created_at, status, attempts) "
         "VALUES (:key, :topic, :ref, :case_id, :payload, :now, 'queued', 0) ON CONFLICT (key) DO NOTHING")


class SqlOutbox(abstract.Outbox):
    """Messages queued in the unit of work's transaction: sent only if it commits. A key queued
    before is not queued again (each key names a version, an alert's raising, a sequence or a day)."""

    def __init__(self, conn):
        self.conn = conn

    def queue(self, key: str, topic: str, now: datetime, *, case_id: str | None = None, ref: int | None = None,
              payload: dict | None = None) -> None:
        self.queue_many([{"key": key, "topic": topic, "ref": ref, "case_id": case_id, "payload": payload}], now)

    def queue_many(self, messages: list[dict], now: datetime) -> None:
        """Several at once (`key`, `topic`, and optionally `ref`, `case_id`, `payload` each)."""
        stamp = self.conn.timestamp(now)
        self.conn.many(QUEUE, [{"ref": None, "case_id": None, **message, "now": stamp,
                                "payload": json.dumps(message["payload"], ensure_ascii=False)
                                if message.get("payload") is not None else None} for message in messages])

    # --- delivery: one message at a time, leased ---------------------------------------------

    def claim(self, now: datetime, lease_until: datetime) -> dict | None:
        """The oldest due message, leased until `lease_until` (another dispatcher skips it)."""
        stamp = self.conn.timestamp
        rows = self.conn.all(
            f"UPDATE outbox SET next_attempt_at = :lease, attempts = attempts + 1 WHERE {DUE} AND id = "
            f"(SELECT id FROM outbox WHERE {DUE} ORDER BY id LIMIT 1) RETURNING id, key, topic, ref, case_id, "
            "payload, attempts", {"now": stamp(now), "lease": stamp(lease_until)})
        return rows[0] if rows else None

    def any_due(self, now: datetime) -> bool:
        return bool(self.conn.scalar(f"SELECT COUNT(*) FROM outbox WHERE {DUE}", {"now": self.conn.timestamp(now)}))

    def sent(self, message_id: int, now: datetime) -> None:
        self.conn.execute("UPDATE outbox SET status = 'sent', sent_at = :now, last_error = NULL WHERE id = :id",
                          {"id": message_id, "now": self.conn.timestamp(now)})

    def replaced(self, message_id: int, now: datetime) -> None:
        self.conn.execute("UPDATE outbox SET status = 'replaced', sent_at = :now, next_attempt_at = NULL, "
                          "last_error = NULL WHERE id = :id", {"id": message_id, "now": self.conn.timestamp(now)})

    def queued_after(self, case_id: str, message_id: int) -> list[dict]:
        return self.conn.all("SELECT id, key, payload FROM outbox WHERE case_id = :case AND topic = 'event' "
                             "AND status = 'queued' AND id > :id ORDER BY id", {"case": case_id, "id": message_id})

    def set_payload(self, message_id: int, payload: dict) -> None:
        self.conn.execute("UPDATE outbox SET payload = :payload WHERE id = :id",
                          {"id": message_id, "payload": json.dumps(payload, ensure_ascii=False)})

    def dead(self, message_id: int, reason: str) -> None:
        """Given up: kept with the reason, for a coordinator to list and retry."""
        self.conn.execute("UPDATE outbox SET status = 'dead', next_attempt_at = NULL, last_error = :reason "
                          "WHERE id = :id", {"id": message_id, "reason": reason})

    def retry_at(self, message_id: int, when: datetime, reason: str) -> None:
        self.conn.execute("UPDATE outbox SET next_attempt_at = :later, last_error = :reason WHERE id = :id",
                          {"id": message_id, "reason": reason, "later": self.conn.timestamp(when)})

    # --- following it -------------------------------------------------------------------------

    def listing(self, status: str | None = None) -> list[dict]:
        """What, for which case, where it stands; never the text."""
        where = "WHERE status = :status" if status else ""
        rows = self.conn.all(f"SELECT id, key, topic, case_id, status, attempts, created_at, next_attempt_at, "
                             f"sent_at, last_error FROM outbox {where} ORDER BY id", {"status": status} if status else {})
        for row in rows:
            for name in ("created_at", "next_attempt_at", "sent_at"):
                row[name] = clock.from_db(row[name])
        return rows

    def status(self, message_id: int) -> str | None:
        return self.conn.scalar("SELECT status FROM outbox WHERE id = :id", {"id": message_id})

    def requeue(self, message_id: int) -> None:
        """Queued again, with no attempts behind it."""
        self.conn.execute("UPDATE outbox SET status = 'queued', attempts = 0, next_attempt_at = NULL WHERE id = :id",
                          {"id": message_id})

    def prune_batch(self, cutoff: datetime, batch: int) -> int:
        """Up to `batch` of the messages sent before `cutoff`, deleted: how many."""
        return self.conn.execute(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status IN ('sent', 'replaced') "
            "AND sent_at < :cutoff "
            "ORDER BY id LIMIT :batch)", {"cutoff": self.conn.timestamp(cutoff), "batch": batch}).rowcount
