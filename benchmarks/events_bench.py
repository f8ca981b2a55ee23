"""Write throughput, the past-due deadline query, and the bytes stored per case.

    .venv/bin/python benchmarks/events_bench.py [--events 100000] [--cases 1000000] [--db URL]
                                                [--runs 15] [--small] [--profile [N]] [--json]
                                                [--save FILE] [--only events|query] [--no-sweep]

Three measurements, each against a database of its own (SQLite files under benchmarks/out/
unless --db names a PostgreSQL schema):

  (a) events/s   --events/10 invented children are registered through services.register_case
                 and their events applied through services.apply_event, one SqlUnitOfWork per
                 call (as each CLI command does), in the order they happen: one timeline of
                 every child's registration, health path (notify_parties … hold_examination),
                 school or preschool introduction and vaccination steps, `now` advancing with it,
                 and a deadline sweep (services.run_sweep) every simulated morning. The first
                 --events events of that timeline are applied (the latest children are still in
                 flight at the end). Registrations/s, events/s and the sweeps are reported apart.
  (b) index      --cases cases with their deadlines, built in bulk with SQLAlchemy Core from the
                 same plans (each child as far along as it would be at the query time, deadlines
                 from workflows.deadlines.evaluate at its last event; about 1% of the cases have
                 an open deadline that has fallen due since the last sweep, five minutes before),
                 then the sweep's query for them
                     SELECT case_id, rule, due FROM deadline WHERE status = 'open'
                     AND next_alert_at >= :swept_to AND next_alert_at < :now AND due < :now
                 timed (execute + fetch all rows, DB-API driver, median of --runs after warm-up),
                 and its plan printed (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE): it must use
                 ix_deadline_open_next_alert.
  (c) bytes/case the database of (a) afterwards: SQLite's dbstat (or file size / cases),
                 PostgreSQL's pg_total_relation_size, per table with its indexes, as written and
                 compacted (VACUUM / VACUUM FULL), per case and per write.

Goals (SQLite, the project's 2-core machine): >= 2,000 events/s, the query < 50 ms, < 2 KB per
case. A benchmark reports, it does not fail: the exit code is 0 when a figure misses its goal
(the report says MISSED); it is 1 when the benchmark itself breaks (an event refused, a phase
raising). A query that does not use the index is reported, not failed.

PostgreSQL: give a URL whose search_path names a schema of its own, e.g.
    postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_events
The schema is created if missing, used for (a) and (c), emptied, used for (b), and dropped at
the end (--keep leaves it).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import os
import platform
import pstats
import random
import re
import sqlite3
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from datetime import time as dtime
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_db  # noqa: E402  (also puts the project root on sys.path)

OUT = HERE / "out"
GOALS = {"events_per_s": 2000.0, "query_ms": 50.0, "bytes_per_case": 2048.0}
SMALL = {"events": 2_000, "cases": 20_000, "runs": 7}
WARMUP = 2
BATCH = 5_000
PAST_DUE_SHARE = 0.01  # (b): share of the cases with an open deadline fallen due at the query time
QUERY = ("SELECT case_id, rule, due FROM deadline WHERE status = 'open' "
         "AND next_alert_at >= :swept_to AND next_alert_at < :now AND due < :now")
INDEX = "ix_deadline_open_next_alert"
CASE_OWN = ("screening_case", "deadline", "case_note", "audit")  # the case, its deadlines, notes and audit trail
CASE_TABLES = CASE_OWN + ("alert", "outbox", "booking")  # what grows with cases: alerts, messages, bookings too

# Municipalities weighted roughly by population; users are the demo directory's (one per
# organisation, named like it: ostersund-reception, hc-lugnvik, ostersund-school-norrby, …).
WEIGHTS = {"Östersund": 64, "Krokom": 15, "Åre": 12, "Strömsund": 11, "Härjedalen": 10,
           "Berg": 7, "Bräcke": 6, "Ragunda": 5}
LANGUAGES = ("ar", "fa", "so", "ti", "uk", "prs", "ku", "en", None)
RESULTS_NOTE = "Provsvar (påhittade): inga fynd"
EXAM_NOTE = "Undersökning (påhittad): utan anmärkning"
REASON = "Påhittat skäl"
EVENTS_START = datetime(2024, 11, 4, 8, 0)  # (a): notices over EVENTS_SPAN_DAYS from here
EVENTS_SPAN_DAYS = 730
QUERY_AT = datetime(2026, 11, 23, 10, 0)  # (b): the sweep's `now`; notices over the 2 years before


# --------------------------------------------------------------------------------------------
# Plans: what happens to one child, as (when, user, event, params) steps
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Place:
    municipality: str
    reception: str
    health_centre: str
    schools: tuple[str, ...]
    preschools: tuple[str, ...]
    school_health: str
    bvc: str


@dataclass
class Step:
    when: datetime
    user: str
    role: str
    event: str  # "register" for the first step
    params: dict = field(default_factory=dict)


@dataclass
class Plan:
    place: Place
    registration: dict  # Registration's fields
    steps: list[Step]  # steps[0] is the registration


def places(directory) -> list[Place]:
    found = []
    for m in directory.municipalities:
        def ids(kind):
            return tuple(o.id for o in directory.of_kind(kind) if o.municipality == m)
        found.append(Place(m, ids("reception_unit")[0], directory.default_health_centre(m).id,
                           ids("school"), ids("preschool"), ids("school_health")[0], ids("bvc")[0]))
    return found


def working_time(day: date, rng: random.Random, calendar) -> datetime:
    """A moment of office hours on the first working day from `day`, Europe/Stockholm."""
    from screening.clock import STOCKHOLM

    day = calendar.next_working_day(day)
    return datetime.combine(day, dtime(rng.randint(8, 15), rng.randrange(0, 60, 5)), STOCKHOLM)


def plan_case(rng: random.Random, place: Place, notice: datetime, dossier: int, calendar) -> Plan:
    """One child's registration and steps, each strictly after the one it depends on."""

    def later(previous: datetime, days: int) -> datetime:
        moment = working_time(previous.date() + timedelta(days=days), rng, calendar)
        return moment if moment > previous else previous + timedelta(minutes=rng.randint(10, 90))

    age = rng.randrange(18)
    born = notice.date() - timedelta(days=365 * age + rng.randrange(365))
    school = rng.choice(place.schools) if age >= 6 and rng.random() < 0.9 else None
    preschool = rng.choice(place.preschools) if 1 <= age < 6 and rng.random() < 0.6 else None
    language = rng.choice(LANGUAGES)
    arrival = (notice + timedelta(days=rng.randrange(0, 15))).date() if rng.random() < 0.7 else None
    registration = dict(
        birth_date=born, municipality=place.municipality, notice_at=notice, dossier=str(dossier),
        language=language, interpreter=language not in (None, "en") and rng.random() < 0.8,
        unaccompanied=rng.random() < 0.1, permit=rng.choice(("asylum", "residence", None)),
        arrival=arrival, school=school, preschool=preschool,
    )
    reception, hc = place.reception, place.health_centre
    registered = notice + timedelta(minutes=rng.randint(5, 90))
    steps = [Step(registered, reception, "reception", "register")]

    def add(when, user, role, event, **params):
        steps.append(Step(when, user, role, event, params))
        return when

    # Health path, steps 2-9
    notified = add(later(registered, 0 if rng.random() < 0.85 else rng.choice((1, 2, 3))),
                   reception, "reception", "notify_parties")
    booked = add(later(notified, rng.choice((1, 1, 2, 2, 3, 4, 9))), hc, "health_centre",
                 "book_health_conversation")
    conversation = later(booked, rng.randint(2, 8))
    steps[-1].params["start"] = conversation.isoformat()
    fate = rng.random()
    if fate < 0.02:  # § 5: the family declines
        add(later(booked, rng.randint(1, 5)), hc, "health_centre", "decline", reason=REASON)
        return Plan(place, registration, steps)
    add(conversation, hc, "health_centre", "hold_health_conversation")
    if fate < 0.03:  # moved out between the conversation and the results
        add(later(conversation, rng.randint(1, 10)), reception, "reception", "move_out")
        return Plan(place, registration, steps)
    obstacle = rng.random() < 0.09
    results = add(later(conversation, rng.randint(7, 16)), hc, "health_centre", "record_results",
                  obstacle="yes" if obstacle else "no", note=RESULTS_NOTE)
    add(later(results, rng.choice((0, 1))), hc, "health_centre", "inform_family")
    add(later(results, rng.choice((1, 1, 1, 4))), hc, "health_centre", "inform_reception")
    exam_booked = add(later(results, rng.randint(1, 3)), hc, "health_centre", "book_examination")
    exam = later(exam_booked, rng.randint(5, 20))
    steps[-1].params["start"] = exam.isoformat()
    exam_params = {"note": EXAM_NOTE} if rng.random() < 0.3 else {}
    add(exam, hc, "health_centre", "hold_examination", **exam_params)

    # School track (step 4, 8, 9)
    unit = school or preschool
    if unit:
        role = "school" if school else "preschool"
        held_from = notified
        if school and rng.random() < 0.3:
            held_from = add(later(notified, rng.randint(1, 5)), unit, role, "invite_intro_meeting")
        held = add(later(held_from, rng.randint(2, 7)), unit, role, "hold_intro_meeting")
        planned = add(later(held, rng.randint(1, 5)), unit, role, "make_intro_plan")
        if school:
            start = later(max(planned, registered), rng.randint(3, 20))
        else:  # preschool waits for all results (step 8)
            start = later(max(planned, results), rng.randint(1, 10))
        if start == results:
            start += timedelta(minutes=5)
        if obstacle and start > results:
            add(start, unit, role, "start_with_adaptations", reason=REASON)
        else:
            add(start, unit, role, "start_school" if school else "start_preschool")

    # Vaccination track (vacc 1-2), after the examination: the unit by the routing rule (BVC before
    # school, else school health) assesses; a plan is owed within 20 working days unless complete.
    vaccinator = place.bvc if (preschool or age < 6) and not school else place.school_health
    vaccinator_role = "bvc" if vaccinator == place.bvc else "school_health"
    if school and rng.random() < 0.2:
        add(later(notified, rng.randint(3, 10)), place.school_health, "school_health", "request_records")
    if rng.random() < 0.95:
        status = rng.choices(("complete", "missing", "unknown"), (3, 6, 1))[0]
        assessed = add(later(exam, rng.randint(1, 10)), vaccinator, vaccinator_role,
                       "assess_vaccinations", status=status)
        if status != "complete" and rng.random() < 0.9:
            add(later(assessed, rng.choice((2, 5, 7, 10, 14, 21, 35))), vaccinator, vaccinator_role,
                "make_vaccination_plan")
    return Plan(place, registration, steps)


