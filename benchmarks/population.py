"""A synthetic country's year of newly arrived children, driven through the service layer.

    python benchmarks/population.py URL --children N [--seed S] [--workers K] [--year 2025]
                                    [--small] [--reset] [--sweep] [--sample M] [--directory-out FILE]

    python benchmarks/population.py sqlite:///benchmarks/out/country.db --children 100000 --reset
    python benchmarks/population.py --workers 2 --children 100000 --reset \
        'postgresql+psycopg://postgres@127.0.0.1:5432/test?options=-csearch_path%3Dbench_country'

- **The country** (`country`, `directory_toml`): 21 invented regions with Sweden's numbers of
  municipalities (290 in all), invented municipality names, sizes on a Zipf-like curve. The
  product holds one directory per database (a region and its municipalities), so the whole
  country is ONE directory: its "region" is the country and the 21 regions are only names (each
  has a coordinator organisation; a coordinator sees every case). Every municipality has its
  reception unit, social services for unaccompanied children, school health, a BVC, schools and
  preschools by size, and health centres with newly-arrived hours and a capacity scaled to the
  municipality's share of the year's children at the surge's peak week (`centres`). Loaded with
  `load_directory(demo_users=True)`: an `admin` and one user per organisation, named
  like it. All contact data is invented (`.example`).
- **Arrival waves** (`Waves`): notices over the year at a seasonal base rate (highest in late
  summer) plus a surge (as autumn 2015: up to four times the base rate for some weeks in
  October-November); working days mostly, some after the 16:00 cut-off, a few at weekends and
  holidays. A child of the surge has the surge's languages and a larger unaccompanied share
  (`STEADY`, `SURGE`); unaccompanied children are mostly 15-17.
- **Plans**: `build_population.Planner.plan` (imported, not copied): arrival around the notice,
  school or preschool by age, the agreement's steps with their delays (late ones, stalls,
  declines, cancelled bookings, move-outs, closes, children already in Sweden). Here the notice
  comes from the waves, and the child's profile (language, interpreter, unaccompanied, the age
  of an unaccompanied child, which of the municipality's health centres) is this module's.
- **Driving**: every step is one call of the service layer in its own unit of work, with `now`,
  `at` and `recorded_at` the simulated time, in global time order (a heap: the children's steps
  interleave as in reality): `register_case`, then `apply_event`. A booking asks the health
  centre for its first free time from the planned one (`workflows.slots.first_free` over the
  centre's bookings, in the booking's own unit of work, as `case book` does) and books it; if that
  time is later than planned, the child's later steps move with it (by working days).
- **Workers**: with `--workers K`, K processes each drive the children of a disjoint set of
  municipalities (balanced by size): the cases are independent, and a health centre is booked
  by one process only. Per-child random streams (`Random(f"{seed}:{i}")`) make the population
  the same whatever K.

Prints the children, events applied, events refused by the rules (there should be none), the
time, events/s, children/s and the bytes per case (`events_bench.storage`).
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import itertools
import json
import math
import multiprocessing
import os
import random
import resource
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import build_db  # noqa: E402  (also puts the project root on sys.path)
import build_population  # noqa: E402
import events_bench  # noqa: E402

from screening.clock import STOCKHOLM  # noqa: E402

SMALL_CHILDREN = 200
REGION_SIZES = (26, 8, 9, 13, 13, 8, 12, 1, 5, 33, 6, 49, 16, 12, 10, 15, 10, 7, 8, 15, 14)  # Sweden's: 290
ZIPF = 0.83  # municipality size ~ rank ** -ZIPF: the largest about 10 % of the arrivals
NAME_HEADS = ("Björk", "Gran", "Tall", "Ek", "Sjö", "Berg", "Dal", "Lund", "Hög", "Norr", "Sör", "Väster",
              "Öster", "Stor", "Lill", "Sand", "Sten", "Fors", "Hammar", "Kvarn", "Linde", "Ljung", "Rön",
              "Skog", "Strand", "Älv", "Ås", "Myr", "Hassel", "Lövs", "Mal", "Örn", "Ulv", "Varg")
NAME_TAILS = ("by", "vik", "å", "ås", "dal", "holm", "köping", "sala", "sund", "fors", "berga", "hult",
              "ryd", "torp", "stad", "näs", "mo", "lunda", "bo", "backa", "hamn", "tuna")

# Waves: the base rate is seasonal (highest at BASE_PEAK_DAY); the surge is a bell around
# SURGE_DAY, SURGE_HEIGHT times the base rate at its top (four times in all).
BASE_SEASON, BASE_PEAK_DAY = 0.25, 240
SURGE_HEIGHT, SURGE_DAY, SURGE_SD = 3.0, 295, 16.0
CLOSED_DAY_RATE = 0.08  # a weekend or holiday, against a working day
AFTER_HOURS = 0.08  # of a working day's notices: after the 16:00 cut-off


@dataclass(frozen=True)
class Profile:
    """Who arrives: languages (None: not known at the notice), the interpreter need and the
    unaccompanied share."""

    languages: dict
    unaccompanied: float
    interpreter: float = 0.85


STEADY = Profile({"ar": 22, "uk": 14, "so": 9, "ti": 8, "fa": 7, "prs": 6, "ku": 6, "en": 6, "ru": 4, "tr": 3,
                  "sq": 3, None: 5}, unaccompanied=0.07)
SURGE = Profile({"ar": 38, "prs": 22, "fa": 10, "ti": 9, "so": 6, "ku": 5, "en": 2, None: 4}, unaccompanied=0.35)
UNACCOMPANIED_AGES = {6: 1, 7: 1, 8: 1, 9: 1, 10: 1, 11: 2, 12: 3, 13: 6, 14: 10, 15: 18, 16: 27, 17: 30}

# Health centres: CHILDREN_PER_CENTRE a year each (at most MAX_CENTRES a municipality); chair
# hours a child (a conversation of 60 min, 90 with an interpreter, and an examination of 30/45);
# the peak week's need times HEADROOM must fit the weekly hours times the capacity.
CHILDREN_PER_CENTRE, MAX_CENTRES = 1_000, 12
CHAIR_HOURS, HEADROOM = 2.0, 1.5
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
HOURS = (  # (hours a week, appointment hours): the smallest that fits with capacity <= 2
    (6.0, {"tue": ["08:30-11:30"], "thu": ["08:30-11:30"]}),
    (16.5, {d: ["08:30-11:30", "13:00-15:30"] for d in ("mon", "wed", "fri")}),
    (37.5, {d: ["08:00-12:00", "13:00-16:30"] for d in WEEKDAYS}),
    (47.5, {d: ["08:00-17:30"] for d in WEEKDAYS}),
)
HOLD = {"conversation": "hold_health_conversation", "examination": "hold_examination"}
KIND_OF_EVENT = {"book_health_conversation": "conversation", "book_examination": "examination"}


# --------------------------------------------------------------------------------------------
# The country and its directory
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Municipality:
    name: str
    slug: str
    region: int  # 1..21
    share: float  # of the country's arrivals


def slug(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name.casefold()).encode("ascii", "ignore").decode()
    return "".join(ch if ch.isalnum() else "-" for ch in folded).strip("-")


def country(seed: int) -> list[Municipality]:
    """290 invented municipalities in 21 regions, sized on a Zipf-like curve (random ranks)."""
    rng = random.Random(f"{seed}:country")
    names = sorted({h + t for h in NAME_HEADS for t in NAME_TAILS}, key=lambda n: (slug(n), n))
    names = rng.sample(names, sum(REGION_SIZES))
    ranks = list(range(1, len(names) + 1))
    rng.shuffle(ranks)
    sizes = [r ** -ZIPF * math.exp(rng.gauss(0, 0.15)) for r in ranks]
    total = sum(sizes)
    regions = [r for r, n in enumerate(REGION_SIZES, 1) for _ in range(n)]
    found = [Municipality(n.capitalize(), slug(n), reg, size / total) for n, reg, size in zip(names, regions, sizes)]
    assert len({m.slug for m in found}) == len(found)
    return found


def centres(m: Municipality, children: int, peak_week: float) -> list[dict]:
    """The municipality's health centres: how many, their weekly hours and capacity, so that the
    surge's peak week needs at most 1/HEADROOM of what they offer."""
    yearly = children * m.share
    n = max(1, min(MAX_CENTRES, round(yearly / CHILDREN_PER_CENTRE)))
    need = yearly / n * peak_week * CHAIR_HOURS * HEADROOM  # chair hours in the peak week, each centre
    weekly, hours = next(((w, h) for w, h in HOURS if need / w <= 2), HOURS[-1])
    capacity = max(1, math.ceil(need / weekly))
    return [{"id": f"hc-{m.slug}-{k}", "kind": "health_centre", "name": f"Hälsocentralen {m.name} {k}",
             "municipality": m.name, "email": f"hc-{m.slug}-{k}@region{m.region:02d}.example", "serves": [m.name],
             "appointments": {"capacity": capacity, "conversation_minutes": 60, "conversation_minutes_interpreter": 90,
                              "examination_minutes": 30, "examination_minutes_interpreter": 45, "hours": hours}}
            for k in range(1, n + 1)]


