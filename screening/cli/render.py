"""Human output with rich: tables and panels in the person's language (`screening.words`: Swedish,
or English with the language setting), organisations by name, times in local form. `--json` prints
the contract's names instead; nothing here is read by a program."""

from __future__ import annotations

from functools import cache

from screening.words import Words

# Control characters in stored free text (a name, a note, a reason) could move the cursor, retitle
# the window or worse in a staff member's terminal: every string shown loses them, but a line break.
_CONTROLS = dict.fromkeys([*range(0x00, 0x20), *range(0x7F, 0xA0)], "\N{REPLACEMENT CHARACTER}")
_CONTROLS.pop(ord("\n"))


def printable(text: str) -> str:
    """The text with every control character but a line break shown as U+FFFD."""
    return text.translate(_CONTROLS)


@cache
def console():
    import sys

    from rich.console import Console

    class PlainConsole(Console):
        """Strings are shown as they are, never read as markup ([red]) or emoji codes (:x:), and
        without control characters (`printable`): stored text is shown, not obeyed."""

        def render_str(self, text: str, **options):
            return super().render_str(printable(text), **options)

    # Piped to a file or another program: wide enough that tables are not cut.
    return PlainConsole(highlight=False, markup=False, emoji=False, width=None if sys.stdout.isatty() else 160)


LABELS = {
    "sv": {
        "organisations": "Organisationer", "users": "Användare", "id": "id", "kind": "typ", "name": "namn",
        "municipality": "kommun", "whole_region": "hela regionen", "role": "roll", "org": "organisation",
        "case": "Ärende {id}", "born_age": "Född / ålder", "years": "{age} år", "identity": "Identitet",
        "identity_missing": "identitet saknas (inget person-, samordnings- eller dossiernummer)",
        "language": "Språk / tolk", "interpreter": "tolk behövs", "no_interpreter": "ingen tolk",
        "arrival": "Ankomst", "unknown": "okänd", "notice": "Avisering", "health_centre": "Hälsocentral",
        "school_preschool": "Skola / förskola", "unaccompanied": "ensamkommande", "vaccinated_by": "Vaccination av",
        "unit_undecided": "avgörs (6 år: fråga)", "conversation": "Hälsosamtal", "not_booked": "ej bokat",
        "examination": "Läkarundersökning", "not_booked_f": "ej bokad", "results": "Provsvar",
        "not_ready": "inte klara", "obstacle": "hinder", "obstacle_unknown": "ej känt", "declined": "Avböjt",
        "results_note": "Provsvar, journal", "examination_note": "Undersökning, journal", "reason": "Anledning",
        "municipality_label": "Kommun", "name_label": "Namn", "interpreter_order": "Tolkbeställning",
        "deadlines": "Tidsfrister", "step": "steg", "owner": "ansvarig", "due": "senast", "status": "läge",
        "met": "klart", "late_because": "sen på grund av",
        "cases": "Ärenden ({n})", "born": "född", "health": "hälsa", "school": "skola", "vaccination": "vaccination",
        "hc": "hälsocentral", "next_page": "Fler ärenden kan finnas: nästa sida med --after {id}",
        "late": "försenat", "late_own": "Försenat hos er ({n})", "late_others": "Försenat hos andra ({n})",
        "theirs": "hos {party}", "history": "Händelser, ärende {id}", "what": "vad", "at": "när",
        "recorded": "registrerat", "user": "användare",
        "alert": "larm", "raised": "larmat", "ack": "kvitterat", "outbox": "Utkorgen ({n})", "key": "nyckel",
        "attempts": "försök", "next_try": "nästa försök", "sent": "skickat", "last_error": "senaste fel",
        "free": "Lediga tider, {centre} ({n})", "start": "börjar", "end": "slutar", "alerts": "Larm",
        "sweep": "Genomgång {at}",
    },
    "en": {
        "organisations": "Organisations", "users": "Users", "id": "id", "kind": "kind", "name": "name",
        "municipality": "municipality", "whole_region": "whole region", "role": "role", "org": "organisation",
        "case": "Case {id}", "born_age": "Born / age", "years": "{age} years", "identity": "Identity",
        "identity_missing": "identity missing (no personal, coordination or dossier number)",
        "language": "Language / interpreter", "interpreter": "interpreter needed", "no_interpreter": "no interpreter",
        "arrival": "Arrival", "unknown": "unknown", "notice": "Notice", "health_centre": "Health centre",
        "school_preschool": "School / preschool", "unaccompanied": "unaccompanied", "vaccinated_by": "Vaccinated by",
        "unit_undecided": "to be decided (age 6: ask)", "conversation": "Health conversation",
        "not_booked": "not booked", "examination": "Doctor's examination", "not_booked_f": "not booked",
        "results": "Results", "not_ready": "not in", "obstacle": "obstacle", "obstacle_unknown": "not known",
        "declined": "Declined", "results_note": "Results, record", "examination_note": "Examination, record",
        "reason": "Reason", "municipality_label": "Municipality", "name_label": "Name",
        "interpreter_order": "Interpreter order",
        "deadlines": "Deadlines", "step": "step", "owner": "owner", "due": "due", "status": "status",
        "met": "done", "late_because": "late because of",
        "cases": "Cases ({n})", "born": "born", "health": "health", "school": "school", "vaccination": "vaccination",
        "hc": "health centre", "next_page": "There may be more cases: the next page with --after {id}",
        "late": "late", "late_own": "Late with you ({n})", "late_others": "Late with others ({n})",
        "theirs": "with {party}", "history": "History, case {id}", "what": "what", "at": "when",
        "recorded": "recorded", "user": "user",
        "alert": "alert", "raised": "raised", "ack": "acknowledged", "outbox": "Outbox ({n})", "key": "key",
        "attempts": "attempts", "next_try": "next try", "sent": "sent", "last_error": "last error",
        "free": "Free times, {centre} ({n})", "start": "start", "end": "end", "alerts": "Alerts",
        "sweep": "Sweep {at}",
    },
}


