"""An in-memory unit of work: the use cases of `screening.services` without a database.

Each fake subclasses the abstract class it stands for (`screening.storage.abstract`), so a method
the services need and the fake lacks fails at once. What is committed is kept; what is not is
forgotten at rollback, as on a database: a use case that refuses must leave nothing behind.
"""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import replace
from datetime import datetime

from screening.bootstrap import App, Clock
from screening.directory import Directory, load_directory
from screening.errors import NotFound, StaleWrite
from screening.model import IDENTIFIERS, Case
from screening.settings import Settings
from screening.storage import abstract
from workflows.deadlines import rule_table


class FakeCases(abstract.CaseRepository):
    def __init__(self, store: dict):
        self.store = store

    def get(self, case_id: str) -> Case | None:
        case = self.store.get(case_id)
        return None if case is None else replace(case, events=[])

    def _with(self, identifiers: dict[str, str]) -> list[Case]:
        wanted = {k: v for k, v in identifiers.items() if k in IDENTIFIERS and v}
        return [c for c in self.store.values() if any(getattr(c, k) == v for k, v in wanted.items())]

    def find_by_identifiers(self, identifiers: dict[str, str], municipality: str) -> list[Case]:
        return [replace(c, events=[]) for c in self._with(identifiers) if c.municipality == municipality]

    def elsewhere(self, identifiers: dict[str, str], municipality: str) -> list[dict]:
        found = sorted(self._with(identifiers), key=lambda c: c.id)
        return [{"id": c.id, "municipality": c.municipality} for c in found if c.municipality != municipality]

    def _unique(self, case: Case) -> None:
        """As the database's constraints: an identity number once per municipality."""
        from screening.storage.unit_of_work import ConflictOnCommit

        for key, value in case.identifiers().items():
            if any(other.id != case.id for other in self.find_by_identifiers({key: value}, case.municipality)):
                raise ConflictOnCommit("another case already has this {number}", number=key)

    def add(self, case: Case) -> None:
        self._unique(case)
        self.store[case.id] = replace(case, events=[])

    def contacts(self, case_id: str) -> dict | None:
        case = self.store.get(case_id)
        return None if case is None else {name: getattr(case, name) for name in (
            "id", "municipality", "unaccompanied", "health_centre_id", "school_id", "preschool_id")}

    def save(self, case: Case) -> None:
        if self.store[case.id].version != case.version:
            raise StaleWrite(f"case {case.id} was changed by someone else meanwhile; read it again and retry")
        self._unique(case)
        case.version += 1
        self.store[case.id] = replace(case, events=[])


class FakeDeadlines(abstract.DeadlineRepository):
    def __init__(self, store: dict):
        self.store = store

    def for_case(self, case_id: str) -> dict[str, dict]:
        return {d.rule: {"rule": d.rule, "owner": d.owner, "starts": d.starts, "due": d.due, "status": d.status,
                         "met_at": d.met_at, "attributed_to": d.attributed_to}
                for d in self.store.get(case_id, [])}

    def save(self, case_id: str, deadlines) -> None:
        self.store[case_id] = list(deadlines)


class FakeNotes(abstract.NoteRepository):
    def __init__(self, store: list):
        self.store = store

    def add(self, case_id, kind, text, at, user_id) -> None:
        self.store.append({"case_id": case_id, "kind": kind, "text": text, "at": at, "user_id": user_id})


class FakeAlerts(abstract.AlertRepository):
    def __init__(self, store: dict, ids):
        self.store, self.ids = store, ids

    def get(self, alert_id: int) -> dict | None:
        return self.store.get(alert_id)

    def raise_warning(self, case_id, rule, owner, due, now) -> int | None:
        if any((a["case_id"], a["rule"], a["kind"], a["due"]) == (case_id, rule, "warning", due)
               for a in self.store.values()):
            return None
        alert_id = next(self.ids)
        self.store[alert_id] = {"id": alert_id, "case_id": case_id, "rule": rule, "kind": "warning", "owner": owner,
                                "due": due, "raised_at": now, "acknowledged_at": None, "acknowledged_by": None}
        return alert_id

    def acknowledge(self, alert_id, user_id, at) -> None:
        self.store[alert_id].update(acknowledged_at=at, acknowledged_by=user_id)