def organisations(municipalities: list[Municipality], children: int, peak_week: float) -> list[dict]:
    """Every organisation of the country, as the directory's [[organisations]] tables."""
    orgs = [{"id": f"region-{r:02d}-coordinator", "kind": "coordinator", "name": f"Samordnare, Region {r:02d}",
             "email": f"flyktinghalsan@region{r:02d}.example"} for r in range(1, len(REGION_SIZES) + 1)]
    for m in municipalities:
        yearly = children * m.share
        mail = f"{m.slug}.kommun.example"
        orgs += centres(m, children, peak_week)
        orgs += [
            {"id": f"{m.slug}-reception", "kind": "reception_unit", "name": f"Mottagningsenheten {m.name}",
             "municipality": m.name, "email": f"mottagning@{mail}", "address": f"Kommunhusgatan 1, {m.name}"},
            {"id": f"{m.slug}-social", "kind": "reception_unit", "for_unaccompanied": True,
             "name": f"Socialtjänsten {m.name}, ensamkommande barn", "municipality": m.name,
             "email": f"ensamkommande@{mail}"},
            {"id": f"{m.slug}-school-health", "kind": "school_health", "name": f"Elevhälsan {m.name}",
             "municipality": m.name, "email": f"elevhalsan@{mail}"},
            {"id": f"{m.slug}-bvc", "kind": "bvc", "name": f"BVC {m.name}", "municipality": m.name,
             "email": f"bvc-{m.slug}@region{m.region:02d}.example"},
        ]
        for kind, label, per in (("school", "skolan", 700), ("preschool", "förskolan", 1_500)):
            for k in range(1, max(1, min(10, round(yearly / per))) + 1):
                orgs.append({"id": f"{m.slug}-{kind}-{k}", "kind": kind, "name": f"{m.name} {label} {k}",
                             "municipality": m.name, "email": f"{kind}{k}@{mail}"})
    return orgs


