"""Personal API tokens in the database (`api_token`): a row per token, the secret's hash only."""

from __future__ import annotations

from datetime import datetime

from screening import clock

COLUMNS = "id, user_id, hash, created_at, created_by, expires_at, revoked_at, last_used_at"
TIMES = ("created_at", "expires_at", "revoked_at", "last_used_at")


class SqlTokens:
    def __init__(self, conn):
        self.conn = conn

    def add(self, token_id: str, user_id: str, digest: str, created_at: datetime, created_by: str,
            expires_at: datetime) -> None:
        self.conn.execute("INSERT INTO api_token (id, user_id, hash, created_at, created_by, expires_at) "
                          "VALUES (:id, :user, :hash, :created, :by, :expires)",
                          {"id": token_id, "user": user_id, "hash": digest, "created": self.conn.timestamp(created_at),
                           "by": created_by, "expires": self.conn.timestamp(expires_at)})

    def get(self, token_id: str) -> dict | None:
        return _times(self.conn.one(f"SELECT {COLUMNS} FROM api_token WHERE id = :id", {"id": token_id}))

    def listing(self, user_id: str | None) -> list[dict]:
        """A person's tokens (None: everyone's), newest first."""
        where, params = ("WHERE user_id = :user ", {"user": user_id}) if user_id is not None else ("", {})
        rows = self.conn.all(f"SELECT {COLUMNS} FROM api_token {where}ORDER BY created_at DESC, id", params)
        return [_times(row) for row in rows]

    def revoke(self, token_id: str, at: datetime) -> None:
        self.conn.execute("UPDATE api_token SET revoked_at = :at WHERE id = :id AND revoked_at IS NULL",
                          {"id": token_id, "at": self.conn.timestamp(at)})

    def revoke_user(self, user_id: str, at: datetime) -> int:
        """Revoke every token of a person not revoked yet; how many."""
        cursor = self.conn.execute("UPDATE api_token SET revoked_at = :at WHERE user_id = :user AND revoked_at IS NULL",
                                   {"user": user_id, "at": self.conn.timestamp(at)})
        return cursor.rowcount

    def used(self, token_id: str, at: datetime) -> None:
        self.conn.execute("UPDATE api_token SET last_used_at = :at WHERE id = :id", {"id": token_id,
                                                                                     "at": self.conn.timestamp(at)})


def _times(row: dict | None) -> dict | None:
    if row is None:
        return None
    row = dict(row)
    for name in TIMES:
        row[name] = clock.from_db(row[name]) if row[name] is not None else None
    return row
