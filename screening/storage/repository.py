"""Repositories: cases, deadlines, notes, alerts and the audit trail, in plain SQL (the directory:
`organisations`; bookings: `bookings`; messages: `outbox`).

Each takes the unit of work's connection (`screening.storage.db.RawConnection`); none commits.
"""

from __future__ import annotations

import json
from datetime import datetime

from screening import clock
from screening.errors import StaleWrite
from screening.model import IDENTIFIERS, AuditEntry, Case
from screening.storage import abstract, chain, name_words, sql
from screening.storage.codec import CASE_FIELDS, audit_kind, case_from_db, case_to_db, user_number

INSERT_CASE = (f"INSERT INTO screening_case ({', '.join(CASE_FIELDS)}) "
               f"VALUES ({', '.join(':' + name for name in CASE_FIELDS)})")


class SqlCaseRepository(abstract.CaseRepository):
    def __init__(self, conn):
        self.conn = conn
        self._as_read: dict[str, dict] = {}  # the stored values, so that a save writes only what changed

    def _loaded(self, row: dict) -> Case:
        case = Case(**{name: value for name, value in case_from_db(row).items() if name in CASE_FIELDS})
        self._as_read[case.id] = case_to_db(self.conn, case)
        return case

    def get(self, case_id: str) -> Case | None:
        row = self.conn.one("SELECT * FROM screening_case WHERE id = :id", {"id": case_id})
        return None if row is None else self._loaded(row)

    def find_by_identifiers(self, identifiers: dict[str, str], municipality: str) -> list[Case]:
        wanted = {key: value for key, value in identifiers.items() if key in IDENTIFIERS and value}
        if not wanted:
            return []
        condition = " OR ".join(f"{key} = :{key}" for key in wanted)
        return [self._loaded(row) for row in self.conn.all(
            f"SELECT * FROM screening_case WHERE ({condition}) AND municipality = :municipality",
            {**wanted, "municipality": municipality})]

    def elsewhere(self, identifiers: dict[str, str], municipality: str) -> list[dict]:
        wanted = {key: value for key, value in identifiers.items() if key in IDENTIFIERS and value}
        if not wanted:
            return []
        condition = " OR ".join(f"{key} = :{key}" for key in wanted)  # each (number, municipality) index
        return self.conn.all(f"SELECT id, municipality FROM screening_case WHERE ({condition}) "
                             "AND municipality <> :municipality ORDER BY id", {**wanted, "municipality": municipality})

    def add(self, case: Case) -> None:
        values = case_to_db(self.conn, case)
        self.conn.execute(INSERT_CASE, values)
        name_words.write(self.conn, case.id, None, values)  # the search by name's index
        self._as_read[case.id] = values

    def contacts(self, case_id: str) -> dict | None:
        """What a message needs of its case to find its parties: never a name, number or note."""
        return self.conn.one("SELECT id, municipality, unaccompanied, health_centre_id, school_id, preschool_id "
                             "FROM screening_case WHERE id = :id", {"id": case_id})

    def save(self, case: Case) -> None:
        values = case_to_db(self.conn, case)
        before = self._as_read.get(case.id, {})
        changed = {name: value for name, value in values.items()
                   if name != "version" and (name not in before or before[name] != value)}
        sets = "".join(f", {name} = :{name}" for name in changed)
        if any(name in changed for name in name_words.COLUMNS):  # the search by name's index: its rows moved
            old = before if all(name in before for name in name_words.COLUMNS) else self.conn.one(
                f"SELECT {', '.join(name_words.COLUMNS)} FROM screening_case WHERE id = :id", {"id": case.id})
            name_words.write(self.conn, case.id, old, values)
        result = self.conn.execute(
            f"UPDATE screening_case SET version = :new_version{sets} WHERE id = :id AND version = :version",
            {**changed, "id": case.id, "version": case.version, "new_version": case.version + 1})
        if result.rowcount != 1:
            raise StaleWrite("case {case} was changed by someone else meanwhile; read it again and retry", case=case.id)
        case.version += 1
        self._as_read[case.id] = {**values, "version": case.version}


CLOSED = {"health_centre_id": None, "municipality": None}  # what a closed deadline holds of its case


