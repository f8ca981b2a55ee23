"""Random sequences of events through `services.apply_event`: what must hold after every step.

Hypothesis draws an invented child (age, school, preschool, arrival, already in Sweden) and up to
15 steps of (event, acting user, `--set` values); each step's clock moves on 0-3 days. Most steps
pick an event the track tables allow from the current states and a role that may apply it, so
that sequences reach deep into the tracks; the rest are anything, to provoke refusals and bad
input. After every step, read back through a fresh unit of work:

- a refused event (any `ScreeningError`) changed nothing: case row, deadlines, audit trail;
- an accepted one moved exactly its own track as the table in `workflows/agreement.py` says,
  bumped `version` by one and added exactly one audit row, naming the event;
- the stored deadlines are `workflows.deadlines.evaluate(case, rules, calendar, now)` of the
  stored case, at the clock of the last accepted event (a past-due one is stored `open` until a
  sweep raises its alert and marks it `breached`);
- no deadline is met before its clock started (except the two the rules decide on purpose: a
  vaccination plan made before the examination, a school start before the expected arrival);
- a declined case gets no breach of a health deadline after the decline (README, Deadlines: a
  breach that happened before the decline stays a breach), however late it is evaluated.

Each event's `--at` is the clock, or a moment between the previous accepted event and the clock:
events are dated in order (an event dated before its track's latest step is refused, proved in
tests/e2e/test_events_cli.py).
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from screening import clock
from screening.clock import STOCKHOLM
from screening.directory import load_directory
from screening.errors import ScreeningError
from screening.services.events import record_event
from screening.services.registration import Registration, register_in
from screening.services.users import actor_in, store_directory
from screening.storage import db, migrate
from screening.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import pg_schema_url
from workflows import guards
from workflows.agreement import EVENT_TRACK, TRACKS
from workflows.deadlines import evaluate
from workflows.events import EVENTS, VACCINATING_UNITS
from workflows.policy import Policy
from workflows.routing import responsible_unit

START = datetime(2026, 11, 23, 8, 30, tzinfo=STOCKHOLM)  # Monday morning: the notice arrives
RECEPTION = "ostersund-reception"
SCHOOL = "ostersund-school-norrby"
PRESCHOOL = "ostersund-preschool-solrosen"
USER_OF_ROLE = {
    "reception": RECEPTION,
    "health_centre": "hc-lugnvik",
    "school": SCHOOL,
    "preschool": PRESCHOOL,
    "school_health": "ostersund-school-health",
    "bvc": "ostersund-bvc",
    "coordinator": "region-coordinator",
    "admin": "admin",
}
USERS = sorted(USER_OF_ROLE.values()) + ["ostersund-social", "krokom-reception"]
POLICY = Policy.default()
CHOOSERS = (guards.previous_screening_done, guards.vaccinations_complete)  # pick a row, guard nothing
MET_BEFORE_START_ON_PURPOSE = ("vaccination_plan", "school_start")  # tests/unit/test_deadlines.py

# --- the databases --------------------------------------------------------------------------------


def _demo_database(url: str) -> str:
    migrate.upgrade(url)
    with SqlUnitOfWork(url) as uow:
        store_directory(uow, load_directory(None), demo_users=True)
    return url


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory) -> Path:
    """A demo database made once; every example runs on a fresh copy of it."""
    path = tmp_path_factory.mktemp("sequences") / "template.db"
    url = _demo_database(f"sqlite:///{path}")
    db.engine(url).dispose()  # the last connection checkpoints the WAL into the file
    return path


_copies = itertools.count()


def fresh_sqlite(template: Path):
    path = template.with_name(f"example-{next(_copies)}.db")
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{template}{suffix}").exists():
            shutil.copyfile(f"{template}{suffix}", f"{path}{suffix}")
    return path, f"sqlite:///{path}"


@pytest.fixture(scope="module")
def pg_url():
    schema = pg_schema_url()
    url = next(schema)
    try:
        yield _demo_database(url)
    finally:
        schema.close()


# --- what hypothesis draws ------------------------------------------------------------------------


@dataclass(frozen=True)
class Child:
    birth_date: date
    school: bool
    preschool: bool
    arrival: date | None
    already_in_sweden: bool


children = st.builds(
    Child,
    birth_date=st.integers(1 * 365 + 30, 17 * 365 + 300).map(lambda days: START.date() - timedelta(days=days)),
    school=st.booleans(),
    preschool=st.booleans(),
    arrival=st.none() | st.integers(-10, 20).map(lambda days: START.date() + timedelta(days=days)),
    already_in_sweden=st.booleans(),
)

preschool_children = st.builds(
    Child,
    birth_date=st.integers(1 * 365 + 30, 5 * 365 + 300).map(lambda days: START.date() - timedelta(days=days)),
    school=st.just(False),
    preschool=st.just(True),
    arrival=st.none() | st.integers(-10, 20).map(lambda days: START.date() + timedelta(days=days)),
    already_in_sweden=st.just(False),
)


def _time_after(now: datetime):
    return st.integers(0, 20 * 24 * 4).map(lambda quarter: (now + timedelta(minutes=15 * quarter))
                                           .replace(tzinfo=None).isoformat(timespec="minutes"))


def _text(prefix: str):
    return st.sampled_from([f"Påhittad {prefix}", f"{prefix} (invented)", f"  {prefix} ett  "])


def valid_values(event: str, now: datetime) -> dict:
    """Strategies of each `--set` key: required keys, then optional ones (drawn or left out)."""
    reason = {"reason": _text("reason")}
    return {
        "verify_previous_screening": ({"done": st.sampled_from(["yes", "no", "unknown"])}, {}),
        "change_arrival": ({"arrival": st.integers(-5, 40).map(
            lambda days: (now.date() + timedelta(days=days)).isoformat())}, {}),
        "book_health_conversation": ({"start": _time_after(now)}, {}),
        "record_results": ({"obstacle": st.sampled_from(["yes", "no"])}, {"note": _text("provsvar")}),
        "record_consent": ({"given_by": st.sampled_from(["guardian", "god_man"]),
                            "scope": st.just("school_health")}, {}),
        "book_examination": ({"start": _time_after(now)}, {}),
        "hold_examination": ({}, {"note": _text("utlåtande")}),
        "decline": ({}, reason),
        "move_out": ({}, reason),
        "close": ({}, reason),
        "start_with_adaptations": (reason, {}),
        "postpone_start": (reason, {}),
        "assess_vaccinations": ({"status": st.sampled_from(["complete", "missing", "unknown"])}, {}),
        "make_vaccination_plan": ({}, {"tb_referral": st.sampled_from(["no", "yes"])}),
        "give_catch_up_dose": ({"vaccine": st.sampled_from(["MPR", "DTP-IPV", "Hepatit B"])}, {}),
    }.get(event, ({}, {}))


MALFORMED = {"done": "maybe", "arrival": "2026-02-30", "start": "tomorrow", "obstacle": "maybe",
             "given_by": "neighbour", "scope": "school", "status": "perhaps", "reason": "  ",
             "note": "", "vaccine": " ", "tb_referral": "maybe"}


def draw_params(data, event: str, now: datetime) -> dict[str, str]:
    required, optional = valid_values(event, now)
    params = {key: data.draw(strategy) for key, strategy in required.items()}
    for key, strategy in optional.items():
        if data.draw(st.booleans(), label=f"with {key}"):
            params[key] = data.draw(strategy)
    spoil = data.draw(st.sampled_from(["none"] * 37 + ["drop", "extra", "malformed"]), label="spoil")
    if spoil == "drop" and params:
        params.pop(data.draw(st.sampled_from(sorted(params))))
    elif spoil == "extra":
        params["room"] = "3"
    elif spoil == "malformed" and params:
        key = data.draw(st.sampled_from(sorted(params)))
        params[key] = MALFORMED[key]
    return params


def rows_of(event: str) -> list[dict]:
    return [row for row in TRACKS[EVENT_TRACK[event]][1] if row["trigger"] == event]


def _sources(row) -> list[str]:
    return row["source"] if isinstance(row["source"], list) else [row["source"]]


TERMINAL = ("decline", "move_out", "close")
BACKWARD = ("cancel_booking", "postpone_start")  # moves, but away from the goal
FOCUS = {"health": {"health": 10, "school": 1, "vaccination": 1},
         "school": {"health": 2, "school": 6, "vaccination": 1},
         "vaccination": {"health": 2, "school": 1, "vaccination": 6},
         "mixed": {"health": 3, "school": 1, "vaccination": 1}}


def choose_event(data, case, focus: str) -> str:
    """Mostly an event the tables allow now, weighted so that sequences get deep into the tracks
    within 15 steps: the example's focus track first, events that move a track forward before
    those that only record, the three that end the case rarely; now and then any event at all."""
    weighted: dict[str, list[str]] = {track: [] for track in TRACKS}
    for event in EVENTS:
        track = EVENT_TRACK[event]
        before = getattr(case, f"{track}_state")
        rows = [row for row in rows_of(event) if before in _sources(row)]
        if not rows:
            continue
        moves = any(row["dest"] not in (None, before) for row in rows)
        weight = 1 if event in TERMINAL else 2 if event in BACKWARD or not moves else 16
        weighted[track] += [event] * weight
    if focus == "start":  # a preschool child: the results first, then the preschool start
        weights = {"health": 6, "school": 1, "vaccination": 0} if case.results_received_at is None else \
            {"health": 1, "school": 6, "vaccination": 0}
    else:
        weights = FOCUS[focus]
    tracks = [track for track, events in weighted.items() if events for _ in range(weights[track])]
    if not tracks or data.draw(st.sampled_from([False] * 9 + [True]), label="any event at all"):
        return data.draw(st.sampled_from(sorted(EVENTS) + ["take_samples"]), label="any event")
    track = data.draw(st.sampled_from(tracks), label="track")
    return data.draw(st.sampled_from(weighted[track]), label="event")


def likely_roles(event: str, case, now: datetime) -> list[str]:
    """The roles that may apply the event, the one that fits this child most often."""
    roles = list(EVENTS[event].roles)
    if tuple(roles) == VACCINATING_UNITS:
        fits = responsible_unit(case, clock.local_date(now))
    elif tuple(roles) == ("school", "preschool"):
        fits = "school" if case.school_id else "preschool" if case.preschool_id else None
    else:
        fits = None
    return [fits] * 3 + roles if fits in roles else roles


def expected_state(event: str, case, params: dict) -> str | None:
    """The state the table sends the event's track to; None: the table has no row for it."""
    before = getattr(case, f"{EVENT_TRACK[event]}_state")
    probe = SimpleNamespace(model=case, kwargs={"params": params})
    for row in rows_of(event):
        if before not in _sources(row):
            continue
        conditions = [c for c in _listed(row.get("conditions")) if c in CHOOSERS]
        unless = [c for c in _listed(row.get("unless")) if c in CHOOSERS]
        if all(c(probe) for c in conditions) and not any(c(probe) for c in unless):
            return row["dest"] or before
    return None


