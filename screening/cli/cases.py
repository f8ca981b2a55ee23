"""Children's cases: register, show, list, apply an event, book, history.

Each command parses its options, calls one service and renders; `cli.py` lists them."""

from __future__ import annotations

from typing import Optional

import typer

from screening.cli import render
from screening.cli.run import the


def case_register(
    ctx: typer.Context,
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
    adult: bool = typer.Option(False, "--adult", help="Register all the same someone who is 18 or older "
                               "(outside the 0–17 agreement; only where the region has decided to)."),
    health_centre: Optional[str] = typer.Option(None, "--health-centre", help="Default: the municipality's health centre."),
    school: Optional[str] = typer.Option(None, "--school"),
    preschool: Optional[str] = typer.Option(None, "--preschool"),
) -> None:
    """Register an arrival notice from the Migration Agency (event `register`, step 2)."""
    from screening import clock
    from screening.services import registration

    run = the(ctx)
    reg = registration.Registration(
        birth_date=clock.parse_date(birth_date, "--birth-date"), municipality=municipality,
        notice_at=clock.parse_datetime(notice_at, "--notice-at") if notice_at else None,
        name=name, personnummer=personnummer, samordningsnummer=samordningsnummer, dossier=dossier,
        language=language, interpreter=interpreter, unaccompanied=unaccompanied, permit=permit,
        arrival=clock.parse_date(arrival, "--arrival") if arrival else None,
        already_in_sweden=already_in_sweden, adult=adult, health_centre=health_centre, school=school,
        preschool=preschool,
    )
    done = registration.register(run.app, run.actor(), reg)
    message = render.said(run.lang, "attached" if done["attached"] else "registered", id=done["id"])
    run.out.result(done, lambda: run.out.line(message))


def case_show(ctx: typer.Context, case_id: str = typer.Argument(..., metavar="ID")) -> None:
    """One case, as the acting user may see it."""
    from screening.services import cases

    run = the(ctx)
    view = cases.show(run.app, run.actor(), case_id)
    run.out.result(view, lambda: render.case(view, run.words()))


def case_list(
    ctx: typer.Context,
    municipality: Optional[str] = typer.Option(None, "--municipality", help="Only this municipality's children."),
    health_centre: Optional[str] = typer.Option(None, "--health-centre", help="Only the children of this health centre."),
    overdue: bool = typer.Option(False, "--overdue", help="Only cases with a step past due and still owed."),
    open_only: bool = typer.Option(False, "--open", help="Only cases not closed or moved out."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, max=100_000, help="At most this many cases (a page)."),
    after: Optional[str] = typer.Option(None, "--after", metavar="ID", help="The cases after this one (the next page)."),
) -> None:
    """The cases the acting user may see, oldest notice first."""
    from screening.services import cases

    run = the(ctx)
    shown = cases.each(run.app, run.actor(), municipality=municipality, health_centre=health_centre,
                       overdue=overdue, open_only=open_only, limit=limit, after=after)
    if run.out.as_json:  # written as read: a long list needs the memory of one chunk, not of the list
        run.out.json_list(shown)
        return
    found = list(shown)
    run.out.banner_once()
    more = limit is not None and len(found) == limit
    render.cases(found, run.words(), next_after=found[-1]["id"] if more else None,
                 overdue_for=run.actor().role if overdue else None)


def case_event(
    ctx: typer.Context,
    case_id: str = typer.Argument(..., metavar="ID"),
    event: str = typer.Argument(..., metavar="EVENT", help="An event of the agreement, e.g. notify_parties."),
    at: Optional[str] = typer.Option(None, "--at", help="When it happened (default: now; not in the future)."),
    set_: list[str] = typer.Option([], "--set", metavar="KEY=VALUE", help="The event's values, e.g. start=2026-11-26T09:00."),
    if_version: Optional[int] = typer.Option(None, "--if-version", help="Refuse if the case changed since this version was read."),
) -> None:
    """Apply one event of the agreement to a case; prints the case after it."""
    from screening import clock
    from screening.cli.output import warn
    from screening.errors import BadInput
    from screening.services import events

    params = {}
    for item in set_:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise BadInput("--set takes KEY=VALUE (a value without '=' was given; it is not repeated here)")
        params[key.strip()] = value
    run = the(ctx)
    when = clock.parse_datetime(at, "--at") if at else None
    view = events.apply(run.app, run.actor(), case_id, event, params, at=when, if_version=if_version)
    for warning in view["warnings"]:  # held before the booked start
        warn(render.said(run.lang, "held_early", event=run.words().event(event), at=run.words().time(when or run.app.clock.now()),
                         start=run.words().time(warning["start"])), run.lang)
    run.out.result(view, lambda: render.case(view, run.words()))


