"""Guards of the agreement's transitions. Each takes transitions' EventData (case, params).

A guard that protects a rule raises `Refused` with the reason; a condition that only picks
between two destinations returns a bool.
"""

from __future__ import annotations

from screening.errors import Refused


def _case(event):
    return event.model


def _params(event) -> dict:
    return event.kwargs.get("params", {})


def previous_screening_done(event) -> bool:
    return _params(event)["done"] == "yes"


def vaccinations_complete(event) -> bool:
    return _params(event)["status"] == "complete"


def arrival_changed_since_notified(event) -> bool:
    # step 2: parties are told again after an arrival change, not twice for nothing
    case = _case(event)
    if case.arrival_changed_at is None or (case.renotified_at and case.renotified_at >= case.arrival_changed_at):
        raise Refused("the parties were already notified; notify again only after an arrival change")
    return True


def consent_for_school_health(event) -> bool:
    # step 6; OSL 12 kap. 2-3 §§: HC and school health are different authorities
    case = _case(event)
    if case.consent_scope != "school_health" or not case.consent_given_by:
        raise Refused("sharing with school health needs the guardian's or god man's recorded consent (record_consent)")
    return True


def school_start_allowed(event) -> bool:
    # step 9: not blocked by missing results, but an open obstacle is adapted or postponed first
    if _case(event).obstacle is True:
        raise Refused("there is an obstacle to school start: use start_with_adaptations or postpone_start")
    return True


def preschool_start_allowed(event) -> bool:
    # step 8: preschool start only after all infection-control sample results are received
    case = _case(event)
    if case.results_received_at is None:
        raise Refused("preschool start waits until all sample results are received (step 8)")
    if case.obstacle is True:
        raise Refused("there is an obstacle to preschool start: use start_with_adaptations or postpone_start")
    return True


def new_health_centre(event) -> bool:
    # update_details: another health centre takes the child; what was booked at the old one is off
    given = _params(event).get("health_centre")
    return bool(given) and given != _case(event).health_centre_id


def obstacle_found(event) -> bool:
    if _case(event).obstacle is not True:
        raise Refused("start with adaptations applies only where the results give an obstacle (step 9)")
    return True
