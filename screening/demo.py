"""The demo: a fresh database for the demo region, a handful of invented arrivals, each role's view.

Run with `make demo` (or `python -m screening.demo --db sqlite:///demo.db`). Every command
goes through the real command line, exactly as staff would type it.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

import cli
from screening import db

NOW = "2026-11-23T10:00"

# Invented children: dossier numbers only, no names of real people.
ARRIVALS = [
    ("Östersund", "2019-04-02", "31-000101", "ar", "2026-11-25", []),
    ("Östersund", "2012-09-14", "31-000102", "ti", "2026-11-24", ["--unaccompanied", "--school", "ostersund-school-norrby"]),
    ("Östersund", "2022-01-30", "31-000103", "uk", "2026-11-26", ["--preschool", "ostersund-preschool-solrosen", "--no-interpreter"]),
    ("Krokom", "2016-06-06", "31-000104", "so", "2026-11-27", []),
    ("Åre", "2010-02-11", "31-000105", "fa", "2026-11-30", ["--already-in-sweden", "--permit", "residence"]),
]


def step(title: str, command: str, *, quiet: bool = False) -> dict | list | None:
    print(f"\n\033[1m== {title}\033[0m\n$ screening {command}")
    if quiet:
        import contextlib
        import io

        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            code = cli.main(shlex.split(command))
        if code != 0:
            sys.exit(code)
        return json.loads(buffer.getvalue())
    code = cli.main(shlex.split(command))
    if code != 0:
        sys.exit(code)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="sqlite:///demo.db")
    url = parser.parse_args(argv).db
    if db.is_sqlite(url):
        path = db.sqlite_path(url)
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
    opts = f"--db {url} --now {NOW}"
    step("Create the database and load the demo region", f"--db {url} init --demo")
    step("The region's directory", f"--db {url} org list")
    ids = []
    for municipality, born, dossier, language, arrival, extra in ARRIVALS:
        reception = {"Östersund": "ostersund-reception", "Krokom": "krokom-reception", "Åre": "are-reception"}[municipality]
        if "--unaccompanied" in extra:
            reception = "ostersund-social"
        command = (f"{opts} --as {reception} --json case register --birth-date {born} "
                   f"--municipality {municipality} --dossier {dossier} --language {language} "
                   f"--arrival {arrival} --interpreter " + " ".join(extra))
        ids.append(step(f"{reception} registers an arrival notice", command, quiet=True)["id"])
        print(f"-> case {ids[-1]}")
    step("A later notice brings the personnummer: it attaches to the same case",
         f"{opts} --as ostersund-reception case register --birth-date 2019-04-02 --municipality Östersund "
         f"--dossier 31-000101 --personnummer 20190402-2389")
    step("The reception unit of Östersund sees its municipality's children", f"{opts} --as ostersund-reception case list")
    step("The health centre sees the children assigned to it", f"{opts} --as hc-lugnvik case list")
    step("The school sees only its own pupils", f"{opts} --as ostersund-school-norrby case list")
    step("The coordinator sees the whole region", f"{opts} --as region-coordinator case list")
    step("One case in full", f"{opts} --as hc-lugnvik case show {ids[0]}")
    step("Its audit trail, with every read (the log extract)", f"{opts} --as region-coordinator case history {ids[0]} --reads")
    print(f"\nThe demo database is {url}; try e.g.\n  .venv/bin/screening --db {url} --as hc-lugnvik case show {ids[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
