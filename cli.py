"""The `screening` command: parse, call a service, render. Errors become messages here only.

Heavy libraries (SQLAlchemy, holidays, icalendar) are imported inside the commands that
need them, so that `--help` and the read commands start fast.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Optional

import typer

app = typer.Typer(
    help="Screening of newly arrived children under the region's 0–17 agreement.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None,
)
org_app = typer.Typer(help="The region's directory of organisations.", no_args_is_help=True)
user_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
case_app = typer.Typer(help="Children's cases: register, show, list, history.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(user_app, name="user")
app.add_typer(case_app, name="case")
alerts_app = typer.Typer(help="Alerts of missed and coming deadlines: list, acknowledge.")
app.add_typer(alerts_app, name="alerts")
scheduler_app = typer.Typer(help="The long-running scheduler: sweeps and digests.", no_args_is_help=True)
app.add_typer(scheduler_app, name="scheduler")
outbox_app = typer.Typer(help="Messages waiting to be delivered.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
calendar_app = typer.Typer(help="Health centres' appointments: free times, calendars.", no_args_is_help=True)
app.add_typer(calendar_app, name="calendar")


@dataclass
class Settings:
    db: str | None = None
    user: str | None = None
    clock: datetime | None = None
    json: bool = False

    @property
    def url(self) -> str:
        from screening import db

        return db.check_url(self.db or db.default_url())

    @property
    def now(self) -> datetime:
        """The clock: --now, or the real time. Rules only ever see this value."""
        return self.clock or self.recorded_at

    @property
    def recorded_at(self) -> datetime:
        from screening.clock import STOCKHOLM

        return datetime.now(STOCKHOLM)


settings = Settings()


@app.callback()
def options(
    db: Optional[str] = typer.Option(None, "--db", metavar="URL", envvar="SCREENING_DB", help="Database URL (sqlite:///FILE or postgresql+psycopg://…)."),
    as_user: Optional[str] = typer.Option(None, "--as", metavar="USER", envvar="SCREENING_USER", help="The acting user's id."),
    now: Optional[str] = typer.Option(None, "--now", metavar="DATETIME", envvar="SCREENING_NOW", help="The clock (ISO 8601; local time if no offset)."),
    json_output: bool = typer.Option(False, "--json", help="Print exactly one JSON document."),
) -> None:
    from screening import clock

    settings.db, settings.user, settings.json = db, as_user, json_output
    settings.clock = clock.parse_datetime(now, "--now") if now else None


# --- database and directory -------------------------------------------------------------


@app.command()
def init(
    demo: bool = typer.Option(False, "--demo", help="Load the demo region, an admin and one user per organisation."),
    directory: Optional[str] = typer.Option(None, "--directory", help="Load this region's directory file (TOML)."),
) -> None:
    """Create or upgrade the database to the newest schema; never loses data."""
    from screening import migrate
    from screening.db import redact
    from screening.directory import load_directory
    from screening.unit_of_work import SqlUnitOfWork
    from workflows import services

    url = settings.url
    region = load_directory(directory) if (directory or demo) else None  # bad file: nothing written
    migrate.upgrade(url)
    if region is not None:
        with SqlUnitOfWork(url) as uow:
            services.load_directory(uow, region, demo_users=demo)
    out.result({"db": redact(url)}, lambda: out.line(f"Database ready: {redact(url)}"))


@org_app.command("list")
def org_list() -> None:
    """Organisations in the directory (no --as needed: the directory is not secret)."""
    from screening import render

    with read_model() as rm:
        orgs = [{k: o[k] for k in ("id", "kind", "name", "municipality")} for o in rm.organisations()]
    out.result(orgs, lambda: render.organisations(orgs))


@user_app.command("add")
def user_add(
    user_id: str = typer.Argument(..., metavar="ID"),
    role: str = typer.Option(..., "--role", help="reception, health_centre, school, preschool, school_health, bvc, coordinator or admin."),
    org: str = typer.Option(..., "--org", help="The user's organisation id."),
) -> None:
    """Add a user; needs an admin, except while no user exists."""
    from screening.unit_of_work import SqlUnitOfWork
    from workflows import services

    with SqlUnitOfWork(settings.url) as uow:
        user = services.add_user(uow, settings.user, user_id, role, org)
    out.result(user, lambda: out.line(f"Added user {user_id} ({role}, {org})"))


@user_app.command("list")
def user_list() -> None:
    """Users and their roles (admin)."""
    from screening import access, render

    with read_model() as rm:
        access.require_command(rm.actor(settings.user), "user_admin")
        users = rm.users()
    out.result(users, lambda: render.users(users))


# --- cases -------------------------------------------------------------------------------


@case_app.command("register")
def case_register(
    birth_date: str = typer.Option(..., "--birth-date", help="YYYY-MM-DD."),
    municipality: str = typer.Option(..., "--municipality", help="The municipality's name as in the directory."),
    name: Optional[str] = typer.Option(None, "--name", help="Name, as needed for a letter."),
    personnummer: Optional[str] = typer.Option(None, "--personnummer"),
    samordningsnummer: Optional[str] = typer.Option(None, "--samordningsnummer"),
    dossier: Optional[str] = typer.Option(None, "--dossier", help="The Migration Agency's 8-digit number."),
    language: Optional[str] = typer.Option(None, "--language", help="Language code, e.g. ar, fa, so, ti, uk."),
    interpreter: bool = typer.Option(False, "--interpreter/--no-interpreter"),
    unaccompanied: bool = typer.Option(False, "--unaccompanied"),
    permit: Optional[str] = typer.Option(None, "--permit", help="asylum or residence."),
    arrival: Optional[str] = typer.Option(None, "--arrival", help="Expected arrival date."),
    notice_at: Optional[str] = typer.Option(None, "--notice-at", help="When the notice arrived (default: now)."),
    already_in_sweden: bool = typer.Option(False, "--already-in-sweden", help="Path A–E: verify previous screening first."),
    health_centre: Optional[str] = typer.Option(None, "--health-centre", help="Default: the municipality's health centre."),
    school: Optional[str] = typer.Option(None, "--school"),
    preschool: Optional[str] = typer.Option(None, "--preschool"),
) -> None:
    """Register an arrival notice from the Migration Agency (event `register`, step 2)."""
    from screening import clock
    from screening.unit_of_work import SqlUnitOfWork
    from workflows import services

    now = settings.now
    reg = services.Registration(
        birth_date=clock.parse_date(birth_date, "--birth-date"), municipality=municipality,
        notice_at=clock.parse_datetime(notice_at, "--notice-at") if notice_at else now,
        name=name, personnummer=personnummer, samordningsnummer=samordningsnummer, dossier=dossier,
        language=language, interpreter=interpreter, unaccompanied=unaccompanied, permit=permit,
        arrival=clock.parse_date(arrival, "--arrival") if arrival else None,
        already_in_sweden=already_in_sweden, health_centre=health_centre, school=school, preschool=preschool,
    )
    with SqlUnitOfWork(settings.url) as uow:
        case_id, attached = services.register_case(uow, settings.user, reg, now=now,
                                                   recorded_at=settings.recorded_at)
    message = f"Attached to the existing case {case_id}" if attached else f"Registered case {case_id}"
    out.result({"id": case_id, "attached": attached}, lambda: out.line(message))


@case_app.command("show")
def case_show(case_id: str = typer.Argument(..., metavar="ID")) -> None:
    """One case, as the acting user may see it."""
    from screening import render, views

    now = settings.now
    with read_model() as rm:
        actor = rm.actor(settings.user)
        row = rm.case(actor, case_id, at=now, recorded_at=settings.recorded_at)
    view = views.case_view(row, actor, now, _upstream())
    out.result(view, lambda: render.case(view))


def _case_as_seen(case_id: str) -> dict:
    """The case after a change, as the acting user may see it (the read is audited like any other)."""
    from screening import views

    with read_model() as rm:
        actor = rm.actor(settings.user)
        row = rm.case(actor, case_id, at=settings.now, recorded_at=settings.recorded_at)
    return views.case_view(row, actor, settings.now, _upstream())


def _upstream() -> dict[str, str]:
    from workflows.deadlines import upstream_map

    return upstream_map(os.environ.get("SCREENING_RULES"))


@case_app.command("list")
def case_list(
    municipality: Optional[str] = typer.Option(None, "--municipality", help="Only this municipality's children."),
    health_centre: Optional[str] = typer.Option(None, "--health-centre", help="Only the children of this health centre."),
    overdue: bool = typer.Option(False, "--overdue", help="Only cases with a step past due and still owed."),
    open_only: bool = typer.Option(False, "--open", help="Only cases not closed or moved out."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, max=100_000, help="At most this many cases (a page)."),
    after: Optional[str] = typer.Option(None, "--after", metavar="ID", help="The cases after this one (the next page)."),
) -> None:
    """The cases the acting user may see, oldest notice first."""
    from screening import render, views
    from screening.errors import BadInput

    now = settings.now
    with read_model() as rm:
        actor = rm.actor(settings.user)
        if municipality is not None:
            municipality = rm.municipality(municipality)
        if health_centre is not None and rm.organisation(health_centre)["kind"] != "health_centre":
            raise BadInput(f"'{health_centre}' is not a health centre")
        rows = rm.each_case(actor, municipality=municipality, health_centre=health_centre, overdue=overdue,
                            open_only=open_only, limit=limit, after=after, at=now, recorded_at=settings.recorded_at)
        upstream = _upstream()
        shown = (views.case_view(row, actor, now, upstream) for row in rows)
        if settings.json:  # written as read: a long list needs the memory of one chunk, not of the list
            out.json_list(shown)
            return
        cases = list(shown)
    more = limit is not None and len(cases) == limit
    render.cases(cases, next_after=cases[-1]["id"] if more else None)


@case_app.command("event")
def case_event(
    case_id: str = typer.Argument(..., metavar="ID"),
    event: str = typer.Argument(..., metavar="EVENT", help="An event of the agreement, e.g. notify_parties."),
    at: Optional[str] = typer.Option(None, "--at", help="When it happened (default: now; not in the future)."),
    set_: list[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="The event's values, e.g. start=2026-11-26T09:00."),
    if_version: Optional[int] = typer.Option(None, "--if-version", help="Refuse if the case changed since this version was read."),
) -> None:
    """Apply one event of the agreement to a case; prints the case after it."""
    from screening import clock, render
    from screening.errors import BadInput
    from screening.unit_of_work import SqlUnitOfWork
    from workflows import services

    params = {}
    for item in set_:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise BadInput("--set takes KEY=VALUE (a value without '=' was given; it is not repeated here)")
        params[key.strip()] = value
    now = settings.now
    when = clock.parse_datetime(at, "--at") if at else None
    policy = services.Policy.default(os.environ.get("SCREENING_RULES"))
    with SqlUnitOfWork(settings.url) as uow:
        services.apply_event(uow, settings.user, case_id, event, params, policy=policy, now=now,
                             recorded_at=settings.recorded_at, at=when, expected_version=if_version)
    view = _case_as_seen(case_id)
    out.result(view, lambda: render.case(view))


@case_app.command("book")
def case_book(
    case_id: str = typer.Argument(..., metavar="ID"),
    examination: bool = typer.Option(False, "--examination", help="The doctor's examination (default: the health "
                                     "conversation with samples)."),
    auto: bool = typer.Option(False, "--auto", help="The earliest free time, one before the deadline if there is one."),
    start: Optional[str] = typer.Option(None, "--start", help="This time (ISO 8601; local time without an offset)."),
) -> None:
    """Book the case's appointment at its health centre (health centre staff), through the booking event."""
    from screening import clock, render
    from screening.errors import BadInput
    from screening.unit_of_work import SqlUnitOfWork
    from workflows import services
    from workflows.bookings import book_slot

    if auto == (start is not None):
        raise BadInput("give either --auto or --start DATETIME")
    when = clock.parse_datetime(start, "--start") if start else None
    policy = services.Policy.default(os.environ.get("SCREENING_RULES"))
    now = settings.now
    with SqlUnitOfWork(settings.url) as uow:
        booked = book_slot(uow, settings.user, case_id, "examination" if examination else "conversation", when,
                           policy=policy, now=now, recorded_at=settings.recorded_at)
    if not booked["in_time"]:
        sys.stderr.write(f"screening: warning: no free time before the deadline "
                         f"({clock.local_iso(booked['due'])}); booked the earliest after it, and the health centre "
                         "and the coordinators are alerted\n")
    view = _case_as_seen(case_id)
    booking = {"kind": booked["kind"], "start": clock.local_iso(booked["start"]), "end": clock.local_iso(booked["end"]),
               "in_time": booked["in_time"]}
    out.result({"booking": booking, "case": view}, lambda: render.case(view))


