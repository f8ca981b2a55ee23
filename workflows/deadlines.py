"""The deadline rule table and its evaluation. Pure: takes the case, the rules, the calendar, `now`.

`evaluate(case, rules, calendar, now)` answers, for every rule whose clock has started, when it
started, when it is due, its status and who answers for it (§ 10: a delay upstream is not
counted against the party downstream).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

from screening.clock import STOCKHOLM
from screening.errors import BadInput
from screening.model import Case, age_on
from screening.workdays import WorkingDays, end_of_day
from workflows.routing import responsible_unit

BUNDLED = Path(__file__).parent / "data" / "deadlines.toml"
STATUSES = ("open", "met", "late", "breached", "cancelled")


@dataclass(frozen=True)
class Rule:
    name: str
    clause: str
    owner: str
    kind: str
    track: str
    starts: str
    ends: str
    working_days: int | None = None
    calendar_days: int | None = None
    months: int | None = None
    years: int | None = None
    cutoff: time | None = None
    upstream: str | None = None
    applies: str | None = None
    restarts: bool = False
    remind_days: int | None = None


@dataclass(frozen=True)
class Deadline:
    rule: str
    owner: str
    starts: datetime
    due: datetime
    status: str
    met_at: datetime | None
    attributed_to: str | None  # who answers for a late or breached deadline
    remind_at: datetime | None = None  # when the owner is reminded, if this rule reminds
    rules_version: int = 1  # the version of the rule table it was computed under

    @property
    def due_date(self) -> date:
        return self.due.astimezone(STOCKHOLM).date()


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), STOCKHOLM)


# Named clocks: when each rule starts for a case (None: not started, or not applicable).
STARTS = {
    # step 2, B: a child already in Sweden is notified once the previous screening is known not done
    "notice": lambda c: (c.previous_verified_at if c.previous_screening in ("no", "unknown") else None)
    if c.already_in_sweden else c.notice_at,
    # step 2: told again after a change, unless the first notification came after it (and said it)
    "arrival_changed": lambda c: c.arrival_changed_at if c.arrival_changed_at and c.parties_notified_at
    and c.parties_notified_at <= c.arrival_changed_at else None,
    "hc_informed": lambda c: c.hc_informed_at or c.parties_notified_at,  # step 3: the present HC told
    "samples_taken": lambda c: c.samples_taken_at,
    "results": lambda c: c.results_received_at,
    "arrival": lambda c: _local_midnight(c.arrival) if c.arrival else None,
    "examined": lambda c: c.examined_at,
    "birth": lambda c: _local_midnight(c.birth_date),
}


def load_rules(path: str | Path | None = None) -> dict[str, Rule]:
    """The bundled defaults, with a region's file (if any) overriding them key by key."""
    return rules_from(rule_table(path), path or BUNDLED)


def rules_from(raw: dict, source) -> dict[str, Rule]:
    """The rules of a table as written (a file's, or a version stored in the database), checked."""
    return {name: _rule(name, values, source) for name, values in raw.items()}


def rule_table(path: str | Path | None = None) -> dict:
    """The bundled table with a region's file over it, key by key, as written (not yet checked)."""
    raw = tomllib.loads(BUNDLED.read_text(encoding="utf-8"))
    if path is not None:
        try:
            override = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as error:
            raise BadInput("rules {path}: {error}", path=path, error=str(error)) from None
        for name, values in override.items():
            if name not in raw:
                raise BadInput("rules {path}: unknown rule '{rule}'", path=path, rule=name)
            if not isinstance(values, dict):
                raise BadInput("rules {path}: rule '{rule}': must be a table of keys", path=path, rule=name)
            raw[name] = {**raw[name], **values}
    return raw


def upstream_of(rules: dict[str, Rule]) -> dict[str, str]:
    """Each rule with an upstream step (§ 10), named by the rule: what the views attribute by."""
    return {name: rule.upstream for name, rule in rules.items() if rule.upstream}


_TYPES = {"working_days": int, "calendar_days": int, "months": int, "years": int, "restarts": bool,
          "clause": str, "owner": str, "kind": str, "track": str, "starts": str, "ends": str,
          "upstream": str, "applies": str, "cutoff": str, "remind_days": int}


def _rule(name: str, values, source) -> Rule:
    if not isinstance(values, dict):
        raise BadInput("rules {path}: rule '{rule}': must be a table of keys", path=source, rule=name)
    for key, value in values.items():
        expected = _TYPES.get(key)
        if expected is None:
            raise BadInput("rules {path}: rule '{rule}': unknown key '{key}'", path=source, rule=name, key=key)
        if expected is int and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise BadInput("rules {path}: rule '{rule}': {key} must be a whole number ≥ 0", path=source, rule=name,
                           key=key)
        if not isinstance(value, expected):
            raise BadInput("rules {path}: rule '{rule}': {key} must be {type}", path=source, rule=name, key=key,
                           type=expected.__name__)
    values = dict(values)
    if "cutoff" in values:
        try:
            values["cutoff"] = time.fromisoformat(values["cutoff"])
        except ValueError:
            raise BadInput("rules {path}: rule '{rule}': cutoff must be HH:MM", path=source, rule=name) from None
    try:
        rule = Rule(name=name, **values)
    except TypeError:
        raise BadInput("rules {path}: rule '{rule}': clause, owner, kind, track, starts and ends are required",
                       path=source, rule=name) from None
    if rule.starts not in STARTS:
        raise BadInput("rules {path}: rule '{rule}': unknown start '{start}'", path=source, rule=name,
                       start=rule.starts)
    if sum(v is not None for v in (rule.working_days, rule.calendar_days, rule.months, rule.years)) != 1:
        raise BadInput("rules {path}: rule '{rule}': give exactly one of working_days, calendar_days, months, years",
                       path=source, rule=name)
    return rule


