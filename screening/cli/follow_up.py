"""Deadlines and the follow-up: the sweep, alerts, the § 10 report, the overview.

Each command parses its options, calls one service and renders; `cli.py` lists them."""

from __future__ import annotations

from typing import Optional

import typer

from screening.cli import render
from screening.cli.run import the


def sweep(ctx: typer.Context) -> None:
    """One deadline sweep at the clock's time: raises the alerts due (coordinator, admin)."""
    from screening.services import alerts

    run = the(ctx)
    raised = alerts.sweep(run.app, run.actor())
    now = run.app.clock.now()
    run.out.result({"alerts": raised}, lambda: render.alerts(raised, render.label(run.lang, "sweep", at=run.words().time(now)), run.words()))


def alerts_list(
    ctx: typer.Context,
    open_only: bool = typer.Option(False, "--open", help="Only alerts not yet acknowledged."),
) -> None:
    """Alerts the acting user may see (`alerts ack ID` acknowledges one)."""
    if ctx.invoked_subcommand is not None:
        return
    from screening.services import alerts

    run = the(ctx)
    found = alerts.listing(run.app, run.actor(), open_only=open_only)
    run.out.result(found, lambda: render.alerts(found, render.label(run.lang, "alerts"), run.words()))


def alerts_ack(ctx: typer.Context, alert_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Acknowledge an alert (a breach still unresolved is raised again to the coordinators weekly)."""
    from screening.services import alerts

    run = the(ctx)
    done = alerts.acknowledge(run.app, run.actor(), alert_id)
    run.out.result(done, lambda: run.out.line(render.said(run.lang, "acknowledged", id=alert_id)))


def report(
    ctx: typer.Context,
    since: Optional[str] = typer.Option(None, "--from", metavar="DATE", help="The period's first day (default: "
                                        "1 January of the clock's year)."),
    until: Optional[str] = typer.Option(None, "--to", metavar="DATE", help="The period's last day (default: today)."),
    by: str = typer.Option("municipality", "--by", help="municipality or health_centre."),
    fmt: str = typer.Option("table", "--format", help="table, csv (for Excel: UTF-8 with BOM, ';', decimal comma) "
                            "or json."),
    chart: Optional[str] = typer.Option(None, "--chart", metavar="FILE.png", help="Also draw the yearly "
                                        "follow-up's charts to this PNG file."),
    out_file: Optional[str] = typer.Option(None, "--out", metavar="FILE", help="Write the CSV or JSON to this "
                                           "file instead of standard output."),
) -> None:
    """The follow-up statistics of § 10 for the children whose notice was registered in the period,
    per municipality or health centre and for the whole region (coordinator, admin).

    Aggregates only: a group of fewer children than SCREENING_MIN_GROUP (default 5) shows no figures."""
    from screening import clock
    from screening.errors import BadInput
    from screening.services import follow_up

    run = the(ctx)
    if fmt not in ("table", "csv", "json"):
        raise BadInput("--format must be table, csv or json, not '{value}'", value=fmt)
    if by not in ("municipality", "health_centre"):
        raise BadInput("--by must be municipality or health_centre, not '{value}'", value=by)
    fmt = "json" if run.out.as_json else fmt
    if out_file is not None and fmt == "table":
        raise BadInput("--out writes a CSV or JSON file: give --format csv or json")
    first = clock.parse_date(since, "--from") if since else None
    last = clock.parse_date(until, "--to") if until else None
    data = follow_up.report(run.app, run.actor(), since=first, until=last, by=by, monthly=chart is not None)
    if chart is not None:
        from screening.report_formats import draw_chart

        draw_chart(data, chart)
    if fmt == "table" and out_file is None:
        from screening.cli.render import console
        from screening.cli.report_table import table

        run.out.banner_once()
        console().print(table(data, run.words()))
        return
    import json

    from screening.cli.output import write_file
    from screening.report_formats import csv_bytes

    body = csv_bytes(data) if fmt == "csv" else (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")
    if out_file is None:
        run.out.bytes(body)
        return
    write_file(out_file, body)
    run.out.result({"written": out_file}, lambda: run.out.line(render.said(run.lang, "wrote", file=out_file)))


def overview(
    ctx: typer.Context,
    watch: bool = typer.Option(False, "--watch", help="Refresh the screen until Ctrl-C."),
    every: float = typer.Option(30.0, "--every", min=1.0, help="Seconds between refreshes with --watch."),
    oldest: int = typer.Option(10, "--oldest", min=1, max=100, help="How many of the longest-waiting cases to show."),
) -> None:
    """The coordinator's screen: open breaches and reminders by municipality and health centre, the
    longest-waiting cases and today's bookings (coordinator, admin)."""
    from screening.errors import BadInput
    from screening.services import follow_up

    run = the(ctx)
    if watch and run.out.as_json:
        raise BadInput("--watch draws a screen; --json prints one document: give one of them")
    if not watch:
        from screening.cli.overview_render import renderable
        from screening.cli.render import console

        data = follow_up.overview(run.app, run.actor(), oldest=oldest)
        run.out.result(data, lambda: console().print(renderable(data, run.words())))
        return
    from screening.cli.watch import watch as watching

    watching(run.app, run.actor(), run.words(), oldest=oldest, every=every, banner=run.simulation_banner)
