"""What a use case may ask of storage: a unit of work and its repositories, as abstract classes.

`screening.storage.unit_of_work.SqlUnitOfWork` and the `Sql…` repositories implement them on
SQLite and PostgreSQL; the tests' in-memory fake implements them too, so that a use case can be
tested without a database. Nothing here commits but the unit of work.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime

from screening.model import Case


class CaseRepository(ABC):
    @abstractmethod
    def get(self, case_id: str) -> Case | None: ...

    @abstractmethod
    def find_by_identifiers(self, identifiers: dict[str, str], municipality: str) -> list[Case]:
        """The municipality's cases with any of these identity numbers (unique within a municipality)."""

    @abstractmethod
    def elsewhere(self, identifiers: dict[str, str], municipality: str) -> list[dict]:
        """The other municipalities' cases with any of these identity numbers: `{"id", "municipality"}`
        each, by id; nothing else of them (for the coordinators, who resolve one child on two cases)."""

    @abstractmethod
    def add(self, case: Case) -> None: ...

    @abstractmethod
    def save(self, case: Case) -> None:
        """Write a changed case; refused (StaleWrite) if it changed since it was read."""

    @abstractmethod
    def contacts(self, case_id: str) -> dict | None:
        """What a message needs of the case to find its parties (municipality, unaccompanied, the ids of its
        health centre, school and preschool): never a name, number or note."""


class DeadlineRepository(ABC):
    @abstractmethod
    def for_case(self, case_id: str) -> dict[str, dict]:
        """The case's deadlines by rule, as stored (times as the backend keeps them)."""

    @abstractmethod
    def save(self, case_id: str, deadlines) -> None:
        """The case's deadlines as `evaluate` gives them; one no longer given is cancelled."""


class NoteRepository(ABC):
    @abstractmethod
    def add(self, case_id: str, kind: str, text: str, at: datetime, user_id: str) -> None: ...


class AlertRepository(ABC):
    @abstractmethod
    def get(self, alert_id: int) -> dict | None: ...

    @abstractmethod
    def raise_warning(self, case_id: str, rule: str, owner: str, due: datetime, now: datetime) -> int | None:
        """A warning now, once per case, rule and due: its id, or None if raised before."""

    @abstractmethod
    def acknowledge(self, alert_id: int, user_id: str, at: datetime) -> None: ...


class DirectoryRepository(ABC):
    """The region's directory (organisations) and its users."""

    @abstractmethod
    def load(self):
        """The whole directory (a `Directory`): for the outbox, which finds every party's address."""

    @abstractmethod
    def replace(self, directory) -> None: ...

    @abstractmethod
    def organisation(self, org_id: str) -> dict | None:
        """The organisation's stored row (id, kind, name, municipality), or None."""

    @abstractmethod
    def get(self, org_id: str):
        """One `Organisation` as the directory describes it; NotFound if there is none."""

    def organisation_record(self, org_id: str):
        return self.get(org_id)

    @abstractmethod
    def municipality(self, name: str) -> str:
        """The municipality's name as the directory spells it; NotFound for another."""

    @abstractmethod
    def default_health_centre(self, municipality: str): ...

    @abstractmethod
    def region_id(self) -> str: ...

    @abstractmethod
    def region_name(self) -> str: ...

    @abstractmethod
    def interpreter_service(self, health_centre_id: str | None, municipality: str):
        """The interpreter service a case's centre (else its municipality) names, or None."""

    @abstractmethod
    def user(self, user_id: str) -> dict | None: ...

    @abstractmethod
    def actor(self, user_id: str) -> dict | None:
        """The user with their organisation's kind and municipality (id, role, org_id, kind, municipality,
        name, disabled_at)."""

    @abstractmethod
    def any_user(self) -> bool: ...

    @abstractmethod
    def add_user(self, user_id: str, role: str, org_id: str, *, name: str | None = None, email: str | None = None,
                 hsa_id: str | None = None) -> None: ...

    @abstractmethod
    def user_by_hsa_id(self, hsa_id: str) -> dict | None:
        """The user with this HSA-id, or None."""

    @abstractmethod
    def disable_user(self, user_id: str, at) -> None:
        """The user can no longer act, from `at`."""

    @abstractmethod
    def set_language(self, user_id: str, language: str | None) -> None:
        """The pages' language the person chose (sv, en), or none (the browser's)."""


class AuditLog(ABC):
    @abstractmethod
    def record(self, entry) -> None:
        """One row of the audit trail (an `AuditEntry`): who did or read what, when."""

    @abstractmethod
    def reads(self, start: datetime, end: datetime, *, health_centre: str | None, up_to: int) -> list[int]:
        """The ids, ascending, of the reads of cases (rows with a case and no event) timed in [start, end)
        and no newer than the row `up_to`; only of the health centre's cases if one is named."""

    @abstractmethod
    def newest(self) -> int:
        """The newest row's id (0: none yet)."""

    @abstractmethod
    def entries(self, ids: list[int]) -> list[dict]:
        """These rows, by id: id, case_id, action, event, at, recorded_at, user_id, org_id, detail (a dict)."""

    @abstractmethod
    def administration(self, actions: tuple[str, ...]) -> list[dict]:
        """The rows of these actions without a case (the administration's: directory changes, restores,
        samples), oldest first, as `entries` gives them."""


