"""The concurrency drill on PostgreSQL: eight processes applying events to the same twelve cases.

Twelve invented children of Östersund are registered and notified; the health centre gets room for
any number of appointments at once (the capacity has tests of its own). Eight OS processes
(multiprocessing's "spawn": each imports the product and opens its own connections; see
`drill_worker.py`) wait at a barrier, then each works through a script of its own over all twelve
cases, in its own order and with a few hot cases that all of them keep returning to: read the case,
apply an event the tables allow from what was read (half of the time with `expected_version`),
or apply a scripted event blind; four of them run some steps through the real `screening` command.
Every process acts as users of its own (`drill<N>-health_centre`, `-school`, `-school_health`,
`-reception`), so that each audit row says which process wrote it.

Then, from what the processes recorded and what is stored:
1. no lost update: each case's version is the number of its event audit rows, two from the setup
   plus one per applied attempt; each applied attempt is in the audit trail exactly once (a service
   call by its user and `at`, a command by its user within the command's run), at the position of
   the version it reported; the dose counter, the notes, the bookings and their calendar messages
   agree with the trail;
2. a refused attempt left no audit row;
3. replaying each case's event rows (in id order) through the track tables of
   `workflows/agreement.py` gives its stored states, and its stored deadlines are
   `workflows.deadlines.evaluate` of the stored case at the clock of its last event;
4. nothing failed but the product's own refusals: no other exception in a process, and the
   command's refusals and conflicts exit 1 with one line on stderr and the JSON error object.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import re
import time
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pytest

from screening import clock
from screening.bootstrap import App
from screening.clock import STOCKHOLM
from screening.directory import load_directory
from screening.services.events import record_event
from screening.services.registration import Registration, register_in
from screening.services.users import actor_in, add_user, store_directory
from screening.storage import migrate
from screening.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import pg_schema_url
from tests.e2e.support import roomy
from tests.integration import drill_worker
from tests.integration.test_event_sequences import check_deadlines, read
from workflows.agreement import EVENT_TRACK, INITIAL, TRACKS
from workflows.policy import Policy

WORKERS = 8
CASES = 12
HOT = 3  # cases every process keeps coming back to
STEPS = 90  # per process
CLI_WORKERS = 4  # processes 0-3 run every CLI_EVERY-th step through the command
CLI_EVERY = 10
RECEPTION = "ostersund-reception"
SCHOOL = "ostersund-school-norrby"
ROLES = {"health_centre": "hc-lugnvik", "school": SCHOOL, "school_health": "ostersund-school-health",
         "bvc": "ostersund-bvc", "reception": RECEPTION}
POLICY = Policy.default()
BLIND = {track: sorted({event for options in table.values() for event, _ in options})
         for track, table in drill_worker.NEXT.items()}
SETUP_EVENTS = 2  # register, notify_parties
# the events that store a note beside the case with the values drill_worker.params_for gives them
WITH_A_NOTE = ("record_results", "hold_examination", "give_catch_up_dose", "postpone_start", "start_with_adaptations",
               "decline")


@pytest.fixture
def pg_url():
    yield from pg_schema_url()  # fails under SCREENING_REQUIRE_PG where no server answers


def set_up(url: str, now: datetime) -> list[str]:
    """The demo directory, room at the health centres, the processes' users and twelve notified cases."""
    migrate.upgrade(url)
    with SqlUnitOfWork(url) as uow:
        store_directory(uow, load_directory(None), demo_users=True)
    roomy(url)
    for index in range(WORKERS):
        for role, org in ROLES.items():
            add_user(App(url), "admin", f"drill{index}-{role}", role, org)
    rng = random.Random(7)
    case_ids = []
    for n in range(CASES):
        reg = Registration(
            birth_date=now.date() - timedelta(days=rng.randint(8 * 365, 12 * 365)), municipality="Östersund",
            notice_at=now - timedelta(hours=2), arrival=now.date() + timedelta(days=rng.randint(-2, 10)),
            school=SCHOOL, language="ar", interpreter=n % 2 == 0)
        with SqlUnitOfWork(url) as uow:
            case_id, _ = register_in(uow, actor_in(uow, RECEPTION), reg, now=now, recorded_at=now, policy=POLICY)
        with SqlUnitOfWork(url) as uow:
            record_event(uow, actor_in(uow, RECEPTION), case_id, "notify_parties", {}, policy=POLICY, now=now,
                                 recorded_at=now)
        case_ids.append(case_id)
    return case_ids


