"""The audit trail's hash chain: each row's link covers its contents and the link of the row before.

A link is one byte naming how it was made, then 32 bytes: `k` HMAC-SHA256 keyed with the deployment's
audit key (a secret the database does not hold), `s` plain SHA-256 (no key configured, and the rows
chained by the migration that brought the chain). What it covers is the row as it is read: the case,
the action and event and the user by their names (not the numbers `audit` stores them as, so that
renumbering `audit_kind` or `app_user` breaks it too), both times to the microsecond, the detail as
stored, the door where it is set. The row's id is not covered (it is allocated on insert); the previous link is, so that a row
taken out breaks the chain at the row after it. One chain per database, in id order.

Pure: no I/O. Storage appends with `link` (`screening.storage.chain`); `Walk` checks rows as they
stream by, a page at a time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timedelta, timezone

KEYED, PLAIN = b"k", b"s"
SIZE = 33  # the scheme's byte and a SHA-256 digest
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
MICROSECOND = timedelta(microseconds=1)

# why a row breaks the chain
ALTERED = "altered"  # its link does not match: the row changed, or one before it was taken out or put in
UNCHAINED = "unchained"  # no link (written around the product)
DOWNGRADED = "unkeyed"  # a plain link after a keyed one: made without the key
TRUNCATED = "truncated"  # the row seen at the end of the last check is gone or changed


def micros(value) -> int | None:
    """A stored time as whole microseconds since 1970 (SQLite stores Unix seconds; PostgreSQL a
    timestamptz; a row written around the product may hold text)."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("not a time")
    if isinstance(value, int):
        return value * 1_000_000
    if isinstance(value, float):
        return round(value * 1_000_000)
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return (value - EPOCH) // MICROSECOND


_CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def content(case_id, action, event, at, recorded_at, user_id, detail, door=None) -> bytes:
    """The row as the chain covers it: one canonical JSON array, UTF-8. The door (where the row came in:
    `cli:<account>`, `api`, `page`) is its eighth element where it is set; a row without one (every row
    written before doors were recorded) is covered as before."""
    fields = [case_id, action, event or "", micros(at), micros(recorded_at), user_id, detail]
    if door is not None:
        fields.append(door)
    return _CANONICAL.encode(fields).encode("utf-8")


def link(key: bytes | None, previous: bytes | None, row_content: bytes) -> bytes:
    """The link of a row after `previous` (None: the first row): keyed if a key is given."""
    previous = previous or b""
    scheme = KEYED if key else PLAIN
    message = scheme + bytes([len(previous)]) + previous + row_content
    if key:
        mac = _keyed(key).copy()  # the key's own rounds done once
        mac.update(message)
        return scheme + mac.digest()
    return scheme + hashlib.sha256(message).digest()


@lru_cache(maxsize=4)
def _keyed(key: bytes):
    return hmac.new(key, digestmod=hashlib.sha256)


class KeyNeeded(Exception):
    """A keyed link met without a key to check it with."""


@dataclass
class Walk:
    """The chain checked row by row, in id order. `feed` each row (a dict with `id`, `chain` and the
    columns `content` names); it stops at the first break. `anchor`: (id, link) of the last row the
    previous check saw, which must still be there as it was (the end of a chain can be cut off
    without breaking what is left)."""

    key: bytes | None
    anchor: tuple[int, bytes] | None = None
    rows: int = 0  # whole rows, before the first break
    unkeyed: int = 0  # rows chained without a key, at the start (before a key was configured)
    last: dict | None = None  # the last whole row: id, link, recorded_at
    first_break: dict | None = None
    _keyed_seen: bool = field(default=False, repr=False)
    _anchor_seen: bool = field(default=False, repr=False)

    def feed(self, row: dict) -> bool:
        """Check one row; False once the chain is broken (feed no more)."""
        found = row["chain"]
        found = bytes(found) if found is not None else None
        reason = self._reason(row, found)
        if reason is None and self.anchor and row["id"] == self.anchor[0]:
            self._anchor_seen = True
            if found != self.anchor[1]:
                reason = TRUNCATED
        if reason is not None:
            self._broken(row["id"], reason)
            return False
        self.rows += 1
        if found[:1] == PLAIN:
            self.unkeyed += 1
        self.last = {"id": row["id"], "link": found, "recorded_at": row["recorded_at"]}
        return True

    def _reason(self, row: dict, found: bytes | None) -> str | None:
        if found is None or len(found) != SIZE or found[:1] not in (KEYED, PLAIN):
            return UNCHAINED
        if found[:1] == KEYED:
            if self.key is None:
                raise KeyNeeded()
            self._keyed_seen = True
        elif self._keyed_seen:
            return DOWNGRADED
        key = self.key if found[:1] == KEYED else None
        expected = link(key, self.last["link"] if self.last else None, content(
            row["case_id"], row["action"], row["event"], row["at"], row["recorded_at"], row["user_id"], row["detail"],
            row.get("door")))
        return None if hmac.compare_digest(expected, found) else ALTERED

    def _broken(self, row_id: int, reason: str) -> None:
        self.first_break = {"id": row_id, "reason": reason,
                            "after": self.last["id"] if self.last else None}

    def end(self) -> None:
        """No more rows: a row the previous check saw at the end must have been among them."""
        if self.first_break is None and self.anchor and not self._anchor_seen:
            self._broken(self.anchor[0], TRUNCATED)

    @property
    def ok(self) -> bool:
        return self.first_break is None