class FakeDirectory(abstract.DirectoryRepository):
    def __init__(self, state: dict):
        self.state = state

    @property
    def directory(self) -> Directory:
        return self.state["directory"]

    def load(self) -> Directory:
        return self.directory

    def replace(self, directory) -> None:
        self.state["directory"] = directory

    def organisation(self, org_id: str) -> dict | None:
        try:
            org = self.directory.get(org_id)
        except NotFound:
            return None
        return {"id": org.id, "kind": org.kind, "name": org.name, "municipality": org.municipality}

    def get(self, org_id: str):
        return self.directory.get(org_id)

    def municipality(self, name: str) -> str:
        return self.directory.municipality(name)

    def default_health_centre(self, municipality: str):
        return self.directory.default_health_centre(municipality)

    def region_id(self) -> str:
        return self.directory.region_id

    def region_name(self) -> str:
        return self.directory.region_name

    def interpreter_service(self, health_centre_id, municipality):
        return self.directory.interpreter_service(health_centre_id, municipality)

    def user(self, user_id: str) -> dict | None:
        return self.state["users"].get(user_id)

    def actor(self, user_id: str) -> dict | None:
        user = self.user(user_id)
        if user is None:
            return None
        org = self.directory.get(user["org_id"])
        return {**user, "kind": org.kind, "municipality": org.municipality}

    def any_user(self) -> bool:
        return bool(self.state["users"])

    def add_user(self, user_id: str, role: str, org_id: str, *, name=None, email=None, hsa_id=None) -> None:
        if hsa_id is not None and self.user_by_hsa_id(hsa_id) is not None:  # the unique index
            from screening.storage.unit_of_work import ConflictOnCommit

            raise ConflictOnCommit("the write conflicts with data written meanwhile; read again and retry")
        self.state["users"][user_id] = {"id": user_id, "role": role, "org_id": org_id, "name": name, "email": email,
                                        "hsa_id": hsa_id, "disabled_at": None}

    def user_by_hsa_id(self, hsa_id: str) -> dict | None:
        return next((user for user in self.state["users"].values() if user["hsa_id"] == hsa_id), None)

    def disable_user(self, user_id: str, at) -> None:
        self.state["users"][user_id] = {**self.state["users"][user_id], "disabled_at": at}

    def set_language(self, user_id: str, language: str | None) -> None:
        self.state["users"][user_id] = {**self.state["users"][user_id], "language": language}


class FakeAudit(abstract.AuditLog):
    """`AuditEntry`s in a list: a row's id is its place in it, counted from 1."""

    def __init__(self, store: list, state: dict | None = None):
        self.store, self.state = store, state or {"users": {}, "cases": {}}

    def record(self, entry) -> None:
        self.store.append(entry)

    def reads(self, start, end, *, health_centre, up_to) -> list[int]:
        cases = self.state["cases"]
        return [n for n, e in enumerate(self.store[:up_to], 1)
                if e.case_id is not None and not e.event and start <= e.at < end
                and (health_centre is None or cases[e.case_id].health_centre_id == health_centre)]

    def newest(self) -> int:
        return len(self.store)

    def entries(self, ids) -> list[dict]:
        return [self._row(n) for n in sorted(ids) if 1 <= n <= len(self.store)]

    def administration(self, actions) -> list[dict]:
        return [self._row(n) for n, e in enumerate(self.store, 1) if e.case_id is None and e.action in actions]

    def _row(self, n: int) -> dict:
        e = self.store[n - 1]
        return {"id": n, "case_id": e.case_id, "action": e.action, "event": e.event or "", "at": e.at,
                "recorded_at": e.recorded_at, "user_id": e.user_id,
                "org_id": self.state["users"][e.user_id]["org_id"], "detail": copy.deepcopy(e.detail or {}),
                "user_name": self.state["users"][e.user_id].get("name"), "door": None}


