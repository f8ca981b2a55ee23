"""Sign-in through the identity provider, in plain SQL (SQLite and PostgreSQL): the flows under way
(`oidc_flow`, found by their state's SHA-256) and the people an admin linked (`oidc_identity`)."""

from __future__ import annotations

from datetime import datetime

from screening import clock


class SqlIdentityProvider:
    def __init__(self, conn):
        self.conn = conn

    # --- flows -------------------------------------------------------------------------------

    def add_flow(self, state_hash: str, nonce: str, code_verifier: str, now: datetime) -> None:
        self.conn.execute("INSERT INTO oidc_flow (state_hash, nonce, code_verifier, created_at) "
                          "VALUES (:state, :nonce, :verifier, :now)",
                          {"state": state_hash, "nonce": nonce, "verifier": code_verifier,
                           "now": self.conn.timestamp(now)})

    def take_flow(self, state_hash: str, now: datetime) -> dict | None:
        """The flow (`nonce`, `code_verifier`, `created_at`, and `first`: whether this call used it, now),
        or None: unknown. Of two callbacks with the same state at once, one alone is first."""
        flow = self.conn.one("SELECT nonce, code_verifier, created_at FROM oidc_flow WHERE state_hash = :state",
                             {"state": state_hash})
        if flow is None:
            return None
        flow["first"] = self.conn.one("UPDATE oidc_flow SET used_at = :now WHERE state_hash = :state "
                                      "AND used_at IS NULL RETURNING state_hash",
                                      {"now": self.conn.timestamp(now), "state": state_hash}) is not None
        flow["created_at"] = clock.from_db(flow["created_at"])
        return flow

    def prune_flows(self, before: datetime) -> int:
        """The flows started before `before` forgotten (they are worth nothing by then); how many."""
        return self.conn.execute("DELETE FROM oidc_flow WHERE created_at < :before",
                                 {"before": self.conn.timestamp(before)}).rowcount

    def set_nonce(self, state_hash: str, nonce: str) -> None:
        self.conn.execute("UPDATE oidc_flow SET nonce = :nonce WHERE state_hash = :state",
                          {"nonce": nonce, "state": state_hash})

    # --- linked people ---------------------------------------------------------------------------

    def link(self, issuer: str, subject: str, user_id: str, now: datetime, by: str) -> None:
        self.conn.execute("DELETE FROM oidc_identity WHERE issuer = :issuer AND subject = :subject",
                          {"issuer": issuer, "subject": subject})
        self.conn.execute("INSERT INTO oidc_identity (issuer, subject, user_id, linked_at, linked_by) "
                          "VALUES (:issuer, :subject, :user, :now, :by)",
                          {"issuer": issuer, "subject": subject, "user": user_id, "now": self.conn.timestamp(now),
                           "by": by})

    def unlink(self, issuer: str, subject: str) -> str | None:
        """The link gone; the user it named, or None if there was none."""
        found = self.conn.one("DELETE FROM oidc_identity WHERE issuer = :issuer AND subject = :subject "
                              "RETURNING user_id", {"issuer": issuer, "subject": subject})
        return found["user_id"] if found else None

    def user_for(self, issuer: str, subject: str) -> str | None:
        return self.conn.scalar("SELECT user_id FROM oidc_identity WHERE issuer = :issuer AND subject = :subject",
                                {"issuer": issuer, "subject": subject})

    def links(self, user_id: str | None = None) -> list[dict]:
        where, params = ("WHERE user_id = :user", {"user": user_id}) if user_id else ("", {})
        rows = self.conn.all(f"SELECT issuer, subject, user_id, linked_at, linked_by FROM oidc_identity {where} "
                             "ORDER BY user_id, issuer, subject", params)
        for row in rows:
            row["linked_at"] = clock.from_db(row["linked_at"])
        return rows

    def users_with_hsa_id(self, hsa_id: str) -> list[str]:
        return [row["id"] for row in self.conn.all("SELECT id FROM app_user WHERE hsa_id = :hsa", {"hsa": hsa_id})]