@calendar_app.command("free")
def calendar_free(
    health_centre: str = typer.Option(..., "--health-centre", help="The health centre (its id in the directory)."),
    since: Optional[str] = typer.Option(None, "--from", help="From this time (default: now)."),
    days: int = typer.Option(7, "--days", min=1, max=90, help="How many days ahead."),
    examination: bool = typer.Option(False, "--examination", help="Times for a doctor's examination."),
    interpreter: bool = typer.Option(False, "--interpreter", help="Times long enough with an interpreter."),
) -> None:
    """Free appointment times at a health centre: its hours, working days, room left."""
    from datetime import timedelta

    from screening import clock, render
    from screening.errors import BadInput
    from screening.unit_of_work import SqlUnitOfWork
    from screening.workdays import default_calendar
    from workflows.bookings import duration
    from workflows.services import load_actor
    from workflows.slots import free_starts

    start = clock.parse_datetime(since, "--from") if since else settings.now
    until = start + timedelta(days=days)
    with SqlUnitOfWork(settings.url) as uow:
        load_actor(uow, settings.user)
        centre = uow.directory.get(health_centre)
        if centre.kind != "health_centre":
            raise BadInput(f"'{health_centre}' is not a health centre")
        booked = uow.bookings.overlapping(centre.id, start, until + timedelta(days=1))
    length = duration(centre.appointments, "examination" if examination else "conversation", interpreter)
    times = [{"start": clock.local_iso(t), "end": clock.local_iso(t + length)}
             for t in free_starts(centre.appointments, length, booked, default_calendar(), start, until)]
    out.result(times, lambda: render.free_times(centre.id, times))