class FakeBookings(abstract.BookingRepository):
    def __init__(self, store: dict, cases: dict):
        self.store, self.cases = store, cases

    def _shown(self, booking: dict) -> dict:
        """As a calendar shows it: the booking with its case's id, name and municipality."""
        case = self.cases[booking["case_id"]]
        return {**{k: booking[k] for k in ("uid", "sequence", "kind", "status", "starts", "ends", "interpreter",
                                           "updated_at", "case_id")},
                "name": case.name, "municipality": case.municipality}

    def lock_centre(self, health_centre_id: str) -> None:
        pass  # one process, one unit of work at a time

    def overlapping(self, health_centre_id, starts, ends, *, besides=None):
        return sorted((b["starts"], b["ends"]) for key, b in self.store.items()
                      if b["health_centre_id"] == health_centre_id and b["status"] == "booked" and key != besides
                      and b["starts"] < ends and b["ends"] > starts)

    def get(self, case_id: str, kind: str) -> dict | None:
        return self.store.get((case_id, kind))

    def put(self, booking: dict) -> None:
        self.store[(booking["case_id"], booking["kind"])] = dict(booking)

    def appointments(self, health_centre_id: str) -> list[dict]:
        return [self._shown(b) for b in sorted(self.store.values(), key=lambda b: (b["starts"], b["uid"]))
                if b["health_centre_id"] == health_centre_id]

    def appointment(self, case_id: str, kind: str) -> dict | None:
        booking = self.store.get((case_id, kind))
        return None if booking is None else self._shown(booking)

    def cancel(self, case_id, kinds, at, after=None) -> None:
        for kind in kinds:
            booking = self.store.get((case_id, kind))
            if booking and booking["status"] == "booked" and (after is None or booking["starts"] > after):
                booking.update(status="cancelled", sequence=booking["sequence"] + 1, updated_at=at)


class FakeLetters(abstract.LetterRepository):
    """Letters by (case, kind): a list, the earliest first."""

    def __init__(self, store: dict):
        self.store = store

    def keep(self, case_id, kind, sequence, facts, now) -> None:
        self.supersede(case_id, kind, now)
        kept = self.store.setdefault((case_id, kind), [])
        if not any(letter["sequence"] == sequence for letter in kept):
            kept.append({"sequence": sequence, "facts": json.loads(json.dumps(facts)), "made_at": now,
                         "superseded_at": None})

    def supersede(self, case_id, kind, now) -> None:
        for letter in self.store.get((case_id, kind), []):
            if letter["superseded_at"] is None:
                letter["superseded_at"] = now

    def letters(self, case_id, kind) -> list[dict]:
        return [dict(letter) for letter in reversed(self.store.get((case_id, kind), []))]