def script(index: int, case_ids: list[str]) -> list[dict]:
    """A process's steps: its own order over every case, a hot case two steps in five, mostly the
    health track; the command every CLI_EVERY-th step (processes 0-3); a blind event one step in five,
    one command in two (a vaccination one now and then by BVC, which the routing rule refuses)."""
    rng = random.Random(index)
    order = case_ids[:]
    rng.shuffle(order)
    steps = []
    for n in range(STEPS):
        case_id = rng.choice(case_ids[:HOT]) if rng.random() < 0.4 else order[n % CASES]
        track = rng.choices(("health", "school", "vaccination"), (6, 2, 2))[0]
        via = "cli" if index < CLI_WORKERS and n % CLI_EVERY == index else "service"
        blind = rng.random() < (0.5 if via == "cli" else 0.2)
        steps.append({"case": case_id, "track": track, "via": via, "blind": blind, "if_version": rng.random() < 0.5,
                      "event": rng.choice(BLIND[track])})
        if track == "vaccination" and rng.random() < 0.3:  # vacc 2: these school children are school health's
            steps[-1]["role"] = "bvc"
    if index == WORKERS - 1:  # the family of the last case declines half-way: its health track stops there
        steps[STEPS // 2] = {"case": case_ids[-1], "track": "health", "via": "service", "blind": True,
                             "if_version": False, "event": "decline"}
    return steps


def run_processes(url: str, case_ids: list[str], tmp_path) -> list[dict]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(WORKERS)
    procs = [context.Process(target=drill_worker.main, name=f"drill-{index}",
                             args=(index, url, script(index, case_ids), barrier, str(tmp_path / f"w{index}.jsonl")))
             for index in range(WORKERS)]
    for proc in procs:
        proc.start()
    deadline = time.monotonic() + 240
    for proc in procs:
        proc.join(max(1, deadline - time.monotonic()))
    hung = [proc.name for proc in procs if proc.is_alive()]
    for proc in procs:
        if proc.is_alive():
            proc.kill()
            proc.join()
    assert not hung, f"processes still running after 240 s: {hung}"
    assert [proc.exitcode for proc in procs] == [0] * WORKERS
    return [json.loads(line) for index in range(WORKERS)
            for line in (tmp_path / f"w{index}.jsonl").read_text(encoding="utf-8").splitlines()]


def kind_of(attempt: dict) -> str:
    """How an attempt ended, for the figures: applied, or the kind of its refusal (the command says it
    in Swedish, the service in English)."""
    if attempt["outcome"] != "refused":
        return attempt["outcome"]
    message = attempt["message"] or ""
    if attempt["code"] == "conflict":
        if "after the clock" in message or "senare än klockan" in message:
            return "conflict: a later step recorded after the clock was read"
        if "you read" in message or "du läste" in message:
            return "conflict: changed since the version read (expected_version)"
        if "changed by someone else" in message or "ändrats av någon annan" in message:
            return "conflict: changed between read and write (version check on save)"
        return "conflict: constraint at commit (ConflictOnCommit)"
    if attempt["code"] == "refused":
        allowed = "is not allowed" in message or "är inte tillåtet" in message
        return "refused: not allowed in the state" if allowed else "refused: a guard or rule"
    return f"{attempt['code']}: {message[:60]}"