def make_plans(rng: random.Random, all_places: list[Place], n: int, first_notice: datetime,
               span_days: float, calendar, dossiers) -> list[Plan]:
    """`n` plans, notices on working days from `first_notice` (aware) over `span_days` days."""
    weights = [WEIGHTS.get(p.municipality, 5) for p in all_places]
    plans = []
    for _ in range(n):
        place = rng.choices(all_places, weights)[0]
        day = first_notice.date() + timedelta(days=rng.randrange(max(1, int(span_days))))
        notice = max(working_time(day, rng, calendar), first_notice)
        plans.append(plan_case(rng, place, notice, next(dossiers), calendar))
    return plans


def dossier_numbers(rng: random.Random, n: int):
    return iter(rng.sample(range(10_000_000, 100_000_000), n))


# --------------------------------------------------------------------------------------------
# (a) events through the service layer
# --------------------------------------------------------------------------------------------

def sweep_times(plans: list[Plan], hour: int = 7) -> list[datetime]:
    """One deadline sweep a day at `hour` o'clock from the first notice to the last step.

    The scheduler sweeps every few minutes; once a day raises the same alerts (each is raised once
    per case, rule and kind; reminders come a working day ahead), at a fraction of the cost here.
    """
    from screening.clock import STOCKHOLM

    first = min(p.steps[0].when for p in plans).date()
    last = max(p.steps[-1].when for p in plans).date()
    return [datetime.combine(first + timedelta(days=d), dtime(hour), STOCKHOLM)
            for d in range((last - first).days + 2)]