class SqlDeadlineRepository(abstract.DeadlineRepository):
    """A case's deadlines, one row per rule, updated in place (an arrival change moves them).

    `next_alert_at` is when the sweep next looks at an open deadline: its reminder time, then
    (once reminded) its due; a deadline that moves is reminded again for its new due. It is
    never before the last sweep's mark, which the next sweep reads from. A past-due deadline
    not done is stored `open` and shown `breached`."""

    FIELDS = ("owner", "starts", "due", "status", "met_at", "attributed_to", "rules_version")
    # An open row also holds its case's health centre (`health_centre_id`, the work list's index, 0028) and
    # municipality (the municipality's overdue steps, 0029), read from the case as it was saved just before
    # its deadlines (a change of centre moves them all); a closed one (met, late, cancelled) holds neither:
    # both indexes are of open steps only, and every reader of the two columns reads open steps.
    TIMES = ("starts", "due", "met_at", "next_alert_at")

    def __init__(self, conn):
        self.conn = conn

    def for_case(self, case_id: str) -> dict[str, dict]:
        rows = self.conn.all("SELECT rule, owner, starts, due, status, met_at, attributed_to, next_alert_at, "
                             "rules_version, health_centre_id, municipality FROM deadline WHERE case_id = :case_id",
                             {"case_id": case_id})
        return {row["rule"]: row for row in rows}

    def _swept_to(self):
        """The last sweep's mark; on PostgreSQL held (FOR SHARE) until this unit of work commits,
        so that a sweep waits for it and then reads what it wrote (SQLite: one writer anyway)."""
        lock = "" if self.conn.sqlite else " FOR SHARE"
        swept_to = self.conn.scalar(f"SELECT swept_to FROM sweep_mark WHERE id = 1{lock}")
        return swept_to if self.conn.sqlite else self.conn.timestamp(swept_to)

    def _stored(self, deadline) -> dict:
        values = {name: getattr(deadline, name) for name in self.FIELDS}
        values["next_alert_at"] = deadline.remind_at or deadline.due
        for name in self.TIMES:
            values[name] = self.conn.timestamp(values[name])
        return values

    def save(self, case_id: str, deadlines) -> None:
        stored = self.for_case(case_id)
        if not self.conn.sqlite:  # PostgreSQL gives aware datetimes back: compare like with like
            for row in stored.values():
                for name in self.TIMES:
                    row[name] = self.conn.timestamp(row[name])
        swept_to = self._swept_to()
        home = self.conn.one("SELECT health_centre_id, municipality FROM screening_case WHERE id = :id",
                             {"id": case_id}) or {}
        place = {"health_centre_id": home.get("health_centre_id"), "municipality": home.get("municipality")}
        inserts, updates = [], []
        for deadline in deadlines:
            values = {**self._stored(deadline), **place}
            current = stored.pop(deadline.rule, None)
            if values["status"] == "breached":
                values["status"] = "open"  # past due and not done: stored open, shown breached
            if values["status"] != "open":
                values.update(CLOSED)
            if current is not None and current["due"] == values["due"] and current["status"] == "open":
                values["next_alert_at"] = current["next_alert_at"]  # reminded already, or still to be
            elif swept_to is not None and values["next_alert_at"] < swept_to:
                values["next_alert_at"] = swept_to  # the next sweep reads from its mark: not before it
            if current is None:
                inserts.append({**values, "case_id": case_id, "rule": deadline.rule})
            elif any(current[name] != value for name, value in values.items()):
                updates.append({**values, "case_id": case_id, "rule": deadline.rule})
        for rule, row in stored.items():  # a clock that no longer runs (e.g. no school any more)
            if row["status"] not in ("met", "late", "cancelled"):
                updates.append({**row, "status": "cancelled", "case_id": case_id, "rule": rule, **CLOSED})
        self.conn.many("INSERT INTO deadline (case_id, rule, owner, starts, due, status, met_at, attributed_to, "
                       "next_alert_at, rules_version, health_centre_id, municipality) VALUES (:case_id, :rule, :owner, "
                       ":starts, :due, :status, :met_at, :attributed_to, :next_alert_at, :rules_version, "
                       ":health_centre_id, :municipality)",
                       inserts)
        self.conn.many("UPDATE deadline SET owner = :owner, starts = :starts, due = :due, status = :status, "
                       "met_at = :met_at, attributed_to = :attributed_to, next_alert_at = :next_alert_at, "
                       "rules_version = :rules_version, health_centre_id = :health_centre_id, "
                       "municipality = :municipality "
                       "WHERE case_id = :case_id AND rule = :rule", updates)


class SqlNoteRepository(abstract.NoteRepository):
    def __init__(self, conn):
        self.conn = conn

    def add(self, case_id: str, kind: str, text: str, at, user_id: str) -> None:
        self.conn.execute("INSERT INTO case_note (case_id, kind, text, at, user_id) "
                          "VALUES (:case_id, :kind, :text, :at, :user_id)",
                          {"case_id": case_id, "kind": kind, "text": text, "at": self.conn.timestamp(at),
                           "user_id": user_id})