def _listed(value) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


# --- reading back ---------------------------------------------------------------------------------


@dataclass
class Stored:
    case: object
    deadlines: dict[str, dict]
    audit: list[tuple[str, str | None]]  # the case's audit rows: (action, event)
    audit_total: int  # every audit row of the database


def read(url: str, case_id: str) -> Stored:
    """Everything stored about the case, through a fresh unit of work."""
    with SqlUnitOfWork(url) as uow:
        case = uow.cases.get(case_id)
        deadlines = {rule: {k: (clock.from_db(v) if k in ("starts", "due", "met_at") else v) for k, v in row.items()}
                     for rule, row in uow.deadlines.for_case(case_id).items()}
        audit = [(row["action"], row["event"]) for row in uow.conn.all(
            "SELECT action, event FROM audit_trail WHERE case_id = :id ORDER BY id", {"id": case_id})]
        total = uow.conn.scalar("SELECT count(*) FROM audit")
    return Stored(case, deadlines, audit, total)


def check_deadlines(stored: Stored, now: datetime) -> None:
    expected = {d.rule: d for d in evaluate(stored.case, POLICY.rules, POLICY.calendar, now)}
    assert sorted(stored.deadlines) == sorted(expected), (sorted(stored.deadlines), sorted(expected))
    for rule, want in expected.items():
        got = stored.deadlines[rule]
        # past due but not yet swept is stored open: the sweep raises its alert and marks it breached
        status = "open" if want.status == "breached" else want.status
        assert (got["owner"], got["starts"], got["due"], got["status"], got["met_at"]) == (
            want.owner, want.starts, want.due, status, want.met_at), rule
    for rule, got in stored.deadlines.items():
        if got["status"] in ("met", "late"):
            assert got["met_at"] is not None, rule
            if rule not in MET_BEFORE_START_ON_PURPOSE:
                assert got["met_at"] >= got["starts"], (rule, got)
    declined = stored.case.declined_at
    if declined is not None:
        for later in (now, now + timedelta(days=400)):
            for d in evaluate(stored.case, POLICY.rules, POLICY.calendar, later):
                if POLICY.rules[d.rule].track == "health" and d.status == "breached" and d.due >= declined:
                    raise AssertionError(f"{d.rule} due {d.due} is breached though declined at {declined}")


