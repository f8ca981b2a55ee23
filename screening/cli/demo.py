"""The demo: three months of invented arrivals in the demo region, some steps late, each role's view,
the coordinator's follow-up report with its charts.

Run with `make demo` (or `python -m screening.cli.demo --db sqlite:///demo.db`). Every step goes
through the real command line, exactly as staff would type it, with `--at`/`--now` set to the
simulated time. Then the demo region is served (`screening serve`, on 127.0.0.1:8000 or a free port)
until Ctrl-C, with the demo's sign-in shortcut at /demo (a simulation database only): `--no-serve`
(`make demo-run`) ends after the run, for scripts and tests; `--serve-only` serves the database of a run
before, without running it again.
"""

from __future__ import annotations

import argparse
import contextlib
import heapq
import io
import json
import random
import shlex
import shutil
import socket
import sys
from datetime import datetime, timedelta
from pathlib import Path

import cli
from screening.clock import STOCKHOLM
from screening.storage import db

DAYS = 91  # the demo's three months, ending on the day it is run (or --today)
PLACES = {  # municipality -> reception user, health centre, a school, a preschool
    "Östersund": ("ostersund-reception", "hc-lugnvik", "ostersund-school-norrby", "ostersund-preschool-solrosen"),
    "Krokom": ("krokom-reception", "hc-krokom", None, None),
    "Åre": ("are-reception", "hc-jarpen", "are-school-dalgang", "are-preschool-kotten"),
    "Strömsund": ("stromsund-reception", "hc-stromsund", None, None),
}
ROTATION = ["Östersund", "Krokom", "Östersund", "Åre", "Östersund", "Strömsund"]
LANGUAGES = ["ar", "ti", "so", "fa", "uk", "dari", "ku"]
# Invented names, combined by the child's number: no real person is meant.
GIVEN = ["Amina", "Yonas", "Hodan", "Daryush", "Olena", "Sahar", "Rezan", "Bilal", "Selam", "Mariam", "Taras",
         "Nasrin", "Idris", "Leyla", "Samir", "Filmon", "Zahra", "Bohdan", "Hawa", "Karwan", "Noor"]
FAMILY = ["Tesfay-Alm", "Warsame-Ek", "Karimi Berg", "Kovalchuk-Nord", "Haidari Lund", "Osman Ståhl",
          "Rahimi-Dal", "Abdi Vik", "Mehari-Sjö", "Barzani Holm", "Yusufi Fors", "Petrenko-Å", "Jama Ström"]


def run(command: str, *, show: bool = False) -> dict | list | None:
    """One `screening` command; quiet unless `show`. Stops the demo on an unexpected failure."""
    args = shlex.split(command)
    if show:
        print(f"\n\033[1m$ screening {shlex.join(args)}\033[0m")  # exactly what a person would type
        code = cli.main(args)
        result = None
    else:  # a step of the simulation: its warnings (a booking after the deadline) are its figures, not news
        buffer, said = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(said):
            code = cli.main(["--json"] + args)
        result = json.loads(buffer.getvalue()) if buffer.getvalue().strip() else None
        if code != 0:
            sys.stderr.write(said.getvalue())
    if code != 0:
        sys.exit(f"demo step failed ({code}): screening {command}")
    return result


def working_hours(moment: datetime, rng: random.Random) -> datetime:
    while moment.weekday() >= 5:
        moment += timedelta(days=1)
    return moment.replace(hour=rng.randint(8, 15), minute=rng.choice([0, 15, 30, 45]))


