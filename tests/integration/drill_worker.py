"""One process of the concurrency drill (tests/integration/test_concurrency_drill.py).

Started with multiprocessing's "spawn" context, so that it imports the product afresh and opens
connections of its own. It waits at the barrier with the other processes, then works through its
script: for each step it reads the case (a plain repository read, no audit row) and applies an event
the tables allow from the state it read (with `expected_version` on some steps), or applies the
scripted event blind; through the service layer, or on some steps by running the real `screening`
command. Each attempt is written as one
JSON line: what was tried, when, and how it ended (applied with the new version, refused with the
error's class, code and message, or anything else with its traceback). Every child is invented.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import traceback
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# What a user of each role does next on a track, from the state they read: (event, weight). The
# weights keep the cases cycling (rebook, cancel, another dose) instead of racing to the end.
NEXT = {
    "health": {
        "parties_notified": [("book_health_conversation", 6), ("change_arrival", 1)],
        "conversation_booked": [("book_health_conversation", 4), ("cancel_booking", 3),
                                ("hold_health_conversation", 1), ("change_arrival", 1)],
        "samples_taken": [("record_results", 3), ("change_arrival", 1)],
        "results_received": [("inform_family", 2), ("inform_reception", 2), ("book_examination", 2),
                             ("change_arrival", 1)],
        "examination_booked": [("book_examination", 3), ("hold_examination", 1), ("inform_family", 1)],
        "examined": [("inform_reception", 2), ("inform_family", 1), ("change_arrival", 1)],
    },
    "school": {
        "not_started": [("invite_intro_meeting", 3), ("hold_intro_meeting", 1)],
        "intro_invited": [("hold_intro_meeting", 1)],
        "intro_held": [("make_intro_plan", 3), ("postpone_start", 1)],
        "plan_made": [("start_school", 2), ("postpone_start", 1), ("start_with_adaptations", 1)],
        "postponed": [("start_school", 1), ("start_with_adaptations", 1)],
    },
    "vaccination": {
        "not_started": [("request_records", 2), ("assess_vaccinations", 1)],
        "records_requested": [("assess_vaccinations", 1)],
        "assessed": [("make_vaccination_plan", 1)],
        "plan_made": [("give_catch_up_dose", 3)],
        "in_progress": [("give_catch_up_dose", 3), ("complete_vaccinations", 1)],
    },
}
# After an arrival change the reception unit tells the parties again (step 2).
RENOTIFY = ("notify_parties", 1)
ROLE_OF_EVENT = {
    "change_arrival": "reception", "notify_parties": "reception", "decline": "reception",
    "invite_intro_meeting": "school", "hold_intro_meeting": "school", "make_intro_plan": "school",
    "start_school": "school", "postpone_start": "school", "start_with_adaptations": "school",
    "request_records": "school_health", "assess_vaccinations": "school_health",
    "make_vaccination_plan": "school_health", "give_catch_up_dose": "school_health",
    "complete_vaccinations": "school_health",
}


def user_of(index: int, event: str, role: str | None = None) -> str:
    """The process's own user of the role (by default the one that applies the event; else health centre staff)."""
    return f"drill{index}-{role or ROLE_OF_EVENT.get(event, 'health_centre')}"


def params_for(event: str, rng: random.Random, today) -> dict[str, str]:
    if event in ("book_health_conversation", "book_examination"):
        day = today + timedelta(days=rng.randint(2, 20))
        return {"start": f"{day.isoformat()}T{rng.randint(8, 15):02d}:{rng.choice((0, 15, 30, 45)):02d}"}
    if event == "change_arrival":
        return {"arrival": (today + timedelta(days=rng.randint(-3, 30))).isoformat()}
    if event == "record_results":
        return {"obstacle": rng.choice(("no", "no", "no", "yes")), "note": "Påhittat provsvar"}
    if event == "assess_vaccinations":
        return {"status": rng.choice(("missing", "missing", "unknown"))}
    if event == "give_catch_up_dose":
        return {"vaccine": rng.choice(("MPR", "DTP-IPV"))}
    if event in ("postpone_start", "start_with_adaptations", "decline"):
        return {"reason": "Påhittat skäl"}
    if event == "hold_examination":
        return {"note": "Påhittat utlåtande"}
    return {}


