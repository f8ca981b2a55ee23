"""Every page of every role over a progressed population (1,000,000 cases: a country's size), in-process
(the server's app through Starlette's test client: no network, no uvicorn), each as its role's user.

    .venv/bin/python benchmarks/pages.py                         # 1,000,000 cases, SQLite, 5 runs a page
    .venv/bin/python benchmarks/pages.py --small                 # CI's smoke test: 2,000 cases, 2 runs
    .venv/bin/python benchmarks/pages.py --cases 100000 --runs 3
    .venv/bin/python benchmarks/pages.py --db 'postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_pages'
    .venv/bin/python benchmarks/pages.py --json                  # + one JSON document of every figure
    .venv/bin/python benchmarks/pages.py --only /children        # only the pages whose "role page" holds it

The database: `build_population.py`'s population of N cases (SQLite: benchmarks/out/population-N.db, the
one report_bench.py and suite.py reuse, built if it is not there), copied to benchmarks/out/pages-N.db
(SQLite's backup API; the population stays as the report's benchmarks expect it) and given what the
pages read and the builder leaves out (`write_names`, then the migrations, then `enrich`; a table
`bench_pages` says how far it went):

- a name for every child (invented first names and surnames, some with å, ä, ö), for the search, written
  at schema NAMELESS (0026; a copy past it is downgraded first), so that the migrations after it (the
  search's index of names, 0027) are applied over the names and timed;
- the health centres' bookings of every conversation and examination the population booked (their
  times as the cases hold them), for the work list's appointments, the overview and the slot picker;
- the breach alerts the sweep would have raised: one per deadline past due (open ones unresolved,
  late ones resolved when met), a third of them acknowledged;
- through the service layer, as the parties would: a busy case at the biggest health centre (registered
  with a personnummer, notified, conversation booked and held, results, examination booked, details
  changed, read a hundred times by its nurse), a new case waiting for its booking (the slot picker), and
  a sample of the access log drawn by the coordinator.

A PostgreSQL URL (`--db`, its `search_path` a schema of its own) gets the population built into it and
enriched in place.

For each page, `--runs` requests: the first and the median, with the 1-minute load average. The clock is
the population's `now` (2026-11-23 10:00). Goals: every page under 1 s; the report's page under 3 s
(or the progress page, `web.region.REPORT_WAIT`, while its figures are computed in the background). The
exit code is 1 only when a page breaks (an answer other than the one expected, 200 or the redirect);
a slow page says MISSED.

Not measured: the POST routes (they are forms' answers, not pages), and `/signin/oidc` with its callback
(`web/oidc.py`: only with an identity provider set up; they redirect to it and back). `/` is measured as
the redirect it is (303); `/demo` since the population is a simulation's database (as `build_db` marks it).
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import sys
import time
import warnings
from datetime import date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))

import build_population

from screening.clock import STOCKHOLM

VERSION = "1"  # of `enrich`: a pages database enriched by another version is made again
MARKER = "bench_pages"
NAMELESS = "0026"  # the schema before the search's index of names (0027): the names are written at it
NOW = build_population.NOW

NURSE = "hc-lugnvik"  # Östersund's default centre: the biggest (about a third of the region's children)
RECEPTION = "ostersund-reception"
UNITS = {"school": "ostersund-school-norrby", "preschool": "ostersund-preschool-solrosen",
         "school_health": "ostersund-school-health", "bvc": "ostersund-bvc"}
COORDINATOR = "region-coordinator"
ADMIN = "admin"
BUSY_NAME = "Mirjam Påhittadsdotter"
WAITING_NAME = "Elias Uppdiktadsson"
BUSY_BIRTH = date(2016, 5, 4)
BUSY_READS = 100

FIRST = ("Amina", "Yonas", "Sara", "Ali", "Hevin", "Noor", "Ömer", "Åsa", "Daniel", "Mariam", "Yusuf", "Liya",
         "Omar", "Hana", "Dawit", "Zahra", "Bilal", "Rahwa", "Elif", "Kaveh", "Nadia", "Filmon", "Jana",
         "Anton", "Selam", "Idris", "Layla", "Samir", "Mahlet", "Reza", "Olha", "Bohdan", "Sofiia", "Ayan",
         "Hamza", "Nour", "Tesfay", "Dilan", "Rania", "Ärla")
LAST = ("Haile", "Tesfay", "Karimi", "Ahmadi", "Öberg", "Abdi", "Hussein", "Mohammed", "Bekele", "Yilmaz",
        "Rahimi", "Warsame", "Kovalenko", "Shevchenko", "Hosseini", "Osman", "Gebre", "Amini", "Nazari",
        "Jama", "Farah", "Kaya", "Demir", "Mahmoud", "Haidari", "Said", "Ibrahim", "Tekle", "Berhe",
        "Sjöström", "Åkesson", "Nilsson", "Kebede", "Popov", "Bondarenko", "Jafari", "Sultani", "Ali",
        "Yousef", "Mengistu")


def say(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


def load() -> float:
    return round(os.getloadavg()[0], 2)


def name_of(case_id: str) -> str:
    """An invented name, the same for a case id whatever the run: a first name and a surname, a third
    with a second first name."""
    h = hashlib.blake2b(case_id.encode(), digest_size=8).digest()
    first, last, middle = FIRST[h[0] % len(FIRST)], LAST[h[1] % len(LAST)], FIRST[h[2] % len(FIRST)]
    return f"{first} {middle} {last}" if h[3] % 3 == 0 else f"{first} {last}"


def personnummer(birth: date, serial: int) -> str:
    """A personnummer (12 digits) valid by its check digit, for an invented child."""
    from screening.identity import luhn_check_digit

    nine = f"{birth:%y%m%d}{serial:03d}"
    return f"{birth:%Y%m%d}{serial:03d}{luhn_check_digit(nine)}"


# --------------------------------------------------------------------------------------------
# The database
# --------------------------------------------------------------------------------------------

def prepare(url: str | None, n_cases: int, seed: int) -> tuple[str, dict]:
    """The enriched pages database (built, copied and enriched as needed), after the migrations not yet
    applied; returns its URL and what was done, with the time of each step."""
    from screening.storage import db, migrate

    done: dict = {}
    if url is None:  # SQLite: the shared population, copied
        population = f"sqlite:///{OUT / f'population-{n_cases}.db'}"
        url = f"sqlite:///{OUT / f'pages-{n_cases}.db'}"
        if not enriched(url, n_cases, seed) and not marked(url, n_cases, seed, "named"):
            OUT.mkdir(parents=True, exist_ok=True)
            if not built(population, n_cases, seed):
                done["population"] = populate(population, n_cases, seed)
            started = time.perf_counter()
            copy_sqlite(db.sqlite_path(population), db.sqlite_path(url))
            done["copy_s"] = round(time.perf_counter() - started, 1)
            done["names"] = write_names(url, n_cases, seed)
    elif not enriched(url, n_cases, seed) and not marked(url, n_cases, seed, "named"):
        done["population"] = populate(url, n_cases, seed, reset=True)
        done["names"] = write_names(url, n_cases, seed)
    before = migrate.current_revision(url)  # after the names: a migration that reads them is timed over them
    started = time.perf_counter()
    after = migrate.upgrade(url)
    if after != before:
        done["migrations"] = {"from": before, "to": after, "s": round(time.perf_counter() - started, 1),
                              "load": load()}
        say(f"  migrations {before} → {after}: {done['migrations']['s']} s")
    if not enriched(url, n_cases, seed):  # the service layer needs the newest schema
        done["enrich"] = enrich(url, n_cases, seed)
    return url, done


def built(url: str, n_cases: int, seed: int) -> bool:
    """Whether the database at `url` holds build_population's population of `n_cases` and `seed`, as it
    stands (not upgraded first, unlike `build_population.ready`: the copy is, after its names are written,
    so that a migration that reads them is timed over them)."""
    import build_db

    from screening.storage import db

    if url.startswith("sqlite") and not Path(db.sqlite_path(url)).exists():
        return False
    try:
        if build_db.count_cases(url) != n_cases:
            return False
        conn = db.connect_raw(url)
        try:
            found = {row["key"]: row["value"] for row in conn.all(f"SELECT key, value FROM {build_population.MARKER}")}
        finally:
            conn.close()
    except Exception:  # noqa: BLE001 - no database, no marker: not built (or interrupted)
        return False
    return found == {k: str(v) for k, v in build_population._params(n_cases, seed, NOW).items()}


def populate(url: str, n_cases: int, seed: int, reset: bool = False) -> dict:
    import build_db

    if built(url, n_cases, seed):
        return {"reused": True}
    say(f"  building the population of {n_cases:,} cases: {url}")
    if reset or not url.startswith("sqlite"):
        build_db.reset(url)
    else:
        from screening.storage import db

        for suffix in ("", "-wal", "-shm"):
            Path(f"{db.sqlite_path(url)}{suffix}").unlink(missing_ok=True)
    step = max(build_population.BATCH, n_cases // 10)
    made = build_population.build(url, n_cases, seed, progress=lambda n, s: (
        say(f"    {n:,} cases, {s:.0f} s") if n % step == 0 or n == n_cases else None))
    return {"build_s": round(made["build_s"], 1)}


def copy_sqlite(source: str, target: str) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    say(f"  copying {source} → {target}")
    partial = f"{target}.partial"
    Path(partial).unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(partial)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    shutil.move(partial, target)


def _params(n_cases: int, seed: int) -> dict:
    return {"cases": str(n_cases), "seed": str(seed), "version": VERSION}


def enriched(url: str, n_cases: int, seed: int) -> bool:
    return marked(url, n_cases, seed, "cases_json")


def marked(url: str, n_cases: int, seed: int, step: str) -> bool:
    """Whether the database at `url` has been through `step` of this enrichment (`named`: the names
    written; `cases_json`: all of it) for this N and seed."""
    from screening.storage import db

    if url.startswith("sqlite") and not Path(db.sqlite_path(url)).exists():
        return False
    try:
        conn = db.connect_raw(url)
    except Exception:  # noqa: BLE001 - no database yet
        return False
    try:
        found = {row["key"]: row["value"] for row in conn.all(f"SELECT key, value FROM {MARKER}")}
    except Exception:  # noqa: BLE001 - no marker: not enriched (or interrupted)
        return False
    finally:
        conn.close()
    return {key: found.get(key) for key in _params(n_cases, seed)} == _params(n_cases, seed) and step in found


def mark(url: str, values: dict) -> None:
    from screening.storage import db

    conn = db.connect_raw(url)
    try:
        conn.begin()
        conn.execute(f"CREATE TABLE IF NOT EXISTS {MARKER} (key VARCHAR(32) PRIMARY KEY, value TEXT NOT NULL)")
        conn.many(f"DELETE FROM {MARKER} WHERE key = :key", [{"key": k} for k in values])
        conn.many(f"INSERT INTO {MARKER} (key, value) VALUES (:key, :value)",
                  [{"key": k, "value": v} for k, v in values.items()])
        conn.commit()
    finally:
        conn.close()


def write_names(url: str, n_cases: int, seed: int) -> dict:
    """A name for every case, at schema NAMELESS (the migrations after it applied afterwards, timed:
    the search's index of names, 0027, is filled from them)."""
    from screening.storage import db, migrate

    timings: dict = {}
    if (migrate.current_revision(url) or "") > NAMELESS:  # the search's index of names there already:
        migrate.downgrade(url, NAMELESS)  # taken away, so that its migration fills it from the names (and is timed)
        timings["down_to"] = NAMELESS
    conn = db.connect_raw(url)
    try:
        if has_table(conn, MARKER):
            conn.begin()
            conn.execute(f"DELETE FROM {MARKER}")  # a copy made anew: nothing of it enriched yet
            conn.commit()
        started = time.perf_counter()
        ids = [row["id"] for row in conn.all("SELECT id FROM screening_case")]
        for at in range(0, len(ids), 20_000):
            conn.insert_many("UPDATE screening_case SET name = :name WHERE id = :id",
                             [{"id": case_id, "name": name_of(case_id)} for case_id in ids[at:at + 20_000]])
        timings["names_s"] = round(time.perf_counter() - started, 1)
        say(f"  names: {timings['names_s']} s")
    finally:
        conn.close()
    mark(url, {**_params(n_cases, seed), "named": "1"})
    return timings


def enrich(url: str, n_cases: int, seed: int) -> dict:
    """What the pages read and the population leaves out besides the names (the module's docstring)."""
    from screening.storage import db, deployment

    timings: dict = {}
    deployment.mark_simulation(url)  # invented children at a set clock (as build_db marks a database it reuses)
    started = time.perf_counter()  # before the population's bookings: the builder kept to no centre's capacity
    timings["cases"] = busy_cases(url)
    timings["services_s"] = round(time.perf_counter() - started, 1)
    say(f"  the busy case, the waiting case, the sample: {timings['services_s']} s")

    conn = db.connect_raw(url)
    try:
        started = time.perf_counter()
        conn.begin()
        for kind, minutes in (("conversation", 60), ("examination", 45)):
            ends = (f"{kind}_start + {minutes * 60}" if conn.sqlite else
                    f"{kind}_start + interval '{minutes} minutes'")
            conn.execute(
                "INSERT INTO booking (case_id, kind, uid, sequence, health_centre_id, starts, ends, status, "
                "interpreter, updated_at) "
                f"SELECT id, '{kind}', 'bench-' || id || '-{kind}', 0, health_centre_id, {kind}_start, {ends}, "
                "'booked', CASE WHEN interpreter THEN COALESCE(language, 'sv') END, "
                f"COALESCE({kind}_booked_at, {kind}_start) FROM screening_case "
                f"WHERE {kind}_start IS NOT NULL AND health_centre_id IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM booking b WHERE b.case_id = screening_case.id AND b.kind = '{kind}')")
        conn.commit()
        timings["bookings_s"] = round(time.perf_counter() - started, 1)
        say(f"  bookings: {timings['bookings_s']} s")

        started = time.perf_counter()
        conn.begin()
        conn.execute(
            "INSERT INTO alert (case_id, rule, kind, owner, due, raised_at, last_raised_at, raise_count, "
            "resolved_at) SELECT case_id, rule, 'breach', owner, due, due, due, 1, "
            "CASE WHEN status = 'late' THEN met_at END FROM deadline "
            "WHERE (status = 'open' AND due < :now) OR status = 'late'", {"now": conn.timestamp(NOW)})
        conn.execute("UPDATE alert SET acknowledged_at = last_raised_at, acknowledged_by = :by WHERE id % 3 = 0",
                     {"by": COORDINATOR})
        conn.commit()
        timings["alerts_s"] = round(time.perf_counter() - started, 1)
        say(f"  alerts: {timings['alerts_s']} s")
        if not conn.sqlite:
            for table in ("screening_case", "booking", "alert", "audit"):
                conn.execute(f"VACUUM ANALYZE {table}")
    finally:
        conn.close()
    mark(url, {**_params(n_cases, seed), "cases_json": json.dumps(timings["cases"])})
    return timings


def has_table(conn, table: str) -> bool:
    if conn.sqlite:
        return conn.scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = :t", {"t": table}) > 0
    return conn.scalar("SELECT to_regclass(:t) IS NOT NULL", {"t": table})


class Hand:
    """The clock's hand, moved by the setting up and left at `now` for the pages."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def make_app(url: str, hand: Hand):
    from screening.bootstrap import App, Clock
    from screening.settings import Settings

    return App(url, Settings({}), Clock(None, system=hand))


def busy_cases(url: str) -> dict:
    """Through the service layer, as the parties would: the busy case, the waiting case, a sample."""
    from screening.services import audit_sample, case_view, cases, events, users
    from screening.services.registration import Registration, register

    hand = Hand(NOW - timedelta(days=14))  # Monday 9 November
    app = make_app(url, hand)
    reception, nurse = users.identify(app, RECEPTION), users.identify(app, NURSE)
    coordinator = users.identify(app, COORDINATOR)

    def notice(name: str, birth: date, number: str | None, dossier: str) -> Registration:
        return Registration(birth_date=birth, municipality="Östersund", name=name, personnummer=number,
                            dossier=dossier, language="ti", interpreter=True, school=UNITS["school"],
                            arrival=hand.at.date() - timedelta(days=3), health_centre=NURSE)

    def later(**delta) -> None:
        hand.at += timedelta(**delta)

    def free(case_id: str, kind: str, after: datetime) -> str:
        offered = case_view.slots(app, nurse, cases.show(app, nurse, case_id), kind)
        times = [t for _, day in offered["days"] for t in day if datetime.fromisoformat(t) > after]
        return times[0] if times else (after + timedelta(days=1)).replace(hour=9, minute=0).isoformat()

    busy = register(app, reception, notice(BUSY_NAME, BUSY_BIRTH, personnummer(BUSY_BIRTH, 123), "26-123456"))["id"]
    later(minutes=30)
    events.apply(app, reception, busy, "notify_parties", {})
    later(hours=2)
    start = free(busy, "conversation", hand.at)
    events.apply(app, nurse, busy, "book_health_conversation", {"start": start})
    hand.at = datetime.fromisoformat(start) + timedelta(hours=1)
    events.apply(app, nurse, busy, "hold_health_conversation", {})
    later(days=1)
    events.apply(app, nurse, busy, "record_results", {"obstacle": "no", "note": "Påhittad anteckning."})
    for n, language in enumerate(("ar", "ti", "ar")):
        later(hours=3)
        events.apply(app, nurse, busy, "update_details", {"language": language})
    hand.at = NOW - timedelta(hours=20)
    events.apply(app, nurse, busy, "book_examination", {"start": free(busy, "examination", NOW + timedelta(days=1))})
    for n in range(BUSY_READS):
        hand.at = NOW - timedelta(minutes=BUSY_READS - n)
        cases.show(app, nurse if n % 4 else reception, busy)

    hand.at = NOW - timedelta(hours=3)
    waiting = register(app, reception, notice(WAITING_NAME, date(2019, 2, 11), None, "26-654321"))["id"]
    later(minutes=20)
    events.apply(app, reception, waiting, "notify_parties", {})

    hand.at = NOW - timedelta(minutes=1)
    sample = audit_sample.draw(app, coordinator, size=20)
    sample_id = sample["sample"] if isinstance(sample, dict) else sample[0]["sample"]
    return {"busy": busy, "waiting": waiting, "sample": sample_id,
            "number": personnummer(BUSY_BIRTH, 123), "dossier": "26-123456"}


# --------------------------------------------------------------------------------------------
# The pages
# --------------------------------------------------------------------------------------------

class Browser:
    """One person's session on the server's app, each request timed."""

    def __init__(self, server, app, user: str | None):
        from screening.services import sessions

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # starlette's note that httpx2 is coming
            from starlette.testclient import TestClient
        self.client = TestClient(server, raise_server_exceptions=False, follow_redirects=False)
        self.user = user
        if user is not None:
            self.client.cookies.set("screening_session", sessions.start(app, user)["session"])

    def get(self, path: str):
        started = time.perf_counter()
        answer = self.client.get(path)
        return answer, time.perf_counter() - started


def link(page: str, path: str) -> str | None:
    """The page's link to the next page (`path?…after=…`), unescaped; None: no next page."""
    found = re.search(rf'href="({re.escape(path)}\?[^"]*after=[^"]+)"', page)
    return html.unescape(found.group(1)) if found else None


class Bench:
    def __init__(self, runs: int, only: list[str] | None = None):
        self.runs, self.rows, self.broken, self.only = runs, [], [], only

    def wants(self, name: str) -> bool:
        return not self.only or any(part in name for part in self.only)

    def page(self, browser: Browser, role: str, path: str, *, goal: float | None = 1.0, expect: int = 200,
             name: str | None = None, runs: int | None = None, before=None) -> str:
        """`runs` requests of the page (`before()` ahead of each, untimed); the first and the median."""
        if not self.wants(f"{role} {name or path}"):
            return ""
        times, text, status = [], "", None
        for _ in range(runs or self.runs):
            if before is not None:
                before()
            answer, took = browser.get(path)
            times.append(took)
            status, text = answer.status_code, answer.text if "text" in answer.headers.get("content-type", "") else ""
            if status != expect:
                self.broken.append(f"{role} {path}: {status} (expected {expect})")
                break
        row = {"role": role, "page": name or path, "first": times[0], "median": statistics.median(times),
               "runs": len(times), "goal": goal, "status": status, "load": load()}
        self.rows.append(row)
        verdict = "" if goal is None else ("ok" if row["median"] < goal and row["first"] < goal else "MISSED")
        say(f"    {role:14} {row['page'][:60]:60} {row['first']:7.3f} {row['median']:7.3f}  {verdict}")
        return text


def measure(url: str, runs: int, cases: dict, only: list[str] | None = None) -> Bench:
    from web.app import create

    hand = Hand(NOW)
    app = make_app(url, hand)
    server = create(app)
    bench = Bench(runs, only)
    busy, waiting = cases["busy"], cases["waiting"]

    say("  the health centre's nurse")
    nurse = Browser(server, app, NURSE)
    first = bench.page(nurse, "health_centre", "/worklist")
    from screening.services import worklist

    for when in worklist.WHEN[1:]:
        bench.page(nurse, "health_centre", f"/worklist?when={when}")
    for kind in worklist.KINDS:
        bench.page(nurse, "health_centre", f"/worklist?kind={kind}")
    following = link(first, "/worklist")
    if following:
        bench.page(nurse, "health_centre", following, name="/worklist?after=… (page 2)")
    for label, query in (("case id", busy), ("personnummer", cases["number"]), ("dossier number", cases["dossier"]),
                         ("rare name", BUSY_NAME.split()[1][:9]), ("common surname", "Haile"),
                         ("first name and surname", "Amina Haile")):
        found = bench.page(nurse, "health_centre", f"/cases?q={query}", name=f"/cases?q= ({label})")
        if found and label in ("case id", "personnummer", "dossier number", "rare name") and busy not in found:
            bench.broken.append(f"health_centre /cases?q={query}: the busy case not found by {label}")
        if label == "common surname" and link(found, "/cases"):
            bench.page(nurse, "health_centre", link(found, "/cases"), name="/cases?q=Haile&after=… (page 2)")
    bench.page(nurse, "health_centre", f"/cases/{busy}", name="/cases/{busy}")
    log = bench.page(nurse, "health_centre", f"/cases/{busy}?reads=1", name="/cases/{busy}?reads=1 (access log)")
    earlier = re.search(r'href="(/cases/[^"]*before=[^"]+)"', log)
    if earlier:
        bench.page(nurse, "health_centre", html.unescape(earlier.group(1)),
                   name="/cases/{busy}?reads=1&before=… (access log, page 2)")
    bench.page(nurse, "health_centre", f"/cases/{waiting}", name="/cases/{waiting} (slot picker)")
    bench.page(nurse, "health_centre", f"/cases/{waiting}?interpreter=no", name="/cases/{waiting}?interpreter=no")
    bench.page(nurse, "health_centre", f"/cases/{waiting}/slots?event=book_health_conversation&interpreter=no",
               name="/cases/{waiting}/slots?… (the times alone)")
    bench.page(nurse, "health_centre", f"/cases/{busy}/letter.pdf?examination=1",
               name="/cases/{busy}/letter.pdf?examination=1")

    say("  reception")
    reception = Browser(server, app, RECEPTION)
    first = bench.page(reception, "reception", "/children")
    bench.page(reception, "reception", "/children?show=all")
    bench.page(reception, "reception", "/children?overdue=true")
    following = link(first, "/children")
    if following:
        bench.page(reception, "reception", following, name="/children?after=… (page 2)")
    bench.page(reception, "reception", "/register")
    for label, query in (("dossier number", cases["dossier"]), ("rare name", BUSY_NAME.split()[1][:9]),
                         ("common surname", "Haile")):
        found = bench.page(reception, "reception", f"/children?q={query}", name=f"/children?q= ({label})")
        if found and label != "common surname" and busy not in found:
            bench.broken.append(f"reception /children?q={query}: the busy case not found by {label}")
    bench.page(reception, "reception", f"/cases/{busy}", name="/cases/{busy}")

    for role, user in UNITS.items():
        say(f"  {role}")
        unit = Browser(server, app, user)
        first = bench.page(unit, role, "/children")
        if role in ("school_health", "bvc"):  # their first list is their own children's; then the municipality's
            bench.page(unit, role, "/children?show=open")
        bench.page(unit, role, "/children?show=all")
        following = link(first, "/children")
        if following:
            bench.page(unit, role, following, name="/children?after=… (page 2)")

    say("  the coordinator")
    coordinator = Browser(server, app, COORDINATOR)

    if bench.wants("coordinator /region"):
        overview_pages(bench, coordinator, hand)
    first = bench.page(coordinator, "coordinator", "/alerts")
    following = link(first, "/alerts")
    if following:
        bench.page(coordinator, "coordinator", following, name="/alerts?after=… (page 2)")
    bench.page(coordinator, "coordinator", "/alerts?done=true")
    bench.page(coordinator, "coordinator", f"/cases/{busy}", name="/cases/{busy}")

    if bench.wants("coordinator /report"):
        report_pages(bench, coordinator)
    bench.page(coordinator, "coordinator", "/audit")
    bench.page(coordinator, "coordinator", f"/audit/{cases['sample']}", name="/audit/{sample}")
    bench.page(coordinator, "coordinator", "/users")
    bench.page(coordinator, "coordinator", "/users?after=hc-odensala", name="/users?after=… (page 2)")
    bench.page(coordinator, "coordinator", "/directory")
    admin = Browser(server, app, ADMIN)
    bench.page(admin, "admin", "/users")
    bench.page(admin, "admin", "/directory")

    say("  everyone's own pages")
    for role, user in (("health_centre", NURSE), ("reception", RECEPTION), *UNITS.items(),
                       ("coordinator", COORDINATOR), ("admin", ADMIN)):
        own = Browser(server, app, user)
        for path in ("/profile", "/tokens", "/totp", "/password"):
            bench.page(own, role, path)
        bench.page(own, role, "/", expect=303, name="/ (to the role's first page)")
    anyone = Browser(server, app, None)
    bench.page(anyone, "anyone", "/signin")
    bench.page(anyone, "anyone", "/demo", name="/demo (a simulation's sign-in)")
    return bench


def first_request(bench: Bench, coordinator: Browser, path: str, name: str, progress: str):
    """A page whose figures are counted in the background, asked for once with none counted: its answer
    (the progress page, whose element has the id `progress`, or the figures), when it was asked (the
    `perf_counter`), and whether it was the progress page. Its goal: 3 s."""
    answer, took = coordinator.get(path)
    started = time.perf_counter() - took
    working = f'id="{progress}"' in answer.text
    bench.rows.append({"role": "coordinator", "page": name, "first": took, "median": took, "runs": 1, "goal": 3.0,
                       "status": answer.status_code, "load": load(), "progress_page": working})
    if answer.status_code != 200:
        bench.broken.append(f"coordinator {path}: {answer.status_code}")
    say(f"    {'coordinator':14} {name:60} {took:7.3f}  {'progress page' if working else 'the figures'}")
    return answer, started, working


def overview_pages(bench: Bench, coordinator: Browser, hand) -> None:
    """The overview with no figures yet (the page saying they are being counted, after OVERVIEW_WAIT, or
    the figures if they are read by then), the time until they are read in the background, then the
    figures shared (< 30 s old), and kept (older: shown, read again meanwhile), and `/region/now`."""
    from screening.services import region_pages

    region_pages.overview_settled(600)
    region_pages._overviews.clear()
    _, started, _ = first_request(bench, coordinator, "/region", "/region (no figures yet)", "overview-working")
    region_pages.overview_settled(600)
    counted = time.perf_counter() - started
    bench.rows.append({"role": "coordinator", "page": "/region (figures counted, in the background)",
                       "first": counted, "median": counted, "runs": 1, "goal": None, "status": 200, "load": load()})
    say(f"    {'coordinator':14} {'/region (figures counted, in the background)':60} {counted:7.3f}")
    shown = bench.page(coordinator, "coordinator", "/region", name="/region (figures shared, < 30 s old)")
    if 'id="overview-working"' in shown:
        bench.broken.append("coordinator /region: still counting once the figures were read")

    def half_a_minute_later() -> None:  # the figures older than OVERVIEW_FRESH: shown, read again meanwhile
        region_pages.overview_settled(600)
        hand.at += region_pages.OVERVIEW_FRESH + timedelta(seconds=1)

    bench.page(coordinator, "coordinator", "/region", name="/region (figures kept, read again meanwhile)",
               before=half_a_minute_later)
    region_pages.overview_settled(600)
    bench.page(coordinator, "coordinator", "/region/now", name="/region/now (figures shared)")
    hand.at = NOW


def report_pages(bench: Bench, coordinator: Browser) -> None:
    """The report's first request (the progress page after REPORT_WAIT), the time until its figures are
    computed in the background, then the page from the cache, its chart and its CSV."""
    answer, started, working = first_request(bench, coordinator, "/report", "/report (first request)",
                                             "report-working")
    while working:
        time.sleep(0.2)
        answer = coordinator.client.get("/report")
        working = 'id="report-working"' in answer.text
        if answer.status_code != 200 or time.perf_counter() - started > 600:
            bench.broken.append(f"coordinator /report: {answer.status_code} while computed")
            break
    computed = time.perf_counter() - started
    bench.rows.append({"role": "coordinator", "page": "/report (figures computed)", "first": computed,
                       "median": computed, "runs": 1, "goal": None, "status": answer.status_code, "load": load()})
    say(f"    {'coordinator':14} {'/report (figures computed, in the background)':60} {computed:7.3f}")
    bench.page(coordinator, "coordinator", "/report", name="/report (from the cache)", goal=3.0)
    bench.page(coordinator, "coordinator", "/report/chart.png")
    bench.page(coordinator, "coordinator", "/report/report.csv")


# --------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a PostgreSQL URL whose search_path is a schema of its own "
                                     "(default: SQLite, benchmarks/out/pages-N.db)")
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--small", action="store_true", help="CI's smoke test: 2,000 cases, 2 runs")
    parser.add_argument("--json", action="store_true", help="one JSON document of every figure on stdout")
    parser.add_argument("--only", action="append", help="only the pages whose 'role page' holds this (repeatable)")
    args = parser.parse_args(argv)
    if args.small:
        args.cases, args.runs = 2_000, 2

    from screening.storage import db

    say(f"pages over {args.cases:,} cases ({'SQLite' if args.db is None else db.redact(args.db)})")
    started = time.perf_counter()
    try:
        url, done = prepare(args.db, args.cases, args.seed)
    except Exception as error:  # noqa: BLE001 - the benchmark is broken, not slow
        import traceback

        traceback.print_exc()
        say(f"pages: the database could not be made: {type(error).__name__}: {error}")
        return 1
    say(f"  database ready in {time.perf_counter() - started:.1f} s: {db.redact(url)}")
    conn = db.connect_raw(url)
    try:
        cases = json.loads(conn.scalar(f"SELECT value FROM {MARKER} WHERE key = 'cases_json'"))
        counts = {table: conn.scalar(f"SELECT COUNT(*) FROM {table}")
                  for table in ("screening_case", "deadline", "booking", "alert", "audit")}
    finally:
        conn.close()
    say(f"  rows: {counts}")
    bench = measure(url, args.runs, cases, args.only)
    report(bench, args, url, done, counts)
    for broken in bench.broken:
        say(f"BROKEN: {broken}")
    return 1 if bench.broken else 0


