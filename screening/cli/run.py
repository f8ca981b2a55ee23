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
    said: object = None

    @property
    def lang(self) -> str:
        """The person's language: the setting (sv, or en)."""
        return self.app.settings.language

    def words(self):
        """The person's words (the language setting), organisations by name, this year's dates short."""
        from screening import clock
        from screening.services import users
        from screening.words import Words

        if self.said is None:
            names = {org["id"]: org["name"] for org in users.organisations(self.app)}
            self.said = Words(self.app.settings.language, names, clock.local_date(self.app.clock.now()))
        return self.said

    def simulation_banner(self) -> str | None:
        """A simulation's first line on a screen: that it is one, and its clock; none for real use."""
        from screening.cli import render

        try:
            simulation = self.app.simulation
        except Exception:  # no database yet (init makes it): nothing to say
            return None
        return render.said(self.lang, "simulation", now=self.words().time(self.app.clock.now())) if simulation else None

    def actor(self):
        """The acting person, identified once."""
        from screening.errors import NotFound
        from screening.services import users

        if not self.user:
            raise NotFound("no acting user: give --as USER or set SCREENING_USER")
        if self.user not in self.actors:
            self.actors[self.user] = users.identify(self.app, self.user)
        return self.actors[self.user]


def os_account() -> str:
    """The operating-system account running the command (by its user id, not the environment's name)."""
    import os
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # an id without a name (a container)
        return str(os.geteuid())


def the(ctx: typer.Context) -> Run:
    return ctx.find_root().obj
