"""The deadline rule table's versions in the database: the newest is in force; each deadline
records the version it was computed under (`deadline.rules_version`)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from screening.storage import abstract


def newest(conn) -> int:
    return conn.scalar("SELECT MAX(version) FROM rule_version") or 1


def table(conn, version: int) -> dict | None:
    """A version's table as stored (rule by rule, as in the bundled file), or None."""
    rules = conn.scalar("SELECT rules FROM rule_version WHERE version = :version", {"version": version})
    return None if rules is None else json.loads(rules)


class SqlRuleVersions(abstract.RuleVersions):
    def __init__(self, conn):
        self.conn = conn

    def store(self, rules: dict, loaded_by: str, at: datetime) -> dict:
        return store(self.conn, rules, loaded_by, at)


def store(conn, rules: dict, loaded_by: str, at: datetime) -> dict:
    """A new version (the next number; the version in force already, if it is the same table)."""
    text = json.dumps(rules, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(text.encode()).hexdigest()
    current = conn.one("SELECT version, digest FROM rule_version ORDER BY version DESC LIMIT 1")
    if current is not None and current["digest"] == digest:
        return {"version": current["version"], "new": False}
    version = (current["version"] if current else 0) + 1
    conn.execute("INSERT INTO rule_version (version, loaded_at, loaded_by, digest, rules) "
                 "VALUES (:version, :at, :by, :digest, :rules)",
                 {"version": version, "at": conn.timestamp(at), "by": loaded_by, "digest": digest, "rules": text})
    return {"version": version, "new": True}


def described(conn, versions) -> list[dict]:
    """Who loaded these versions and when, by version."""
    from screening import clock

    wanted = sorted(set(versions))
    if not wanted:
        return []
    marks = ", ".join(f":v{i}" for i in range(len(wanted)))
    rows = conn.all(f"SELECT version, loaded_at, loaded_by FROM rule_version WHERE version IN ({marks}) "
                    "ORDER BY version", {f"v{i}": v for i, v in enumerate(wanted)})
    return [{"version": row["version"], "loaded_at": clock.local_iso(clock.from_db(row["loaded_at"])),
             "loaded_by": row["loaded_by"]} for row in rows]
