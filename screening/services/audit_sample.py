"""The access log's follow-up (HSLF-FS 2016:40 4 kap. 9 §): a documented random sample of the reads of
cases for a coordinator (or a health centre, of its own cases' reads) to review, and the review; both
are kept in the audit trail.

How a sample is drawn, so that anyone can draw it again from the audit trail:
- the population is the ids, ascending, of the reads of cases (audit rows with a case and no event:
  `show`, `list`, `history`, `letter`, `alerts`, `calendar`, `outbox` …) whose time falls in the period
  (its first day 00:00 to the day after its last, Swedish time), no newer than the newest row when the
  sample was drawn (`up_to`), and for a health centre only those of the cases it has now;
- a 64-bit seed comes from the operating system's random source (`secrets`);
- the sample is `random.Random(int(seed, 16)).sample(population, k)`, k the size asked (all of the
  population if it is smaller), shown in id order.
The sample's row (`sample`) records the period, the centre, `up_to`, the seed, the population's size
and the ids drawn; the review's row (`review`) the sample's id and the outcome.
"""

from __future__ import annotations

import random
import secrets
from datetime import date, datetime, time, timedelta

from screening import access, clock
from screening.errors import BadInput, NotFound, Refused
from screening.model import Actor, AuditEntry
from screening.text import check_line

DEFAULT_SIZE = 20
SIZE_LIMIT = 500
DEFAULT_DAYS = 30  # the period, unless one is given: the last 30 days, today included
FINDING_LIMIT = 500


def choose(population: list[int], size: int, seed: int) -> list[int]:
    """The documented draw: `size` of the population (all if fewer), by a PRNG seeded with `seed`, in id order."""
    return sorted(random.Random(seed).sample(population, min(size, len(population))))


def draw(app, actor: Actor, *, size: int = DEFAULT_SIZE, start: date | None = None,
         end: date | None = None) -> list[dict]:
    """Draw a random sample of the reads of cases in the period (default: the last 30 days) for the
    access log's follow-up and record it; returns the sample (its id for the review, the period, the
    population's size) and the reads drawn: when, who, which organisation, which case, what kind."""
    centre = access.sample_scope(actor)
    if not 1 <= size <= SIZE_LIMIT:
        raise BadInput("a sample holds 1 to {limit} reads, not {size}", limit=SIZE_LIMIT, size=size)
    now, real = app.clock.now(), app.clock.real()
    end = end or clock.local_date(now)
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise BadInput("the period starts on {start} after it ends on {end}", start=start, end=end)
    with app.uow() as uow:
        up_to = uow.audit.newest()
        population = uow.audit.reads(_midnight(start), _midnight(end + timedelta(days=1)), health_centre=centre,
                                     up_to=up_to)
        seed = secrets.randbits(64)
        chosen = choose(population, size, seed)
        sample_id = _new_id({row["detail"].get("sample") for row in uow.audit.administration(("sample",))})
        uow.audit.record(AuditEntry(None, "sample", None, now, real, actor.user_id, {
            "sample": sample_id, "from": start.isoformat(), "to": end.isoformat(), "health_centre": centre,
            "up_to": up_to, "seed": f"{seed:016x}", "population": len(population), "reads": chosen}))
        shown = uow.audit.entries(chosen)
        uow.commit()
    reads = [{"sample": sample_id, "id": row["id"], "at": clock.local_iso(row["at"]), "user": row["user_id"],
              "name": row.get("user_name"), "org": row["org_id"], "case": row["case_id"], "kind": row["action"]}
             for row in shown]
    return {"sample": sample_id, "from": start.isoformat(), "to": end.isoformat(), "health_centre": centre,
            "population": len(population), "reads": reads}


def review(app, actor: Actor, sample_id: str, *, finding: str | None = None) -> dict:
    """Record the review of a sample: no remark (`finding` None), or a finding, one line in the
    reviewer's words without medical content (who read which case when, and why that was wrong)."""
    access.require_command(actor, "audit_sample")
    if finding is not None:
        try:
            finding = check_line(finding.strip(), FINDING_LIMIT)
        except BadInput as error:
            raise BadInput("the finding {error}", error=error) from None
        if not finding:
            raise BadInput("a finding says what was found: it is empty")
    with app.uow() as uow:
        drawn = next((row for row in uow.audit.administration(("sample",))
                      if row["detail"].get("sample") == sample_id), None)
        if drawn is None or not access.may_review(actor, drawn["detail"].get("health_centre")):
            raise NotFound("unknown sample '{sample}'", sample=sample_id)
        done = next((row for row in uow.audit.administration(("review",))
                     if row["detail"].get("sample") == sample_id), None)
        if done is not None:
            raise Refused("the sample {sample} was reviewed already, by {user} on {at}", sample=sample_id,
                          user=done["user_id"], at=done["at"])
        outcome = {"sample": sample_id, "outcome": "ok" if finding is None else "finding",
                   **({} if finding is None else {"finding": finding})}
        uow.audit.record(AuditEntry(None, "review", None, app.clock.now(), app.clock.real(), actor.user_id, outcome))
        uow.commit()
    return {**outcome, "reads": len(drawn["detail"].get("reads", [])), "drawn_by": drawn["user_id"]}


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=clock.STOCKHOLM)


def _new_id(taken: set) -> str:
    while (found := secrets.token_hex(4)) in taken:
        pass
    return found
