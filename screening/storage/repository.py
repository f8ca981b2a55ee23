"""Repositories: cases, deadlines, notes, alerts, the directory and the audit trail, in plain SQL.

Each takes the unit of work's connection (`screening.storage.db.RawConnection`); none commits.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from screening import clock
from screening.directory import Directory, organisation_from_dict
from screening.errors import NotFound, StaleWrite
from screening.model import IDENTIFIERS, Case
from screening.storage import abstract
from screening.storage.codec import CASE_FIELDS, audit_kind, case_from_db, case_to_db, user_number


@dataclass(frozen=True)
class AuditEntry:
    case_id: str | None
    action: str
    event: str | None
    at: datetime
    recorded_at: datetime
    user_id: str  # the organisation is the user's (a user never changes organisation)
    detail: dict | None = None


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

    def find_by_identifiers(self, identifiers: dict[str, str]) -> list[Case]:
        wanted = {key: value for key, value in identifiers.items() if key in IDENTIFIERS}
        if not wanted:
            return []
        condition = " OR ".join(f"{key} = :{key}" for key in wanted)
        return [self._loaded(row) for row in self.conn.all(f"SELECT * FROM screening_case WHERE {condition}", wanted)]

    def add(self, case: Case) -> None:
        values = case_to_db(self.conn, case)
        self.conn.execute(INSERT_CASE, values)
        self._as_read[case.id] = values

    def save(self, case: Case) -> None:
        values = case_to_db(self.conn, case)
        before = self._as_read.get(case.id, {})
        changed = {name: value for name, value in values.items()
                   if name != "version" and (name not in before or before[name] != value)}
        sets = "".join(f", {name} = :{name}" for name in changed)
        result = self.conn.execute(
            f"UPDATE screening_case SET version = :new_version{sets} WHERE id = :id AND version = :version",
            {**changed, "id": case.id, "version": case.version, "new_version": case.version + 1})
        if result.rowcount != 1:
            raise StaleWrite(f"case {case.id} was changed by someone else meanwhile; read it again and retry")
        case.version += 1
        self._as_read[case.id] = {**values, "version": case.version}


class SqlDeadlineRepository(abstract.DeadlineRepository):
    """A case's deadlines, one row per rule, updated in place (an arrival change moves them).

    `next_alert_at` is when the sweep next looks at an open deadline: its reminder time, then
    (once reminded) its due; a deadline that moves is reminded again for its new due. It is
    never before the last sweep's mark, which the next sweep reads from. A past-due deadline
    not done is stored `open` and shown `breached`."""

    FIELDS = ("owner", "starts", "due", "status", "met_at", "attributed_to")
    TIMES = ("starts", "due", "met_at", "next_alert_at")

    def __init__(self, conn):
        self.conn = conn

    def for_case(self, case_id: str) -> dict[str, dict]:
        rows = self.conn.all("SELECT rule, owner, starts, due, status, met_at, attributed_to, next_alert_at "
                             "FROM deadline WHERE case_id = :case_id", {"case_id": case_id})
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
        inserts, updates = [], []
        for deadline in deadlines:
            values = self._stored(deadline)
            current = stored.pop(deadline.rule, None)
            if values["status"] == "breached":
                values["status"] = "open"  # past due and not done: stored open, shown breached
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
                updates.append({**row, "status": "cancelled", "case_id": case_id, "rule": rule})
        self.conn.many("INSERT INTO deadline (case_id, rule, owner, starts, due, status, met_at, attributed_to, "
                       "next_alert_at) VALUES (:case_id, :rule, :owner, :starts, :due, :status, :met_at, "
                       ":attributed_to, :next_alert_at)", inserts)
        self.conn.many("UPDATE deadline SET owner = :owner, starts = :starts, due = :due, status = :status, "
                       "met_at = :met_at, attributed_to = :attributed_to, next_alert_at = :next_alert_at "
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
            "INSERT INTO alert (case_id, rule, kind, owner, due, raised_at, last_raised_at, raise_count) "
            "VALUES (:case_id, :rule, 'warning', :owner, :due, :now, :now, 1) "
            "ON CONFLICT (due, case_id, rule, kind) DO NOTHING RETURNING id",
            {"case_id": case_id, "rule": rule, "owner": owner, "due": stamp(due), "now": stamp(now)})
        return None if row is None else row["id"]

    def acknowledge(self, alert_id: int, user_id: str, at) -> None:
        self.conn.execute("UPDATE alert SET acknowledged_at = :at, acknowledged_by = :user_id WHERE id = :id",
                          {"id": alert_id, "at": self.conn.timestamp(at), "user_id": user_id})


class SqlDirectoryRepository(abstract.DirectoryRepository):
    """The region's directory (organisations) and its users."""

    def __init__(self, conn):
        self.conn = conn

    def load(self) -> Directory:
        region = self.conn.one("SELECT id, name, municipalities FROM region")
        if region is None:
            raise NotFound("the database holds no directory yet: an admin loads the region's directory first")
        rows = self.conn.all("SELECT details FROM organisation ORDER BY position")
        return Directory(region["id"], region["name"], tuple(json.loads(region["municipalities"])),
                         tuple(organisation_from_dict(json.loads(row["details"])) for row in rows))

    def replace(self, directory: Directory) -> None:
        """Load a region's directory: organisations are added or updated, never deleted."""
        self.conn.execute("DELETE FROM region")
        self.conn.execute("INSERT INTO region (id, name, municipalities) VALUES (:id, :name, :municipalities)", {
            "id": directory.region_id, "name": directory.region_name,
            "municipalities": json.dumps(directory.municipalities, ensure_ascii=False)})
        for position, org in enumerate(directory.organisations):
            self.upsert_organisation({
                "id": org.id, "position": position, "kind": org.kind, "name": org.name,
                "municipality": org.municipality, "details": json.dumps(org.to_dict(), ensure_ascii=False),
            })

    def organisation(self, org_id: str) -> dict | None:
        return self.conn.one("SELECT * FROM organisation WHERE id = :id", {"id": org_id})

    def organisation_record(self, org_id: str):
        """One organisation as the directory describes it (cheaper than loading the whole directory)."""
        row = self.organisation(org_id)
        if row is None:
            raise NotFound(f"unknown organisation '{org_id}'")
        return organisation_from_dict(json.loads(row["details"]))

    def get(self, org_id: str):
        """One organisation, as `Directory.get`: NotFound if the directory has none of that id."""
        return self.organisation_record(org_id)

    def municipality(self, name: str) -> str:
        """The municipality's name as the directory spells it, as `Directory.municipality`."""
        region = self.conn.one("SELECT municipalities FROM region")
        if region is None:
            raise NotFound("the database holds no directory yet: an admin loads the region's directory first")
        return Directory("", "", tuple(json.loads(region["municipalities"])), ()).municipality(name)

    def default_health_centre(self, municipality: str):
        """The first health centre (in the directory's order) serving the municipality, as
        `Directory.default_health_centre` for a name the directory spells; only the centres whose
        stored details name it are read, not the whole directory (a country's holds thousands)."""
        quoted = json.dumps(municipality, ensure_ascii=False)
        pattern = "%" + quoted.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.conn.all("SELECT details FROM organisation WHERE kind = 'health_centre' "
                             "AND details LIKE :pattern ESCAPE '\\' ORDER BY position", {"pattern": pattern})
        for row in rows:
            details = json.loads(row["details"])
            if municipality in details.get("serves", ()):
                return organisation_from_dict(details)
        return None

    def region_id(self) -> str:
        return self.conn.scalar("SELECT id FROM region")

    def upsert_organisation(self, org: dict) -> None:
        self.conn.execute(
            "INSERT INTO organisation (id, position, kind, name, municipality, details) "
            "VALUES (:id, :position, :kind, :name, :municipality, :details) ON CONFLICT (id) DO UPDATE SET "
            "position = excluded.position, kind = excluded.kind, name = excluded.name, "
            "municipality = excluded.municipality, details = excluded.details", org)

    def user(self, user_id: str) -> dict | None:
        return self.conn.one("SELECT * FROM app_user WHERE id = :id", {"id": user_id})

    def actor(self, user_id: str) -> dict | None:
        """The user with what their organisation decides about their scope (one query)."""
        return self.conn.one("SELECT u.id, u.role, u.org_id, o.kind, o.municipality FROM app_user u "
                             "JOIN organisation o ON o.id = u.org_id WHERE u.id = :id", {"id": user_id})

    def any_user(self) -> bool:
        return self.conn.one("SELECT id FROM app_user LIMIT 1") is not None

    def add_user(self, user_id: str, role: str, org_id: str) -> None:
        self.conn.execute("INSERT INTO app_user (id, no, role, org_id) "
                          "VALUES (:id, (SELECT COALESCE(MAX(no), 0) + 1 FROM app_user), :role, :org_id)",
                          {"id": user_id, "role": role, "org_id": org_id})


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


