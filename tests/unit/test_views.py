"""How stored deadlines are shown: a past-due one not done is breached, attributed as `evaluate` does."""

from __future__ import annotations

from datetime import datetime, timedelta

from screening.clock import STOCKHOLM
from screening.views import deadline_views
from workflows.deadlines import load_rules, upstream_of

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=STOCKHOLM)
UPSTREAM = upstream_of(load_rules())


def stored(rule: str, owner: str, due: datetime, status: str = "open", attributed_to: str | None = None) -> dict:
    return {"rule": rule, "owner": owner, "starts": due - timedelta(days=5), "due": due, "status": status,
            "met_at": None, "attributed_to": attributed_to}


def test_an_open_deadline_past_its_due_is_shown_breached_and_its_owners():
    [view] = deadline_views([stored("book_health_conversation", "health_centre", NOW - timedelta(hours=1))], NOW,
                            UPSTREAM)
    assert (view["status"], view["attributed_to"]) == ("breached", "health_centre")


def test_an_open_deadline_before_its_due_is_open_and_nobodys():
    [view] = deadline_views([stored("book_health_conversation", "health_centre", NOW + timedelta(hours=1))], NOW,
                            UPSTREAM)
    assert (view["status"], view["attributed_to"]) == ("open", None)


def test_a_breach_downstream_of_a_breached_upstream_step_is_the_upstream_owners():
    [(rule, upstream)] = list(UPSTREAM.items())[:1]  # § 10: e.g. a school start after a late notice
    views = {v["rule"]: v for v in deadline_views([
        stored(upstream, "reception_unit", NOW - timedelta(days=20)),
        stored(rule, "school", NOW - timedelta(days=1)),
    ], NOW, UPSTREAM)}
    assert views[rule]["status"] == "breached"
    assert views[rule]["attributed_to"] == "reception_unit"


def test_a_breach_downstream_of_a_step_done_on_time_is_its_own_owners():
    [(rule, upstream)] = list(UPSTREAM.items())[:1]
    views = {v["rule"]: v for v in deadline_views([
        stored(upstream, "reception_unit", NOW - timedelta(days=20), status="met"),
        stored(rule, "school", NOW - timedelta(days=1)),
    ], NOW, UPSTREAM)}
    assert views[rule]["attributed_to"] == "school"


def test_a_stored_attribution_is_kept():
    [view] = deadline_views([stored("inform_family", "health_centre", NOW - timedelta(days=3), status="late",
                                    attributed_to="reception_unit")], NOW, UPSTREAM)
    assert (view["status"], view["attributed_to"]) == ("late", "reception_unit")