@calendar_app.command("export")
def calendar_export(
    health_centre: str = typer.Option(..., "--health-centre", help="The health centre (its id in the directory)."),
    out_file: Optional[str] = typer.Option(None, "--out", help="Write the .ics here (default: standard output)."),
) -> None:
    """A health centre's bookings as iCalendar (RFC 5545), to import or subscribe to: its own staff,
    coordinators and admins. An entry names the case and the child's initials, nothing more."""
    from pathlib import Path

    from notifications.calendar import centre_feed
    from screening.errors import Refused
    from screening.unit_of_work import SqlUnitOfWork
    from workflows.services import load_actor

    with SqlUnitOfWork(settings.url) as uow:
        actor = load_actor(uow, settings.user)
        if actor.role not in ("coordinator", "admin") and actor.org_id != health_centre:
            raise Refused(f"{actor.org_id} may export its own calendar only")
        data = centre_feed(uow.conn, uow.directory, health_centre)
    if out_file:
        Path(out_file).write_bytes(data)
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)  # the .ics itself, also with --json (the contract)


@case_app.command("history")
def case_history(
    case_id: str = typer.Argument(..., metavar="ID"),
    reads: bool = typer.Option(False, "--reads", help="Also every read of the case (the log extract)."),
) -> None:
    """The case's audit trail: its events, and with --reads who has read it."""
    from screening import clock, render

    now = settings.now
    with read_model() as rm:
        actor = rm.actor(settings.user)
        entries = rm.history(actor, case_id, include_reads=reads, at=now, recorded_at=settings.recorded_at)
    history = [
        {"event": e["event"] or e["action"], "action": e["action"], "at": clock.local_iso(e["at"]),
         "recorded_at": clock.local_iso(e["recorded_at"]), "user": e["user_id"], "org": e["org_id"]}
        for e in entries
    ]
    out.result(history, lambda: render.history(case_id, history))


