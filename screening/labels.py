"""Swedish labels shown beside the contract's English names."""

STATES_SV = {
    "health": {
        "registered": "Registrerad",
        "verifying_previous": "Kontrollerar tidigare screening",
        "parties_notified": "Parter underrättade",
        "conversation_booked": "Hälsosamtal bokat",
        "samples_taken": "Prover tagna",
        "results_received": "Provsvar klara",
        "examination_booked": "Läkarundersökning bokad",
        "examined": "Undersökt",
        "declined": "Avböjt",
        "moved_out": "Utflyttad",
        "closed": "Avslutad",
    },
    "school": {
        "not_started": "Ej påbörjad",
        "intro_invited": "Inbjuden till inskolningssamtal",
        "intro_held": "Inskolningssamtal hållet",
        "plan_made": "Inskolningsplan klar",
        "started": "Har börjat",
        "started_adapted": "Har börjat med anpassningar",
        "postponed": "Start uppskjuten",
    },
    "vaccination": {
        "not_started": "Ej påbörjad",
        "records_requested": "Journaler begärda",
        "assessed": "Bedömd",
        "plan_made": "Vaccinationsplan klar",
        "in_progress": "Kompletterande vaccination pågår",
        "complete": "Klar",
        "not_needed": "Behövs inte",
    },
}

TRACKS_SV = {"health": "Hälsa", "school": "Skola/förskola", "vaccination": "Vaccination"}

UNITS_SV = {"bvc": "BVC", "school_health": "Elevhälsan", None: "avgörs (6 år: fråga)"}


def state_label(track: str, state: str) -> str:
    return f"{state} ({STATES_SV[track].get(state, state)})"

STATUS_SV = {"open": "öppen", "met": "klar i tid", "late": "klar för sent", "breached": "försenad",
             "cancelled": "gäller inte"}