class SqlAuditLog(abstract.AuditLog):
    def __init__(self, conn):
        self.conn = conn

    def record(self, entry: AuditEntry) -> None:
        self.conn.execute(
            "INSERT INTO audit (case_id, kind, at, recorded_at, user_no, detail) "
            "VALUES (:case_id, :kind, :at, :recorded_at, :user_no, :detail)", {
                "case_id": entry.case_id, "kind": audit_kind(self.conn, entry.action, entry.event),
                "at": self.conn.timestamp(entry.at), "recorded_at": self.conn.timestamp(entry.recorded_at),
                "user_no": user_number(self.conn, entry.user_id),
                "detail": json.dumps(entry.detail, ensure_ascii=False) if entry.detail else None})



LONGEST_APPOINTMENT = timedelta(hours=12)  # bounds the index range that finds overlapping appointments


class SqlBookingRepository(abstract.BookingRepository):
    """A case's bookings (one per kind) and a health centre's booked appointments."""

    def __init__(self, conn):
        self.conn = conn

    def lock_centre(self, health_centre_id: str) -> None:
        """Hold the health centre's bookings until commit, so that two staff booking at the same
        moment cannot both take its last place (SQLite: the unit of work is the one writer)."""
        if not self.conn.sqlite:
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext(:id))", {"id": "booking:" + health_centre_id})

    def overlapping(self, health_centre_id: str, starts: datetime, ends: datetime, *,
                    besides=None) -> list[tuple[datetime, datetime]]:
        """The booked appointments that overlap [starts, ends) in time order, but `besides`
        (a case and kind: its own booking, when it is rebooked)."""
        stamp = self.conn.timestamp
        case_id, kind = besides or (None, None)
        rows = self.conn.all(
            "SELECT starts, ends FROM booking WHERE health_centre_id = :hc AND status = 'booked' AND starts > :earliest "
            "AND starts < :ends AND ends > :starts AND NOT (case_id = :case_id AND kind = :kind) ORDER BY starts",
            {"hc": health_centre_id, "starts": stamp(starts), "ends": stamp(ends), "case_id": case_id or "",
             "kind": kind or "", "earliest": stamp(starts - LONGEST_APPOINTMENT)})
        return [(clock.from_db(r["starts"]), clock.from_db(r["ends"])) for r in rows]

    def get(self, case_id: str, kind: str) -> dict | None:
        return self.conn.one("SELECT * FROM booking WHERE case_id = :case_id AND kind = :kind",
                             {"case_id": case_id, "kind": kind})

    def put(self, booking: dict) -> None:
        """Insert or update a case's booking of a kind; the caller sets its sequence."""
        stamp = self.conn.timestamp
        values = {**booking, **{k: stamp(booking[k]) for k in ("starts", "ends", "updated_at")}}
        self.conn.execute(
            "INSERT INTO booking (case_id, kind, uid, sequence, health_centre_id, starts, ends, status, interpreter, "
            "updated_at) VALUES (:case_id, :kind, :uid, :sequence, :health_centre_id, :starts, :ends, :status, "
            ":interpreter, :updated_at) ON CONFLICT (case_id, kind) DO UPDATE SET sequence = excluded.sequence, "
            "health_centre_id = excluded.health_centre_id, starts = excluded.starts, ends = excluded.ends, "
            "status = excluded.status, interpreter = excluded.interpreter, updated_at = excluded.updated_at", values)

    def cancel(self, case_id: str, kinds: tuple[str, ...], at: datetime, after: datetime | None = None) -> None:
        """Cancel the case's booked appointments of these kinds (those that start after `after`)."""
        stamp = self.conn.timestamp
        later = "" if after is None else " AND starts > :after"
        for kind in kinds:
            self.conn.execute("UPDATE booking SET status = 'cancelled', sequence = sequence + 1, updated_at = :at "
                              f"WHERE case_id = :case_id AND kind = :kind AND status = 'booked'{later}",
                              {"case_id": case_id, "kind": kind, "at": stamp(at),
                               **({} if after is None else {"after": stamp(after)})})