def plan_child(n: int, rng: random.Random, start: datetime) -> list[tuple[datetime, str, str]]:
    """(when, user, command) for one child, from `start`; some steps deliberately late."""
    municipality = ROTATION[n % len(ROTATION)]
    reception, hc, school, preschool = PLACES[municipality]
    notice = working_hours(start + timedelta(days=rng.randint(0, DAYS - 7)), rng)
    age = rng.randint(2, 16)
    born = (notice - timedelta(days=365 * age + rng.randint(0, 300))).date()
    place = f"--preschool {preschool}" if age < 6 and preschool else f"--school {school}" if school else ""
    name = shlex.quote(f"{GIVEN[n % len(GIVEN)]} {FAMILY[n * 5 % len(FAMILY)]}")
    register = (f"case register --name {name} --birth-date {born} --municipality {municipality} --dossier {40_000_000 + n} "
                f"--language {rng.choice(LANGUAGES)} --interpreter --arrival {(notice + timedelta(days=2)).date()} "
                f"--notice-at {notice.isoformat()} {place}")
    steps = [(notice, reception, register)]

    def later(previous: datetime, days: int) -> datetime:
        moment = working_hours(previous + timedelta(days=days), rng)
        return moment if moment > previous else previous + timedelta(minutes=30)

    notified = later(notice, 2 if n % 7 == 3 else 0)  # every 7th child: the parties are told late
    steps.append((notified, reception, "notify_parties"))
    booked = later(notified, rng.choice([1, 2, 3, 9]))  # sometimes past five working days
    conversation = later(booked, rng.randint(2, 6))
    steps.append((booked, hc, "case book {id} --auto"))  # the earliest free time, as staff would
    steps.append((conversation, hc, "hold_health_conversation"))
    results = later(conversation, rng.randint(7, 16))
    obstacle = "yes" if n % 11 == 5 else "no"
    steps.append((results, hc, f"record_results --set obstacle={obstacle} --set 'note=Provsvar (påhittade): inga fynd'"))
    steps.append((later(results, 1), hc, "inform_family"))
    steps.append((later(results, rng.choice([1, 4])), hc, "inform_reception"))
    booked_exam = later(results, rng.choice([1, 2, 5]))
    examination = later(booked_exam, rng.randint(7, 40))
    steps.append((booked_exam, hc, "case book {id} --examination --auto"))
    steps.append((examination, hc, "hold_examination --set 'note=Undersökning (påhittad): frisk'"))
    vaccinating = "bvc" if age < 6 else "school-health" if age > 6 or (school and age == 6) else None
    if vaccinating:  # the vaccination track (vacc 1-2): assessed from the records, a plan, catch-up doses
        who = f"{reception.split('-')[0]}-{vaccinating}"
        assessed = later(results, rng.randint(2, 10))
        steps.append((assessed, who, "assess_vaccinations --set status=" + ("complete" if n % 5 == 0 else "missing")))
        if n % 5:
            planned = later(assessed, rng.randint(3, 12))
            steps.append((planned, who, "make_vaccination_plan"))
            dose = later(planned, rng.randint(5, 20))
            steps.append((dose, who, "give_catch_up_dose --set 'vaccine=DTP-polio (påhittat)'"))
            if n % 3 == 0:
                steps.append((later(dose, rng.randint(20, 40)), who, "complete_vaccinations"))
    unit = preschool if age < 6 and preschool else school
    if unit:  # step 8: introduction meeting and plan, then start (preschool only once results are in)
        invited = later(notice, rng.randint(3, 10))
        steps.append((invited, unit, "invite_intro_meeting"))
        steps.append((later(invited, rng.randint(2, 7)), unit, "hold_intro_meeting"))
        plan = later(invited, rng.randint(8, 14))
        steps.append((plan, unit, "make_intro_plan"))
        start = later(max(plan, results) if unit == preschool else plan, rng.randint(1, 30))
        begin = "start_preschool" if unit == preschool else "start_school"
        steps.append((start, unit, begin if obstacle == "no" else "start_with_adaptations --set "
                      "'reason=Anpassad start enligt smittskyddets råd (påhittat)'"))
    return steps


HELD = {"hold_health_conversation": "conversation", "hold_examination": "examination"}


def start_of(today: datetime) -> datetime:
    """The demo's first morning: DAYS before `today`, at 08:00."""
    return (today - timedelta(days=DAYS)).replace(hour=8, minute=0, second=0, microsecond=0)