PHRASES = {  # what a command says when it is done
    "sv": {
        "registered": "Ärende {id} registrerat", "attached": "Anmälan kopplad till det befintliga ärendet {id}",
        "db_ready": "Databasen är klar: {db}", "user_added": "Användaren {id} är tillagd ({role}, {org})",
        "backed_up": "Säkerhetskopia sparad i {file}", "backed_up_counts": "Säkerhetskopia sparad i {file}: "
        "{cases} ärenden, {audit} loggrader", "restored": "Återställde {cases} ärenden och {audit} loggrader till {db}",
        "acknowledged": "Larm {id} kvitterat", "wrote": "Sparade {file}", "sent": "Skickade {n} meddelanden",
        "requeued": "Meddelande {id} ligger i kö igen", "pruned": "Raderade {n} skickade meddelanden",
        "keep_all": "SCREENING_OUTBOX_KEEP_DAYS är off: alla meddelanden sparas",
        "chosen_late": "tiden som valdes ligger efter tidsfristen ({due}); hälsocentralen och samordnarna har "
                       "fått en varning",
        "booked_late": "ingen ledig tid före tidsfristen ({due}); den första tiden efter den bokades, och "
                       "hälsocentralen och samordnarna har fått en varning",
        "held_early": "{event} registrerades {at}, före den bokade tiden {start}: stämmer tiden?",
        "letter_fallback": "det finns ingen kallelse på {language}: brevet är på svenska och engelska",
        "letter_unchecked": "texten på {language} är inte granskad av en auktoriserad översättare; låt granska "
                            "den innan brevet används",
    },
    "en": {
        "registered": "Registered case {id}", "attached": "Attached to the existing case {id}",
        "db_ready": "Database ready: {db}", "user_added": "Added user {id} ({role}, {org})",
        "backed_up": "Backed up to {file}", "backed_up_counts": "Backed up to {file}: {cases} cases, {audit} audit rows",
        "restored": "Restored {cases} cases and {audit} audit rows into {db}", "acknowledged": "Alert {id} acknowledged",
        "wrote": "Wrote {file}", "sent": "Sent {n} message(s)", "requeued": "Message {id} queued again",
        "pruned": "Deleted {n} sent message(s)", "keep_all": "SCREENING_OUTBOX_KEEP_DAYS is off: every message is kept",
        "chosen_late": "the time chosen is after the deadline ({due}); the health centre and the coordinators are "
                       "alerted",
        "booked_late": "no free time before the deadline ({due}); booked the earliest after it, and the health "
                       "centre and the coordinators are alerted",
        "held_early": "{event} was recorded at {at}, before the booked time {start}: is the time right?",
        "letter_fallback": "there is no letter in {language}: the letter is in Swedish and English",
        "letter_unchecked": "the {language} text has not been checked by an authorised translator; have it "
                            "checked before the letter is used",
    },
}