def run_timeline(url: str, plans: list[Plan], max_events: int, policy, sweeps: bool = True) -> dict:
    """Apply the plans in time order: every registration, the first `max_events` events, and
    (if the product has one, and `sweeps`) a daily deadline sweep until the last of those events."""
    from screening.errors import ScreeningError
    from screening.services.events import record_event
    from screening.services.registration import Registration, register_in
    from screening.services.users import actor_in
    from screening.storage.unit_of_work import SqlUnitOfWork

    timeline = sorted(((s.when, i, k) for i, p in enumerate(plans) for k, s in enumerate(p.steps)))
    from screening.services.alerts import sweep_in

    run_sweep = sweep_in if sweeps else None
    if run_sweep is not None:
        timeline = sorted(timeline + [(when, -1, 0) for when in sweep_times(plans)])
    ids: dict[int, str] = {}
    register_s, event_s, sweep_s = [], [], []
    alerts = 0
    per_event: dict[str, list[float]] = defaultdict(list)
    failures: list[str] = []
    events = 0
    clock = time.perf_counter
    wall = clock()
    for when, i, k in timeline:
        if i < 0:
            if events >= max_events:
                continue
            started = clock()
            with SqlUnitOfWork(url) as uow:  # as the scheduler does: as itself, one transaction
                alerts += len(run_sweep(uow, policy.rules, when))
            sweep_s.append(clock() - started)
            continue
        step = plans[i].steps[k]
        if k == 0:
            reg = Registration(**plans[i].registration)
            started = clock()
            try:
                with SqlUnitOfWork(url) as uow:
                    ids[i], _ = register_in(uow, actor_in(uow, step.user), reg, now=when, recorded_at=when,
                                                       policy=policy)
            except ScreeningError as error:
                failures.append(f"register #{i}: {error.message}")
                continue
            register_s.append(clock() - started)
            continue
        if events >= max_events or i not in ids:
            continue
        events += 1
        started = clock()
        try:
            with SqlUnitOfWork(url) as uow:
                record_event(uow, actor_in(uow, step.user), ids[i], step.event, step.params, policy=policy,
                                     now=when, recorded_at=when)
        except ScreeningError as error:
            failures.append(f"{step.event} on {ids[i]} by {step.user} at {when:%Y-%m-%d %H:%M}: {error.message}")
            continue
        elapsed = clock() - started
        event_s.append(elapsed)
        per_event[step.event].append(elapsed)
    return {
        "wall_s": clock() - wall, "registrations": len(register_s), "register_s": sum(register_s),
        "events": len(event_s), "event_s": sum(event_s), "event_times": event_s,
        "register_times": register_s, "sweeps": len(sweep_s), "sweep_s": sum(sweep_s), "alerts_raised": alerts,
        "per_event": {e: {"n": len(t), "mean_ms": 1000 * statistics.fmean(t)} for e, t in per_event.items()},
        "failures": failures, "last_time": timeline[-1][0] if timeline else None,
    }


def prepare_events_db(url: str) -> None:
    from screening.directory import load_directory
    from screening.services.users import store_directory
    from screening.storage import deployment, migrate
    from screening.storage.unit_of_work import SqlUnitOfWork

    build_db.reset(url)
    migrate.upgrade(url)
    deployment.mark_simulation(url)  # invented children at a set clock: a simulation
    directory = load_directory(None)
    # The plans pick appointment times at random, not around the centres' capacity: give every
    # centre room enough that no booking is refused (the capacity check itself still runs).
    roomy = tuple(replace(org, appointments=replace(org.appointments, capacity=1000)) if org.appointments else org
                  for org in directory.organisations)
    with SqlUnitOfWork(url) as uow:
        store_directory(uow, replace(directory, organisations=roomy), demo_users=True)