def due_time(rule: Rule, start: datetime, calendar: WorkingDays) -> datetime:
    local = start.astimezone(STOCKHOLM)
    day = local.date()
    if rule.years is not None:  # scope: flagged when the birthday comes
        return end_of_day(_add_years(day, rule.years) - timedelta(days=1))
    if rule.months is not None:
        return end_of_day(_add_months(day, rule.months))
    if rule.calendar_days is not None:
        return end_of_day(day + timedelta(days=rule.calendar_days))
    same_day = rule.cutoff is not None or rule.working_days == 0
    after_cutoff = rule.cutoff is not None and local.time() >= rule.cutoff
    if same_day and (after_cutoff or not calendar.is_working_day(day)):
        day = calendar.next_working_day(day, inclusive=False)  # step 2: counts from the next working day
    # step 3: the day of the start is day 0; due at the end of the Nth working day after it
    return end_of_day(calendar.add(day, rule.working_days))


REMIND_WORKING_DAYS = 1  # a hard deadline's owner is reminded from the working day before it


def remind_time(rule: Rule, due: datetime, calendar: WorkingDays) -> datetime | None:
    """When the owner is reminded: `remind_days` before (the 18th birthday), or for a hard
    deadline from the start of the day whose next working day is the due date's (Friday for a
    Monday due, Maundy Thursday for the Tuesday after Easter); soft targets are not reminded."""
    if rule.remind_days:
        return due - timedelta(days=rule.remind_days)
    if rule.kind != "breach":
        return None
    due_day = due.astimezone(STOCKHOLM).date()
    day = due_day
    while calendar.add(day - timedelta(days=1), REMIND_WORKING_DAYS) >= due_day:
        day -= timedelta(days=1)
    return _local_midnight(day)


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # born on 29 February
        return date(day.year + years, 3, 1)


def _applies(rule: Rule, case: Case, today: date) -> bool:
    if rule.applies == "preschool":
        return case.preschool_id is not None
    if rule.applies == "school":
        return case.school_id is not None or (case.preschool_id is None and age_on(case.birth_date, today) >= 6)
    return True


def _cancelled(rule: Rule, case: Case, due: datetime) -> bool:
    """Is the deadline no longer owed? One already breached when the case ended stays breached (§ 10)."""
    if rule.track == "health" and case.declined_at is not None and due >= case.declined_at:
        return True  # § 5: a decline stops the health track without a breach
    if case.ended_at is not None and rule.track != "case" and due >= case.ended_at:
        return True  # moved out or closed: nothing more is owed here
    if rule.track == "vaccination" and case.vaccination_state == "not_needed":
        return True  # vacc 2: complete vaccinations need no plan
    return rule.name == "notify_parties" and case.already_in_sweden and case.previous_screening == "yes"


def still_owed_sql(rules: dict[str, Rule], deadline: str = "d", case: str = "c") -> str:
    """SQL: the open deadline `deadline` is still owed on its case `case` (joined by the caller):
    the case has not ended and, for a health step, the child has not declined. The sweep, the
    digest, the overview and the list of overdue cases all count with it, as `_cancelled` decides."""
    return (f"{deadline}.status = 'open' AND {case}.ended_at IS NULL "
            f"AND ({case}.declined_at IS NULL OR {deadline}.rule NOT IN ({health_steps_sql(rules)}))")


def health_steps_sql(rules: dict[str, Rule]) -> str:
    """SQL: the health track's rules, as a list for `IN (…)` (a child who declined owes none of them)."""
    return ", ".join(f"'{name}'" for name, rule in rules.items() if rule.track == "health") or "''"


def evaluate(case: Case, rules: dict[str, Rule], calendar: WorkingDays, now: datetime) -> list[Deadline]:
    today = now.astimezone(STOCKHOLM).date()
    found: dict[str, Deadline] = {}
    for rule in rules.values():
        start = STARTS[rule.starts](case)
        if start is None or not _applies(rule, case, today):
            continue
        due = due_time(rule, start, calendar)
        ended = getattr(case, rule.ends)
        if ended is not None and rule.restarts and ended < start:
            ended = None  # done for an earlier start: the new one is still owed
        if ended is not None:
            status = "met" if ended <= due else "late"
        elif _cancelled(rule, case, due):
            status, ended = "cancelled", None
        else:
            status, ended = ("breached" if now > due else "open"), None
        owner = rule.owner
        if owner == "vaccination_unit":  # vacc 2: BVC or school health, by the routing rule
            owner = responsible_unit(case, today) or "school_health"
        found[rule.name] = Deadline(rule.name, owner, start, due, status, ended, None,
                                    remind_time(rule, due, calendar))
    by_rule = {d.rule: (d.status in ("late", "breached"), d.owner, None) for d in found.values()}
    upstream = upstream_of(rules)
    return [replace(d, attributed_to=answerable(d.rule, by_rule, upstream)) for d in found.values()]


def answerable(name: str, by_rule: dict[str, tuple[bool, str, str | None]], upstream: dict[str, str]) -> str | None:
    """Who answers for the deadline `name` (§ 10: a delay upstream is not counted against the party
    after it): nobody while it is neither late nor breached; else whoever answers for its upstream
    step, if that one is late or breached too; else its own owner. `by_rule` gives each rule's
    (late or breached, owner, who answers as stored, if stored)."""
    behind, owner, stored = by_rule[name]
    if stored or not behind:
        return stored
    before = upstream.get(name)
    return (before in by_rule and answerable(before, by_rule, upstream)) or owner