def label(lang: str, name: str, **facts) -> str:
    """A title or a column's name in the person's language."""
    return LABELS[lang][name].format(**facts)


def said(lang: str, phrase: str, **facts) -> str:
    """What a command says when it is done, in the person's language."""
    return PHRASES[lang][phrase].format(**facts)


def _table(title: str, *columns: str):
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    return table


def organisations(orgs: list[dict], w: Words) -> None:
    t = LABELS[w.lang]
    table = _table(t["organisations"], t["id"], t["kind"], t["name"], t["municipality"])
    for org in orgs:
        table.add_row(org["id"], w.party(org["kind"]), org["name"], org["municipality"] or t["whole_region"])
    console().print(table)


def users(rows: list[dict], w: Words) -> None:
    t = LABELS[w.lang]
    table = _table(t["users"], t["id"], t["role"], t["org"])
    for row in rows:
        table.add_row(row["id"], w.party(row["role"]), w.org(row["org"]))
    console().print(table)


def case(view: dict, w: Words) -> None:
    from rich.panel import Panel
    from rich.table import Table

    t = LABELS[w.lang]
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    identity = ", ".join(v for v in (view["personnummer"], view["samordningsnummer"], view["dossier"]) if v)
    interpreter = t["interpreter"] if view["interpreter"] else t["no_interpreter"]
    rows = [
        (t["municipality_label"], view["municipality"]),
        (t["name_label"], view["name"] or "–"),
        (t["born_age"], f"{view['birth_date']} ({t['years'].format(age=view['age'])})"),
        (t["identity"], identity or t["identity_missing"]),
        (t["language"], f"{w.language(view['language']) or '–'} / {interpreter}"),
        (t["arrival"], w.day(view["arrival"]) or t["unknown"]),
        (t["notice"], w.time(view["notice_at"])),
        (t["health_centre"], w.org(view["health_centre"])),
        (t["school_preschool"], f"{w.org(view['school'])} / {w.org(view['preschool'])}"),
    ]
    if view["unaccompanied"]:
        rows.append(("", t["unaccompanied"]))
    for track, state in view["tracks"].items():
        rows.append((w.track(track), w.state(track, state)))
    unit = view["vaccination_unit"]
    rows.append((t["vaccinated_by"], w.party(unit) if unit else t["unit_undecided"]))
    bookings = view.get("bookings", {})
    rows.append((t["conversation"], w.time(bookings.get("health_conversation")) or t["not_booked"]))
    rows.append((t["examination"], w.time(bookings.get("examination")) or t["not_booked_f"]))
    for kind, status in view.get("interpreter_orders", {}).items():
        rows.append((t["interpreter_order"], f"{w.appointment(kind)}: {w.order(status)}"))
    results = view["results"]
    obstacle = t["obstacle_unknown"] if results["obstacle"] is None else w.yes_no(results["obstacle"])
    rows.append((t["results"], f"{w.time(results['received_at']) or t['not_ready']}; {t['obstacle']}: {obstacle}"))
    if view.get("declined"):
        rows.append((t["declined"], f"{w.time(view['declined']['at'])} ({w.party(view['declined']['by'])})"))
    # medical content: present in the view only for the roles that may read it
    if results.get("note"):
        rows.append((t["results_note"], results["note"]))
    if view.get("examination", {}).get("note"):
        rows.append((t["examination_note"], view["examination"]["note"]))
    for reason in view.get("reasons", []):
        rows.append((t["reason"], reason))
    for label, value in rows:
        facts.add_row(label, str(value))
    console().print(Panel(facts, title=t["case"].format(id=view["id"]), title_align="left"))
    if view["deadlines"]:
        deadlines(view["deadlines"], w)


def deadlines(items: list[dict], w: Words) -> None:
    t = LABELS[w.lang]
    table = _table(t["deadlines"], t["step"], t["owner"], t["due"], t["status"], t["met"], t["late_because"])
    for d in items:
        table.add_row(w.rule(d["rule"]), w.party(d["owner"]), w.day(d["due_date"]), w.status(d["status"]),
                      w.time(d["met_at"]), w.party(d.get("attributed_to")))
    console().print(table)


