"""`make bench` runs this: the benchmarks; --small is CI's smoke-test size.

    .venv/bin/python benchmarks/run.py --small         # cli_latency.py --cases 2000 --runs 3,
                                                        # then events_bench.py --small (SQLite),
                                                        # sweep_bench.py --small, report_bench.py --small,
                                                        # suite.py --small, population.py --small,
                                                        # prune_bench.py --small, api_load.py --small,
                                                        # pages.py --small
    .venv/bin/python benchmarks/run.py [ARGS…]          # = cli_latency.py ARGS…
    .venv/bin/python benchmarks/run.py events [ARGS…]   # = events_bench.py ARGS…

With --small, other arguments go to the CLI latency benchmark only (as before); the events
benchmark always runs at its smoke size on SQLite files under benchmarks/out/. The exit code is
1 when any benchmark is broken, never because a figure misses its goal.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import api_load
import cli_latency
import events_bench
import pages
import population
import prune_bench
import report_bench
import suite
import sweep_bench

SMALL = ["--cases", "2000", "--runs", "3"]


def main(args: list[str]) -> int:
    if args[:1] == ["events"]:
        return events_bench.main(args[1:])
    if "--small" not in args:
        return cli_latency.main(args)
    country = Path(__file__).resolve().parent / "out" / "country-small.db"
    runs = [(cli_latency, SMALL + [a for a in args if a != "--small"]), (events_bench, ["--small"]),
            (sweep_bench, ["--small"]), (report_bench, ["--small"]), (suite, ["--small"]),
            (population, [f"sqlite:///{country}", "--small", "--reset"]), (prune_bench, ["--small"]),
            (api_load, ["--small"]), (pages, ["--small"])]
    code = 0
    for n, (bench, bench_args) in enumerate(runs):
        if n:
            sys.stdout.flush()
            print()
        code = max(code, bench.main(bench_args))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