class FakeOutbox(abstract.Outbox):
    """Messages by key; each gets an id in the order queued."""

    def __init__(self, store: dict):
        self.store = store

    def queue(self, key, topic, now, *, case_id=None, ref=None, payload=None) -> None:
        self.queue_many([{"key": key, "topic": topic, "case_id": case_id, "ref": ref, "payload": payload}], now)

    def queue_many(self, messages: list[dict], now: datetime) -> None:
        for message in messages:
            self.store.setdefault(message["key"], {
                "id": len(self.store) + 1, "case_id": None, "ref": None, **message,
                "payload": json.dumps(message["payload"]) if message.get("payload") is not None else None,
                "created_at": now, "status": "queued", "attempts": 0, "next_attempt_at": None, "sent_at": None,
                "last_error": None})

    def _by_id(self, message_id: int) -> dict | None:
        return next((m for m in self.store.values() if m["id"] == message_id), None)

    def _due(self, now: datetime) -> list[dict]:
        return sorted((m for m in self.store.values() if m["status"] == "queued"
                       and (m["next_attempt_at"] is None or m["next_attempt_at"] <= now)), key=lambda m: m["id"])

    def claim(self, now, lease_until) -> dict | None:
        due = self._due(now)
        if not due:
            return None
        due[0].update(next_attempt_at=lease_until, attempts=due[0]["attempts"] + 1)
        return dict(due[0])

    def any_due(self, now) -> bool:
        return bool(self._due(now))

    def sent(self, message_id, now) -> None:
        self._by_id(message_id).update(status="sent", sent_at=now, last_error=None)

    def replaced(self, message_id, now) -> None:
        self._by_id(message_id).update(status="replaced", sent_at=now, next_attempt_at=None, last_error=None)

    def queued_after(self, case_id, message_id) -> list[dict]:
        return sorted(({"id": m["id"], "key": m["key"], "payload": m["payload"]} for m in self.store.values()
                       if m["case_id"] == case_id and m["topic"] == "event" and m["status"] == "queued"
                       and m["id"] > message_id), key=lambda m: m["id"])

    def set_payload(self, message_id, payload) -> None:
        self._by_id(message_id)["payload"] = json.dumps(payload)

    def dead(self, message_id, reason) -> None:
        self._by_id(message_id).update(status="dead", next_attempt_at=None, last_error=reason)

    def retry_at(self, message_id, when, reason) -> None:
        self._by_id(message_id).update(next_attempt_at=when, last_error=reason)

    def listing(self, status=None) -> list[dict]:
        return sorted((dict(m) for m in self.store.values() if status in (None, m["status"])), key=lambda m: m["id"])

    def status(self, message_id) -> str | None:
        message = self._by_id(message_id)
        return None if message is None else message["status"]

    def requeue(self, message_id) -> None:
        self._by_id(message_id).update(status="queued", attempts=0, next_attempt_at=None)

    def prune_batch(self, cutoff, batch) -> int:
        old = [key for key, m in self.store.items() if m["status"] in ("sent", "replaced") and m["sent_at"] < cutoff][:batch]
        for key in old:
            del self.store[key]
        return len(old)


class FakeRuleVersions(abstract.RuleVersions):
    def __init__(self, store: list):
        self.versions = store

    def store(self, rules: dict, loaded_by: str, at) -> dict:
        if self.versions and self.versions[-1]["rules"] == rules:
            return {"version": len(self.versions), "new": False}
        self.versions.append({"rules": rules, "loaded_by": loaded_by, "loaded_at": at})
        return {"version": len(self.versions), "new": True}


class FakeAccounts(abstract.AccountRepository):
    def __init__(self, accounts: dict, codes: dict):
        self.accounts, self.codes = accounts, codes  # codes: hash -> {"user_id", "used_at"}

    def get(self, user_id: str) -> dict | None:
        found = self.accounts.get(user_id)
        return None if found is None else dict(found)

    def put(self, account: dict) -> None:
        self.accounts[account["user_id"]] = dict(account)

    def replace_codes(self, user_id: str, hashes: list[str]) -> None:
        for code_hash in [h for h, c in self.codes.items() if c["user_id"] == user_id]:
            del self.codes[code_hash]
        self.codes.update({h: {"user_id": user_id, "used_at": None} for h in hashes})

    def use_code(self, user_id: str, code_hash: str, now) -> bool:
        code = self.codes.get(code_hash)
        if code is None or code["user_id"] != user_id or code["used_at"] is not None:
            return False
        code["used_at"] = now
        return True

    def codes_left(self, user_id: str) -> int:
        return sum(1 for c in self.codes.values() if c["user_id"] == user_id and c["used_at"] is None)

    def locked(self, now) -> list[dict]:
        return [{"user_id": a["user_id"], "locked_until": a["locked_until"]} for _, a in sorted(self.accounts.items())
                if a["locked_until"] is not None and a["locked_until"] > now]


