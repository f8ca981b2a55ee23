"""Build a benchmark database of a *progressed* population: N invented children, each as far
along its health, school and vaccination tracks as it would be at `now`, with its deadlines.

    python benchmarks/build_population.py sqlite:///benchmarks/out/population-100000.db --cases 100000
    python benchmarks/build_population.py --reset \
        'postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_report'

`build(url, n_cases, seed, now)` migrates the database (`screening.storage.migrate.upgrade`), loads the
bundled demo directory with its users (`services.load_directory`), then for every child:

- invents a plan: notice over the two years before `now` (office hours mostly, some after the
  16:00 cut-off or on a weekend), an arrival date (or none), age, school or preschool, and the
  steps of the agreement with random delays: some late, a few stalled, some declined, moved out
  or closed, some without a health centre (their health track stops after the notification);
- applies the steps up to `now` in time order on a `screening.model.Case`, through the product's
  own state machines (`workflows.agreement.machine(track).events[e].trigger`) and recorders
  (`workflows.events.record`), so states and milestones are what the service layer would leave;
- evaluates its deadlines with `workflows.deadlines.evaluate` at its last step (as the last
  event's unit of work did; one rule table and one calendar for all) and stores them through
  `screening.storage.repository.SqlDeadlineRepository.save` itself (a breached deadline stored `open`,
  `next_alert_at` from the reminder time, clamped to the sweep's mark, `attributed_to` kept),
  with the repository's statements collected and sent in batches;
- and stores the case row (`codec.case_to_db`, the repository's INSERT) and its `register` audit
  row, 5,000 cases per transaction with executemany on the product's DB-API connection.

Not written (the report does not read them): the other audit rows, notes, bookings, alerts and
messages. Afterwards the sweep's mark is put five minutes before `now` and the reminders whose time
came before it marked raised (`events_bench.settle_reminders`, as the scheduler leaves them). On
PostgreSQL `VACUUM ANALYZE` (what autovacuum would have done); SQLite gets no `ANALYZE`, as the
product never runs one. A table `bench_population` records the build's parameters, so that a
benchmark can reuse the database (`ready(url, n_cases, seed, now)`).

The database must hold no cases yet; `build_db.reset(url)` empties it.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as dtime

HERE = __import__("pathlib").Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_db  # noqa: E402  (also puts the project root on sys.path)

from screening.clock import STOCKHOLM  # noqa: E402
from workflows.agreement import EVENT_TRACK  # noqa: E402

BATCH = 5_000
SPAN_DAYS = 730  # notices over the two years before `now`
LAST_SWEEP = timedelta(minutes=5)  # the scheduler's interval: its mark is this far behind an event
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM)  # the default `now` (as events_bench's query time)
VERSION = "3"  # of this builder's plans: a database built by another version is rebuilt
MARKER = "bench_population"

# Municipalities weighted roughly by population (as events_bench).
WEIGHTS = {"Östersund": 64, "Krokom": 15, "Åre": 12, "Strömsund": 11, "Härjedalen": 10,
           "Berg": 7, "Bräcke": 6, "Ragunda": 5}
LANGUAGES = ("ar", "fa", "so", "ti", "uk", "prs", "ku", "en", None)
NO_HEALTH_CENTRE = 0.02  # share registered without a health centre
SECOND_CENTRE = 0.35  # share of a municipality's children at its second health centre, if it has one
VACCINES = ("Hepatit B", "MPR", "DTP-IPV", "Pneumokock")
REASON = "Påhittat skäl"


@dataclass(frozen=True)
class Place:
    municipality: str
    reception: str
    social: str  # social services: the reception unit for an unaccompanied child
    centres: tuple[str, ...]  # the default first
    schools: tuple[str, ...]
    preschools: tuple[str, ...]
    school_health: str
    bvc: str


def places(directory) -> list[Place]:
    found = []
    for m in directory.municipalities:
        def ids(kind):
            return tuple(o.id for o in directory.of_kind(kind) if o.municipality == m)
        default = directory.default_health_centre(m)
        others = tuple(c for c in ids("health_centre") if not default or c != default.id)
        centres = ((default.id,) if default else ()) + others
        receptions = ids("reception_unit")
        social = next((r for r in receptions if r.endswith("-social")), receptions[0])
        reception = next((r for r in receptions if r != social), receptions[0])
        found.append(Place(m, reception, social, centres, ids("school"), ids("preschool"), ids("school_health")[0],
                           ids("bvc")[0]))
    return found


# --------------------------------------------------------------------------------------------
# One child's plan: (when, order, event, params, user) steps
# --------------------------------------------------------------------------------------------

class Planner:
    """Invents plans. One calendar for all (it caches each year's holidays)."""

    def __init__(self, rng: random.Random, calendar, now: datetime):
        self.rng, self.calendar, self.now = rng, calendar, now

    def office(self, day: date) -> datetime:
        """A moment of office hours on the first working day from `day`, Europe/Stockholm."""
        day = self.calendar.next_working_day(day)
        return datetime.combine(day, dtime(self.rng.randint(8, 15), self.rng.randrange(0, 60, 5)), STOCKHOLM)

    def after(self, previous: datetime, working_days: int) -> datetime:
        """Office hours on the `working_days`-th working day after `previous` (0: the same day,
        or the next working one), strictly after `previous`."""
        day = previous.astimezone(STOCKHOLM).date()
        moment = self.office(self.calendar.add(day, working_days))
        return moment if moment > previous else previous + timedelta(minutes=self.rng.randint(10, 90))

    def soon(self, previous: datetime) -> datetime:
        """Within two hours if `previous` is in office hours (8–16) on a working day, else the next
        working day's office hours."""
        local = previous.astimezone(STOCKHOLM)
        if 8 <= local.hour < 16 and self.calendar.is_working_day(local.date()):
            return previous + timedelta(minutes=self.rng.randint(5, 120))
        return self.office(self.calendar.next_working_day(local.date(), inclusive=local.hour < 8))

    def days_after(self, previous: datetime, days: int) -> datetime:
        """Office hours about `days` calendar days after `previous`."""
        return self.after(previous + timedelta(days=days), 0) if days else self.after(previous, 0)

    def notice(self) -> datetime:
        rng = self.rng
        day = (self.now - timedelta(days=rng.uniform(0, SPAN_DAYS))).astimezone(STOCKHOLM).date()
        if rng.random() < 0.06:  # after the 16:00 cut-off, or on a weekend or holiday
            moment = datetime.combine(day, dtime(rng.randint(16, 21), rng.randrange(0, 60, 5)), STOCKHOLM)
        else:
            moment = self.office(day)
        return min(moment, self.now - timedelta(minutes=30))

    def plan(self, place: Place, dossier: int) -> tuple[dict, list[tuple]]:
        """The case's registration values and its steps (unsorted; each after what it depends on)."""
        rng, after, days_after = self.rng, self.after, self.days_after
        notice = self.notice()
        notice_day = notice.astimezone(STOCKHOLM).date()
        age = rng.randrange(18)
        born = notice_day - timedelta(days=365 * age + rng.randrange(365))
        school = rng.choice(place.schools) if age >= 6 and rng.random() < 0.9 else None
        preschool = rng.choice(place.preschools) if 1 <= age < 6 and rng.random() < 0.6 else None
        centre = None
        if place.centres and rng.random() >= NO_HEALTH_CENTRE:
            centre = place.centres[1] if len(place.centres) > 1 and rng.random() < SECOND_CENTRE else place.centres[0]
        fate = rng.random()
        if fate < 0.75:
            arrival = notice_day - timedelta(days=rng.randint(0, 21))
        elif fate < 0.85:
            arrival = notice_day + timedelta(days=rng.randint(1, 10))  # a notice ahead of the arrival
        else:
            arrival = None
        unaccompanied = rng.random() < 0.08
        language = rng.choice(LANGUAGES)
        already = rng.random() < 0.02
        registered = min(notice + timedelta(minutes=rng.randint(2, 40)), self.now - timedelta(minutes=1))
        reg = dict(birth_date=born, notice_at=notice, registered=registered, arrival=arrival, dossier=str(dossier),
                   language=language, interpreter=language not in (None, "en") and rng.random() < 0.8,
                   unaccompanied=unaccompanied, permit=rng.choice(("asylum", "residence", None)),
                   already_in_sweden=already, health_centre=centre, school=school, preschool=preschool)
        reception = place.social if unaccompanied else place.reception
        steps: list[tuple] = []

        def add(when: datetime, event: str, user: str, **params) -> datetime:
            steps.append((when, len(steps), event, params, user))
            return when

        arrived = datetime.combine(arrival, dtime(0), STOCKHOLM) if arrival else notice
        # --- health track (steps 2-9, B)
        start = registered
        if already:  # B: verify the previous screening first; done: the health track is satisfied
            done = rng.choice(("yes", "yes", "no", "unknown"))
            start = add(after(registered, rng.choice((0, 1, 2, 3, 6))), "verify_previous_screening", reception,
                        done=done)
            if done == "yes":
                centre = None  # nothing more on the health track
        notified = None
        if not (already and done == "yes"):
            delay = rng.choices((0, 1, 2, 3, 8, 20), (85, 6, 3, 2, 2, 2))[0]  # working days; same day: in time
            notified = add(after(start, delay) if delay else self.soon(start), "notify_parties", reception)
        informed = notified or start  # the school and vaccination tracks start from here
        if notified and rng.random() < 0.03:  # the arrival date changes: the parties are told again
            changed = add(days_after(notified, rng.randint(1, 20)), "change_arrival", reception,
                          arrival=(arrival or notice_day) + timedelta(days=rng.randint(1, 14)))
            if rng.random() < 0.9:
                add(after(changed, rng.choices((0, 1, 3), (8, 1, 1))[0]), "notify_parties", reception)
        health_end = None  # a decline ends the health track
        results = obstacle = examined = None
        if notified and centre:
            hc = centre
            delay = rng.choices((0, 1, 2, 3, 4, 5, 7, 9, 14, 25, None), (5, 16, 22, 19, 12, 9, 6, 3, 2, 1, 2))[0]
            if rng.random() < 0.01:  # declined before any booking
                health_end = add(after(notified, rng.randint(1, 10)), "decline", reception, reason=REASON)
            elif delay is not None:
                booked = add(after(notified, delay), "book_health_conversation", hc)
                conversation = max(after(booked, rng.randint(2, 12)), after(arrived, 1))
                steps[-1][3]["start"] = conversation
                if rng.random() < 0.04:  # cancelled and booked again
                    cancelled = add(after(booked, 1), "cancel_booking", hc)
                    rebooked = add(after(cancelled, rng.randint(0, 2)), "book_health_conversation", hc)
                    conversation = max(after(rebooked, rng.randint(2, 10)), conversation + timedelta(days=1))
                    steps[-1][3]["start"] = conversation
                if rng.random() < 0.015:  # the family declines before the conversation
                    health_end = add(conversation - timedelta(hours=2), "decline", hc, reason=REASON)
                elif rng.random() < 0.97:  # held; else a no-show never booked again: stalled
                    taken = add(conversation, "hold_health_conversation", hc)
                    if rng.random() < 0.985:
                        obstacle = rng.random() < 0.08
                        results = add(days_after(taken, rng.choices(range(5, 26), [6] * 10 + [2] * 5 + [1] * 6)[0]),
                                      "record_results", hc, obstacle="yes" if obstacle else "no")
                        add(after(results, rng.choices((0, 1, 2, 4), (50, 40, 6, 4))[0]), "inform_family", hc)
                        add(after(results, rng.choices((0, 1, 2, 3, 6), (35, 52, 7, 4, 2))[0]), "inform_reception", hc)
                        if rng.random() < 0.01:
                            health_end = add(after(results, rng.randint(1, 5)), "decline", hc, reason=REASON)
                        elif rng.random() < 0.97:
                            delay = rng.choices((0, 1, 2, 3, 5, 10), (25, 40, 22, 7, 4, 2))[0]
                            exam_booked = add(after(results, delay), "book_examination", hc)
                            exam = after(exam_booked, rng.randint(3, 25))
                            steps[-1][3]["start"] = exam
                            if rng.random() < 0.97:
                                examined = add(exam, "hold_examination", hc)
        # --- school track (steps 4, 8, 9)
        unit = school or preschool
        if unit and rng.random() < 0.97:
            held_from = informed
            if rng.random() < 0.3:
                held_from = add(after(informed, rng.randint(1, 5)), "invite_intro_meeting", unit)
            held = add(after(held_from, rng.randint(1, 6)), "hold_intro_meeting", unit)
            planned = add(after(held, rng.randint(1, 4)), "make_intro_plan", unit)
            if school:
                delay = rng.choices((1, 3, 5, 8, 12, 20, 35), (15, 25, 25, 15, 10, 6, 4))[0]
                begin = after(max(planned, arrived), delay)
            elif results:  # preschool waits for all results (step 8)
                begin = after(max(planned, results), rng.choices((1, 3, 6, 9, 14, 25), (15, 25, 25, 15, 12, 8))[0])
            else:
                begin = None
            if begin is not None and rng.random() < 0.97:
                if obstacle and begin >= results:  # step 9: an obstacle: adapted, or postponed first
                    if rng.random() < 0.3:
                        postponed = add(begin, "postpone_start", unit, reason=REASON)
                        begin = after(postponed, rng.randint(5, 30))
                    add(begin, "start_with_adaptations", unit, reason=REASON)
                else:
                    add(begin, "start_school" if school else "start_preschool", unit)
        # --- vaccination track (vacc 1-2): the unit by the routing rule, decided when applied
        if school and rng.random() < 0.2:  # before any assessment (that follows the examination)
            add(after(informed, rng.randint(2, 6)), "request_records", place.school_health)
        if examined and rng.random() < 0.95:
            status = rng.choices(("complete", "missing", "unknown"), (3, 6, 1))[0]
            assessed = add(after(examined, rng.randint(1, 10)), "assess_vaccinations", "", status=status)
            if status != "complete" and rng.random() < 0.93:
                planned = add(after(assessed, rng.choices((1, 3, 6, 10, 15, 25, 40), (15, 20, 20, 20, 12, 8, 5))[0]),
                              "make_vaccination_plan", "")
                dose = planned
                for _ in range(rng.choice((1, 1, 2, 3))):
                    dose = add(days_after(dose, rng.randint(14, 60)), "give_catch_up_dose", "",
                               vaccine=rng.choice(VACCINES))
                if rng.random() < 0.8:
                    add(after(dose, rng.randint(0, 5)), "complete_vaccinations", "")
        # --- the case ends: moved out (any time after the notice), or closed when all is done
        fate = rng.random()
        if fate < 0.015:
            ended = add(days_after(registered, rng.randint(3, 120)), "move_out", reception)
            steps[:] = [s for s in steps if s[0] < ended or s[2] == "move_out"]
        elif fate < 0.35 and steps:
            last = max(s[0] for s in steps)
            add(days_after(last, rng.randint(7, 150)), "close", reception, reason=REASON)
        if health_end is not None:  # a decline stops the health track (the other tracks go on)
            steps[:] = [s for s in steps
                        if s[0] <= health_end or EVENT_TRACK[s[2]] != "health" or s[2] in ("move_out", "close")]
        return reg, steps


# --------------------------------------------------------------------------------------------
# Applying a plan; storing
# --------------------------------------------------------------------------------------------

class _Collector:
    """Stands in for the unit of work's connection while `SqlDeadlineRepository.save` writes a new
    case's deadlines: no rows stored yet, the sweep's mark as given, and the statements it would
    send kept (by SQL) to be sent in batches."""

    def __init__(self, conn):
        self.sqlite = conn.sqlite
        self.timestamp = conn.timestamp
        self.swept_to = None
        self.centre = None  # the case's health centre (the deadlines hold it: the work list's index)
        self.municipality = None  # and its municipality (the municipality's overdue steps)
        self.sent: dict[str, list[dict]] = {}

    def all(self, sql: str, params=None) -> list[dict]:
        assert sql.lstrip().upper().startswith("SELECT RULE"), sql  # for_case: a new case has no deadlines
        return []

    def one(self, sql: str, params=None) -> dict:
        assert "FROM screening_case" in sql, sql  # the case's centre and municipality, as it was saved just before
        return {"health_centre_id": self.centre, "municipality": self.municipality}

    def scalar(self, sql: str, params=None):
        assert "sweep_mark" in sql, sql
        return self.swept_to

    def many(self, sql: str, rows: list[dict]) -> None:
        if rows:
            self.sent.setdefault(sql, []).extend(rows)


class Applier:
    """Applies steps to a `Case` with the product's state machines and recorders."""

    def __init__(self, directory):
        from screening.directory import ROLE_FOR_KIND
        from screening.model import Actor

        self.actors = {o.id: Actor(o.id, ROLE_FOR_KIND[o.kind], o.id, o.kind, o.municipality)
                       for o in directory.organisations if o.kind in ROLE_FOR_KIND}  # a service has no users

    def apply(self, case, steps: list[tuple], place: Place, now: datetime) -> datetime:
        """Apply the steps up to `now` in time order; returns the time of the last one applied."""
        from screening.errors import Refused
        from workflows.events import happen
        from workflows.routing import responsible_unit

        last = case.created_at
        for when, _order, event, params, user in sorted(steps, key=lambda s: (s[0], s[1])):
            if when > now:
                break
            if not user:  # vacc 2: the unit the routing rule names then (BVC before school, else school health)
                unit = responsible_unit(case, when.astimezone(STOCKHOLM).date()) or "bvc"
                user = place.bvc if unit == "bvc" else place.school_health
            try:
                happen(case, event, when, params, self.actors[user])
            except Refused as error:
                raise AssertionError(f"plan of {case.id}: {event} at {when} refused: {error}") from None
            case.events.clear()
            case.version += 1
            case.updated_at = last = when
        return last


def build(url: str, n_cases: int, seed: int = 1, now: datetime = NOW, progress=None) -> dict:
    """Make the database at `url`: the demo directory and `n_cases` progressed cases at `now`.

    Returns what was built (cases, deadlines by status, health states, seconds). Refuses a
    database that already holds cases."""
    from screening.directory import load_directory
    from screening.model import Case
    from screening.services.users import store_directory
    from screening.storage import chain, db, migrate
    from screening.storage.codec import audit_kind, case_to_db, user_number
    from screening.storage.repository import INSERT_CASE, SqlDeadlineRepository
    from screening.storage import deployment
    from screening.storage.unit_of_work import SqlUnitOfWork
    from workflows.deadlines import evaluate
    from workflows.policy import Policy

    started = time.perf_counter()
    migrate.upgrade(url)
    directory = load_directory(None)
    with SqlUnitOfWork(url) as uow:
        store_directory(uow, directory, demo_users=True)
        deployment.make_simulation(uow.conn, now)  # invented children at a set clock: a simulation
        uow.commit()
    conn = db.connect_raw(url)
    try:
        existing = conn.scalar("SELECT count(*) FROM screening_case")
        if existing:
            raise SystemExit(f"{db.redact(url)} already holds {existing} cases: reset it first")
        policy = Policy.default()
        rules, calendar = policy.rules, policy.calendar  # one rule table, one calendar: evaluate is pure
        all_places = places(directory)
        weights = [WEIGHTS.get(p.municipality, 5) for p in all_places]
        rng = random.Random(seed)
        ids = build_db._unique_ids(rng, n_cases)
        dossiers = rng.sample(range(10_000_000, 100_000_000), n_cases)
        planner = Planner(rng, calendar, now)
        applier = Applier(directory)
        register_kind = audit_kind(conn, "event", "register")
        collector = _Collector(conn)
        repository = SqlDeadlineRepository(collector)
        health, statuses = Counter(), Counter()
        n_deadlines = 0
        for start in range(0, n_cases, BATCH):
            cases, audits = [], []
            collector.sent = {}
            for i in range(start, min(start + BATCH, n_cases)):
                place = rng.choices(all_places, weights)[0]
                reg, steps = planner.plan(place, dossiers[i])
                registered = reg["registered"]
                case = Case(
                    id=ids[i], municipality=place.municipality, birth_date=reg["birth_date"],
                    notice_at=reg["notice_at"],
                    health_state="verifying_previous" if reg["already_in_sweden"] else "registered",
                    dossier=reg["dossier"], language=reg["language"], interpreter=reg["interpreter"],
                    unaccompanied=reg["unaccompanied"], permit=reg["permit"], arrival=reg["arrival"],
                    already_in_sweden=reg["already_in_sweden"], health_centre_id=reg["health_centre"],
                    school_id=reg["school"], preschool_id=reg["preschool"],
                    created_at=registered, updated_at=registered,
                )
                last = applier.apply(case, steps, place, now)
                collector.swept_to = conn.timestamp(last - LAST_SWEEP)  # the scheduler's mark at that event
                collector.centre, collector.municipality = case.health_centre_id, case.municipality
                deadlines = evaluate(case, rules, calendar, last)  # as the last event's unit of work did
                repository.save(case.id, deadlines)
                cases.append(case_to_db(conn, case))
                reception = place.social if reg["unaccompanied"] else place.reception
                audits.append({"case_id": case.id, "kind": register_kind, "at": conn.timestamp(case.notice_at),
                               "recorded_at": conn.timestamp(registered), "user_no": user_number(conn, reception),
                               "action": "event", "event": "register", "user_id": reception, "detail": None})
                health[case.health_state] += 1
            conn.begin()
            try:
                conn.many(INSERT_CASE, cases)
                for sql, rows in collector.sent.items():
                    assert sql.startswith("INSERT INTO deadline"), sql  # a new case: inserts only
                    conn.many(sql, rows)
                    n_deadlines += len(rows)
                    statuses.update(row["status"] for row in rows)
                chain.append(conn, None, audits)  # linked as the product links them (unkeyed here)
                conn.commit()
            except BaseException:
                conn.rollback()
                raise
            if progress:
                progress(min(start + BATCH, n_cases), time.perf_counter() - started)
        inserted = time.perf_counter() - started
        import events_bench  # noqa: E402  (its settle_reminders: as the scheduler leaves the mark)

        events_bench.settle_reminders(url, now)
        conn.begin()
        conn.execute(f"CREATE TABLE IF NOT EXISTS {MARKER} (key VARCHAR(32) PRIMARY KEY, value VARCHAR(64) NOT NULL)")
        conn.execute(f"DELETE FROM {MARKER}")
        conn.many(f"INSERT INTO {MARKER} (key, value) VALUES (:key, :value)",
                  [{"key": k, "value": str(v)} for k, v in _params(n_cases, seed, now).items()])
        conn.commit()
        if not conn.sqlite:  # what autovacuum would have done on a server that grew to this size
            for table in ("screening_case", "deadline", "audit", "sweep_mark", MARKER):
                conn.execute(f"VACUUM ANALYZE {table}")
    finally:
        conn.close()
    return {"cases": n_cases, "deadlines": n_deadlines, "deadline_status": dict(statuses),
            "health_state": dict(health), "insert_s": inserted, "build_s": time.perf_counter() - started}


def _params(n_cases: int, seed: int, now: datetime) -> dict:
    return {"cases": n_cases, "seed": seed, "now": now.isoformat(), "version": VERSION}


def ready(url: str, n_cases: int, seed: int, now: datetime = NOW) -> bool:
    """Whether the database at `url` is this builder's population of `n_cases`, `seed`, `now`, on
    this checkout's schema (the migrations are applied first, as a region's database would be)."""
    from screening.storage import db

    if not build_db.upgraded_with(url, n_cases):
        return False
    conn = db.connect_raw(url)
    try:
        found = {row["key"]: row["value"] for row in conn.all(f"SELECT key, value FROM {MARKER}")}
    except Exception:  # no marker table: not built by this builder, or interrupted
        return False
    finally:
        conn.close()
    return found == {k: str(v) for k, v in _params(n_cases, seed, now).items()}


def main(argv: list[str] | None = None) -> int:
    from screening.clock import parse_datetime

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="sqlite:///FILE or postgresql+psycopg://… (search_path: a schema of its own)")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--now", default=NOW.replace(tzinfo=None).isoformat(timespec="minutes"),
                        help="the population as it stands then (local Stockholm time; default %(default)s)")
    parser.add_argument("--reset", action="store_true", help="empty the database first")
    args = parser.parse_args(argv)
    if args.reset:
        build_db.reset(args.url)
    step = max(BATCH, args.cases // 10)
    found = build(args.url, args.cases, args.seed, parse_datetime(args.now, "--now"), progress=lambda done, s: (
        print(f"  {done:,} cases, {s:.0f} s", flush=True) if done % step == 0 or done == args.cases else None))
    print(f"{found['cases']:,} cases, {found['deadlines']:,} deadlines in {found['build_s']:.1f} s "
          f"(inserts done at {found['insert_s']:.1f} s)")
    print(f"  health states: {dict(sorted(found['health_state'].items(), key=lambda kv: -kv[1]))}")
    print(f"  deadlines as stored: {found['deadline_status']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