# --- deadlines and alerts ------------------------------------------------------------------


@app.command()
def sweep() -> None:
    """One deadline sweep at the clock's time: raises the alerts due (coordinator, admin)."""
    from screening import render, views
    from screening.unit_of_work import SqlUnitOfWork
    from workflows import services

    policy = services.Policy.default(os.environ.get("SCREENING_RULES"))
    with SqlUnitOfWork(settings.url) as uow:
        raised = services.run_sweep(uow, settings.user or "", policy=policy, now=settings.now)
    alerts = [views.alert_view(row) for row in raised]
    out.result({"alerts": alerts}, lambda: render.alerts(alerts, f"Sweep at {settings.now:%Y-%m-%d %H:%M}"))


@alerts_app.callback(invoke_without_command=True)
def alerts_list(
    ctx: typer.Context,
    open_only: bool = typer.Option(False, "--open", help="Only alerts not yet acknowledged."),
) -> None:
    """Alerts the acting user may see (`alerts ack ID` acknowledges one)."""
    if ctx.invoked_subcommand is not None:
        return
    from screening import render, views

    with read_model() as rm:
        rows = rm.alerts(rm.actor(settings.user), open_only=open_only)
    alerts = [views.alert_view(row) for row in rows]
    out.result(alerts, lambda: render.alerts(alerts, "Larm"))