def report(bench: Bench, args, url: str, done: dict, counts: dict) -> None:
    from screening.storage import db

    print(f"Pages over {args.cases:,} cases, {db.redact(url)}, {args.runs} runs a page; "
          f"{datetime.now(STOCKHOLM):%Y-%m-%d %H:%M} Stockholm, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}")
    print(f"rows: {', '.join(f'{k} {v:,}' for k, v in counts.items())}")
    if done.get("migrations"):
        m = done["migrations"]
        print(f"migrations {m['from']} → {m['to']}: {m['s']} s (load {m['load']})")
    print()
    print("| role | page | first | median | load | goal | |")
    print("|---|---|---|---|---|---|---|")
    for row in bench.rows:
        goal = row["goal"]
        met = goal is None or (row["median"] < goal and row["first"] < goal)
        note = "progress page" if row.get("progress_page") else ""
        verdict = "" if goal is None else ("ok" if met else "MISSED")
        print(f"| {row['role']} | `{row['page']}` | {row['first']:.3f} s | "
              f"{row['median']:.3f} s | {row['load']} | {'' if goal is None else f'< {goal:g} s'} | "
              f"{' '.join(filter(None, (verdict, note)))} |")
    if args.json:
        print(json.dumps({"cases": args.cases, "runs": args.runs, "db": db.redact(url), "prepared": done,
                          "rows": bench.rows, "broken": bench.broken}, default=str))


if __name__ == "__main__":
    sys.exit(main())