def bench_events(url: str, n_events: int, seed: int, profile_events: int, sweeps: bool = True) -> dict:
    from screening.clock import STOCKHOLM
    from screening.directory import load_directory
    from workflows.policy import Policy

    prepare_events_db(url)
    policy = Policy.default()
    all_places = places(load_directory(None))
    rng = random.Random(seed)
    n_cases = max(1, n_events // 10)
    dossiers = dossier_numbers(rng, n_cases + max(1, profile_events // 10) + 10)
    # Notices over two years for 10,000 children; fewer children arrive over a shorter time (down
    # to 90 days), so that a small run does not sweep two years of mostly empty days.
    span = max(90, min(EVENTS_SPAN_DAYS, EVENTS_SPAN_DAYS * n_cases // 10_000))
    plans = make_plans(rng, all_places, n_cases, EVENTS_START.replace(tzinfo=STOCKHOLM), span,
                       policy.calendar, dossiers)
    planned = sum(len(p.steps) - 1 for p in plans)
    result = run_timeline(url, plans, n_events, policy, sweeps)
    result.update(cases=n_cases, planned_events=planned, states=case_states(url))

    if profile_events:
        # More children after the timeline, under cProfile (the timed figures above are not profiled).
        extra = make_plans(rng, all_places, max(1, profile_events // 10), result["last_time"] + timedelta(days=1),
                           30, policy.calendar, dossiers)
        from sqlalchemy import event

        from screening.storage import db

        statements = Counter()

        def count(_conn, _cursor, statement, *_args):
            statements[statement.split(None, 1)[0].upper()] += 1

        engine = db.engine(url)
        event.listen(engine, "before_cursor_execute", count)
        profiler = cProfile.Profile()
        profiler.enable()
        profiled = run_timeline(url, extra, profile_events, policy, sweeps=False)
        profiler.disable()
        event.remove(engine, "before_cursor_execute", count)
        result["profile"] = profile_rows(profiler, profiled)
        result["profile"]["statements"] = dict(statements)
    return result


def case_states(url: str) -> dict:
    from sqlalchemy import inspect, text

    from screening.storage import db

    with db.engine(url).connect() as conn:
        health = dict(conn.execute(text("SELECT health_state, count(*) FROM screening_case GROUP BY health_state")).all())
        status = dict(conn.execute(text("SELECT status, count(*) FROM deadline GROUP BY status")).all())
        notes = conn.execute(text("SELECT count(*) FROM case_note")).scalar_one()
        audit = conn.execute(text("SELECT count(*) FROM audit")).scalar_one()
        alerts = outbox = None
        if inspect(conn).has_table("alert"):
            alerts = dict(conn.execute(text("SELECT kind, count(*) FROM alert GROUP BY kind")).all())
            outbox = conn.execute(text("SELECT count(*) FROM outbox")).scalar_one()
    return {"health_state": health, "deadline_status": status, "case_notes": notes, "audit_rows": audit,
            "deadlines": sum(status.values()), "alerts": alerts, "outbox_rows": outbox}


def profile_rows(profiler: cProfile.Profile, run: dict, top: int = 25) -> dict:
    stats = pstats.Stats(profiler)
    rows = []
    for (filename, line, name), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():
        where = _short_path(filename)
        rows.append({"function": f"{where}:{line}({name})" if line else name, "calls": calls,
                     "tottime_s": tottime, "cumtime_s": cumtime})
    return {
        "events": run["events"], "registrations": run["registrations"],
        "total_s": stats.total_tt,
        "top_cumulative": sorted(rows, key=lambda r: -r["cumtime_s"])[:top],
        "top_own": sorted(rows, key=lambda r: -r["tottime_s"])[:top],
    }


def _short_path(filename: str) -> str:
    for marker in ("site-packages/", str(Path(__file__).resolve().parents[1]) + "/", "lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# --------------------------------------------------------------------------------------------
# (b) the past-due query on a large database built in bulk
# --------------------------------------------------------------------------------------------

def _dest_table() -> dict:
    from workflows.agreement import TRACKS

    dest = {}
    for track, (_, rows, _) in TRACKS.items():
        for row in rows:
            if row["dest"] is not None:
                dest.setdefault(row["trigger"], (track, row["dest"]))
    return dest


def build_deadline_db(url: str, n_cases: int, seed: int, query_at: datetime,
                      share: float = PAST_DUE_SHARE, progress=None) -> dict:
    """`n_cases` cases each as far along as its plan is at `query_at`, with deadlines and the
    `register` audit row, inserted with SQLAlchemy Core, 5,000 cases per transaction.

    Deadlines are evaluated at the case's last event; of the open ones fallen due by `query_at`
    (a stalled step, an 18th birthday), those of `share` of the cases have come up since the last
    sweep (five minutes before `query_at`), the rest were swept before (behind its mark).
    """
    from sqlalchemy import insert

    from screening.directory import load_directory
    from screening.model import Actor, Case
    from screening.services.users import store_directory
    from screening.storage import db, deployment, migrate
    from screening.storage.codec import case_to_row
    from screening.storage.tables import AuditRow, CaseRow, DeadlineRow
    from screening.storage.unit_of_work import SqlUnitOfWork
    from workflows.deadlines import evaluate
    from workflows.events import EVENTS, record
    from workflows.policy import Policy

    migrate.upgrade(url)
    deployment.mark_simulation(url)  # invented children at a set clock: a simulation
    directory = load_directory(None)
    with SqlUnitOfWork(url) as uow:
        store_directory(uow, directory, demo_users=True)
    policy = Policy.default()
    rules, calendar = policy.rules, policy.calendar
    dest = _dest_table()
    all_places = places(directory)
    actors = {}

    def actor(step: Step) -> Actor:  # the demo users: one per organisation, named like it
        if step.user not in actors:
            org = directory.get(step.user)
            actors[step.user] = Actor(step.user, step.role, org.id, org.kind, org.municipality)
        return actors[step.user]

    rng = random.Random(seed)
    ids = build_db._unique_ids(rng, n_cases)
    dossiers = dossier_numbers(rng, n_cases)
    span = 2 * 365
    first = query_at - timedelta(days=span)
    engine = db.engine(url)
    tables = CaseRow.__table__, DeadlineRow.__table__, AuditRow.__table__
    register_kind, user_no = build_db.audit_numbers(url)
    kept = past_due_candidates = n_deadlines = 0
    for start in range(0, n_cases, BATCH):
        count = min(BATCH, n_cases - start)
        plans = make_plans(rng, all_places, count, first, span, calendar, dossiers)
        cases, deadlines, audits, candidates = [], [], [], []
        for offset, plan in enumerate(plans):
            reg, register = plan.registration, plan.steps[0]
            if register.when > query_at:
                register.when = query_at - timedelta(minutes=1)
                reg["notice_at"] = min(reg["notice_at"], register.when)
            case = Case(
                id=ids[start + offset], municipality=reg["municipality"], birth_date=reg["birth_date"],
                notice_at=reg["notice_at"], health_state="registered", dossier=reg["dossier"],
                language=reg["language"], interpreter=reg["interpreter"], unaccompanied=reg["unaccompanied"],
                permit=reg["permit"], arrival=reg["arrival"], health_centre_id=plan.place.health_centre,
                school_id=reg["school"], preschool_id=reg["preschool"],
                created_at=register.when, updated_at=register.when,
            )
            last = register.when
            for step in plan.steps[1:]:
                if step.when > query_at:
                    break
                params = EVENTS[step.event].parse(step.event, step.params)
                record(case, step.event, step.when, params, actor(step))
                if step.event == "assess_vaccinations":
                    track, state = "vaccination", ("not_needed" if params["status"] == "complete" else "assessed")
                else:
                    track, state = dest.get(step.event, (None, None))
                if track:
                    setattr(case, f"{track}_state", state)
                case.updated_at = last = step.when
                case.version += 1
                case.events.clear()
            cases.append(case_to_row(case))
            audits.append({"case_id": case.id, "kind": register_kind, "at": case.notice_at,
                           "recorded_at": register.when, "user_no": user_no[register.user], "detail": None})
            mine = []
            for d in evaluate(case, rules, calendar, last):
                row = {"case_id": case.id, "rule": d.rule, "owner": d.owner, "starts": d.starts, "due": d.due,
                       "status": "open" if d.status == "breached" else d.status,  # stored open, shown breached
                       "met_at": d.met_at, "attributed_to": d.attributed_to, "next_alert_at": next_alert(d, query_at)}
                deadlines.append(row)
                if d.status == "open" and d.due < query_at:  # past due since its last event
                    mine.append(row)
            if mine:
                candidates.append(mine)
        # Keep the cumulative share of cases with an open past-due deadline at `share`.
        past_due_candidates += len(candidates)
        rng.shuffle(candidates)
        want = max(0, round(share * (start + count)) - kept)
        for rows in candidates[want:]:  # swept before: alerted, behind the sweep's mark
            for row in rows:
                row["attributed_to"] = row["owner"]
        for rows in candidates[:want]:  # come up since the last sweep (as an event after it leaves them)
            for row in rows:
                row["next_alert_at"] = max(row["next_alert_at"], query_at - LAST_SWEEP)
        kept += min(want, len(candidates))
        n_deadlines += len(deadlines)
        with engine.begin() as conn:
            conn.execute(insert(tables[0]), cases)
            conn.execute(insert(tables[1]), deadlines)
            conn.execute(insert(tables[2]), audits)
        if progress:
            progress(start + count)
    if db.is_sqlite(url):
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    else:
        from sqlalchemy import inspect

        with engine.connect() as conn:  # what autovacuum would have done on a server that grew to this
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in inspect(conn).get_table_names():
                conn.exec_driver_sql(f"VACUUM ANALYZE {table}")
    return {"cases": n_cases, "deadlines": n_deadlines, "cases_past_due": kept,
            "cases_past_due_candidates": past_due_candidates}


LAST_SWEEP = timedelta(minutes=5)  # the scheduler's interval: the sweep before the measured one


def next_alert(deadline, query_at: datetime) -> datetime:
    """As the scheduler's earlier sweeps left it: reminded (looked at next at its due) if its
    reminder time came before the last sweep, five minutes before the query time."""
    if deadline.remind_at is None or deadline.remind_at <= query_at - LAST_SWEEP:
        return deadline.due
    return deadline.remind_at


def settle_reminders(url: str, query_at: datetime) -> int:
    """Put the sweep's mark where the scheduler's sweep five minutes before the query time left it,
    with the reminders whose time came before it raised. Returns the rows changed."""
    from screening.storage import db

    conn = db.connect_raw(url)
    try:
        conn.begin()
        last = conn.timestamp(query_at - LAST_SWEEP)
        conn.execute("UPDATE sweep_mark SET swept_to = :last WHERE id = 1", {"last": last})
        changed = conn.execute("UPDATE deadline SET next_alert_at = due WHERE status = 'open' "
                               "AND next_alert_at < :last AND next_alert_at < due", {"last": last}).rowcount
        conn.commit()
        return changed
    finally:
        conn.close()


def deadline_db_ready(url: str, n_cases: int) -> bool:
    """A bulk database of (b) with exactly `n_cases` cases and its deadlines (reusable; one built
    on an older schema is upgraded by the migrations, as a region's database would be)."""
    from screening.storage import db

    if not build_db.upgraded_with(url, n_cases):
        return False
    conn = db.connect_raw(url)
    try:
        return conn.scalar("SELECT count(*) FROM deadline") >= n_cases
    finally:
        conn.close()


def time_query(url: str, query_at: datetime, runs: int) -> dict:
    """The sweep's query with the DB-API driver (as the read model runs its queries)."""
    from screening.storage import db

    raw = db.connect_raw(url)
    conn = raw.conn
    now = raw.timestamp(query_at)
    sqlite = isinstance(conn, sqlite3.Connection)
    sql = QUERY if sqlite else QUERY.replace(":now", "%(now)s").replace(":swept_to", "%(swept_to)s")
    params = {"now": now, "swept_to": raw.timestamp(query_at - LAST_SWEEP)}

    def once() -> tuple[float, int]:
        started = time.perf_counter()
        cur = conn.cursor()
        cur.execute(sql, params)
        rows = cur.fetchall()
        return time.perf_counter() - started, len(rows)

    for _ in range(WARMUP):
        once()
    samples = [once() for _ in range(runs)]
    times = sorted(t for t, _ in samples)
    cur = conn.cursor()
    if sqlite:
        cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = [row[-1] for row in cur.fetchall()]
    else:
        cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = [row[0] for row in cur.fetchall()]
    counts = {}
    for key, where in (("deadlines", "1 = 1"), ("open", "status = 'open'")):
        cur.execute(f"SELECT count(*) FROM deadline WHERE {where}")
        counts[key] = cur.fetchone()[0]
    raw.close()
    return {
        "median_ms": 1000 * statistics.median(times), "p90_ms": 1000 * times[max(0, math.ceil(0.9 * len(times)) - 1)],
        "min_ms": 1000 * times[0], "max_ms": 1000 * times[-1], "runs": runs, "rows": samples[0][1],
        "plan": plan, "uses_index": any(INDEX in line for line in plan),
        "times_ms": [round(1000 * t, 3) for t, _ in samples], **counts,
    }


# --------------------------------------------------------------------------------------------
# (c) bytes per case
# --------------------------------------------------------------------------------------------

def storage(url: str, n_cases: int, compact: bool = False) -> dict:
    """Bytes per table (with its indexes) and per case; with `compact`, after VACUUM (FULL)."""
    from screening.storage import db

    if db.is_sqlite(url):
        db.engine(url).dispose()  # nothing of ours holds the file open
        return _sqlite_storage(db.sqlite_path(url), n_cases, compact)
    return _pg_storage(url, n_cases, compact)


def _sqlite_storage(path: str, n_cases: int, compact: bool) -> dict:
    pass

    conn = sqlite3.connect(path, isolation_level=None)
    if compact:
        conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    free = conn.execute("PRAGMA freelist_count").fetchone()[0] * page_size
    owner = {name: table for name, table in conn.execute("SELECT name, tbl_name FROM sqlite_master")}
    tables: dict[str, dict] = {}
    try:
        objects = conn.execute("SELECT name, SUM(pgsize), SUM(payload), COUNT(*) FROM dbstat GROUP BY name").fetchall()
        method = "dbstat"
    except sqlite3.OperationalError:  # SQLite built without SQLITE_ENABLE_DBSTAT_VTAB
        objects, method = [], "file size"
    for name, size, payload, pages in objects:
        table = owner.get(name, name)
        entry = tables.setdefault(table, {"table": 0, "indexes": 0, "payload": 0, "objects": {}})
        entry["table" if name == table else "indexes"] += size
        entry["payload"] += payload
        entry["objects"][name] = size
    conn.close()
    file_size = Path(path).stat().st_size
    return _storage_summary(tables, n_cases, file_size, method, free)


def _pg_storage(url: str, n_cases: int, compact: bool) -> dict:
    import psycopg

    from screening.storage import db

    conn = psycopg.connect(db.psycopg_conninfo(url), autocommit=True)
    if compact:
        conn.execute("VACUUM (FULL, ANALYZE)")
    rows = conn.execute(
        "SELECT c.relname, pg_table_size(c.oid), pg_indexes_size(c.oid), pg_total_relation_size(c.oid) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() AND c.relkind = 'r'").fetchall()
    database = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    conn.close()
    tables = {name: {"table": heap, "indexes": idx, "total": total, "objects": {}} for name, heap, idx, total in rows}
    return _storage_summary(tables, n_cases, None, "pg_total_relation_size", 0, database)


def _storage_summary(tables: dict, n_cases: int, file_size, method: str, free: int, database=None) -> dict:
    for entry in tables.values():
        entry.setdefault("total", entry["table"] + entry["indexes"])
        entry["per_case"] = entry["total"] / n_cases
    case_total = sum(tables[t]["total"] for t in CASE_TABLES if t in tables)
    own_total = sum(tables[t]["total"] for t in CASE_OWN if t in tables)
    other = sum(e["total"] for name, e in tables.items() if name not in CASE_TABLES)
    if method == "file size":
        case_total = own_total = file_size
    return {
        "method": method, "cases": n_cases, "tables": tables, "case_tables_bytes": case_total,
        "other_bytes": other, "free_bytes": free, "file_bytes": file_size, "database_bytes": database,
        "bytes_per_case": case_total / n_cases, "own_bytes_per_case": own_total / n_cases,
    }


# --------------------------------------------------------------------------------------------
# PostgreSQL schema handling, main, report
# --------------------------------------------------------------------------------------------

def pg_schema(url: str) -> str:
    options = " ".join(parse_qs(urlsplit(url).query).get("options", []))
    found = re.search(r"search_path\s*=\s*([A-Za-z_][A-Za-z0-9_]*)", unquote(options))
    if not found or found.group(1) == "public":
        raise SystemExit("give a PostgreSQL URL whose search_path names a schema of its own, e.g. "
                         "…/test?options=-csearch_path%3Dbench_events")
    return found.group(1)


def pg_schema_sql(url: str, sql: str) -> None:
    import psycopg

    from screening.storage import db

    with psycopg.connect(db.psycopg_conninfo(url), autocommit=True) as conn:
        conn.execute(sql)


def machine() -> dict:
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="events applied in (a) (default 100000)")
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases of the bulk database of (b) (default 1000000)")
    parser.add_argument("--db", help="database URL (default: SQLite files under benchmarks/out/)")
    parser.add_argument("--runs", type=int, default=15, help="timed runs of the query (default 15)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--small", action="store_true", help="CI smoke size: --events 2000 --cases 20000 --runs 7")
    parser.add_argument("--only", choices=("events", "query"), help="run (a)+(c) or (b) only")
    parser.add_argument("--rebuild", action="store_true", help="rebuild (b)'s SQLite database even if reusable")
    parser.add_argument("--keep", action="store_true", help="PostgreSQL: keep the schema at the end")
    parser.add_argument("--no-sweep", action="store_true", help="(a) without the daily deadline sweep")
    parser.add_argument("--profile", nargs="?", type=int, const=5000, default=0, metavar="EVENTS",
                        help="also cProfile this many more events after (a) (default 5000)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of the report")
    parser.add_argument("--save", metavar="FILE", help="also write the JSON document to FILE (after every phase)")
    args = parser.parse_args(argv)
    if args.small:
        args.events, args.cases, args.runs = SMALL["events"], SMALL["cases"], SMALL["runs"]
    if args.events < 10 or args.cases < 100 or args.runs < 1:
        parser.error("--events must be at least 10, --cases at least 100, --runs at least 1")

    from screening.clock import STOCKHOLM
    from screening.storage import db

    OUT.mkdir(exist_ok=True)
    sqlite = args.db is None or db.is_sqlite(args.db)
    if args.db is None:
        events_url = f"sqlite:///{OUT / f'events-{args.events}.db'}"
        query_url = f"sqlite:///{OUT / f'deadlines-{args.cases}.db'}"
    elif sqlite:
        events_url = args.db
        path = db.sqlite_path(args.db)
        query_url = f"sqlite:///{path[:-3] if path.endswith('.db') else path}-deadlines-{args.cases}.db"
    else:
        events_url = query_url = args.db
        schema = pg_schema(args.db)
        pg_schema_sql(args.db, f"CREATE SCHEMA IF NOT EXISTS {schema}")

    query_at = QUERY_AT.replace(tzinfo=STOCKHOLM)
    say = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))
    report = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
              "backend": "sqlite" if sqlite else "postgresql", "goals": GOALS,
              "load_1min": [round(os.getloadavg()[0], 2)], "events": None, "storage": None,
              "storage_compacted": None, "query": None, "bulk": None}
    failures: list[str] = []

    def save() -> None:  # after every phase, so that a later failure does not lose the figures
        report["load_1min"] = report["load_1min"][:1] + [round(os.getloadavg()[0], 2)]
        report["error"] = "; ".join(failures) or None
        if args.save:
            Path(args.save).write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")

    def phase(name: str, run) -> None:
        try:
            run()
        except Exception as error:  # a broken phase is reported; the other phases still run
            import traceback

            traceback.print_exc()
            failures.append(f"{name}: {type(error).__name__}: {error}")
        save()

    def events_and_storage() -> None:
        say(f"(a) {args.events} events, {max(1, args.events // 10)} cases: {db.redact(events_url)} …")
        started = time.perf_counter()
        result = bench_events(events_url, args.events, args.seed, args.profile, not args.no_sweep)
        say(f"    done in {time.perf_counter() - started:.1f} s")
        report["events"] = {k: v for k, v in result.items() if k not in ("event_times", "register_times", "last_time")}
        report["events"]["event_latency_ms"] = _latency(result["event_times"])
        report["events"]["register_latency_ms"] = _latency(result["register_times"])
        report["events"]["db"] = db.redact(events_url)
        if result["failures"]:
            failures.append(f"(a): {len(result['failures'])} steps refused, first: {result['failures'][0]}")
        save()
        say("(c) storage …")
        n = result["registrations"] or 1
        report["storage"] = storage(events_url, n)
        report["storage_compacted"] = storage(events_url, n, compact=True)
        for key in ("storage", "storage_compacted"):  # the cost of one more write, to scale with
            report[key]["writes"] = result["registrations"] + result["events"]
            report[key]["bytes_per_write"] = report[key]["case_tables_bytes"] / max(1, report[key]["writes"])

    def query() -> None:
        if not sqlite:
            build_db.reset(query_url)
        reused = not args.rebuild and sqlite and deadline_db_ready(query_url, args.cases)
        bulk = {"db": db.redact(query_url), "reused": reused, "build_s": 0.0}
        if not reused:
            build_db.reset(query_url)
            say(f"(b) building {args.cases} cases in bulk: {db.redact(query_url)} …")
            started = time.perf_counter()
            step = max(BATCH, args.cases // 10)
            bulk.update(build_deadline_db(query_url, args.cases, args.seed, query_at, progress=lambda done: (
                say(f"    {done} cases, {time.perf_counter() - started:.0f} s") if done % step == 0 else None)))
            bulk["build_s"] = time.perf_counter() - started
        settle_reminders(query_url, query_at)
        say("(b) timing the query …")
        report["query"] = time_query(query_url, query_at, args.runs)
        report["query"]["query_at"] = query_at.isoformat()
        report["query"]["cases"] = args.cases
        report["bulk"] = bulk
        bulk["storage"] = storage(query_url, args.cases)

    try:
        if args.only != "query":
            phase("(a)+(c)", events_and_storage)
        if args.only != "events":
            phase("(b)", query)
    finally:
        if not sqlite and not args.keep:
            db.engine.cache_clear()
            pg_schema_sql(args.db, f"DROP SCHEMA IF EXISTS {pg_schema(args.db)} CASCADE")
    save()
    if args.json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        print_report(report)
    if failures:
        sys.stderr.write(f"events_bench: broken: {report['error']}\n")
        return 1
    return 0


def _latency(times: list[float]) -> dict | None:
    if not times:
        return None
    ordered = sorted(times)
    return {"median": 1000 * statistics.median(ordered),
            "p90": 1000 * ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)],
            "p99": 1000 * ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)],
            "max": 1000 * ordered[-1]}


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def print_report(r: dict) -> None:
    m = r["machine"]
    print(f"Events, past-due query and storage, {r['date']} — {m['cpus']} CPUs, Python {m['python']}, "
          f"SQLite {m['sqlite']}, {m['platform']}")
    print(f"backend: {r['backend']}; 1-min load average {r['load_1min'][0]:.2f} before, {r['load_1min'][-1]:.2f} after")
    e = r["events"]
    if e:
        rate = e["events"] / e["event_s"] if e["event_s"] else 0.0
        reg_rate = e["registrations"] / e["register_s"] if e["register_s"] else 0.0
        goal = GOALS["events_per_s"]
        print(f"\n(a) through the service layer, one unit of work per call: {e['db']}")
        print(f"    {e['cases']} children, {e['planned_events']} events planned, wall {e['wall_s']:.1f} s")
        lat = e["register_latency_ms"] or {}
        print(f"    registrations {e['registrations']:>8}  in {e['register_s']:7.1f} s = {reg_rate:7.0f} /s"
              f"   (median {lat.get('median', 0):.2f} ms, p99 {lat.get('p99', 0):.2f} ms)")
        lat = e["event_latency_ms"] or {}
        print(f"    events        {e['events']:>8}  in {e['event_s']:7.1f} s = {rate:7.0f} /s"
              f"   (median {lat.get('median', 0):.2f} ms, p99 {lat.get('p99', 0):.2f} ms)"
              f"   goal >= {goal:.0f} /s: {_verdict(rate >= goal)}")
        print("    mean ms per event:  " + ", ".join(
            f"{name} {x['mean_ms']:.2f} ({x['n']})" for name, x in sorted(e["per_event"].items(), key=lambda kv: -kv[1]["n"])))
        s = e["states"]
        print(f"    afterwards: health states {s['health_state']}")
        print(f"                {s['deadlines']} deadlines {s['deadline_status']}, {s['case_notes']} notes, "
              f"{s['audit_rows']} audit rows")
        if e.get("sweeps"):
            print(f"                {e['sweeps']} daily sweeps in {e['sweep_s']:.1f} s "
                  f"({1000 * e['sweep_s'] / e['sweeps']:.1f} ms each, not in the events/s), "
                  f"alerts {s['alerts']}, {s['outbox_rows']} outbox rows")
        if e["failures"]:
            print(f"    FAILED steps: {len(e['failures'])}; first: " + "; ".join(e["failures"][:3]))
    if r["storage"]:
        _print_storage("(c) bytes per case after (a)", r["storage"], r["storage_compacted"], goal=GOALS["bytes_per_case"])
    q = r["query"]
    if q:
        b = r["bulk"]
        built = "reused" if b["reused"] else f"built in {b['build_s']:.0f} s"
        print(f"\n(b) past-due open deadlines among {q['cases']} cases: {b['db']} ({built})")
        print(f"    {QUERY}   now = {q['query_at']}")
        print(f"    {q['deadlines']} deadlines, {q['open']} open, {q['rows']} rows returned "
              f"({100 * q['rows'] / q['cases']:.2f} % of cases)")
        print(f"    median {q['median_ms']:.2f} ms, p90 {q['p90_ms']:.2f} ms, min {q['min_ms']:.2f} ms "
              f"({q['runs']} runs after {WARMUP} warm-up)   goal < {GOALS['query_ms']:.0f} ms: "
              f"{_verdict(q['median_ms'] < GOALS['query_ms'])}")
        print(f"    uses {INDEX}: {'yes' if q['uses_index'] else 'NO'}; plan:")
        for line in q["plan"]:
            print(f"      {line}")
        _print_storage("    storage of the bulk database (one `register` audit row per case, no notes)",
                       b["storage"], None, goal=None)
    p = (e or {}).get("profile")
    if p:
        print(f"\ncProfile of {p['events']} more events and {p['registrations']} registrations "
              f"({p['total_s']:.1f} s under the profiler)")
        calls = p["events"] + p["registrations"]
        print(f"  SQL statements sent: {sum(p['statements'].values())} "
              f"({sum(p['statements'].values()) / max(1, calls):.1f} per call): "
              + ", ".join(f"{k} {v}" for k, v in sorted(p["statements"].items(), key=lambda kv: -kv[1])))
        for title, key in (("cumulative", "top_cumulative"), ("own time", "top_own")):
            print(f"  top by {title}:   {'calls':>8} {'own s':>7} {'cum s':>7}")
            for row in p[key]:
                print(f"    {row['function'][:90]:<90} {row['calls']:>8} {row['tottime_s']:>7.2f} {row['cumtime_s']:>7.2f}")
    if r.get("error"):
        print(f"\nBROKEN: {r['error']}")