def directory_toml(municipalities: list[Municipality], children: int, peak_week: float) -> str:
    """The country as one directory in the product's format (`screening/directory.py`)."""
    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(v, ensure_ascii=False)  # a JSON string is a TOML basic string

    lines = ["# A synthetic country (benchmarks/population.py): invented names, all contact data invented.",
             "# The product holds one directory per database: the country is its region.", "",
             "[region]", 'id = "country"', f'name = "Syntetiskt land, {len(REGION_SIZES)} regioner"',
             f"municipalities = {value([m.name for m in municipalities])}"]
    for org in organisations(municipalities, children, peak_week):
        lines += ["", "[[organisations]]"]
        lines += [f"{k} = {value(v)}" for k, v in org.items() if k != "appointments"]
        if "appointments" in org:
            a = org["appointments"]
            lines += ["", "[organisations.appointments]"]
            lines += [f"{k} = {value(v)}" for k, v in a.items() if k != "hours"]
            lines += ["", "[organisations.appointments.hours]"]
            lines += [f"{day} = {value(spans)}" for day, spans in a["hours"].items()]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Arrival waves
# --------------------------------------------------------------------------------------------

class Waves:
    """The year's notices: a daily rate (seasonal base + surge, low on closed days) and, per day,
    the share of it that is the surge's."""

    def __init__(self, year: int, calendar):
        self.calendar = calendar
        self.days = [date(year, 1, 1) + timedelta(days=d) for d in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)]
        rates, self.surge = [], []
        for d, day in enumerate(self.days):
            base = 1 + BASE_SEASON * math.cos(2 * math.pi * (d - BASE_PEAK_DAY) / len(self.days))
            surge = SURGE_HEIGHT * math.exp(-0.5 * ((d - SURGE_DAY) / SURGE_SD) ** 2)
            open_ = 1.0 if calendar.is_working_day(day) else CLOSED_DAY_RATE
            rates.append((base + surge) * open_)
            self.surge.append(surge / (base + surge))
        self.rates, self.cumulative = rates, list(itertools.accumulate(rates))

    def draw(self, rng: random.Random) -> tuple[datetime, bool]:
        """A notice time, and whether the child came with the surge."""
        d = bisect.bisect_left(self.cumulative, rng.random() * self.cumulative[-1])
        day = self.days[d]
        if not self.calendar.is_working_day(day):
            hour = rng.randint(9, 19)
        else:
            hour = rng.randint(16, 21) if rng.random() < AFTER_HOURS else rng.randint(8, 15)
        return datetime.combine(day, dtime(hour, rng.randrange(0, 60, 5)), STOCKHOLM), rng.random() < self.surge[d]

    def peak_week(self) -> float:
        """The largest share of the year's notices in seven consecutive days."""
        return max(sum(self.rates[d:d + 7]) for d in range(len(self.rates) - 6)) / self.cumulative[-1]


# --------------------------------------------------------------------------------------------
# Children: a profile and build_population's plan
# --------------------------------------------------------------------------------------------

@dataclass(slots=True)
class Step:
    when: datetime
    event: str  # "register" first
    params: dict
    user: str  # "": the vaccinating unit the routing rule names when it happens


