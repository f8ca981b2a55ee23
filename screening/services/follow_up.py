"""The coordinator's follow-up: the § 10 report, and the overview of what is late and waiting."""

from __future__ import annotations

from datetime import date

from screening import access, clock
from screening.model import Actor


def report(app, actor: Actor, *, since: date | None = None, until: date | None = None, by: str = "municipality",
           monthly: bool = False) -> dict:
    """The § 10 figures for the children whose notice was registered in the period (default: this
    year to date), per municipality or health centre and for the region (coordinator, admin).
    Aggregates only: a group smaller than the setting SCREENING_MIN_GROUP shows no figures.
    `monthly` adds what the yearly charts draw."""
    from screening import report as figures

    figures.check_grouping(by)
    now = app.clock.now()
    period = figures.period(since, until, today=clock.local_date(now))
    threshold = app.settings.min_group
    access.require_command(actor, "report")
    simulation, upstream = app.simulation, app.policy().upstream
    with app.reads() as reads:
        region, groups = reads.report_groups(by)
        data = figures.compute(reads.conn, period=period, by=by, now=now, calendar=app.settings.calendar,
                               upstream=upstream, threshold=threshold, groups=groups, region=region,
                               monthly=monthly)
    return {**data, "simulation": True} if simulation else data


def overview(app, actor: Actor, *, oldest: int = 10, audited: set[str] | None = None) -> dict:
    """The coordinator's screen at the clock's time (coordinator, admin): open breaches, missed
    targets, reminders and unacknowledged alerts by municipality and health centre, the `oldest`
    longest-waiting cases, today's bookings. Each case listed is recorded as read before it is
    shown, except those in `audited` (already shown on this screen), which is then updated."""
    from screening.storage.overview import read

    access.require_command(actor, "overview")
    now, rules = app.clock.now(), app.policy().rules
    with app.reads() as reads:
        data = read(reads.conn, rules, now, oldest)
        listed = dict.fromkeys([row["case"] for row in data["oldest"]] + [b["case"] for b in data["bookings_today"]])
        new = [case_id for case_id in listed if audited is None or case_id not in audited]
        reads.record_reads(actor, new, "list", now, app.clock.real())
    if audited is not None:
        audited.update(new)
    return data