def _print_storage(title: str, s: dict, compacted: dict | None, goal: float | None) -> None:
    print(f"\n{title} ({s['method']}, {s['cases']} cases):")
    header = f"    {'table (with its indexes)':<28} {'table B':>12} {'indexes B':>12} {'total B':>12} {'B/case':>8}"
    if compacted:
        header += f" {'compacted B/case':>17}"
    print(header)
    names = [t for t in CASE_TABLES if t in s["tables"]] + sorted(t for t in s["tables"] if t not in CASE_TABLES)
    for name in names:
        x = s["tables"][name]
        line = f"    {name:<28} {x['table']:>12} {x['indexes']:>12} {x['total']:>12} {x['per_case']:>8.0f}"
        if compacted and name in compacted["tables"]:
            line += f" {compacted['tables'][name]['per_case']:>17.0f}"
        print(line)
    verdict = "" if goal is None else f"   goal < {goal:.0f}: {_verdict(s['own_bytes_per_case'] < goal)}"
    line = f"    {'case, deadlines, notes, audit':<28} {'':>12} {'':>12} {'':>12} {s['own_bytes_per_case']:>8.0f}"
    if compacted:
        line += f" {compacted['own_bytes_per_case']:>17.0f}"
    print(line + verdict)
    line = f"    {'with alerts, outbox, bookings':<28} {'':>12} {'':>12} {s['case_tables_bytes']:>12} {s['bytes_per_case']:>8.0f}"
    if compacted:
        line += f" {compacted['bytes_per_case']:>17.0f}"
    print(line)
    extra = []
    if s.get("writes"):
        per_write = f"{s['bytes_per_write']:.0f} B" + (f" ({compacted['bytes_per_write']:.0f} B compacted)" if compacted else "")
        extra.append(f"{per_write} per write ({s['writes']} registrations and events)")
    if s["file_bytes"] is not None:
        extra.append(f"file {s['file_bytes']} B ({s['file_bytes'] / s['cases']:.0f} B/case), free pages {s['free_bytes']} B")
    if s.get("database_bytes"):
        extra.append(f"whole database {s['database_bytes']} B")
    if extra:
        print("    " + "; ".join(extra))


if __name__ == "__main__":
    sys.exit(main())
