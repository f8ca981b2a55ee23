"""Local accounts, recovery codes and server-side sessions, in plain SQL (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

from screening import clock
from screening.storage import abstract

COLUMNS = ("user_id", "password_hash", "password_temporary", "totp_secret", "totp_confirmed_at", "totp_last_step",
           "failures", "locked_until", "changed_at")
TIMES = ("totp_confirmed_at", "locked_until", "changed_at")


class SqlAccounts(abstract.AccountRepository):
    def __init__(self, conn):
        self.conn = conn

    def get(self, user_id: str) -> dict | None:
        row = self.conn.one(f"SELECT {', '.join(COLUMNS)} FROM local_account WHERE user_id = :user", {"user": user_id})
        if row is None:
            return None
        for name in TIMES:
            row[name] = clock.from_db(row[name])
        row["password_temporary"] = bool(row["password_temporary"])
        return row

    def put(self, account: dict) -> None:
        values = {name: account.get(name) for name in COLUMNS}
        values["password_temporary"] = bool(values["password_temporary"])
        values["failures"] = values["failures"] or 0
        for name in TIMES:
            values[name] = self.conn.timestamp(values[name])
        self.conn.execute("DELETE FROM local_account WHERE user_id = :user_id", {"user_id": values["user_id"]})
        self.conn.execute(f"INSERT INTO local_account ({', '.join(COLUMNS)}) "
                          f"VALUES ({', '.join(':' + name for name in COLUMNS)})", values)

    def replace_codes(self, user_id: str, hashes: list[str]) -> None:
        self.conn.execute("DELETE FROM recovery_code WHERE user_id = :user", {"user": user_id})
        for code_hash in hashes:
            self.conn.execute("INSERT INTO recovery_code (code_hash, user_id) VALUES (:hash, :user)",
                              {"hash": code_hash, "user": user_id})

    def use_code(self, user_id: str, code_hash: str, now: datetime) -> bool:
        found = self.conn.one("UPDATE recovery_code SET used_at = :now WHERE code_hash = :hash AND user_id = :user "
                              "AND used_at IS NULL RETURNING code_hash",
                              {"now": self.conn.timestamp(now), "hash": code_hash, "user": user_id})
        return found is not None

    def codes_left(self, user_id: str) -> int:
        return self.conn.scalar("SELECT COUNT(*) FROM recovery_code WHERE user_id = :user AND used_at IS NULL",
                                {"user": user_id})

    def locked(self, now: datetime) -> list[dict]:
        rows = self.conn.all("SELECT user_id, locked_until FROM local_account WHERE locked_until > :now "
                             "ORDER BY user_id", {"now": self.conn.timestamp(now)})
        return [{"user_id": row["user_id"], "locked_until": clock.from_db(row["locked_until"])} for row in rows]


class SqlSessions(abstract.SessionRepository):
    def __init__(self, conn):
        self.conn = conn

    def add(self, id_hash: str, user_id: str, now: datetime) -> None:
        stamp = self.conn.timestamp(now)
        self.conn.execute("INSERT INTO web_session (id_hash, user_id, created_at, last_seen_at) "
                          "VALUES (:id, :user, :now, :now)", {"id": id_hash, "user": user_id, "now": stamp})

    def get(self, id_hash: str) -> dict | None:
        row = self.conn.one("SELECT id_hash, user_id, created_at, last_seen_at, revoked_at FROM web_session "
                            "WHERE id_hash = :id", {"id": id_hash})
        if row is not None:
            for name in ("created_at", "last_seen_at", "revoked_at"):
                row[name] = clock.from_db(row[name])
        return row

    def touch(self, id_hash: str, now: datetime) -> None:
        self.conn.execute("UPDATE web_session SET last_seen_at = :now WHERE id_hash = :id",
                          {"now": self.conn.timestamp(now), "id": id_hash})

    def revoke(self, id_hash: str, now: datetime) -> None:
        self.conn.execute("UPDATE web_session SET revoked_at = :now WHERE id_hash = :id AND revoked_at IS NULL",
                          {"now": self.conn.timestamp(now), "id": id_hash})

    def revoke_user(self, user_id: str, now: datetime) -> int:
        cursor = self.conn.execute("UPDATE web_session SET revoked_at = :now WHERE user_id = :user "
                                   "AND revoked_at IS NULL", {"now": self.conn.timestamp(now), "user": user_id})
        return cursor.rowcount
