"""The bootstrap: what an edge makes once at start and hands to every use case.

`bootstrap()` reads the environment (the only place below the edges that does), and gives an
`App`: the database, the settings and the clock. The command line makes one per command, the
server one per process; a unit test makes one over a fake unit of work.
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Callable, Mapping

from screening.clock import STOCKHOLM
from screening.settings import Settings


SKEW = timedelta(minutes=5)  # how far a clock the product holds (a sweep's time) may be from the system's


def system_time() -> datetime:
    return datetime.now(STOCKHOLM)


@dataclass(frozen=True)
class Clock:
    """The product's clock. `now()` is the rules' time: a simulation's fixed time, else the
    system's; `real()` is the system's, which the audit trail records beside it."""

    fixed: datetime | None = None
    system: Callable[[], datetime] = system_time
    given: bool = False  # set by the person running the command (`--now`), not pinned by the product

    def now(self) -> datetime:
        return self.fixed or self.system()

    def real(self) -> datetime:
        return self.system()


DOOR: ContextVar[str | None] = ContextVar("door", default=None)  # a server's request's door (`App.door`)


@dataclass
class App:
    """One deployment as the use cases see it: where the data is, the settings, the clock."""

    database: str | None = None  # a URL; None: the default database of the settings
    settings: Settings = field(default_factory=Settings)
    clock: Clock = field(default_factory=Clock)
    unit_of_work: Callable | None = None  # what `uow()` makes instead of the SQL one (a fake, in tests)
    door: str | None = None  # where use cases come in, on every audit row: `cli:<OS account>` (set by the
    # command line's edge); a server's App has none, and each request says its own in `DOOR`:
    # `api:<token id>`, `page` (a session); None: not said (the scheduler, tests)
    _simulation: bool = field(default=False, repr=False)
    _policies: dict = field(default_factory=dict, repr=False)  # by the rule table's version

    @cached_property
    def url(self) -> str:
        from screening.storage import db

        return db.check_url(self.database or self.settings.default_url())

    def uow(self):
        """A new unit of work: what a use case writes commits together or not at all."""
        if self.unit_of_work is not None:
            return self.unit_of_work()
        from screening.storage.unit_of_work import SqlUnitOfWork

        self.check_clock()
        return SqlUnitOfWork(self.url, self.settings.audit_key, self.door or DOOR.get())

    def reads(self):
        """The read model (plain SQL, no transaction held): what reads of many cases go through."""
        from screening.storage.queries import ReadModel

        self.check_clock()
        return ReadModel(self.url, self.settings.audit_key, self.door or DOOR.get())

    def policy(self):
        """The rule table in force (the database's newest version), the working days and the routes:
        read at each use case, so that a long-running process follows a version loaded meanwhile."""
        from workflows.deadlines import load_rules, rules_from
        from workflows.policy import Policy

        if self.unit_of_work is not None:  # a fake: the bundled table, version 1
            version, rules = 1, None
        else:
            from screening.storage import db, rule_versions

            conn = db.checkout(self.url)
            try:
                db.ensure_schema(self.url, conn)
                version = rule_versions.newest(conn)
                rules = None if version in self._policies else rule_versions.table(conn, version)
            finally:
                db.release(self.url, conn)
        if version not in self._policies:
            table = load_rules() if rules is None else rules_from(rules, f"version {version}")
            self._policies[version] = Policy(table, self.settings.calendar, self.settings.routes, version)
        return self._policies[version]

    @property
    def simulation(self) -> bool:
        """Whether the database is a simulation (its clock may be set); read once it says yes."""
        if not self._simulation and self.unit_of_work is None:
            from screening.storage import db, deployment

            conn = db.checkout(self.url)
            try:
                db.ensure_schema(self.url, conn)
                self._simulation = deployment.is_simulation(conn)
            finally:
                db.release(self.url, conn)
        return self._simulation

    def check_clock(self) -> None:
        """A set clock only on a simulation: a database for real use keeps the system's, so that no
        one writes a time that has not come (a sweep mark in 2199 would silence every later alert)."""
        fixed = self.clock.fixed
        if fixed is None or self.unit_of_work is not None:
            return
        pinned = not self.clock.given and abs(fixed - self.clock.system()) <= SKEW  # a job's time, held through it
        if not pinned and not self.simulation:
            from screening.errors import Refused

            raise Refused("this database is for real use and keeps the system's clock; a set clock is only "
                          "for a simulation database")


def hand_down(database: str) -> None:
    """The database for the processes this one starts (a server's workers): they inherit the
    environment, and `handed_down()` reads it there."""
    os.environ[HANDED_DOWN] = database


def handed_down() -> App:
    """The App of a process started by one that `hand_down` its database."""
    return bootstrap(os.environ[HANDED_DOWN])


HANDED_DOWN = "SCREENING_DB"  # as `--db`

def bootstrap(database: str | None = None, now: datetime | None = None,
              env: Mapping[str, str] | None = None, door: str | None = None) -> App:
    """The App of this process: settings from `env` (default: the environment, read now, once); `door`
    is where its use cases come in, as the edge says it (`App.door`)."""
    return App(database, Settings(os.environ if env is None else env), Clock(now, given=now is not None),
               door=door)