@pytest.mark.postgres
def test_eight_processes_on_the_same_cases_lose_no_update_and_refuse_every_conflict_clearly(pg_url, tmp_path):
    started = time.monotonic()
    case_ids = set_up(pg_url, datetime.now(STOCKHOLM))
    attempts = run_processes(pg_url, case_ids, tmp_path)
    drill_seconds = time.monotonic() - started

    # 4. nothing but the product's own refusals, and the command's refusals are clear
    unexpected = [a for a in attempts if a["outcome"] == "unexpected"]
    assert not unexpected, "\n\n".join(
        f"{a.get('event')} on {a.get('case')} by process {a.get('worker')}: {a.get('error')} {a.get('message')}\n"
        f"{a.get('traceback') or a.get('stderr')}" for a in unexpected[:5])
    for a in attempts:
        if a["via"] != "cli":
            continue
        assert "Traceback" not in a["stderr"], a
        if a["exit"] == 0:
            warned = json.loads(a["stdout"]).get("warnings", [])  # held at once: often before the booked time
            assert set(json.loads(a["stdout"])["tracks"]) == set(INITIAL), a
            assert [w["code"] for w in warned] in ([], ["held_before_start"]), a
            lines = a["stderr"].splitlines()
            assert len(lines) == len(warned) and all(re.fullmatch(r"screening: varning: (hälsosamtal hållet|"
                                                                  r"läkarundersökning gjord) registrerades .*, före den "
                                                                  r"bokade tiden .*: stämmer tiden\?", line)
                                                     for line in lines), a
            continue
        assert a["exit"] == 1, a  # a refusal or a conflict; never bad input, never an internal error
        assert a["code"] in ("refused", "conflict") and a["message"], a
        assert len(a["stderr"].rstrip("\n").splitlines()) == 1 and a["message"] in a["stderr"], a
    for a in attempts:
        if a["outcome"] == "refused" and a["via"] == "service":
            assert a["error"] in ("Refused", "StaleWrite", "ConflictOnCommit"), a
            assert a["message"] and "\n" not in a["message"], a

    with SqlUnitOfWork(pg_url) as uow:
        rows = uow.conn.all("SELECT id, case_id, event, at, recorded_at, user_id, detail FROM audit_trail "
                            "WHERE action = 'event' ORDER BY id")
        cases = {case_id: uow.cases.get(case_id) for case_id in case_ids}
        bookings = {(row["case_id"], row["kind"]): row for row in uow.conn.all("SELECT * FROM booking")}
        calendar_keys = {row["key"] for row in uow.conn.all("SELECT key FROM outbox WHERE topic = 'calendar'")}
        notes = Counter(row["case_id"] for row in uow.conn.all("SELECT case_id FROM case_note"))
    trail: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        row["at"], row["recorded_at"] = clock.from_db(row["at"]), clock.from_db(row["recorded_at"])
        row["detail"] = json.loads(row["detail"]) if row["detail"] else {}
        trail[row["case_id"]].append(row)
    assert set(trail) == set(case_ids)

    # 1-2. every applied attempt exactly once in the trail, at its version's place; no trace of a refusal
    by_user: dict[str, list[dict]] = defaultdict(list)
    for case_id, case_rows in trail.items():
        for position, row in enumerate(case_rows, start=1):
            row["version"] = position
            by_user[row["user_id"]].append(row)
    matched: Counter = Counter()
    for a in attempts:
        if a["via"] == "service":
            at = datetime.fromisoformat(a["at"])
            found = [row for row in by_user[a["user"]] if row["at"] == at]
        else:  # the command's clock: its own; its user wrote nothing else meanwhile
            window = (datetime.fromisoformat(a["started"]), datetime.fromisoformat(a["ended"]))
            found = [row for row in by_user[a["user"]] if window[0] <= row["recorded_at"] <= window[1]]
        if a["outcome"] == "refused":
            assert found == [], ("a refused attempt left an audit row", a, found)
            continue
        assert len(found) == 1, ("an applied attempt is not in the trail exactly once", a, found)
        row = found[0]
        assert (row["case_id"], row["event"]) == (a["case"], a["event"]), (a, row)
        if a["version"] is not None:
            assert row["version"] == a["version"], ("the trail's order is not the versions' order", a, row)
        matched[row["id"]] += 1
    drill_rows = [row for row in rows if row["user_id"].startswith("drill")]
    assert all(matched[row["id"]] == 1 for row in drill_rows), "an audit row no process applied"
    applied = [a for a in attempts if a["outcome"] == "applied"]
    assert len(drill_rows) == len(applied)
    # one calendar message per version of each booking, none for a change that did not commit
    assert calendar_keys == {f"calendar:{b['uid']}:{n}" for b in bookings.values() for n in range(b["sequence"] + 1)}

    for case_id, case in cases.items():
        case_rows = trail[case_id]
        assert [r["event"] for r in case_rows[:SETUP_EVENTS]] == ["register", "notify_parties"]
        assert case.version == len(case_rows) == SETUP_EVENTS + sum(a["case"] == case_id for a in applied)
        assert case.doses_given == sum(r["event"] == "give_catch_up_dose" for r in case_rows)
        # 3. the trail replayed through the tables gives the stored states, and the deadlines follow
        assert replay(case_rows) == {track: getattr(case, f"{track}_state") for track in INITIAL}, case_id
        assert_bookings(case_rows, bookings, case)
        assert notes[case_id] == sum(r["event"] in WITH_A_NOTE for r in case_rows), case_id
        check_deadlines(read(pg_url, case_id), case_rows[-1]["at"])

    kinds = Counter(kind_of(a) for a in attempts)
    summary = (f"drill: {len(attempts)} attempts by {WORKERS} processes on {CASES} cases "
               f"({sum(a['via'] == 'cli' for a in attempts)} through the command), {kinds['applied']} applied; "
               + "; ".join(f"{kind}: {n}" for kind, n in sorted(kinds.items()) if kind != "applied")
               + f"; {drill_seconds:.1f} s")
    print(summary)
    assert kinds["applied"] > 100 and sum(n for k, n in kinds.items() if k.startswith("conflict")) > 10, summary