# --- the sequence -----------------------------------------------------------------------------------


def register(url: str, child: Child) -> str:
    reg = Registration(
        birth_date=child.birth_date, municipality="Östersund", notice_at=START, arrival=child.arrival,
        already_in_sweden=child.already_in_sweden, school=SCHOOL if child.school else None,
        preschool=PRESCHOOL if child.preschool else None, language="ar", interpreter=True,
    )
    with SqlUnitOfWork(url) as uow:
        case_id, attached = register_in(uow, actor_in(uow, RECEPTION), reg, now=START, recorded_at=START,
                                                   policy=POLICY)
    assert not attached
    return case_id


def run_sequence(url: str, data) -> None:
    focus = data.draw(st.sampled_from(["health", "mixed", "start", "health", "school", "vaccination"]),
                      label="focus")
    child = data.draw(preschool_children if focus == "start" else children, label="child")
    case_id = register(url, child)
    stored = read(url, case_id)
    assert stored.audit == [("event", "register")]
    check_deadlines(stored, START)
    now = last_now = last_at = START
    for _ in range(data.draw(st.integers(1, 15) | st.integers(10, 15), label="steps")):
        now += timedelta(minutes=data.draw(st.integers(0, 3 * 24 * 60), label="minutes later"))
        event = choose_event(data, stored.case, focus)
        if event in EVENTS and data.draw(st.sampled_from([True] * 9 + [False]), label="a role that may"):
            user = USER_OF_ROLE[data.draw(st.sampled_from(likely_roles(event, stored.case, now)), label="role")]
        else:
            user = data.draw(st.sampled_from(USERS), label="any user")
        params = draw_params(data, event, now)
        at = None
        if data.draw(st.sampled_from([False] * 4 + [True]), label="earlier"):  # still after the last event
            span = int((now - last_at).total_seconds() // 60)
            at = now - timedelta(minutes=data.draw(st.integers(0, span), label="minutes ago"))
        version = None
        if data.draw(st.sampled_from([False] * 14 + [True]), label="with --if-version"):
            version = stored.case.version - data.draw(st.integers(0, 1), label="stale by")

        before = stored
        try:
            with SqlUnitOfWork(url) as uow:
                record_event(uow, actor_in(uow, user), case_id, event, params, policy=POLICY, now=now,
                                     recorded_at=now, at=at, expected_version=version)
        except ScreeningError:
            stored = read(url, case_id)
            assert stored.case == before.case
            assert stored.deadlines == before.deadlines
            assert stored.audit == before.audit
            assert stored.audit_total == before.audit_total
        else:
            stored = read(url, case_id)
            track = EVENT_TRACK[event]
            dest = expected_state(event, before.case, params)
            assert dest is not None, (event, "accepted though the table has no row from", before.case)
            for name in TRACKS:
                want = dest if name == track else getattr(before.case, f"{name}_state")
                assert getattr(stored.case, f"{name}_state") == want, (event, name)
            assert stored.case.version == before.case.version + 1
            assert stored.audit == before.audit + [("event", event)]
            assert stored.audit_total == before.audit_total + 1
            last_now, last_at = now, at or now
        check_deadlines(stored, last_now)


COMMON = dict(deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@settings(max_examples=40, **COMMON)
@given(data=st.data())
def test_random_event_sequences_keep_the_invariants_on_sqlite(sqlite_template, data):
    path, url = fresh_sqlite(sqlite_template)
    try:
        run_sequence(url, data)
    finally:
        db.engine(url).dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


@pytest.mark.postgres
@settings(max_examples=10, **COMMON)
@given(data=st.data())
def test_random_event_sequences_keep_the_invariants_on_postgresql(pg_url, data):
    run_sequence(pg_url, data)  # one schema for the run; each example is a new child in it


def test_a_move_out_after_a_decline_keeps_the_cancelled_health_deadlines_cancelled(sqlite_template):
    path, url = fresh_sqlite(sqlite_template)
    case_id = register(url, Child(birth_date=date(2019, 4, 2), school=True, preschool=False,
                                  arrival=date(2026, 11, 25), already_in_sweden=False))
    for event, when in (("decline", START + timedelta(hours=2)), ("move_out", START + timedelta(days=2))):
        with SqlUnitOfWork(url) as uow:
            record_event(uow, actor_in(uow, RECEPTION), case_id, event, {}, policy=POLICY, now=when, recorded_at=when)
    stored = read(url, case_id)
    db.engine(url).dispose()
    # the reception unit had until the end of Monday to notify; the family declined at 10:30 that day
    assert stored.deadlines["notify_parties"]["status"] == "cancelled"
