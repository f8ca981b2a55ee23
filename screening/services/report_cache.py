"""The § 10 report for the pages: computed once per period and grouping, in the background, and kept in
the server's memory. Over a country's cases the report takes longer than a page may (6 to 12 s at
1,000,000 children); the page shows its progress meanwhile, and every later visitor asking for the same
period gets the figures at once. They are counted again when the day or the rule table changes, and,
once a case has changed, when they are older than FRESH: the page shows the ones it has, with their
time, while the newer ones are computed in the background (a region's cases change every minute of a
working day: recomputing at each change would leave the cache empty). What is compared to know whether
anything changed is the audit trail's newest row (the end of an index; a read counts as a change too),
not the cases' count and newest change, which read every case: over a second per page at 1,000,000.
The chart is drawn in the background too, once the figures are counted (matplotlib imported meanwhile)."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from screening import access, clock
from screening.model import Actor

log = logging.getLogger(__name__)
KEEP = 16  # reports kept (the oldest used goes first)
FRESH = timedelta(minutes=10)  # a report older than this, of data changed since, is computed again


@dataclass
class Job:
    """One report being computed or computed: `data` (the report, with what its charts draw) once `done`
    is set, or the `error` it failed with; `state` the data's state it counts (the audit trail's newest
    row: `region_pages.report_state`), `at` when it was asked
    (the system's time); `newer` a computation of the same report under way, once the data changed."""

    key: tuple
    state: int
    at: datetime
    started: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)
    data: dict | None = None
    error: Exception | None = None
    chart: bytes | None = None
    newer: Job | None = None
    drawing: threading.Lock = field(default_factory=threading.Lock)  # one drawing of the chart at a time

    def seconds(self) -> int:
        return int(time.monotonic() - self.started)


class Reports:
    """The reports computed, by (first day, last day, grouping, today, the rule table's version)."""

    def __init__(self, keep: int = KEEP, fresh: timedelta = FRESH):
        self.keep, self.fresh = keep, fresh
        self._jobs: OrderedDict[tuple, Job] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, app, actor: Actor, *, since: date | None, until: date | None, by: str, wait: float = 0.0) -> Job:
        """The report for the period (coordinator, admin): the one computed already when nothing has changed
        since, or when it is younger than `fresh` (a newer one is then computed in the background once it
        is older: the page shows the one it has meanwhile); else one computed now in a thread of its own,
        waited for up to `wait` seconds. A report that failed is raised (and forgotten: the next asks again)."""
        from screening import report as figures
        from screening.storage import region_pages

        access.require_command(actor, "report")
        figures.check_grouping(by)
        today = clock.local_date(app.clock.now())
        chosen = figures.period(since, until, today=today)
        with app.reads() as reads:
            newest, rules = region_pages.report_state(reads.conn)
        key, state, real = (chosen.first, chosen.last, by, today, rules), newest, app.clock.real()
        with self._lock:
            job = self._jobs.get(key)
            if job is None or job.error is not None:
                job = self._jobs[key] = self._start(key, state, real, app, actor, chosen, by)
            elif job.done.is_set() and job.state != state and real - job.at >= self.fresh and job.newer is None:
                job.newer = self._start(key, state, real, app, actor, chosen, by)
            self._jobs.move_to_end(key)
            while len(self._jobs) > self.keep:
                self._jobs.popitem(last=False)
        job.done.wait(wait)
        if job.error is not None:
            raise job.error
        return job

    def _start(self, key: tuple, state: int, real: datetime, app, actor: Actor, chosen, by: str) -> Job:
        job = Job(key, state, real)
        threading.Thread(target=self._compute, args=(job, app, actor, chosen.first, chosen.last, by),
                         name="report", daemon=True).start()
        return job

    def _compute(self, job: Job, app, actor: Actor, first: date, last: date, by: str) -> None:
        from screening.services import follow_up

        threading.Thread(target=_warm, name="report-chart", daemon=True).start()  # beside the figures' SQL
        try:
            job.data = follow_up.report(app, actor, since=first, until=last, by=by, monthly=True)
        except Exception as error:  # noqa: BLE001 - kept for the page that waits for it
            job.error = error
        with self._lock:
            kept = self._jobs.get(job.key)
            if job.error is not None:
                if kept is job:
                    del self._jobs[job.key]
                elif kept is not None and kept.newer is job:
                    kept.newer = None
            elif kept is not None and kept.newer is job:
                self._jobs[job.key] = job  # the newer report replaces the older one
        job.done.set()
        if job.error is None:  # the chart drawn now, in this thread: the page's image is ready when asked for
            try:  # (drawing it takes a second or more, importing matplotlib first: too long for a request)
                chart_png(job)
            except Exception:  # drawn again, and the error said, when the image is asked for
                log.exception("the report's chart could not be drawn")


def chart_png(job: Job) -> bytes:
    """The report's yearly charts (`screening.charts`) as PNG bytes, drawn once per report (in the
    background once the figures are computed; a request that comes first waits for that drawing)."""
    with job.drawing:
        if job.chart is None:
            job.chart = _draw(job.data)
    return job.chart


def _warm() -> None:
    """matplotlib imported (a second or more) while the figures are counted, for the chart drawn after."""
    import importlib

    for module in ("matplotlib.backends.backend_agg", "matplotlib.figure", "screening.charts"):
        importlib.import_module(module)


def _draw(data: dict) -> bytes:
    import io

    from screening import charts
    from screening.report import PARTIES

    region = data["rows"][-1]
    fig = charts.figure(period=(date.fromisoformat(data["from"]), date.fromisoformat(data["to"])),
                        monthly=data["monthly"], breaches={party: region[f"breaches_{party}"] for party in PARTIES},
                        distribution=data["distribution"], threshold=data["min_group"])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