def simulate(url: str, today: datetime, children: int = 60, seed: int = 17) -> None:
    """Every child's steps in time order up to `today`. An appointment is held once its booked time has
    come: where the centre had no earlier time, the child's later steps wait as long (`delay`)."""
    rng = random.Random(seed)
    first = start_of(today)
    plans = [plan_child(n, rng, first) for n in range(children)]
    ids: dict[int, str] = {}
    queue = [(when, n, i, user, cmd) for n, plan in enumerate(plans) for i, (when, user, cmd) in enumerate(plan)]
    heapq.heapify(queue)
    booked: dict[tuple[int, str], datetime] = {}
    delay: dict[int, timedelta] = {}
    applied: dict[tuple[int, int], timedelta] = {}
    now_limit = today
    while queue:
        when, n, i, user, command = heapq.heappop(queue)
        pending = delay.get(n, timedelta(0)) - applied.get((n, i), timedelta(0))
        start = booked.get((n, HELD.get(command.split()[0], "")))
        if pending <= timedelta(0) and start is not None and start >= when:  # held once its time has come
            pending = start + timedelta(hours=1) - when
            delay[n] = delay.get(n, timedelta(0)) + pending  # and what follows for the child, as much later
        if pending > timedelta(0):
            applied[(n, i)] = delay[n]
            heapq.heappush(queue, (when + pending, n, i, user, command))
            continue
        if when > now_limit or (i > 0 and n not in ids):
            continue  # not yet happened by today
        stamp = when.isoformat(timespec="minutes")
        if i == 0:
            ids[n] = run(f"--db {url} --as {user} --now {stamp} {command}")["id"]
        elif "{id}" in command:  # a booking: the time it took, for the step that holds it
            done = run(f"--db {url} --as {user} --now {stamp} {command.format(id=ids[n])}")
            booked[(n, done["booking"]["kind"])] = datetime.fromisoformat(done["booking"]["start"])
        else:
            run(f"--db {url} --as {user} --now {stamp} case event {ids[n]} {command} --at {stamp}")
    print(f"Simulerade {len(ids)} anmälningar från {first.date()} till {today.date()}.")


def write_letters(opts: str, most: int = 4) -> list[str]:
    """The letters of a few of the centre's booked children, one per language (as a nurse prints them)."""
    Path("demo-out/letters").mkdir(parents=True, exist_ok=True)
    written, languages = [], set()
    for case in run(f"{opts} --as hc-lugnvik case list --open"):
        if case["language"] in languages or not case.get("bookings", {}).get("health_conversation"):
            continue
        languages.add(case["language"])
        name = f"demo-out/letters/{case['id']}-{case['language']}.pdf"
        run(f"{opts} --as hc-lugnvik case letter {case['id']} --out {name}")
        written.append(Path(name).name)
        if len(written) == most:
            break
    return written


def free_port(host: str, wanted: int) -> int:
    """`wanted` if nothing listens on it, else (or for 0) a port the system finds free."""
    with socket.socket() as probe:
        try:
            probe.bind((host, wanted))
            if wanted:
                return wanted
        except OSError:
            pass
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def greeters(url: str) -> list[dict]:
    """One of the demo's people for each role, to sign in as: Östersund's where the role has one there."""
    from screening.bootstrap import bootstrap
    from screening.services import demo

    return demo.suggested(demo.people(bootstrap(url)))