@alerts_app.command("ack")
def alerts_ack(alert_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Acknowledge an alert (a breach still unresolved is raised again to the coordinators weekly)."""
    from screening.unit_of_work import SqlUnitOfWork
    from workflows import services

    with SqlUnitOfWork(settings.url) as uow:
        services.acknowledge_alert(uow, settings.user, alert_id, now=settings.now, recorded_at=settings.recorded_at)
    out.result({"id": alert_id, "acknowledged": True}, lambda: out.line(f"Alert {alert_id} acknowledged"))


@app.command()
def report(
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
    from screening import access, clock, report as follow_up
    from screening.workdays import default_calendar

    fmt = follow_up.output_format(fmt, as_json=settings.json, out_file=out_file)
    follow_up.check_grouping(by)
    now = settings.now
    period = follow_up.period(since, until, today=clock.local_date(now))
    threshold = follow_up.min_group()
    with read_model() as rm:
        access.require_command(rm.actor(settings.user), "report")
        region, groups = rm.report_groups(by)
        data = follow_up.compute(rm.conn, period=period, by=by, now=now, calendar=default_calendar(),
                                 upstream=_upstream(), threshold=threshold, groups=groups, region=region,
                                 monthly=chart is not None)
    if chart is not None:
        from screening.report_render import draw_chart

        draw_chart(data, chart)
    if fmt == "table" and out_file is None:
        from screening.report_render import table

        out.console().print(table(data))
        return
    import json

    from screening.report_render import csv_bytes

    body = csv_bytes(data) if fmt == "csv" else (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8")
    if out_file is None:
        sys.stdout.flush()
        sys.stdout.buffer.write(body)
        return
    _write_file(out_file, body)
    out.result({"written": out_file}, lambda: out.line(f"Wrote {out_file}"))


def _write_file(path: str, body: bytes) -> None:
    """The whole file or none of it: written beside, then moved into place."""
    from pathlib import Path

    from screening.errors import BadInput

    target = Path(path)
    if not target.name:
        raise BadInput(f"--out: '{path}' names no file")
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_bytes(body)
        partial.replace(target)
    except OSError as error:
        partial.unlink(missing_ok=True) if partial.parent.is_dir() else None
        raise BadInput(f"cannot write {path}: {error.strerror or error}") from None


@app.command()
def overview(
    watch: bool = typer.Option(False, "--watch", help="Refresh the screen until Ctrl-C."),
    every: float = typer.Option(30.0, "--every", min=1.0, help="Seconds between refreshes with --watch."),
    oldest: int = typer.Option(10, "--oldest", min=1, max=100, help="How many of the longest-waiting cases to show."),
) -> None:
    """The coordinator's screen: open breaches and reminders by municipality and health centre, the
    longest-waiting cases and today's bookings (coordinator, admin)."""
    from screening import overview as screen
    from screening.errors import BadInput

    if watch and settings.json:
        raise BadInput("--watch draws a screen; --json prints one document: give one of them")
    if not watch:
        data = screen.gather_for(settings.url, settings.user, now=settings.now, recorded_at=settings.recorded_at,
                                 oldest=oldest)
        out.result(data, lambda: out.console().print(screen.renderable(data)))
        return
    screen.watch(settings.url, settings.user, clock=lambda: settings.now, recorded_at=lambda: settings.recorded_at,
                 oldest=oldest, every=every)


@outbox_app.command("send")
def outbox_send(
    folder: Optional[str] = typer.Option(None, "--dir", help="Write each message as a .eml file here "
                                         "(default: SCREENING_OUTBOX_DIR, else SMTP where configured, "
                                         "else the console)."),
) -> None:
    """Deliver the queued messages once (coordinator, admin)."""
    from notifications.outbox import channel_from_environment, dispatch
    from screening import access
    from screening.unit_of_work import SqlUnitOfWork
    from workflows import services

    with SqlUnitOfWork(settings.url) as uow:
        access.require_command(services.load_actor(uow, settings.user), "outbox")
        sent = dispatch(uow, channel_from_environment(folder), settings.now)
    out.result({"sent": sent}, lambda: out.line(f"Sent {sent} message(s)"))


@outbox_app.command("list")
def outbox_list(
    status: Optional[str] = typer.Option(None, "--status", help="Only queued, sent or dead messages."),
) -> None:
    """The messages and where each stands: attempts, next try, why a dead one failed (coordinator, admin)."""
    from notifications.outbox import listing
    from screening import access, clock, render
    from screening.errors import BadInput
    from screening.unit_of_work import SqlUnitOfWork
    from workflows import services

    if status not in (None, "queued", "sent", "dead"):
        raise BadInput(f"--status must be queued, sent or dead, not '{status}'")
    with SqlUnitOfWork(settings.url) as uow:
        access.require_command(services.load_actor(uow, settings.user), "outbox")
        rows = listing(uow.conn, status)
    shown = [{"id": r["id"], "key": r["key"], "topic": r["topic"], "case": r["case_id"], "status": r["status"],
              "attempts": r["attempts"], **{name: clock.local_iso(r[name]) for name in ("created_at", "next_attempt_at",
                                                                                      "sent_at")},
              "last_error": r["last_error"]} for r in rows]
    out.result(shown, lambda: render.outbox(shown))


@outbox_app.command("retry")
def outbox_retry(message_id: int = typer.Argument(..., metavar="ID")) -> None:
    """Queue a dead message again, once its cause (an address, the mail server) is fixed (coordinator, admin)."""
    from notifications.outbox import retry
    from screening import access
    from screening.unit_of_work import SqlUnitOfWork
    from workflows import services

    with SqlUnitOfWork(settings.url) as uow:
        access.require_command(services.load_actor(uow, settings.user), "outbox")
        retry(uow.conn, message_id)
        uow.commit()
    out.result({"id": message_id, "status": "queued"}, lambda: out.line(f"Message {message_id} queued again"))


@outbox_app.command("prune")
def outbox_prune(
    keep_days: Optional[int] = typer.Option(None, "--keep-days", min=2, max=36_500, help="Keep the messages sent "
                                            "in the last N days (default: SCREENING_OUTBOX_KEEP_DAYS, else 90)."),
) -> None:
    """Delete the messages sent longer ago than that; queued and dead ones stay (admin). The
    active scheduler does this every night."""
    from datetime import timedelta

    from notifications.outbox import keep_sent, prune
    from screening import access
    from screening.unit_of_work import SqlUnitOfWork
    from workflows import services

    keep = timedelta(days=keep_days) if keep_days is not None else keep_sent()
    with SqlUnitOfWork(settings.url) as uow:
        access.require_command(services.load_actor(uow, settings.user), "prune")
        pruned = prune(uow, settings.now, keep) if keep is not None else 0
    out.result({"pruned": pruned}, lambda: out.line(f"Deleted {pruned} sent message(s)" if keep is not None else
                                                    "SCREENING_OUTBOX_KEEP_DAYS is off: every message is kept"))


@scheduler_app.command("run")
def scheduler_run(
    every: float = typer.Option(5.0, "--every", help="Minutes between sweeps."),
    standby_poll: float = typer.Option(5.0, "--standby-poll", help="Seconds between a standby's tries, and "
                                       "between the active one's checks that it still holds the lock."),
) -> None:
    """Sweep every few minutes and send the coordinators' digest at 07:30 on working days (admin).

    Only one scheduler is active against a database; another waits as a standby. Logs go to stderr.
    """
    import logging

    from notifications import templates
    from notifications.outbox import channel_from_environment, keep_sent
    from screening import access
    from workflows import scheduler, services

    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with read_model() as rm:
        access.require_command(rm.actor(settings.user), "user_admin")
    policy = services.Policy.default(os.environ.get("SCREENING_RULES"))
    channel_from_environment()  # a mail configuration in error stops it now, not at every sweep
    scheduler.digest_time()
    keep_sent()
    templates.language()
    raise typer.Exit(scheduler.run(settings.url, policy, every_minutes=every, standby_poll=standby_poll))


@app.command()
def backup(out_file: str = typer.Option(..., "--out", metavar="FILE", help="The backup file to write.")) -> None:
    """A consistent copy of the whole database while it is in use (admin): SQLite's online backup,
    or pg_dump's custom format on PostgreSQL. The file holds medical content: it is made readable
    by its owner only; keep it as carefully as the database."""
    from screening import access, backup as copies

    with read_model() as rm:
        access.require_command(rm.actor(settings.user), "backup")
    done = copies.backup(settings.url, out_file)
    out.result(done, lambda: out.line(f"Backed up to {out_file}" + (
        f": {done['cases']} cases, {done['audit_rows']} audit rows" if "cases" in done else "")))


@app.command()
def restore(source: str = typer.Argument(..., metavar="FILE", help="A file made by `screening backup`.")) -> None:
    """Restore a backup into a new, empty database (--db): a SQLite file that does not exist yet, or a
    PostgreSQL database without the product's tables. All of it or nothing; then run `init` to
    upgrade it if the backup is of an older version."""
    from screening import backup as copies

    done = copies.restore(source, settings.url)
    out.result(done, lambda: out.line(f"Restored {done['cases']} cases and {done['audit_rows']} audit rows into "
                                      f"{done['restored']}"))


# --- the edge ----------------------------------------------------------------------------


class read_model:
    """The fast read path (no SQLAlchemy) as a context manager."""

    def __enter__(self):
        from screening.queries import ReadModel

        self.rm = ReadModel(settings.url)
        return self.rm

    def __exit__(self, *exc) -> None:
        self.rm.close()


class out:
    @staticmethod
    def result(data, human) -> None:
        if settings.json:
            out.json(data)
        else:
            human()

    @staticmethod
    def json(data) -> None:
        import json

        sys.stdout.write(json.dumps(data, ensure_ascii=_narrow_stdout(), default=str) + "\n")

    streaming = False  # an array begun on stdout and not ended: no error document may follow it

    @staticmethod
    def json_list(items) -> None:
        """A JSON array written item by item: the same text as `json` of the list. The first item
        is made before anything is written, so a refusal or bad input (found before the first case)
        still leaves stdout to the error document. A failure later (the database gone mid-list)
        leaves the array unended, the error on stderr and a non-zero exit."""
        import json

        ascii_only = _narrow_stdout()
        items = iter(items)
        first = next(items, None)
        if first is None:
            sys.stdout.write("[]\n")
            return
        out.streaming = True
        sys.stdout.write("[" + json.dumps(first, ensure_ascii=ascii_only, default=str))
        for item in items:
            sys.stdout.write(", " + json.dumps(item, ensure_ascii=ascii_only, default=str))
        sys.stdout.write("]\n")
        out.streaming = False

    @staticmethod
    def line(text: str) -> None:
        out.console().print(text)

    @staticmethod
    def console():
        from screening.render import console

        return console()


def fail(code: str, message: str, exit_code: int) -> int:
    from screening.errors import one_line
    from screening.render import console

    console.cache_clear()  # a write that failed leaves rich's buffer full: the next command starts afresh

    message = one_line(message)  # usage errors quote what was typed: a newline or an undecodable byte in it
    if settings.json and not out.streaming:
        import json

        error = {"error": {"code": code, "message": message}}
        sys.stdout.write(json.dumps(error, ensure_ascii=_narrow_stdout()) + "\n")
    sys.stderr.write(f"screening: {message}\n")
    return exit_code


def _narrow_stdout() -> bool:
    """Standard output in a Latin-1 or ASCII locale: not every character can be written to it."""
    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower().replace("_", "-")
    return not encoding.startswith("utf")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the command; turn every failure into one line and an exit code."""
    from typer._click import exceptions as click

    from screening.errors import ScreeningError

    global settings
    out.streaming = False
    if _narrow_stdout() and hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # a name the locale cannot show becomes '?', not a crash
    args = list(sys.argv[1:] if argv is None else argv)
    settings = Settings(json="--json" in args)  # known before parsing, so a usage error answers in JSON
    if settings.json:  # --json is global, but staff type it last too: `case list --json`
        args = ["--json"] + [arg for arg in args if arg != "--json"]
    if any("\ud800" <= ch <= "\udfff" for arg in args for ch in arg):  # bytes that were not UTF-8
        return fail("bad_input", "an argument is not valid UTF-8 (check the terminal's encoding)", 2)
    from screening import db

    commits_before = db.commits
    try:
        code = app(args=args, prog_name="screening", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except ScreeningError as error:
        return fail(error.code, error.message, error.exit_code)
    except typer.Exit as done:
        return done.exit_code
    except click.NoArgsIsHelpError as help_wanted:
        sys.stdout.write(help_wanted.format_message() + "\n")
        return 0
    except click.ClickException as error:
        return fail("usage", error.format_message().replace("\n", " "), 2)
    except typer.Abort:
        return fail("aborted", "aborted", 1)
    except Exception as error:  # the database, the file system: one line, no locals
        from screening.errors import describe_unexpected

        if os.environ.get("SCREENING_DEBUG"):
            raise
        code, message, exit_code = describe_unexpected(error, committed=db.commits > commits_before)
        return fail(code, message, exit_code)


if __name__ == "__main__":
    sys.exit(main())
