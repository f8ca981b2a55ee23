"""`make bench` runs this: the CLI latency benchmark; --small is CI's smoke-test size.

    .venv/bin/python benchmarks/run.py --small        # = cli_latency.py --cases 2000 --runs 3
    .venv/bin/python benchmarks/run.py [ARGS…]         # = cli_latency.py ARGS…
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import cli_latency  # noqa: E402

SMALL = ["--cases", "2000", "--runs", "3"]

if __name__ == "__main__":
    args = sys.argv[1:]
    if "--small" in args:
        args = SMALL + [a for a in args if a != "--small"]
    sys.exit(cli_latency.main(args))
