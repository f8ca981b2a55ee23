"""The coordinator's pages over a database of any size, in-process (the server's app through Starlette's
test client: no network, no uvicorn), as `region-coordinator`.

    .venv/bin/python benchmarks/pages.py --db URL [--now 2026-11-23T10:00] [--runs 5]

For each page, `--runs` requests, the first and the median reported: `/region`, `/region/now`,
`/alerts`, `/users`, `/directory`, and the § 10 report: its first request (which answers the progress
page after 2 s when the figures are not ready, `web.region.REPORT_WAIT`), the time until the figures
are computed, and the requests after (from the report's cache, `screening.services.report_cache`).
`--now` sets the clock (a simulation database only); by default the system's.

Goal: every page under 1 s, and the report's page under 3 s (with the progress page while the figures
are computed in the background) at 1,000,000 cases. It writes what the pages write: one session, and
the reads of the cases the overview and the alerts list (the access log).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PAGES = ("/region", "/region/now", "/alerts", "/users", "/directory")
USER = "region-coordinator"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--now", default=None, help="the clock (a simulation database only)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    from datetime import datetime

    from screening.bootstrap import App, Clock
    from screening.clock import STOCKHOLM
    from screening.services import sessions
    from screening.settings import Settings
    from web.app import create

    now = datetime.fromisoformat(args.now).replace(tzinfo=STOCKHOLM) if args.now else None
    app = App(args.db, Settings({}), Clock(now))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    client = TestClient(create(app), raise_server_exceptions=True)
    client.cookies.set("screening_session", sessions.start(app, USER)["session"])

    rows = []
    for path in PAGES:
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            answer = client.get(path)
            times.append(time.perf_counter() - started)
            assert answer.status_code == 200, (path, answer.status_code)
        rows.append((path, times[0], statistics.median(times), 1.0))

    started = time.perf_counter()
    first = client.get("/report")
    rows.append(("/report (first request)", time.perf_counter() - started, None, 3.0))
    while 'id="report-working"' in first.text:
        time.sleep(0.2)
        first = client.get("/report")
    rows.append(("/report (figures computed)", time.perf_counter() - started, None, None))
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        assert '<table class="report">' in client.get("/report").text
        times.append(time.perf_counter() - started)
    rows.append(("/report (from the cache)", times[0], statistics.median(times), 3.0))

    print(f"{'page':32} {'first':>8} {'median':>8}  goal")
    for name, first_time, median, goal in rows:
        verdict = "" if goal is None else ("ok" if (median or first_time) < goal else "MISSED")
        print(f"{name:32} {first_time:8.3f} {'' if median is None else f'{median:8.3f}':>8}  "
              f"{'' if goal is None else f'< {goal:g} s'} {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