class FakeSessions(abstract.SessionRepository):
    def __init__(self, store: dict):
        self.store = store

    def add(self, id_hash: str, user_id: str, now) -> None:
        assert id_hash not in self.store
        self.store[id_hash] = {"id_hash": id_hash, "user_id": user_id, "created_at": now, "last_seen_at": now,
                               "revoked_at": None}

    def get(self, id_hash: str) -> dict | None:
        found = self.store.get(id_hash)
        return None if found is None else dict(found)

    def touch(self, id_hash: str, now) -> None:
        self.store[id_hash]["last_seen_at"] = now

    def revoke(self, id_hash: str, now) -> None:
        if self.store[id_hash]["revoked_at"] is None:
            self.store[id_hash]["revoked_at"] = now

    def revoke_user(self, user_id: str, now) -> int:
        open_ = [s for s in self.store.values() if s["user_id"] == user_id and s["revoked_at"] is None]
        for session in open_:
            session["revoked_at"] = now
        return len(open_)


class FakeTokens:
    """API tokens: only what the services of the directory ask (a person's tokens revoked)."""

    def __init__(self, store: dict):
        self.store = store

    def revoke_user(self, user_id: str, now) -> int:
        live = [t for t in self.store.values() if t["user_id"] == user_id and t["revoked_at"] is None]
        for token in live:
            token["revoked_at"] = now
        return len(live)


class FakeUnitOfWork(abstract.UnitOfWork):
    """The committed state lives in `self.committed`; each `with` works on a copy of it."""

    def __init__(self, directory: Directory | None = None):
        self.committed = {"directory": directory or load_directory(None), "users": {}, "cases": {}, "deadlines": {},
                          "notes": [], "alerts": {}, "audit": [], "bookings": {}, "outbox": {}, "letters": {},
                          "rules": [{"rules": rule_table(), "loaded_by": None, "loaded_at": None}],
                          "accounts": {}, "recovery_codes": {}, "sessions": {}, "tokens": {}}
        self.alert_ids = itertools.count(1)
        self.commits = 0
        self._begin()

    def _begin(self) -> None:
        directory = self.committed["directory"]  # immutable: shared, not copied
        self.state = {**copy.deepcopy({k: v for k, v in self.committed.items() if k != "directory"}),
                      "directory": directory}
        s = self.state
        self.cases, self.deadlines, self.notes = FakeCases(s["cases"]), FakeDeadlines(s["deadlines"]), FakeNotes(s["notes"])
        self.alerts, self.directory = FakeAlerts(s["alerts"], self.alert_ids), FakeDirectory(s)
        self.audit, self.bookings, self.outbox = FakeAudit(s["audit"], s), FakeBookings(s["bookings"], s["cases"]), FakeOutbox(s["outbox"])
        self.letters, self.rules = FakeLetters(s["letters"]), FakeRuleVersions(s["rules"])
        self.accounts, self.sessions = FakeAccounts(s["accounts"], s["recovery_codes"]), FakeSessions(s["sessions"])
        self.tokens = FakeTokens(s["tokens"])

    def __enter__(self) -> "FakeUnitOfWork":
        self._begin()
        return self

    def commit(self) -> None:
        self.committed = self.state
        self.commits += 1
        self._begin()

    def rollback(self) -> None:
        self._begin()


def fake_app(uow: FakeUnitOfWork, now: datetime, env: dict | None = None) -> App:
    """An App whose units of work are `uow`, at the fixed time `now` (the real time too)."""
    return App("sqlite:///:fake:", Settings(env or {}), Clock(now, lambda: now), unit_of_work=lambda: uow)


class Counting:
    """argon2's hasher, its verifications counted."""

    def __init__(self, hasher):
        self.hasher, self.verified = hasher, 0

    def verify(self, stored, password):
        self.verified += 1
        return self.hasher.verify(stored, password)

    def __getattr__(self, name):
        return getattr(self.hasher, name)