def serve(url: str, host: str, port: int) -> int:
    """The demo region served until Ctrl-C: its address and the people to sign in as, printed first."""
    from screening.sayings import ROLE_PARTY
    from screening.words import Words

    port = free_port(host, port)
    address = f"http://{host}:{port}"
    words = Words("sv")
    rows = [(words.party(ROLE_PARTY.get(p["role"], p["role"])), p["org_name"], p["id"]) for p in greeters(url)]
    widths = [max(len(row[n]) for row in rows + [("Roll", "Organisation", "Användar-id")]) for n in range(2)]
    print(f"\n\033[1mDemoregionen finns nu på {address}\033[0m (stoppa servern med Ctrl-C).")
    print(f"Logga in med demogenvägen på {address}/demo: välj en påhittad person, inga lösenord behövs. Till exempel:")
    for role, org, user in [("Roll", "Organisation", "Användar-id")] + rows:
        print(f"  {role:<{widths[0]}}  {org:<{widths[1]}}  {user}")
    sys.stdout.flush()
    return cli.main(["--db", url, "serve", "--host", host, "--port", str(port)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="sqlite:///demo.db")
    parser.add_argument("--no-serve", action="store_true", help="end after the run (scripts and tests)")
    parser.add_argument("--serve-only", action="store_true", help="serve the database of a run before")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="the port to serve on (a free one if taken)")
    parser.add_argument("--today", default=None, help="the demo's last moment, YYYY-MM-DDTHH:MM in Swedish time "
                        "(by default now: the served pages then show today's and tomorrow's appointments)")
    args = parser.parse_args(argv)
    url = args.db
    if args.serve_only:
        return serve(url, args.host, args.port)
    shutil.rmtree("demo-out", ignore_errors=True)
    if db.is_sqlite(url):
        for suffix in ("", "-wal", "-shm"):
            Path(db.sqlite_path(url) + suffix).unlink(missing_ok=True)
    run(f"--db {url} --as admin init --demo")  # a database kept from before (PostgreSQL): its admin reloads it
    print(f"Skapade {url} med demoregionen (Region Jämtland Härjedalen, påhittade kontaktuppgifter).")
    today = (datetime.fromisoformat(args.today).replace(tzinfo=STOCKHOLM) if args.today
             else datetime.now(STOCKHOLM)).replace(second=0, microsecond=0)
    simulate(url, today)
    opts = f"--db {url} --now {today.replace(tzinfo=None).isoformat(timespec='minutes')}"
    run(f"{opts} --as ostersund-reception case list", show=True)
    run(f"{opts} --as hc-lugnvik case list --overdue", show=True)
    first = run(f"{opts} --as hc-lugnvik case list")[0]["id"]
    run(f"{opts} --as hc-lugnvik case show {first}", show=True)
    run(f"{opts} --as ostersund-reception case show {first}", show=True)
    run(f"{opts} --as ostersund-school-norrby case list", show=True)
    run(f"{opts} --as region-coordinator case list --overdue", show=True)
    run(f"{opts} --as region-coordinator sweep", show=True)
    run(f"{opts} --as hc-lugnvik alerts --open", show=True)
    run(f"{opts} --as region-coordinator outbox send --dir demo-out/outbox", show=True)
    letters = write_letters(opts)
    run(f"{opts} --as region-coordinator case history {first} --reads", show=True)
    run(f"{opts} --as region-coordinator overview", show=True)
    report = f"{opts} --as region-coordinator report --from {start_of(today).date()}"
    run(f"{report} --chart demo-out/uppfoljning.png", show=True)
    run(f"{report} --format csv --out demo-out/uppfoljning.csv", show=True)
    print("\nMeddelandena till parterna och larmen finns i demo-out/outbox/ (en .eml-fil vardera: öppna en "
          "i ett e-postprogram eller en textredigerare).")
    print(f"Familjernas kallelser (PDF, svenska och familjens språk) finns i demo-out/letters/: {', '.join(letters)}.")
    print("Uppföljningen finns i demo-out/uppfoljning.csv (öppnas i Excel) och dess diagram i "
          "demo-out/uppfoljning.png.")
    print(f"\nDemodatabasen är {url}; prova till exempel\n"
          f"  .venv/bin/screening --db {url} --as hc-lugnvik case show {first}")
    return 0 if args.no_serve else serve(url, args.host, args.port)


if __name__ == "__main__":
    sys.exit(main())
