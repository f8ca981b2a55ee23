"""The 0–17 agreement as three state machines: one declarative table per track.

Each row names its clause so that a reader can check it against the agreement line by line.
One shared machine per track serves every case (`model=None`); an event is fired with
`machine.events[name].trigger(case, ...)` on the plain domain object.
"""

from __future__ import annotations

from functools import cache

from workflows import guards

HEALTH_STATES = ["registered", "verifying_previous", "parties_notified", "conversation_booked",
                 "samples_taken", "results_received", "examination_booked", "examined",
                 "declined", "moved_out", "closed"]
SCHOOL_STATES = ["not_started", "intro_invited", "intro_held", "plan_made", "started",
                 "started_adapted", "postponed"]
VACCINATION_STATES = ["not_started", "records_requested", "assessed", "plan_made", "in_progress",
                      "complete", "not_needed"]

HEALTH_FINAL = ["moved_out", "closed"]
_ACTIVE = HEALTH_STATES[:8]  # registered .. examined
_RESULTS_IN = ["results_received", "examination_booked", "examined"]

HEALTH = [
    # B: a child already in Sweden: done -> the health track is satisfied; else the normal track (A)
    {"trigger": "verify_previous_screening", "source": "verifying_previous", "dest": "examined",
     "conditions": guards.previous_screening_done},
    {"trigger": "verify_previous_screening", "source": "verifying_previous", "dest": "registered",
     "unless": guards.previous_screening_done},
    # step 2: HC, school and preschool told the same day; told again after an arrival change
    {"trigger": "notify_parties", "source": "registered", "dest": "parties_notified"},
    {"trigger": "notify_parties", "source": _ACTIVE[2:], "dest": None,
     "conditions": guards.arrival_changed_since_notified},
    {"trigger": "change_arrival", "source": _ACTIVE, "dest": None},
    # step 3: the health conversation with samples, interpreter, letter; rebooking and cancelling
    {"trigger": "book_health_conversation", "source": ["parties_notified", "conversation_booked"],
     "dest": "conversation_booked"},
    {"trigger": "cancel_booking", "source": "conversation_booked", "dest": "parties_notified"},
    # step 5: conversation held, samples taken
    {"trigger": "hold_health_conversation", "source": "conversation_booked", "dest": "samples_taken"},
    # step 6: all results in, obstacle yes/no; the medical content stays in the HC
    {"trigger": "record_results", "source": "samples_taken", "dest": "results_received"},
    # steps 6-7: the family, then the reception unit (obstacle yes/no only, never the results)
    {"trigger": "inform_family", "source": _RESULTS_IN, "dest": None},
    {"trigger": "inform_reception", "source": _RESULTS_IN, "dest": None},
    # step 6, OSL 12 kap. 2-3 §§: a copy to school health only with recorded consent
    {"trigger": "record_consent", "source": _ACTIVE, "dest": None},
    {"trigger": "share_with_school_health", "source": _RESULTS_IN, "dest": None,
     "conditions": guards.consent_for_school_health},
    # steps 6, 9: the doctor's examination
    {"trigger": "book_examination", "source": ["results_received", "examination_booked"], "dest": "examination_booked"},
    {"trigger": "hold_examination", "source": "examination_booked", "dest": "examined"},
    # § 5: participation is voluntary; a decline stops the health track without a breach
    {"trigger": "decline", "source": _ACTIVE[:-1], "dest": "declined"},
    {"trigger": "move_out", "source": _ACTIVE + ["declined"], "dest": "moved_out"},
    # step 2, 3: the notice corrected or completed (update_details); a new health centre books anew
    {"trigger": "update_details", "source": "conversation_booked", "dest": "parties_notified",
     "conditions": guards.new_health_centre},
    {"trigger": "update_details", "source": "examination_booked", "dest": "results_received",
     "conditions": guards.new_health_centre},
    {"trigger": "update_details", "source": _ACTIVE + ["declined"], "dest": None},
    {"trigger": "close", "source": _ACTIVE + ["declined"], "dest": "closed"},
]

SCHOOL = [
    # step 4: introduction meeting and plan, after individual assessment
    {"trigger": "invite_intro_meeting", "source": "not_started", "dest": "intro_invited"},
    {"trigger": "hold_intro_meeting", "source": ["not_started", "intro_invited"], "dest": "intro_held"},
    {"trigger": "make_intro_plan", "source": "intro_held", "dest": "plan_made"},
    # step 8: preschool waits for all results; step 9: an open obstacle is resolved or adapted first
    {"trigger": "start_school", "source": ["plan_made", "postponed"], "dest": "started",
     "conditions": guards.school_start_allowed},
    {"trigger": "start_preschool", "source": ["plan_made", "postponed"], "dest": "started",
     "conditions": guards.preschool_start_allowed},
    # step 9: smittskydd: start with adaptations decided by the HC, or postponed
    {"trigger": "start_with_adaptations", "source": ["plan_made", "postponed"], "dest": "started_adapted",
     "conditions": guards.obstacle_found},
    {"trigger": "postpone_start", "source": ["intro_held", "plan_made"], "dest": "postponed"},
]

VACCINATION = [
    # vacc 1, C: school health orders the records
    {"trigger": "request_records", "source": "not_started", "dest": "records_requested"},
    {"trigger": "assess_vaccinations", "source": ["not_started", "records_requested"], "dest": "not_needed",
     "conditions": guards.vaccinations_complete},
    {"trigger": "assess_vaccinations", "source": ["not_started", "records_requested"], "dest": "assessed",
     "unless": guards.vaccinations_complete},
    # vacc 2: the responsible unit (BVC before school start, school health after) plans and gives
    {"trigger": "make_vaccination_plan", "source": "assessed", "dest": "plan_made"},
    {"trigger": "give_catch_up_dose", "source": ["plan_made", "in_progress"], "dest": "in_progress"},
    {"trigger": "complete_vaccinations", "source": ["plan_made", "in_progress"], "dest": "complete"},
]

TRACKS = {
    "health": (HEALTH_STATES, HEALTH, HEALTH_FINAL),
    "school": (SCHOOL_STATES, SCHOOL, ["started", "started_adapted"]),
    "vaccination": (VACCINATION_STATES, VACCINATION, ["complete", "not_needed"]),
}
INITIAL = {"health": "registered", "school": "not_started", "vaccination": "not_started"}
EVENT_TRACK = {row["trigger"]: track for track, (_, rows, _) in TRACKS.items() for row in rows}


@cache
def machine(track: str):
    """The one shared machine of a track."""
    from transitions import Machine

    states, rows, _ = TRACKS[track]
    return Machine(model=None, states=states, transitions=rows, initial=None, auto_transitions=False,
                   model_attribute=f"{track}_state", send_event=True)
