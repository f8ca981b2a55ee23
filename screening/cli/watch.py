"""The coordinator's overview as a screen that redraws itself (`overview --watch`)."""

from __future__ import annotations

import time

from screening.cli.overview_render import renderable
from screening.model import Actor
from screening.services import follow_up


def watch(app, actor: Actor, words, *, oldest: int, every: float, console=None, sleep=None,
          banner=None) -> None:
    """Draw the screen afresh (a new short read, at the clock's time) every `every` seconds until
    Ctrl-C. On a terminal it is redrawn in place; piped, each refresh is printed after the last.
    A case is recorded as read the first time this screen shows it. `banner()`: a simulation's first
    line (None for real use), over every drawing."""
    from rich.console import Group
    from rich.live import Live
    from rich.text import Text

    from screening.cli.render import console as default_console

    screen = console or default_console()
    live = Live(console=screen, auto_refresh=False) if screen.is_terminal else None
    audited: set[str] = set()
    def drawn():
        view = renderable(follow_up.overview(app, actor, oldest=oldest, audited=audited), words)
        line = banner() if banner is not None else None
        return view if line is None else Group(Text(line), view)

    view = drawn()  # a refusal: first
    try:
        if live is not None:
            live.start()
        while True:
            if live is not None:
                live.update(view, refresh=True)
            else:
                screen.print(view)
            (sleep or time.sleep)(every)
            view = drawn()
    except KeyboardInterrupt:
        return
    finally:
        if live is not None:
            live.stop()
