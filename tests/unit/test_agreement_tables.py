"""The three track tables are well-formed state charts (as python-statemachine checks its own)."""

from __future__ import annotations

import pytest

from workflows.agreement import EVENT_TRACK, INITIAL, TRACKS, machine
from workflows.events import EVENTS


def _edges(rows):
    for row in rows:
        sources = row["source"] if isinstance(row["source"], list) else [row["source"]]
        for source in sources:
            yield source, row["dest"] or source, row["trigger"]


@pytest.mark.parametrize("track", TRACKS)
def test_each_track_has_one_initial_state_that_exists(track):
    states, _, _ = TRACKS[track]
    assert INITIAL[track] in states


@pytest.mark.parametrize("track", TRACKS)
def test_every_state_is_reachable_from_the_start(track):
    states, rows, _ = TRACKS[track]
    # a child already in Sweden starts the health track in verifying_previous (path A-E)
    reached = {INITIAL[track]} | ({"verifying_previous"} if track == "health" else set())
    frontier = list(reached)
    while frontier:
        state = frontier.pop()
        for source, dest, _ in _edges(rows):
            if source == state and dest not in reached:
                reached.add(dest)
                frontier.append(dest)
    assert reached == set(states)


@pytest.mark.parametrize("track", TRACKS)
def test_no_event_leaves_a_final_state(track):
    _, rows, finals = TRACKS[track]
    assert finals, "every track ends somewhere"
    assert [(s, e) for s, _, e in _edges(rows) if s in finals] == []


@pytest.mark.parametrize("track", TRACKS)
def test_every_transition_names_known_states(track):
    states, rows, _ = TRACKS[track]
    for source, dest, _ in _edges(rows):
        assert source in states and dest in states


def test_every_event_has_a_role_table_entry_and_exactly_one_track():
    assert set(EVENT_TRACK) == set(EVENTS)


def test_one_shared_machine_per_track():
    assert machine("health") is machine("health")
    assert machine("health").models == []  # no case is ever attached to it