class BookingRepository(ABC):
    @abstractmethod
    def lock_centre(self, health_centre_id: str) -> None:
        """Hold the centre's bookings until commit (two staff cannot both take its last place)."""

    @abstractmethod
    def overlapping(self, health_centre_id: str, starts: datetime, ends: datetime, *,
                    besides=None) -> list[tuple[datetime, datetime]]: ...

    @abstractmethod
    def get(self, case_id: str, kind: str) -> dict | None: ...

    @abstractmethod
    def put(self, booking: dict) -> None: ...

    @abstractmethod
    def cancel(self, case_id: str, kinds: tuple[str, ...], at: datetime, after: datetime | None = None) -> None: ...

    @abstractmethod
    def appointments(self, health_centre_id: str) -> list[dict]:
        """The centre's bookings as its calendar shows them (with the case's id, name, municipality)."""

    @abstractmethod
    def appointment(self, case_id: str, kind: str) -> dict | None: ...


class LetterRepository(ABC):
    """The family's letters, one per booking's sequence (the facts each was made from)."""

    @abstractmethod
    def keep(self, case_id: str, kind: str, sequence: int, facts: dict, now: datetime) -> None:
        """The letter of this sequence; the earlier ones superseded now."""

    @abstractmethod
    def supersede(self, case_id: str, kind: str, now: datetime) -> None: ...

    @abstractmethod
    def letters(self, case_id: str, kind: str) -> list[dict]:
        """`{sequence, facts, made_at, superseded_at}`, the latest first."""


class Outbox(ABC):
    @abstractmethod
    def queue(self, key: str, topic: str, now: datetime, *, case_id: str | None = None, ref: int | None = None,
              payload: dict | None = None) -> None:
        """A message, sent only if the unit of work commits; a key queued before is not queued again."""

    @abstractmethod
    def queue_many(self, messages: list[dict], now: datetime) -> None: ...

    @abstractmethod
    def claim(self, now: datetime, lease_until: datetime) -> dict | None:
        """The oldest message due at `now`, leased until `lease_until`, its attempts counted."""

    @abstractmethod
    def any_due(self, now: datetime) -> bool: ...

    @abstractmethod
    def sent(self, message_id: int, now: datetime) -> None: ...

    @abstractmethod
    def replaced(self, message_id: int, now: datetime) -> None:
        """Not sent, and never to be: a later message says it (or there is nothing left to say)."""

    @abstractmethod
    def queued_after(self, case_id: str, message_id: int) -> list[dict]:
        """The case's event messages queued after this one (id, key, payload), oldest first."""

    @abstractmethod
    def set_payload(self, message_id: int, payload: dict) -> None: ...

    @abstractmethod
    def dead(self, message_id: int, reason: str) -> None: ...

    @abstractmethod
    def retry_at(self, message_id: int, when: datetime, reason: str) -> None: ...

    @abstractmethod
    def listing(self, status: str | None = None) -> list[dict]: ...

    @abstractmethod
    def status(self, message_id: int) -> str | None: ...

    @abstractmethod
    def requeue(self, message_id: int) -> None: ...

    @abstractmethod
    def prune_batch(self, cutoff: datetime, batch: int) -> int: ...


class RuleVersions(ABC):
    """The deadline rule table's versions: the newest is in force."""

    @abstractmethod
    def store(self, rules: dict, loaded_by: str, at: datetime) -> dict:
        """The table as the next version, `{"version", "new"}`; the version in force if it is the same."""


class AccountRepository(ABC):
    """Local accounts (`local_account`) and their recovery codes: hashes and counts, never a password."""

    @abstractmethod
    def get(self, user_id: str) -> dict | None:
        """The account's row (user_id, password_hash, password_temporary, totp_secret, totp_confirmed_at,
        totp_last_step, failures, locked_until, changed_at), or None."""

    @abstractmethod
    def put(self, account: dict) -> None:
        """The account's row as given, added or replaced."""

    @abstractmethod
    def replace_codes(self, user_id: str, hashes: list[str]) -> None:
        """The user's recovery codes (their hashes) instead of any before; none: all gone."""

    @abstractmethod
    def use_code(self, user_id: str, code_hash: str, now: datetime) -> bool:
        """Whether the user had this recovery code unused; it is used now if so."""

    @abstractmethod
    def codes_left(self, user_id: str) -> int: ...

    @abstractmethod
    def locked(self, now: datetime) -> list[dict]:
        """The accounts locked at `now`: `{"user_id", "locked_until"}`, by user."""


class SessionRepository(ABC):
    """Server-side sessions (`web_session`), found by the SHA-256 of their id."""

    @abstractmethod
    def add(self, id_hash: str, user_id: str, now: datetime) -> None: ...

    @abstractmethod
    def get(self, id_hash: str) -> dict | None:
        """id_hash, user_id, created_at, last_seen_at, revoked_at; or None."""

    @abstractmethod
    def touch(self, id_hash: str, now: datetime) -> None: ...

    @abstractmethod
    def revoke(self, id_hash: str, now: datetime) -> None: ...

    @abstractmethod
    def revoke_user(self, user_id: str, now: datetime) -> int:
        """Every open session of the user ended now; how many."""


class UnitOfWork(ABC):
    """Everything a use case writes commits together or not at all."""

    cases: CaseRepository
    deadlines: DeadlineRepository
    notes: NoteRepository
    alerts: AlertRepository
    directory: DirectoryRepository
    audit: AuditLog
    bookings: BookingRepository
    letters: LetterRepository
    outbox: Outbox
    rules: RuleVersions
    accounts: AccountRepository
    sessions: SessionRepository

    def __enter__(self) -> "UnitOfWork":
        return self

    def __exit__(self, *exc) -> None:
        self.rollback()

    @abstractmethod
    def commit(self) -> None:
        """Keep what was written since the last commit (the unit of work may go on)."""

    @abstractmethod
    def rollback(self) -> None:
        """Forget what was written since the last commit."""
