"""One child on the cases of two municipalities, most often after a move: an identity number is unique
within a municipality only. A notice registered in another municipality than the case that has its
number is answered exactly as a new child's (any refusal would tell the registering unit of the other
case) and becomes that municipality's case; the coordinators, and only they, are warned at once, naming
both cases, to resolve them (the old case moved out or closed, the warning acknowledged)."""

from __future__ import annotations

from datetime import datetime

from screening.identity import ELSEWHERE as RULE
from screening.model import Case

OWNER = "coordinator"  # no other party receives it (`access.alert_owner_filter`)


def elsewhere(uow, case: Case, keys, now: datetime) -> list[str]:
    """The other municipalities' cases with one of the identity numbers `keys` the case was just given,
    by id; where there are any, a warning to the coordinators at once (its e-mail names both cases).
    The ids are for the audit row's detail, which no registering unit reads (`case history` shows none)."""
    given = {key: getattr(case, key) for key in keys if getattr(case, key)}
    others = uow.cases.elsewhere(given, case.municipality) if given else []
    if others:
        alert_id = uow.alerts.raise_warning(case.id, RULE, OWNER, now, now)
        if alert_id is not None:
            uow.outbox.queue(f"alert:{alert_id}:1", "alert", now, ref=alert_id, payload={"elsewhere": others})
    return [other["id"] for other in others]