def replay(case_rows: list[dict]) -> dict[str, str]:
    """The track states the case's events lead to from the initial ones, by the tables alone."""
    states = dict(INITIAL)
    for row in case_rows:
        if row["event"] == "register":
            continue
        track = EVENT_TRACK[row["event"]]
        _, table, _ = TRACKS[track]
        for rule in table:
            sources = rule["source"] if isinstance(rule["source"], list) else [rule["source"]]
            if rule["trigger"] == row["event"] and states[track] in sources and chooses(rule, row["detail"]):
                states[track] = rule["dest"] or states[track]
                break
        else:
            raise AssertionError(f"{row['event']} (audit row {row['id']}) is not allowed from {states}")
    return states


def chooses(rule: dict, detail: dict) -> bool:
    """The conditions that pick between two rows by the event's values (the others guard, and held)."""
    picks = {"previous_screening_done": detail.get("done") == "yes",
             "vaccinations_complete": detail.get("status") == "complete"}
    conditions = [c.__name__ for c in _listed(rule.get("conditions")) if c.__name__ in picks]
    unless = [c.__name__ for c in _listed(rule.get("unless")) if c.__name__ in picks]
    return all(picks[c] for c in conditions) and not any(picks[c] for c in unless)


def _listed(value) -> list:
    return [] if value is None else value if isinstance(value, list) else [value]


def assert_bookings(case_rows: list[dict], bookings: dict, case) -> None:
    """Each booking row as its case's events say: one sequence step per change, the last start."""
    expected: dict[str, dict] = {}
    for row in case_rows:
        event = row["event"]
        if event in ("book_health_conversation", "book_examination"):
            kind = "conversation" if event == "book_health_conversation" else "examination"
            before = expected.get(kind)
            expected[kind] = {"sequence": before["sequence"] + 1 if before else 0, "status": "booked",
                              "starts": clock.parse_datetime(row["detail"]["start"])}
        elif event == "cancel_booking":
            expected["conversation"] = {**expected["conversation"], "status": "cancelled",
                                        "sequence": expected["conversation"]["sequence"] + 1}
        elif event == "decline":  # what is still to come is cancelled
            for kind, booking in expected.items():
                if booking["status"] == "booked" and booking["starts"] > row["at"]:
                    expected[kind] = {**booking, "status": "cancelled", "sequence": booking["sequence"] + 1}
    stored = {kind: {"sequence": b["sequence"], "status": b["status"], "starts": clock.from_db(b["starts"])}
              for (case_id, kind), b in bookings.items() if case_id == case.id}
    assert stored == expected, case.id
    start = None  # the case's own copy of the appointment: the last booking's, none after a cancel
    for row in case_rows:
        if row["event"] == "book_health_conversation":
            start = clock.parse_datetime(row["detail"]["start"])
        elif row["event"] == "cancel_booking":
            start = None
    assert case.conversation_start == start, case.id


def test_a_step_recorded_after_the_clock_was_read_is_a_conflict_not_bad_input(demo_db):
    """Found by the drill: a command reads the clock, a colleague records a later step on the track,
    then the command's event (no --at given) was refused as bad input (exit 2) about an --at never given."""
    from screening.errors import StaleWrite

    t0 = datetime(2026, 11, 23, 10, 0, tzinfo=STOCKHOLM)  # the clock is injected: the test means the same any day
    reg = Registration(birth_date=t0.date() - timedelta(days=9 * 365), municipality="Östersund",
                                notice_at=t0)
    with SqlUnitOfWork(demo_db) as uow:
        case_id, _ = register_in(uow, actor_in(uow, RECEPTION), reg, now=t0, recorded_at=t0, policy=POLICY)
    with SqlUnitOfWork(demo_db) as uow:
        record_event(uow, actor_in(uow, RECEPTION), case_id, "notify_parties", {}, policy=POLICY, now=t0, recorded_at=t0)
    mine = t0 + timedelta(minutes=1)  # my command reads the clock ...
    theirs = mine + timedelta(seconds=1)  # ... a colleague books a moment later and commits first
    with SqlUnitOfWork(demo_db) as uow:
        record_event(uow, actor_in(uow, "hc-lugnvik"), case_id, "book_health_conversation", {"start": (t0 + timedelta(days=3)).isoformat()},
                             policy=POLICY, now=theirs, recorded_at=theirs)
    with SqlUnitOfWork(demo_db) as uow, pytest.raises(StaleWrite, match="changed by someone else meanwhile") as refused:
        record_event(uow, actor_in(uow, "hc-lugnvik"), case_id, "cancel_booking", {}, policy=POLICY, now=mine,
                             recorded_at=mine)
    assert refused.value.exit_code == 1
