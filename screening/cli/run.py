"""One command's run: what the global options set up, handed to the command through typer's context."""

from __future__ import annotations

from dataclasses import dataclass, field

import typer


@dataclass
class Run:
    """The command's output, the app (database, settings, clock) and who is acting (`--as`)."""

    out: object
    app: object = None
    user: str | None = None
    actors: dict = field(default_factory=dict)

    def actor(self):
        """The acting person, identified once."""
        from screening.errors import NotFound
        from screening.services import users

        if not self.user:
            raise NotFound("no acting user: give --as USER or set SCREENING_USER")
        if self.user not in self.actors:
            self.actors[self.user] = users.identify(self.app, self.user)
        return self.actors[self.user]


def the(ctx: typer.Context) -> Run:
    return ctx.find_root().obj
