"""Appointments and messages: free times, calendars, the outbox.

Each command parses its options, calls one service and renders; `cli.py` lists them."""

from __future__ import annotations

from typing import Optional

import typer

from screening.cli import render
from screening.cli.run import the


def calendar_free(
    ctx: typer.Context,
    health_centre: str = typer.Option(..., "--health-centre", help="The health centre (its id in the directory)."),
    since: Optional[str] = typer.Option(None, "--from", help="From this time (default: now)."),
    days: int = typer.Option(7, "--days", min=1, max=90, help="How many days ahead."),
    examination: bool = typer.Option(False, "--examination", help="Times for a doctor's examination."),
    interpreter: bool = typer.Option(False, "--interpreter", help="Times long enough with an interpreter."),
) -> None:
    """Free appointment times at a health centre: its hours, working days, room left."""
    from screening import clock
    from screening.services import calendar

    run = the(ctx)
    start = clock.parse_datetime(since, "--from") if since else None
    times = calendar.free_times(run.app, run.actor(), health_centre, since=start, days=days, examination=examination,
                                interpreter=interpreter)
    run.out.result(times, lambda: render.free_times(health_centre, times, run.words()))


def calendar_export(
    ctx: typer.Context,
    health_centre: str = typer.Option(..., "--health-centre", help="The health centre (its id in the directory)."),
    out_file: Optional[str] = typer.Option(None, "--out", help="Write the .ics here (default: standard output)."),
) -> None:
    """A health centre's bookings as iCalendar (RFC 5545), to import or subscribe to: its own staff,
    coordinators and admins. An entry names the case and the child's initials, nothing more."""
    from pathlib import Path

    from screening.services import calendar

    run = the(ctx)
    data = calendar.export(run.app, run.actor(), health_centre)
    if out_file:
        Path(out_file).write_bytes(data)
    else:
        run.out.bytes(data)  # the .ics itself, also with --json (the contract)


def outbox_send(
    ctx: typer.Context,
    folder: Optional[str] = typer.Option(None, "--dir", help="Write each message as a .eml file here "
                                         "(default: SCREENING_OUTBOX_DIR, else SMTP where configured, "
                                         "else the console)."),
) -> None:
    """Deliver the queued messages once (coordinator, admin)."""
    from screening.services import outbox

    run = the(ctx)
    done = outbox.send(run.app, run.actor(), folder)
    run.out.result(done, lambda: run.out.line(render.said(run.lang, "sent", n=done["sent"])))


def outbox_list(
    ctx: typer.Context,
    status: Optional[str] = typer.Option(None, "--status", help="Only queued, sent, dead or replaced messages."),
) -> None:
    """The messages and where each stands: attempts, next try, why a dead one failed (coordinator, admin)."""
    from screening.errors import BadInput
    from screening.services import outbox

    if status not in (None, *outbox.STATUSES):
        raise BadInput("--status must be queued, sent, dead or replaced, not '{value}'", value=status)
    run = the(ctx)
    shown = outbox.listing(run.app, run.actor(), status)
    run.out.result(shown, lambda: render.outbox(shown, run.words()))


def outbox_retry(ctx: typer.Context, message_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Queue a dead message again, once its cause (an address, the mail server) is fixed (coordinator, admin)."""
    from screening.services import outbox

    run = the(ctx)
    done = outbox.retry(run.app, run.actor(), message_id)
    run.out.result(done, lambda: run.out.line(render.said(run.lang, "requeued", id=message_id)))


def outbox_prune(
    ctx: typer.Context,
    keep_days: Optional[int] = typer.Option(None, "--keep-days", min=2, max=36_500, help="Keep the messages sent "
                                            "in the last N days (default: SCREENING_OUTBOX_KEEP_DAYS, else 90)."),
) -> None:
    """Delete the messages sent longer ago than that; queued and dead ones stay (admin). The
    active scheduler does this every night."""
    from screening.services import outbox

    run = the(ctx)
    done = outbox.prune(run.app, run.actor(), keep_days)
    run.out.result({"pruned": done["pruned"]}, lambda: run.out.line(
        render.said(run.lang, "keep_all") if done.get("kept") else render.said(run.lang, "pruned", n=done["pruned"])))