class SqlAlertRepository(abstract.AlertRepository):
    def __init__(self, conn):
        self.conn = conn

    def get(self, alert_id: int) -> dict | None:
        return self.conn.one("SELECT * FROM alert WHERE id = :id", {"id": alert_id})

    def raise_warning(self, case_id: str, rule: str, owner: str, due: datetime, now: datetime) -> int | None:
        """A warning now (once per case, rule and due); its id, or None if it was raised before."""
        stamp = self.conn.timestamp
        row = self.conn.one(
            sql.RAISE_ALERTS.format(rows="VALUES (:case_id, :rule, 'warning', :owner, :due, :now, :now, 1)",
                                    returning="id"),
            {"case_id": case_id, "rule": rule, "owner": owner, "due": stamp(due), "now": stamp(now)})
        return None if row is None else row["id"]

    def acknowledge(self, alert_id: int, user_id: str, at) -> None:
        self.conn.execute("UPDATE alert SET acknowledged_at = :at, acknowledged_by = :user_id WHERE id = :id",
                          {"id": alert_id, "at": self.conn.timestamp(at), "user_id": user_id})


class SqlAuditLog(abstract.AuditLog):
    """Rows kept until the unit of work commits, then appended to the hash chain (`flush`): the chain's
    lock is held for the commit only, not for the rest of the use case."""

    def __init__(self, conn, key: bytes | None = None, door: str | None = None):
        self.conn = conn
        self.key = key
        self.door = door  # where the rows came in (`cli:<account>`, `api`, `page`)
        self.pending: list[dict] = []

    def record(self, entry: AuditEntry) -> None:
        self.pending.append({
            "case_id": entry.case_id, "kind": audit_kind(self.conn, entry.action, entry.event),
            "action": entry.action, "event": entry.event, "user_id": entry.user_id,
            "at": self.conn.timestamp(entry.at), "recorded_at": self.conn.timestamp(entry.recorded_at),
            "user_no": user_number(self.conn, entry.user_id),
            "detail": json.dumps(entry.detail, ensure_ascii=False) if entry.detail else None, "door": self.door})

    def flush(self) -> None:
        """The rows recorded, appended to the chain in this transaction (just before its commit)."""
        if self.pending:
            rows, self.pending = self.pending, []
            chain.append(self.conn, self.key, rows)

    def discard(self) -> None:
        self.pending = []

    def reads(self, start: datetime, end: datetime, *, health_centre: str | None, up_to: int) -> list[int]:
        stamp = self.conn.timestamp
        centre = " JOIN screening_case c ON c.id = a.case_id AND c.health_centre_id = :centre" if health_centre else ""
        cursor = self.conn.execute(
            f"SELECT a.id FROM audit a JOIN audit_kind k ON k.no = a.kind{centre} WHERE a.case_id IS NOT NULL "
            "AND k.event = '' AND a.at >= :start AND a.at < :end AND a.id <= :up_to ORDER BY a.id",
            {"start": stamp(start), "end": stamp(end), "up_to": up_to, "centre": health_centre})
        return [row_id for (row_id,) in cursor]

    def newest(self) -> int:
        return self.conn.scalar("SELECT COALESCE(MAX(id), 0) FROM audit")

    def entries(self, ids: list[int]) -> list[dict]:
        found = []
        for first in range(0, len(ids), 500):
            params = {f"i{n}": row_id for n, row_id in enumerate(ids[first:first + 500])}
            found += self._trail(f"a.id IN ({', '.join(':' + name for name in params)})", params)
        return sorted(found, key=lambda row: row["id"])

    def administration(self, actions: tuple[str, ...]) -> list[dict]:
        params = {f"a{n}": action for n, action in enumerate(actions)}
        return self._trail(f"a.case_id IS NULL AND k.action IN ({', '.join(':' + name for name in params)})", params)

    def _trail(self, condition: str, params: dict) -> list[dict]:
        rows = self.conn.all(
            "SELECT a.id, a.case_id, k.action, k.event, a.at, a.recorded_at, u.id AS user_id, u.org_id, a.detail, "
            "u.name AS user_name, a.door "
            "FROM audit a JOIN audit_kind k ON k.no = a.kind JOIN app_user u ON u.no = a.user_no "
            f"WHERE {condition} ORDER BY a.id", params)
        for row in rows:
            row["at"], row["recorded_at"] = clock.from_db(row["at"]), clock.from_db(row["recorded_at"])
            row["detail"] = json.loads(row["detail"]) if row["detail"] else {}
        return rows