@dataclass
class Child:
    index: int
    place: build_population.Place
    reg: dict  # build_population's registration values
    steps: list[Step]
    surge: bool
    pos: int = 0
    case_id: str | None = None
    school_started: bool = False
    plan_unit: str | None = None  # the unit that made the vaccination plan


class CountryPlanner(build_population.Planner):
    """build_population's plans, with the notice from the waves (set before each plan)."""

    notice_at: datetime

    def notice(self) -> datetime:
        return self.notice_at


class Population:
    """The year's N children, each made from its own random stream (so any worker can make any)."""

    def __init__(self, children: int, seed: int, year: int, directory, calendar, municipalities):
        self.n, self.seed, self.year = children, seed, year
        self.places = build_population.places(directory)
        share = {m.name: m.share for m in municipalities}
        self.cum_weights = list(itertools.accumulate(share[p.municipality] for p in self.places))
        self.waves = Waves(year, calendar)
        horizon = datetime(year + 5, 1, 1, tzinfo=STOCKHOLM)  # the planner clamps to its `now`: never here
        self.planner = CountryPlanner(random.Random(0), calendar, horizon)

    def arrival(self, i: int) -> tuple[random.Random, build_population.Place, datetime, bool]:
        """The child's stream, municipality, notice and whether it came with the surge."""
        rng = random.Random(f"{self.seed}:{i}")
        place = rng.choices(self.places, cum_weights=self.cum_weights)[0]
        notice, surge = self.waves.draw(rng)
        return rng, place, notice, surge

    def child(self, i: int) -> Child:
        """Child `i`: its profile, build_population's plan for it, and the plan's steps in time order."""
        from screening.model import age_on

        rng, place, notice, surge = self.arrival(i)
        profile = SURGE if surge else STEADY
        unaccompanied = rng.random() < profile.unaccompanied
        language = rng.choices(list(profile.languages), list(profile.languages.values()))[0]
        interpreter = language not in (None, "en") and rng.random() < profile.interpreter
        planner = self.planner
        planner.rng, planner.notice_at = rng, notice
        dossier = 10_000_000 + (i * 48_271 + self.seed * 7_919) % 90_000_000  # unique for i < 90 million
        while True:  # an unaccompanied child is of school age (the plan's school and preschool follow age)
            reg, steps = planner.plan(place, dossier)
            if not unaccompanied or age_on(reg["birth_date"], notice.date()) >= 6:
                break
        remap = {}
        if unaccompanied != reg["unaccompanied"]:  # the plan's steps are by the other reception unit
            mine, theirs = (place.social, place.reception) if unaccompanied else (place.reception, place.social)
            remap[theirs] = mine
        if unaccompanied:
            age = rng.choices(list(UNACCOMPANIED_AGES), list(UNACCOMPANIED_AGES.values()))[0]
            reg["birth_date"] = notice.date() - timedelta(days=365 * age + rng.randrange(365))
        if reg["health_centre"] is not None:  # any of the municipality's centres (equal in size)
            centre = rng.choice(place.centres)
            remap[reg["health_centre"]] = centre
            reg["health_centre"] = centre
        reg.update(unaccompanied=unaccompanied, language=language, interpreter=interpreter)
        reception = place.social if unaccompanied else place.reception
        ordered = sorted(steps, key=lambda s: (s[0], s[1]))
        return Child(i, place, reg, [Step(reg["registered"], "register", {}, reception)]
                     + [Step(when, event, params, remap.get(user, user)) for when, _, event, params, user in ordered],
                     surge)


# --------------------------------------------------------------------------------------------
# Driving the children's steps through the service layer, in time order
# --------------------------------------------------------------------------------------------