def choose(track: str, case, rng: random.Random) -> str | None:
    """An event the tables allow from the case's state on the track (a guard may still refuse it)."""
    options = list(NEXT[track].get(getattr(case, f"{track}_state"), []))
    if track == "health" and case.arrival_changed_at is not None and (
            case.renotified_at is None or case.renotified_at < case.arrival_changed_at):
        options.append(RENOTIFY)
    if not options:
        return None
    events, weights = zip(*options)
    return rng.choices(events, weights)[0]


def main(index: int, url: str, script: list[dict], barrier, out_path: str) -> None:
    """The process's life: warm up (imports, a connection), wait for the others, run the script."""
    from screening.clock import STOCKHOLM
    from screening.services.events import record_event
    from screening.services.users import actor_in
    from screening.storage.unit_of_work import SqlUnitOfWork
    from workflows.policy import Policy

    policy = Policy.default()
    rng = random.Random(1000 + index)
    with SqlUnitOfWork(url) as uow:  # the schema check and a pooled connection, before the start
        uow.cases.get(script[0]["case"])
    out = open(out_path, "w", encoding="utf-8")

    def now() -> datetime:
        return datetime.now(STOCKHOLM)

    def write(record: dict) -> None:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()

    def read(case_id: str):
        with SqlUnitOfWork(url) as uow:
            return uow.cases.get(case_id)

    def apply(case_id: str, event: str, params: dict, expected_version: int | None, role=None) -> dict:
        user = user_of(index, event, role)
        at = now()  # at = now = recorded_at: unique per process, and matched in the audit trail
        record = {"worker": index, "via": "service", "case": case_id, "event": event, "user": user,
                  "at": at.isoformat(), "expected_version": expected_version}
        try:
            with SqlUnitOfWork(url) as uow:
                case = record_event(uow, actor_in(uow, user), case_id, event, params, policy=policy, now=at,
                                            recorded_at=at, expected_version=expected_version)
        except Exception as error:  # noqa: BLE001 - every outcome is recorded; the test judges it
            return {**record, **_failure(error)}
        return {**record, "outcome": "applied", "version": case.version}

    def apply_by_cli(case_id: str, event: str, params: dict, expected_version: int | None, role=None) -> dict:
        user = user_of(index, event, role)
        argv = [sys.executable, "-m", "cli", "--db", url, "--as", user, "--json", "case", "event", case_id, event]
        for key, value in params.items():
            argv += ["--set", f"{key}={value}"]
        if expected_version is not None:
            argv += ["--if-version", str(expected_version)]
        env = {k: v for k, v in os.environ.items()
               if k not in ("SCREENING_DEBUG", "SCREENING_NOW", "SCREENING_DB", "SCREENING_USER")}
        started = now()
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        record = {"worker": index, "via": "cli", "case": case_id, "event": event, "user": user,
                  "started": started.isoformat(), "ended": now().isoformat(), "expected_version": expected_version,
                  "exit": done.returncode, "stdout": done.stdout, "stderr": done.stderr}
        if done.returncode == 0:
            return {**record, "outcome": "applied", "version": None}
        try:
            error = json.loads(done.stdout)["error"]
        except (ValueError, KeyError, TypeError):
            error = {"code": None, "message": None}
        kind = "refused" if done.returncode in (1, 2) else "unexpected"
        return {**record, "outcome": kind, "code": error["code"], "message": error["message"]}

    barrier.wait(timeout=120)
    for step in script:
        case_id, track = step["case"], step["track"]
        if step["blind"]:  # no read: the event as scripted, whatever the case's state now
            event, expected = step["event"], None
        else:
            try:
                case = read(case_id)
            except Exception as error:  # noqa: BLE001
                write({"worker": index, "via": "read", "case": case_id, **_failure(error)})
                continue
            event = choose(track, case, rng)
            if event is None:
                continue
            expected = case.version if step["if_version"] else None
        params = params_for(event, rng, now().date())
        role = step.get("role") if step["blind"] else None
        write((apply_by_cli if step["via"] == "cli" else apply)(case_id, event, params, expected, role))
    out.close()


def _failure(error: Exception) -> dict:
    from screening.errors import ScreeningError

    if isinstance(error, ScreeningError):
        return {"outcome": "refused", "error": type(error).__name__, "code": error.code, "message": error.message}
    return {"outcome": "unexpected", "error": f"{type(error).__module__}.{type(error).__name__}",
            "message": str(error), "traceback": traceback.format_exc()}
