"""The § 10 report's chart is drawn in the background as soon as its figures are computed, once, so that the
page's image (`/report/chart.png`) does not make the person wait for matplotlib: over a country's cases the
drawing took longer than a page may (benchmarks/pages.py)."""

from __future__ import annotations

import time

from screening.services import report_cache
from tests.web.test_region import COORDINATOR, FROM, TO, region, signed_in

__all__ = ["region"]


def test_the_chart_is_drawn_once_with_the_figures_before_anyone_asks_for_it(region, monkeypatch):
    drawn = []
    real = report_cache._draw

    def counted(data):
        drawn.append(data["from"])
        return real(data)

    monkeypatch.setattr(report_cache, "_draw", counted)
    browser = signed_in(region, COORDINATOR)
    page = browser.get(f"/report?from={FROM}&to={TO}")
    assert '<table class="report">' in page.text
    job = next(iter(browser.app.state.reports._jobs.values()))
    for _ in range(400):  # drawn in the report's own thread, after its figures
        if job.chart is not None:
            break
        time.sleep(0.05)
    assert job.chart is not None and job.chart.startswith(b"\x89PNG\r\n\x1a\n")
    assert drawn == [FROM]
    png = browser.get(f"/report/chart.png?from={FROM}&to={TO}")
    assert png.status_code == 200 and png.content == job.chart
    assert drawn == [FROM]  # the image asked for is the one drawn: not drawn again