def case_book(
    ctx: typer.Context,
    case_id: str = typer.Argument(..., metavar="ID"),
    examination: bool = typer.Option(False, "--examination", help="The doctor's examination (default: the health "
                                     "conversation with samples)."),
    auto: bool = typer.Option(False, "--auto", help="The earliest free time, one before the deadline if there is one."),
    start: Optional[str] = typer.Option(None, "--start", help="This time (ISO 8601; local time without an offset)."),
    force: bool = typer.Option(False, "--force", help="Book a --start outside the centre's hours or on a day "
                               "that is not a working day all the same (an evening clinic)."),
) -> None:
    """Book the case's appointment at its health centre (health centre staff), through the booking event."""
    from screening import clock
    from screening.cli.output import warn
    from screening.errors import BadInput
    from screening.services import bookings

    if auto == (start is not None):
        raise BadInput("give either --auto or --start DATETIME")
    run = the(ctx)
    when = clock.parse_datetime(start, "--start") if start else None
    done = bookings.book(run.app, run.actor(), case_id, "examination" if examination else "conversation", when,
                         force=force)
    booking = done["booking"]
    if not booking["in_time"]:
        warn(render.said(run.lang, "chosen_late" if booking["chosen"] else "booked_late",
                         due=run.words().day(booking["due"])), run.lang)
    run.out.result({"booking": {k: booking[k] for k in ("kind", "start", "end", "in_time")}, "case": done["case"]},
                   lambda: render.case(done["case"], run.words()))


def case_history(
    ctx: typer.Context,
    case_id: str = typer.Argument(..., metavar="ID"),
    reads: bool = typer.Option(False, "--reads", help="Also every read of the case (the log extract)."),
) -> None:
    """The case's audit trail: its events, and with --reads who has read it."""
    from screening.services import cases

    run = the(ctx)
    history = cases.history(run.app, run.actor(), case_id, reads_too=reads)
    run.out.result(history, lambda: render.history(case_id, history, run.words()))


def case_letter(
    ctx: typer.Context,
    case_id: str = typer.Argument(..., metavar="ID"),
    examination: bool = typer.Option(False, "--examination", help="The doctor's examination's letter (default: "
                                     "the health conversation's)."),
    out_file: Optional[str] = typer.Option(None, "--out", metavar="FILE", help="Write the PDF here (default: "
                                           "standard output)."),
) -> None:
    """The family's invitation letter for the booked appointment: a printable A4 PDF in Swedish and
    the family's language (step 3), as it was made when the time was booked. Printing is recorded."""
    from screening.cli.output import warn, write_file
    from screening.errors import BadInput
    from screening.services import letters

    run = the(ctx)
    if run.out.as_json and out_file is None:
        raise BadInput("--json prints one document: give --out FILE for the letter")
    done = letters.letter(run.app, run.actor(), case_id, "examination" if examination else "conversation")
    words = run.words()
    if done["fallback"]:
        warn(render.said(run.lang, "letter_fallback", language=words.language(done["fallback"])), run.lang)
    for lang in done["unchecked"]:
        warn(render.said(run.lang, "letter_unchecked", language=words.language(lang)), run.lang)
    if out_file is None:
        run.out.bytes(done["pdf"])
        return
    write_file(out_file, done["pdf"])
    run.out.result({"out": out_file}, lambda: run.out.line(render.said(run.lang, "wrote", file=out_file)))