@dataclass
class Tally:
    children: int = 0
    registered: int = 0
    events: Counter = field(default_factory=Counter)
    seconds: Counter = field(default_factory=Counter)  # in the service layer, by event
    refused: Counter = field(default_factory=Counter)  # (event, reason)
    moved: int = 0  # bookings later than planned (the next quarter hour, or the centre full or closed then)
    moved_later_day: int = 0  # of them, to a later working day
    moved_days: int = 0  # working days the later steps moved, in all
    no_free_time: int = 0  # bookings with no free time within 60 days: booked as planned
    sweeps: int = 0
    sweep_s: float = 0.0
    alerts: int = 0
    shape: Counter = field(default_factory=Counter)  # who arrived when: see `Tally.count`
    service_s: float = 0.0
    plan_s: float = 0.0
    wall_s: float = 0.0
    first: datetime | None = None
    last: datetime | None = None

    def add(self, other: "Tally") -> None:
        for name in ("children", "registered", "moved", "moved_later_day", "moved_days", "no_free_time", "sweeps",
                     "alerts"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.events.update(other.events)
        self.seconds.update(other.seconds)
        self.shape.update(other.shape)
        self.refused.update(other.refused)
        self.service_s += other.service_s
        self.sweep_s += other.sweep_s
        self.plan_s += other.plan_s
        self.first = min(filter(None, (self.first, other.first)), default=None)
        self.last = max(filter(None, (self.last, other.last)), default=None)

    def mean_ms(self, *events: str) -> float:
        """The mean time of one call of these events in the service layer."""
        return 1000 * sum(self.seconds[e] for e in events) / max(1, sum(self.events[e] for e in events))

    def count(self, child: Child, calendar) -> None:
        """The child in the population's shape: its week, language, age, and what kind of notice."""
        from screening.model import age_on

        reg, shape = child.reg, self.shape
        notice = reg["notice_at"]
        shape["week", notice.isocalendar().week] += 1
        shape["language", reg["language"]] += 1
        shape["age", age_on(reg["birth_date"], notice.date()), reg["unaccompanied"]] += 1
        shape["after_hours"] += calendar.is_working_day(notice.date()) and notice.hour >= 16
        shape["closed_day"] += not calendar.is_working_day(notice.date())
        shape["interpreter"] += reg["interpreter"]
        shape["surge"] += child.surge


class Driver:
    """Applies the children's steps in global time order, each call in its own unit of work."""

    def __init__(self, url: str, population: Population, policy, directory, sweep: bool = False):
        self.url, self.population, self.policy, self.sweep = url, population, policy, sweep
        self.calendar = policy.calendar
        self.appointments = {o.id: o.appointments for o in directory.of_kind("health_centre")}
        self.tally = Tally()

    def run(self, indices: list[int], progress=None) -> Tally:
        started = time.perf_counter()
        # (when, tie, child): a child not in `active` yet is planned at its notice
        heap = [(self.population.arrival(i)[2], i, i) for i in indices]
        heapq.heapify(heap)
        seq, active = self.population.n, {}
        if self.sweep and heap:
            first = heap[0][0].date()
            heapq.heappush(heap, (datetime.combine(first, dtime(7), STOCKHOLM), -1, -1))
        next_report = time.perf_counter() + 30
        while heap:
            when, _, i = heapq.heappop(heap)
            if i < 0:
                self._sweep(when)
                if len(heap):
                    heapq.heappush(heap, (when + timedelta(days=1), -1, -1))
                continue
            child = active.get(i)
            if child is None:
                planned = time.perf_counter()
                child = active[i] = self.population.child(i)
                self.tally.plan_s += time.perf_counter() - planned
                self.tally.children += 1
                self.tally.count(child, self.calendar)
            else:
                self._apply(child)
                child.pos += 1
            if child.pos < len(child.steps):
                seq += 1
                heapq.heappush(heap, (child.steps[child.pos].when, seq, i))
            else:
                del active[i]
            if progress and time.perf_counter() > next_report:
                next_report = time.perf_counter() + 30
                progress(self.tally, when, time.perf_counter() - started)
        self.tally.wall_s = time.perf_counter() - started
        return self.tally

    def _apply(self, child: Child) -> None:
        from screening.errors import ScreeningError
        from screening.services.events import record_event
        from screening.services.registration import Registration, register_in
        from screening.services.users import actor_in
        from screening.storage.unit_of_work import SqlUnitOfWork

        step, policy, tally = child.steps[child.pos], self.policy, self.tally
        when = step.when
        if child.case_id is None and step.event != "register":
            tally.refused[(step.event, "the case was never registered")] += 1
            return
        user = step.user or self._vaccinator(child, when)
        started = time.perf_counter()
        try:
            with SqlUnitOfWork(self.url) as uow:
                if step.event == "register":
                    reg = child.reg
                    child.case_id, _ = register_in(uow, actor_in(uow, user), Registration(
                        birth_date=reg["birth_date"], municipality=child.place.municipality, notice_at=reg["notice_at"],
                        dossier=reg["dossier"], language=reg["language"], interpreter=reg["interpreter"],
                        unaccompanied=reg["unaccompanied"], permit=reg["permit"], arrival=reg["arrival"],
                        already_in_sweden=reg["already_in_sweden"], health_centre=reg["health_centre"],
                        school=reg["school"], preschool=reg["preschool"]), now=when, recorded_at=when, policy=policy)
                    tally.registered += 1
                elif step.event in KIND_OF_EVENT:
                    self._book(uow, child, step, user)
                else:
                    record_event(uow, actor_in(uow, user), child.case_id, step.event, _raw(step.params), policy=policy,
                                         now=when, recorded_at=when, at=when)
        except ScreeningError as error:
            tally.refused[(step.event, error.message)] += 1
            return
        finally:
            elapsed = time.perf_counter() - started
            tally.service_s += elapsed
            tally.seconds[step.event] += elapsed
        tally.events[step.event] += 1
        tally.first = tally.first or when
        tally.last = when
        if step.event in ("start_school", "start_with_adaptations") and user == child.reg["school"]:
            child.school_started = True
        if step.event == "make_vaccination_plan":
            child.plan_unit = "bvc" if user == child.place.bvc else "school_health"

    def _vaccinator(self, child: Child, when: datetime) -> str:
        """vacc 2: BVC before school, school health after (the routing rule at that day)."""
        from workflows.routing import vaccination_unit

        reg = child.reg
        unit = vaccination_unit({"school_started_at": when if child.school_started else None,
                                 "preschool_id": reg["preschool"], "school_id": reg["school"],
                                 "birth_date": reg["birth_date"]}, when.astimezone(STOCKHOLM).date())
        unit = unit or child.plan_unit or "bvc"
        return child.place.bvc if unit == "bvc" else child.place.school_health

    def _book(self, uow, child: Child, step: Step, user: str) -> None:
        """Book the centre's first free time from the planned one; later steps move with it."""
        from screening.services.events import record_event
        from screening.services.users import actor_in
        from workflows import bookings, slots

        kind, wanted = KIND_OF_EVENT[step.event], step.params["start"]
        centre = child.reg["health_centre"]
        appointments = self.appointments[centre]
        length = bookings.duration(appointments, kind, child.reg["interpreter"])
        start = None
        for days in (1, 8, 60):  # the centre's bookings of the next day first: usually enough
            horizon = timedelta(days=days)
            booked = uow.bookings.overlapping(centre, wanted, wanted + horizon + length,
                                              besides=(child.case_id, kind))
            start, _ = slots.first_free(appointments, length, booked, self.calendar, wanted, wanted, horizon)
            if start is not None:
                break
        if start is None:  # the product checks the capacity only: it refuses the planned time if full
            start = wanted
            self.tally.no_free_time += 1
        record_event(uow, actor_in(uow, user), child.case_id, step.event, {"start": start.isoformat()}, policy=self.policy,
                             now=step.when, recorded_at=step.when, at=step.when)
        if start != wanted:
            self._move(child, HOLD[kind], wanted, start)

    def _move(self, child: Child, hold: str, wanted: datetime, start: datetime) -> None:
        """The appointment is at `start`, not `wanted`: the hold step goes there, and every later
        step of the child from `wanted` on moves by the working days between them."""
        steps = child.steps[child.pos + 1:]
        if not any(s.event == hold and s.when == wanted for s in steps):
            return  # a booking cancelled later: nothing is held at it
        days = self.calendar.between(wanted.astimezone(STOCKHOLM).date(), start.astimezone(STOCKHOLM).date())
        self.tally.moved += 1
        self.tally.moved_later_day += days > 0
        self.tally.moved_days += days
        previous = child.steps[child.pos].when
        for s in steps:
            if s.event == hold and s.when == wanted:
                s.when = start
            elif s.when >= wanted and days:
                local = s.when.astimezone(STOCKHOLM)
                s.when = datetime.combine(self.calendar.add(local.date(), days), local.time(), STOCKHOLM)
            s.when = previous = max(s.when, previous)  # never before the step before it

    def _sweep(self, when: datetime) -> None:
        from screening.services.alerts import sweep_in
        from screening.storage.unit_of_work import SqlUnitOfWork

        started = time.perf_counter()
        with SqlUnitOfWork(self.url) as uow:  # as the scheduler does: as itself, one transaction
            self.tally.alerts += len(sweep_in(uow, self.policy.rules, when))
        self.tally.sweeps += 1
        self.tally.sweep_s += time.perf_counter() - started


def _raw(params: dict) -> dict[str, str]:
    """A plan's parameters as `--set` values."""
    return {k: v.isoformat() if hasattr(v, "isoformat") else str(v) for k, v in params.items()}


# --------------------------------------------------------------------------------------------
# Setting up, workers, the whole run
# --------------------------------------------------------------------------------------------

def prepare(url: str, children: int, seed: int, year: int, reset: bool, directory_out: Path | None):
    """Make (or refuse) the database, write and load the country's directory. Returns the
    directory, the municipalities and the TOML's path."""
    from screening.directory import parse_directory
    from screening.services.users import store_directory
    from screening.storage import db, deployment, migrate
    from screening.storage.unit_of_work import SqlUnitOfWork
    from screening.workdays import default_calendar

    if not db.is_sqlite(url):
        events_bench.pg_schema_sql(url, f"CREATE SCHEMA IF NOT EXISTS {events_bench.pg_schema(url)}")
    if reset:
        build_db.reset(url)
    elif build_db.count_cases(url) is not None:
        conn = db.connect_raw(url)
        try:
            found = conn.scalar("SELECT count(*) FROM screening_case") + conn.scalar("SELECT count(*) FROM organisation")
        finally:
            conn.close()
        if found:
            raise SystemExit(f"{db.redact(url)} is not empty (cases or a directory): give --reset to empty it first")
    municipalities = country(seed)
    text = directory_toml(municipalities, children, Waves(year, default_calendar()).peak_week())
    path = directory_out or HERE / "out" / f"country-{children}-{seed}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    directory = parse_directory(text, str(path))
    migrate.upgrade(url)
    deployment.mark_simulation(url)  # invented children at a set clock: a simulation
    with SqlUnitOfWork(url) as uow:
        store_directory(uow, directory, demo_users=True)
    db.dispose(url)  # no connection crosses a fork
    db.engine(url).dispose()
    return directory, municipalities, path


def shares(population: Population, municipalities: list[Municipality], workers: int, n: int) -> list[list[int]]:
    """The first `n` children's indices split into `workers` disjoint shares by municipality,
    balanced by size."""
    loads, groups = [0.0] * workers, {}
    for m in sorted(municipalities, key=lambda m: -m.share):
        k = loads.index(min(loads))
        loads[k] += m.share
        groups[m.name] = k
    out = [[] for _ in range(workers)]
    for i in range(n):
        out[groups[population.arrival(i)[1].municipality]].append(i)
    return out


_JOBS: list[tuple] = []  # set before the workers fork: they inherit it, nothing is pickled but the tallies


def _worker(k: int) -> Tally:
    url, population, directory, indices, sweep = _JOBS[k]
    from workflows.policy import Policy

    def progress(t: Tally, when: datetime, s: float) -> None:
        n = sum(t.events.values())
        print(f"  [{k}] {when:%Y-%m-%d}: {t.children:,} children, {n:,} events, {s:.0f} s "
              f"({n / max(s, 1e-9):.0f} events/s)", flush=True)

    return Driver(url, population, Policy.default(), directory, sweep).run(indices, progress)


def generate(url: str, children: int, seed: int = 1, year: int = 2025, workers: int = 1, reset: bool = False,
             sweep: bool = False, directory_out: Path | None = None, sample: int | None = None) -> dict:
    """The whole run: directory, population, driving, storage. Returns the figures. With `sample`,
    only the first `sample` children of the N are driven (a random sample of the same population,
    with the same directory): a measurement to extrapolate from."""
    from screening.workdays import default_calendar

    started, load_before = time.perf_counter(), os.getloadavg()[0]
    directory, municipalities, path = prepare(url, children, seed, year, reset, directory_out)
    population = Population(children, seed, year, directory, default_calendar(), municipalities)
    setup_s = time.perf_counter() - started
    driven = min(children, sample or children)
    parts = shares(population, municipalities, workers, driven) if workers > 1 else [list(range(driven))]
    tally = Tally()
    driving, cpu = time.perf_counter(), _cpu_seconds()
    _JOBS[:] = [(url, population, directory, part, sweep) for part in parts]
    if workers == 1:
        tally = _worker(0)
    else:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for part in pool.map(_worker, range(workers)):
                tally.add(part)
    tally.wall_s = time.perf_counter() - driving
    cpu_s = _cpu_seconds() - cpu
    rss_mb = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) / 1024
    store = events_bench.storage(url, max(1, tally.registered))
    load = os.getloadavg()[0]
    return {"url": url, "children": children, "seed": seed, "year": year, "workers": workers, "driven": driven,
            "parts": [len(p) for p in parts], "directory": str(path), "organisations": len(directory.organisations),
            "municipalities": len(directory.municipalities), "setup_s": setup_s, "tally": tally, "cpu_s": cpu_s,
            "rss_mb": rss_mb, "load": (load_before, load), "storage": store}