def cases(views: list[dict], w: Words, next_after: str | None = None, *, overdue_for: str | None = None) -> None:
    """The cases as a table; `next_after`: the page is full, and the next one starts after that case.
    `overdue_for`: the list of late cases, seen by that role: the cases late with it first, those
    late only with others after them, each with its late steps (others' named as theirs)."""
    t = LABELS[w.lang]
    if overdue_for is None:
        _cases_table(t["cases"].format(n=len(views)), views, w, next_after)
        return
    own = [view for view in views if any(d["owner"] == overdue_for for d in _late(view))]
    others = [view for view in views if view not in own]
    _cases_table(t["late_own"].format(n=len(own)), own, w, next_after, late_for=overdue_for)
    if others:
        _cases_table(t["late_others"].format(n=len(others)), others, w, None, late_for=overdue_for)


def _late(view: dict) -> list[dict]:
    return [d for d in view["deadlines"] if d["status"] == "breached"]


def _cases_table(title: str, views: list[dict], w: Words, next_after: str | None, late_for: str | None = None):
    t = LABELS[w.lang]
    columns = [t["id"], t["municipality"], t["born"], t["health"], t["school"], t["vaccination"], t["hc"]]
    table = _table(title, *columns, *([t["late"]] if late_for else []))
    table.columns[0].no_wrap = True  # a case id is read aloud and typed back: never cut or wrapped
    table.columns[0].min_width = len(views[0]["id"]) if views else 0
    if next_after is not None:
        table.caption = t["next_page"].format(id=next_after)
    for view in views:
        tracks = view["tracks"]
        row = [view["id"], view["municipality"], view["birth_date"], w.state("health", tracks["health"]),
               w.state("school", tracks["school"]), w.state("vaccination", tracks["vaccination"]),
               w.org(view["health_centre"])]
        if late_for:
            row.append("; ".join(w.rule(d["rule"]) if d["owner"] == late_for else
                                 f"{w.rule(d['rule'])} ({t['theirs'].format(party=w.the_party(d['owner']))})"
                                 for d in _late(view)))
        table.add_row(*row)
    console().print(table)


def history(case_id: str, entries: list[dict], w: Words) -> None:
    t = LABELS[w.lang]
    table = _table(t["history"].format(id=case_id), t["what"], t["at"], t["recorded"], t["user"], t["org"])
    for entry in entries:
        table.add_row(w.event(entry["event"]), w.time(entry["at"]), w.time(entry["recorded_at"]), entry["user"],
                      w.org(entry["org"]) if entry["org"] else "")
    console().print(table)


def alerts(items: list[dict], title: str, w: Words) -> None:
    t = LABELS[w.lang]
    table = _table(f"{title} ({len(items)})", t["id"], t["case"].format(id="").strip().lower(), t["step"],
                   t["alert"], t["owner"], t["due"], t["raised"], t["ack"])
    for a in items:
        table.add_row(str(a["id"]), a["case"], w.rule(a["rule"]), w.alert_kind(a["kind"]), w.party(a["owner"]),
                      w.day(a["due"]), w.time(a["raised_at"]), w.yes_no(True) if a["acknowledged"] else "")
    console().print(table)


def outbox(items: list[dict], w: Words) -> None:
    t = LABELS[w.lang]
    table = _table(t["outbox"].format(n=len(items)), t["id"], t["key"], t["case"].format(id="").strip().lower(),
                   t["status"], t["attempts"], t["next_try"], t["sent"], t["last_error"])
    for m in items:
        table.add_row(str(m["id"]), m["key"], m["case"] or "", w.outbox(m["status"]), str(m["attempts"]),
                      w.time(m["next_attempt_at"]), w.time(m["sent_at"]), m["last_error"] or "")
    console().print(table)


def free_times(centre_id: str, times: list[dict], w: Words) -> None:
    t = LABELS[w.lang]
    table = _table(t["free"].format(centre=w.org(centre_id), n=len(times)), t["start"], t["end"])
    for slot in times:
        table.add_row(w.time(slot["start"]), slot["end"][11:16])
    console().print(table)
