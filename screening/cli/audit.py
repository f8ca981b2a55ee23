"""The audit trail's commands: its hash chain checked end to end, the access log's follow-up.

Each command parses its options, calls one service and renders; `cli.py` lists them."""

from __future__ import annotations

from typing import Optional

import typer

from screening.cli import render
from screening.cli.output import warn
from screening.cli.run import the


def audit_verify(ctx: typer.Context) -> None:
    """Check the audit trail's hash chain from its first row to its last (admin): exit 0 when it is
    whole, 1 at the first row where it breaks, which it names. Each row's link covers its contents
    and the row before, keyed with SCREENING_AUDIT_KEY (or SCREENING_AUDIT_KEY_FILE) where one is set."""
    from screening.services import chain

    run = the(ctx)
    checked = chain.verify(run.app, run.actor())
    run.out.result(checked, lambda: render.audit_verified(run.out, checked, run.lang))
    for caveat in render.audit_caveats(checked, run.lang):
        warn(caveat, run.lang)
    if not checked["ok"]:
        raise typer.Exit(1)


def audit_sample(
    ctx: typer.Context,
    size: int = typer.Option(20, "--size", metavar="N", help="How many reads to draw (1-500)."),
    since: Optional[str] = typer.Option(None, "--from", metavar="DATE", help="The period's first day (default: "
                                        "30 days before its last)."),
    until: Optional[str] = typer.Option(None, "--to", metavar="DATE", help="The period's last day (default: today)."),
) -> None:
    """Draw a random sample of the reads of cases for the access log's follow-up (HSLF-FS 2016:40
    4 kap. 9 §), show it and record it: a health centre samples the reads of its own cases, a
    coordinator or an admin those of every case. The draw can be repeated from the audit trail: the
    seed (from the system's random source) and the population are recorded with it. Review the reads
    shown, then record the review: audit review SAMPLE --ok, or --finding TEXT."""
    from screening import clock
    from screening.services import audit_sample

    run = the(ctx)
    first = clock.parse_date(since, "--from") if since else None
    last = clock.parse_date(until, "--to") if until else None
    drawn = audit_sample.draw(run.app, run.actor(), size=size, start=first, end=last)
    run.out.result(drawn["reads"], lambda: render.sample(drawn, run.words()))


def audit_review(
    ctx: typer.Context,
    sample: str = typer.Argument(..., metavar="SAMPLE", help="The sample's id, as audit sample showed it."),
    ok: bool = typer.Option(False, "--ok", help="The reads were reviewed: no remark."),
    finding: Optional[str] = typer.Option(None, "--finding", metavar="TEXT", help="What the review found, in one "
                                          "line without medical content: who read which case when, and why that "
                                          "was wrong."),
) -> None:
    """Record the review of an access log sample (its health centre, a coordinator, an admin): --ok,
    or --finding TEXT. A sample is reviewed once."""
    from screening.errors import BadInput
    from screening.services import audit_sample

    run = the(ctx)
    if ok == (finding is not None):
        raise BadInput("give either --ok or --finding TEXT")
    done = audit_sample.review(run.app, run.actor(), sample, finding=finding)
    run.out.result(done, lambda: run.out.line(render.said(
        run.lang, "reviewed_finding" if finding is not None else "reviewed_ok", sample=sample)))


def audit_history(
    ctx: typer.Context,
    kind: Optional[str] = typer.Option(None, "--kind", help="Only these rows: directory, restore, sample, "
                                       "review, rules, accounts (sign-ins, failures, locks, passwords, second "
                                       "factors, links to the identity provider), tokens, or one action of "
                                       "those two (e.g. locked)."),
) -> None:
    """The administration's audit trail (coordinator, admin): each change of the directory with what
    changed (old -> new), each restore, each access log sample and its review, the sign-ins and their
    failures and locks, and the API tokens made and revoked."""
    from screening.services import admin

    run = the(ctx)
    rows = admin.administration(run.app, run.actor(), kind)
    run.out.result(rows, lambda: render.administration(rows, run.words()))