def _cpu_seconds() -> float:
    """User and system CPU of this process and its finished children (the workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def print_summary(r: dict) -> None:
    from screening.storage import db

    t: Tally = r["tally"]
    applied = sum(t.events.values())
    refused = sum(t.refused.values())
    print(f"{db.redact(r['url'])}: {r['children']:,} children of {r['year']} (seed {r['seed']}), "
          f"{r['workers']} worker(s) {r['parts'] if r['workers'] > 1 else ''}")
    print(f"  directory {r['directory']}: {r['municipalities']} municipalities, {r['organisations']} organisations "
          f"(set up in {r['setup_s']:.1f} s)")
    print(f"  simulated {t.first:%Y-%m-%d} – {t.last:%Y-%m-%d}: {t.registered:,} registered, {applied:,} service "
          f"calls (registrations included), {refused:,} refused")
    if r["driven"] < r["children"]:
        factor = r["children"] / r["driven"]
        print(f"  SAMPLE: {r['driven']:,} of the {r['children']:,} children driven; all of them would take about "
              f"{t.wall_s * factor:,.0f} s ({t.wall_s * factor / 60:,.0f} min) at this rate")
    print(f"  time {t.wall_s:.1f} s ({t.service_s:.1f} s in the service layer, {t.plan_s:.1f} s planning): "
          f"{applied / t.wall_s:,.0f} events/s, {t.registered / t.wall_s:,.1f} children/s; "
          f"peak memory {r['rss_mb']:,.0f} MB a process")
    print(f"  CPU of the driving process(es): {r['cpu_s']:.1f} s ({1000 * r['cpu_s'] / max(1, applied):.2f} ms a call; "
          f"SQLite's work included, a PostgreSQL server's not)")
    others = [e for e in t.events if e != "register"]
    print(f"  per call: register {t.mean_ms('register'):.2f} ms, the other events {t.mean_ms(*others):.2f} ms "
          f"(booking {t.mean_ms(*KIND_OF_EVENT):.2f} ms); 1-minute load {r['load'][0]:.1f} before, "
          f"{r['load'][1]:.1f} after")
    bookings = t.events["book_health_conversation"] + t.events["book_examination"]
    print(f"  bookings: {bookings:,}; {t.moved:,} later than planned (to the centre's hours and free times), "
          f"{t.moved_later_day:,} of them to a later working day ({t.moved_days / max(1, t.moved_later_day):.1f} "
          f"working days on average); {t.no_free_time} without a free time in 60 days")
    if t.sweeps:
        print(f"  {t.sweeps} daily sweeps in {t.sweep_s:.1f} s ({1000 * t.sweep_s / t.sweeps:.1f} ms each; in the "
              f"time above), {t.alerts:,} alerts raised")
    print_shape(t)
    print("  events: " + ", ".join(f"{e} {n:,}" for e, n in t.events.most_common()))
    for (event, reason), n in t.refused.most_common(10):
        print(f"  REFUSED {n:,} × {event}: {reason}")
    s = r["storage"]
    print(f"  storage ({s['method']}): {s['own_bytes_per_case']:,.0f} B per case for the case, deadlines, notes and "
          f"audit; {s['bytes_per_case']:,.0f} B with alerts, outbox and bookings"
          + (f"; file {s['file_bytes'] / 1e6:,.0f} MB" if s.get("file_bytes") else
             f"; schema {(s['case_tables_bytes'] + s['other_bytes']) / 1e6:,.0f} MB"))


def print_shape(t: Tally) -> None:
    """The population's shape in a few lines: weeks, languages, ages, notices out of hours."""
    shape, n = t.shape, max(1, t.children)
    weeks = [shape["week", w] for w in range(1, 54)]
    busiest = max(range(53), key=lambda w: weeks[w])
    print(f"  notices a week: median {sorted(weeks[:52])[26]:,}, most {weeks[busiest]:,} (week {busiest + 1}); "
          f"{100 * shape['surge'] / n:.0f} % came with the surge; after 16:00 {100 * shape['after_hours'] / n:.1f} %, "
          f"weekend or holiday {100 * shape['closed_day'] / n:.1f} %")
    unaccompanied = sum(v for k, v in shape.items() if k[0] == "age" and k[2])
    teens = sum(v for k, v in shape.items() if k[0] == "age" and k[2] and k[1] >= 15)
    languages = sorted(((v, str(k[1])) for k, v in shape.items() if k[0] == "language"), reverse=True)
    print(f"  unaccompanied {100 * unaccompanied / n:.1f} % ({100 * teens / max(1, unaccompanied):.0f} % of them "
          f"15-17), interpreter {100 * shape['interpreter'] / n:.0f} %; languages "
          + ", ".join(f"{lang} {100 * v / n:.0f} %" for v, lang in languages[:8]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="sqlite:///FILE or postgresql+psycopg://…?options=-csearch_path%%3DSCHEMA")
    parser.add_argument("--children", type=int, default=100_000, help="children a year (default %(default)s)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="processes, each a disjoint set of municipalities")
    parser.add_argument("--year", type=int, default=2025, help="the year of the notices (default %(default)s)")
    parser.add_argument("--small", action="store_true", help=f"a smoke size: {SMALL_CHILDREN} children")
    parser.add_argument("--reset", action="store_true", help="empty the database first")
    parser.add_argument("--sweep", action="store_true", help="a deadline sweep every simulated morning (1 worker)")
    parser.add_argument("--sample", type=int, metavar="M", help="drive only M of the N children, to extrapolate")
    parser.add_argument("--directory-out", type=Path, help="where to write the country's directory (TOML)")
    args = parser.parse_args(argv)
    children = SMALL_CHILDREN if args.small else args.children
    if children < 1 or args.workers < 1:
        parser.error("--children and --workers must be at least 1")
    if args.sweep and args.workers > 1:
        parser.error("--sweep needs one worker: a sweep at one worker's time would raise alerts early for the others")
    result = generate(args.url, children, args.seed, args.year, args.workers, args.reset, args.sweep,
                      args.directory_out, args.sample)
    print_summary(result)
    return 1 if result["tally"].refused else 0


if __name__ == "__main__":
    sys.exit(main())
