"""Repositories: cases, the directory, users and the audit trail behind one abstract interface."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update

from screening.directory import Directory, organisation_from_dict
from screening.errors import NotFound, StaleWrite
from screening.model import IDENTIFIERS, Case
from screening.tables import AlertRow, AuditRow, CaseRow, DeadlineRow, NoteRow, OrganisationRow, RegionRow, UserRow

CASE_FIELDS = tuple(f.name for f in fields(Case) if f.name != "events")


@dataclass(frozen=True)
class AuditEntry:
    case_id: str | None
    action: str
    event: str | None
    at: datetime
    recorded_at: datetime
    user_id: str
    org_id: str | None
    detail: dict | None = None

    def row(self) -> dict:
        return {
            "case_id": self.case_id, "action": self.action, "event": self.event,
            "at": self.at, "recorded_at": self.recorded_at,
            "user_id": self.user_id, "org_id": self.org_id,
            "detail": json.dumps(self.detail, ensure_ascii=False) if self.detail else None,
        }


class AbstractCaseRepository(ABC):
    @abstractmethod
    def get(self, case_id: str) -> Case | None: ...

    @abstractmethod
    def find_by_identifiers(self, identifiers: dict[str, str]) -> list[Case]: ...

    @abstractmethod
    def add(self, case: Case) -> None: ...

    @abstractmethod
    def save(self, case: Case) -> None:
        """Write a changed case; refused if it changed since it was read (optimistic locking)."""


def case_to_row(case: Case) -> dict:
    return {name: getattr(case, name) for name in CASE_FIELDS}


def case_from_row(row) -> Case:
    return Case(**{name: row[name] for name in CASE_FIELDS})


class SqlCaseRepository(AbstractCaseRepository):
    table = CaseRow.__table__

    def __init__(self, session):
        self.session = session

    def get(self, case_id: str) -> Case | None:
        row = self.session.execute(select(self.table).where(self.table.c.id == case_id)).mappings().first()
        return None if row is None else case_from_row(row)

    def find_by_identifiers(self, identifiers: dict[str, str]) -> list[Case]:
        if not identifiers:
            return []
        clauses = [self.table.c[key] == value for key, value in identifiers.items() if key in IDENTIFIERS]
        rows = self.session.execute(select(self.table).where(or_(*clauses))).mappings()
        return [case_from_row(row) for row in rows]

    def add(self, case: Case) -> None:
        self.session.execute(insert(self.table).values(**case_to_row(case)))

    def save(self, case: Case) -> None:
        row = case_to_row(case)
        row["version"] = case.version + 1
        result = self.session.execute(
            update(self.table)
            .where(self.table.c.id == case.id, self.table.c.version == case.version)
            .values(**row)
        )
        if result.rowcount != 1:
            raise StaleWrite(f"case {case.id} was changed by someone else meanwhile; read it again and retry")
        case.version += 1


class SqlDeadlineRepository:
    """A case's deadlines, one row per rule, updated in place (an arrival change moves them)."""

    table = DeadlineRow.__table__
    FIELDS = ("owner", "starts", "due", "status", "met_at", "attributed_to")

    def __init__(self, session):
        self.session = session

    def for_case(self, case_id: str) -> dict[str, dict]:
        rows = self.session.execute(select(self.table).where(self.table.c.case_id == case_id)).mappings()
        return {row["rule"]: dict(row) for row in rows}

    def save(self, case_id: str, deadlines) -> None:
        stored = self.for_case(case_id)
        for deadline in deadlines:
            values = {name: getattr(deadline, name) for name in self.FIELDS}
            current = stored.pop(deadline.rule, None)
            if values["status"] == "breached" and (current is None or current["status"] != "breached"
                                                   or current["due"] != values["due"]):
                # past due but not yet swept: stays open, so the sweep raises its alert and marks it
                values["status"] = "open"
            if current is None:
                self.session.execute(insert(self.table).values(case_id=case_id, rule=deadline.rule, **values))
            elif any(current[name] != value for name, value in values.items()):
                self.session.execute(update(self.table).where(self.table.c.id == current["id"]).values(**values))
        for rule, row in stored.items():  # a clock that no longer runs (e.g. no school any more)
            if row["status"] not in ("met", "late", "cancelled"):
                self.session.execute(update(self.table).where(self.table.c.id == row["id"]).values(status="cancelled"))


class SqlNoteRepository:
    def __init__(self, session):
        self.session = session

    def add(self, case_id: str, kind: str, text: str, at, user_id: str) -> None:
        self.session.execute(insert(NoteRow.__table__).values(
            case_id=case_id, kind=kind, text=text, at=at, user_id=user_id))


class SqlAlertRepository:
    table = AlertRow.__table__

    def __init__(self, session):
        self.session = session

    def get(self, alert_id: int) -> dict | None:
        row = self.session.execute(select(self.table).where(self.table.c.id == alert_id)).mappings().first()
        return dict(row) if row else None

    def acknowledge(self, alert_id: int, user_id: str, at) -> None:
        self.session.execute(update(self.table).where(self.table.c.id == alert_id)
                             .values(acknowledged_at=at, acknowledged_by=user_id))


class SqlDirectoryRepository:
    """The region's directory (organisations) and its users."""

    def __init__(self, session):
        self.session = session

    def load(self) -> Directory:
        region = self.session.execute(select(RegionRow.__table__)).mappings().first()
        if region is None:
            raise NotFound("the database holds no directory: run `screening init --demo` or `init --directory FILE`")
        table = OrganisationRow.__table__
        rows = self.session.execute(select(table.c.details).order_by(table.c.position)).scalars()
        return Directory(region["id"], region["name"], tuple(json.loads(region["municipalities"])),
                         tuple(organisation_from_dict(json.loads(details)) for details in rows))

    def replace(self, directory: Directory) -> None:
        """Load a region's directory: organisations are added or updated, never deleted."""
        region = RegionRow.__table__
        self.session.execute(delete(region))
        self.session.execute(insert(region).values(
            id=directory.region_id, name=directory.region_name,
            municipalities=json.dumps(directory.municipalities, ensure_ascii=False)))
        for position, org in enumerate(directory.organisations):
            self.upsert_organisation({
                "id": org.id, "position": position, "kind": org.kind, "name": org.name,
                "municipality": org.municipality, "details": json.dumps(org.to_dict(), ensure_ascii=False),
            })

    def organisation(self, org_id: str) -> dict | None:
        table = OrganisationRow.__table__
        return self.session.execute(select(table).where(table.c.id == org_id)).mappings().first()

    def upsert_organisation(self, org: dict) -> None:
        table = OrganisationRow.__table__
        if self.organisation(org["id"]) is None:
            self.session.execute(insert(table).values(**org))
        else:
            self.session.execute(update(table).where(table.c.id == org["id"]).values(**org))

    def user(self, user_id: str) -> dict | None:
        table = UserRow.__table__
        return self.session.execute(select(table).where(table.c.id == user_id)).mappings().first()

    def any_user(self) -> bool:
        return self.session.execute(select(UserRow.__table__.c.id).limit(1)).first() is not None

    def add_user(self, user_id: str, role: str, org_id: str) -> None:
        self.session.execute(insert(UserRow.__table__).values(id=user_id, role=role, org_id=org_id))


class SqlAuditLog:
    def __init__(self, session):
        self.session = session

    def record(self, entry: AuditEntry) -> None:
        self.session.execute(insert(AuditRow.__table__).values(**entry.row()))
