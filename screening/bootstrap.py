"""The bootstrap: what an edge makes once at start and hands to every use case.

`bootstrap()` reads the environment (the only place below the edges that does), and gives an
`App`: the database, the settings and the clock. The command line makes one per command, the
server one per process; a unit test makes one over a fake unit of work.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Callable, Mapping

from screening.clock import STOCKHOLM
from screening.settings import Settings


def system_time() -> datetime:
    return datetime.now(STOCKHOLM)


@dataclass(frozen=True)
class Clock:
    """The product's clock. `now()` is the rules' time: a simulation's fixed time, else the
    system's; `real()` is the system's, which the audit trail records beside it."""

    fixed: datetime | None = None
    system: Callable[[], datetime] = system_time

    def now(self) -> datetime:
        return self.fixed or self.system()

    def real(self) -> datetime:
        return self.system()


@dataclass
class App:
    """One deployment as the use cases see it: where the data is, the settings, the clock."""

    database: str | None = None  # a URL; None: the default database of the settings
    settings: Settings = field(default_factory=Settings)
    clock: Clock = field(default_factory=Clock)
    unit_of_work: Callable | None = None  # what `uow()` makes instead of the SQL one (a fake, in tests)

    @cached_property
    def url(self) -> str:
        from screening.storage import db

        return db.check_url(self.database or self.settings.default_url())

    def uow(self):
        """A new unit of work: what a use case writes commits together or not at all."""
        if self.unit_of_work is not None:
            return self.unit_of_work()
        from screening.storage.unit_of_work import SqlUnitOfWork

        return SqlUnitOfWork(self.url)

    def reads(self):
        """The read model (plain SQL, no transaction held): what reads of many cases go through."""
        from screening.storage.queries import ReadModel

        return ReadModel(self.url)


def bootstrap(database: str | None = None, now: datetime | None = None,
              env: Mapping[str, str] | None = None) -> App:
    """The App of this process: settings from `env` (default: the environment, read now, once)."""
    return App(database, Settings(os.environ if env is None else env), Clock(now))
