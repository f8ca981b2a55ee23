"""`screening serve`: the server on uvicorn until stopped (SIGTERM: the requests under way end, then exit 0).

Registered by `cli.py`; FastAPI and uvicorn are imported only when the server starts."""

from __future__ import annotations

import typer

from screening.cli.run import the


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="The address to listen on (behind the region's TLS proxy)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="The port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, max=32,
                                help="Server processes, each on one core at most (Python); default 1."),
) -> None:
    """Serve the HTTP API (and its OpenAPI description at /api/openapi.json) over the database of --db.
    Every request acts as the person its token names: no --as, and the system's clock, never --now."""
    import signal

    import uvicorn

    from screening.bootstrap import bootstrap, hand_down
    from screening.errors import BadInput
    from web.app import create

    run = the(ctx)
    if run.app.clock.fixed is not None:
        raise BadInput("the server keeps the system's clock: give no --now (nor SCREENING_NOW)")
    app = bootstrap(run.app.database)  # the process's App: made once, used by every request
    app.url  # noqa: B018 - the database named and checked now, not at the first request
    # uvicorn finishes the requests under way on SIGTERM (and Ctrl-C), then raises the signal again
    # with the handler it found: this one, so that the stop is an exit 0 and not a death by the signal
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: None)
    # no access log: a calendar client's address carries its token (`?token=`)
    options = {"host": host, "port": port, "access_log": False, "log_level": "warning", "proxy_headers": False,
               "server_header": False, "timeout_graceful_shutdown": 30}
    if workers == 1:
        uvicorn.run(create(app), **options)
        return
    # Several processes on one socket, each with its own App (`served`, below), started by uvicorn's
    # supervisor, which stops them on SIGTERM and exits 0. Each has its own throttle of failed tokens.
    create(app)  # its settings checked here, once: a setting wrong stops the start, not each worker
    hand_down(app.url)
    uvicorn.run("web.command:served", factory=True, workers=workers, **options)


def served():
    """The server of one worker process (`--workers`): its App, made on the system's clock."""
    from screening.bootstrap import handed_down
    from web.app import create

    app = handed_down()
    app.url  # noqa: B018 - the database checked now, not at the first request
    return create(app)
