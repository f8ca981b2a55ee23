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
        "recorded": "registrerat", "user": "användare", "who": "vem", "email": "e-post", "hsa_id": "HSA-id",
        "disabled": "avstängd",
        "alert": "larm", "raised": "larmat", "ack": "kvitterat", "outbox": "Utkorgen ({n})", "key": "nyckel",
        "attempts": "försök", "next_try": "nästa försök", "sent": "skickat", "last_error": "senaste fel",
        "free": "Lediga tider, {centre} ({n})", "start": "börjar", "end": "slutar", "alerts": "Larm",
        "sweep": "Genomgång {at}",
        "sample": "Stickprov {sample} ur åtkomstloggen, {start}–{end}: {n} av {population} läsningar",
        "sample_review": "Granska läsningarna och registrera sedan granskningen: screening audit review {sample} "
                         "--ok, eller --finding TEXT",
        "read_no": "läsning", "administration": "Administrationens logg ({n})", "change": "ändring",
        "first_load": "första inläsningen", "file": "fil {file}", "added": "tillagda: {ids}",
        "changed": "ändrade: {changes}", "absent": "saknas i filen (finns kvar): {ids}",
        "users_added": "användare tillagda: {users}",
        "users_disabled": "användare avstängda: {users}", "region": "regionen: {changes}",
        "restore_detail": "från {file} (konto {operator}): {cases} ärenden, {audit_rows} loggrader",
        "rules_detail": "version {version}",
        "account_detail": {"user": "användare {value}", "failures": "{value} misslyckade i rad",
                           "until": "låst till {value}", "temporary": "engångslösenord: {value}",
                           "sessions_ended": "{value} sessioner avslutade", "token": "nyckel {value}",
                           "expires_at": "gäller till {value}", "codes_left": "{value} reservkoder kvar",
                           "reason": "skäl: {value}"},
        "sample_detail": "stickprov {sample}: {n} av {population} läsningar {start}–{end}",
        "sample_for": "{text}, {centre}s ärenden", "review_ok": "stickprov {sample}: utan anmärkning",
        "review_finding": "stickprov {sample}: fynd: {finding}", "more": "+{n} till",
        "fields": {"municipality": "kommun", "email": "e-post", "name": "namn", "kind": "typ", "address": "adress",
                   "phone": "telefon", "directions": "vägbeskrivning", "serves": "betjänar",
                   "interpreter_service": "tolkförmedling", "for_unaccompanied": "ensamkommande",
                   "appointments": "tider", "municipalities": "kommuner", "id": "id"},
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
        "recorded": "recorded", "user": "user", "who": "who", "email": "e-mail", "hsa_id": "HSA-id",
        "disabled": "disabled",
        "alert": "alert", "raised": "raised", "ack": "acknowledged", "outbox": "Outbox ({n})", "key": "key",
        "attempts": "attempts", "next_try": "next try", "sent": "sent", "last_error": "last error",
        "free": "Free times, {centre} ({n})", "start": "start", "end": "end", "alerts": "Alerts",
        "sweep": "Sweep {at}",
        "sample": "Sample {sample} of the access log, {start}–{end}: {n} of {population} reads",
        "sample_review": "Review the reads, then record the review: screening audit review {sample} --ok, or "
                         "--finding TEXT",
        "read_no": "read", "administration": "The administration's trail ({n})", "change": "change",
        "first_load": "first load", "file": "file {file}", "added": "added: {ids}", "changed": "changed: {changes}",
        "absent": "not in the file (kept): {ids}", "users_added": "users added: {users}",
        "users_disabled": "users disabled: {users}",
        "region": "the region: {changes}",
        "restore_detail": "from {file} (account {operator}): {cases} cases, {audit_rows} audit rows",
        "rules_detail": "version {version}",
        "account_detail": {"user": "user {value}", "failures": "{value} failures in a row",
                           "until": "locked until {value}", "temporary": "one-time password: {value}",
                           "sessions_ended": "{value} sessions ended", "token": "token {value}",
                           "expires_at": "valid until {value}", "codes_left": "{value} recovery codes left",
                           "reason": "reason: {value}"},
        "sample_detail": "sample {sample}: {n} of {population} reads {start}–{end}",
        "sample_for": "{text}, {centre}'s cases", "review_ok": "sample {sample}: no remark",
        "review_finding": "sample {sample}: finding: {finding}", "more": "+{n} more",
        "fields": {},
    },
}


PHRASES = {  # what a command says when it is done
    "sv": {
        "simulation": "SIMULERING – inte verkliga uppgifter · klockan: {now}",
        "rules_loaded": "Tidsfristernas regler är inlästa som version {version}; den gäller från nu",
        "rules_same": "Reglerna är desamma som version {version}, som redan gäller: ingen ny version",
        "rules_setting": "SCREENING_RULES läses inte: tidsfristernas regler är databasens (screening rules load FIL)",
        "registered": "Ärende {id} registrerat", "attached": "Anmälan kopplad till det befintliga ärendet {id}",
        "db_ready": "Databasen är klar: {db}", "user_added": "Användaren {id} är tillagd ({role}, {org})",
        "user_disabled": "Användaren {id} är avstängd och kan inte längre agera",
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
        "directory_loaded": "Katalogen inläst: {added} tillagda, {changed} ändrade, {absent} saknas i filen "
                            "(finns kvar); ändringarna finns i loggen (screening audit history)",
        "reviewed_ok": "Granskningen av stickprov {sample} är registrerad: utan anmärkning",
        "reviewed_finding": "Granskningen av stickprov {sample} är registrerad, med fyndet",
        "sample_empty": "Inga läsningar {start}–{end}; stickprov {sample} är registrerat",
        "chain_whole": "Loggens hashkedja är hel: {rows} rader, till och med rad {last} (skriven {at})",
        "chain_empty": "Loggen är tom: det finns ingen rad att kontrollera",
        "chain_broken": "Loggens hashkedja är bruten vid rad {id}: {reason}",
        "chain_whole_before": "Raderna före den är hela: {rows} rader, till och med rad {last} (skriven {at})",
        "chain_unkeyed": "kedjan är inte nycklad (varken SCREENING_AUDIT_KEY eller SCREENING_AUDIT_KEY_FILE är "
                         "satt): den hittar en ändrad eller borttagen rad, men den som räknar om kedjan klarar "
                         "kontrollen",
        "chain_head_unkeyed": "de första {n} raderna är länkade utan nyckeln (från tiden innan den sattes); det "
                              "antalet ska aldrig växa",
        "chain_login_alters": "databasinloggningen får ändra eller radera loggen (den äger tabellen eller får "
                              "UPDATE, DELETE eller TRUNCATE): låt programmet logga in med en roll med minsta "
                              "behörighet (docs/deployment.md)",
    },
    "en": {
        "simulation": "SIMULATION – not real data · the clock: {now}",
        "rules_loaded": "The deadline rules are loaded as version {version}, in force from now",
        "rules_same": "The rules are the same as version {version}, already in force: no new version",
        "rules_setting": "SCREENING_RULES is not read: the deadline rules are the database's (screening rules load FILE)",
        "registered": "Registered case {id}", "attached": "Attached to the existing case {id}",
        "db_ready": "Database ready: {db}", "user_added": "Added user {id} ({role}, {org})",
        "user_disabled": "User {id} is disabled and can no longer act",
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
        "directory_loaded": "Directory loaded: {added} added, {changed} changed, {absent} not in the file (kept); "
                            "the changes are in the audit trail (screening audit history)",
        "reviewed_ok": "The review of sample {sample} is recorded: no remark",
        "reviewed_finding": "The review of sample {sample} is recorded, with the finding",
        "sample_empty": "No reads {start}–{end}; sample {sample} is recorded",
        "chain_whole": "The audit trail's hash chain is whole: {rows} rows, up to row {last} (written {at})",
        "chain_empty": "The audit trail is empty: there is no row to check",
        "chain_broken": "The audit trail's hash chain is broken at row {id}: {reason}",
        "chain_whole_before": "The rows before it are whole: {rows} rows, up to row {last} (written {at})",
        "chain_unkeyed": "the chain is not keyed (neither SCREENING_AUDIT_KEY nor SCREENING_AUDIT_KEY_FILE is "
                         "set): it finds a row changed or taken out, but whoever computes the chain again passes "
                         "the check",
        "chain_head_unkeyed": "the first {n} rows are linked without the key (from before it was set); that number "
                              "must never grow",
        "chain_login_alters": "the database login may change or delete the audit trail (it owns the table or "
                              "holds UPDATE, DELETE or TRUNCATE): let the program log in as a role of least "
                              "privilege (docs/deployment.md)",
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
    table = _table(t["users"], t["id"], t["name"], t["role"], t["org"], t["email"], t["hsa_id"], t["disabled"])
    for row in rows:
        table.add_row(row["id"], row.get("name") or "", w.party(row["role"]), w.org(row["org"]), row.get("email") or "",
                      row.get("hsa_id") or "", w.time(row["disabled"]) if row.get("disabled") else "")
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
    table = _table(t["history"].format(id=case_id), t["what"], t["at"], t["recorded"], t["who"], t["user"])
    for entry in entries:
        org = w.org(entry["org"]) if entry["org"] else ""
        who = f"{entry['name']} ({org})" if entry.get("name") else org  # the person, and for whom they acted
        table.add_row(w.event(entry["event"]), w.time(entry["at"]), w.time(entry["recorded_at"]), who, entry["user"])
    console().print(table)


def alerts(items: list[dict], title: str, w: Words) -> None:
    t = LABELS[w.lang]
    table = _table(f"{title} ({len(items)})", t["id"], t["case"].format(id="").strip().lower(), t["step"],
                   t["alert"], t["owner"], t["due"], t["raised"], t["ack"])
    for a in items:
        case = ", ".join([a["case"], *a.get("elsewhere", [])])  # identity_elsewhere: the other cases too
        table.add_row(str(a["id"]), case, w.rule(a["rule"]), w.alert_kind(a["kind"]), w.party(a["owner"]),
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


def audit_verified(out, checked: dict, lang: str) -> None:
    """`audit verify` for people: whole, or where it breaks."""
    w, last = Words(lang), checked["last"]
    if checked["ok"]:
        out.line(said(lang, "chain_whole", rows=checked["rows"], last=last["id"], at=w.time(last["recorded_at"]))
                 if last else said(lang, "chain_empty"))
    else:
        broken = checked["first_break"]
        out.line(said(lang, "chain_broken", id=broken["id"], reason=w.audit_break(broken["reason"])))
        if last:
            out.line(said(lang, "chain_whole_before", rows=checked["rows"], last=last["id"],
                          at=w.time(last["recorded_at"])))


def audit_caveats(checked: dict, lang: str) -> list[str]:
    """What a check of the audit trail cannot promise (warnings, with --json too)."""
    caveats = []
    if not checked["keyed"]:
        caveats.append(said(lang, "chain_unkeyed"))
    elif checked["unkeyed_rows"]:
        caveats.append(said(lang, "chain_head_unkeyed", n=checked["unkeyed_rows"]))
    if checked["login_may_alter"]:
        caveats.append(said(lang, "chain_login_alters"))
    return caveats


def sample(drawn: dict, w: Words) -> None:
    """The access log's sample: each read drawn, and how to record the review."""
    t = LABELS[w.lang]
    facts = {"sample": drawn["sample"], "start": drawn["from"], "end": drawn["to"]}
    if not drawn["reads"]:
        console().print(said(w.lang, "sample_empty", **facts))
        return
    table = _table(t["sample"].format(n=len(drawn["reads"]), population=drawn["population"], **facts),
                   t["read_no"], t["at"], t["user"], t["org"], t["case"].format(id="").strip().lower(), t["what"])
    table.caption = t["sample_review"].format(sample=drawn["sample"])
    for read in drawn["reads"]:
        user = f"{read['name']} ({read['user']})" if read.get("name") else read["user"]  # the person, then the id
        table.add_row(str(read["id"]), w.time(read["at"]), user, w.org(read["org"]), read["case"],
                      w.event(read["kind"]))
    console().print(table)


def administration(rows: list[dict], w: Words) -> None:
    """The administration's trail: what each row did, in a line."""
    t = LABELS[w.lang]
    table = _table(t["administration"].format(n=len(rows)), t["id"], t["at"], t["user"], t["org"], t["what"],
                   t["change"])
    for row in rows:
        user = f"{row['name']} ({row['user']})" if row.get("name") else row["user"]  # the person, then the id
        table.add_row(str(row["id"]), w.time(row["at"]), user, w.org(row["org"]), w.event(row["action"]),
                      _change(row["action"], row["detail"], w))
    console().print(table)


def _plain(value, w: Words) -> str:
    """A fact of an account's row in words: yes/no, a stored time (ISO, UTC) as local time."""
    if isinstance(value, bool):
        return w.yes_no(value)
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        from datetime import datetime

        try:
            return w.time(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


ACCOUNT_ACTIONS = frozenset({"signin", "signin_failed", "locked", "signout", "password", "totp", "factor_reset",
                             "oidc_link", "oidc_unlink", "token_created", "token_revoked"})


def _change(action: str, detail: dict, w: Words) -> str:
    t = LABELS[w.lang]
    if action == "restore":
        return t["restore_detail"].format(**{k: detail.get(k, "") for k in ("file", "operator", "cases", "audit_rows")})
    if action == "rules":
        return t["rules_detail"].format(version=detail.get("version", ""))
    if action in ACCOUNT_ACTIONS:
        said = t["account_detail"]
        return "; ".join(said[key].format(value=_plain(value, w)) for key, value in (detail or {}).items()
                         if key in said)
    if action == "sample":
        text = t["sample_detail"].format(sample=detail["sample"], n=len(detail["reads"]),
                                         population=detail["population"], start=detail["from"], end=detail["to"])
        centre = detail.get("health_centre")
        return t["sample_for"].format(text=text, centre=w.org(centre)) if centre else text
    if action == "review":
        return (t["review_finding"].format(sample=detail["sample"], finding=detail["finding"])
                if detail.get("finding") else t["review_ok"].format(sample=detail["sample"]))
    parts = [t["first_load"]] if detail.get("first") else []
    if "file" in detail:
        parts.append(t["file"].format(file=detail["file"]))
    if "region" in detail:
        parts.append(t["region"].format(changes=_fields(detail["region"], t)))
    if "added" in detail:
        parts.append(t["added"].format(ids=_ids(list(detail["added"]), t)))
    if "changed" in detail:
        parts.append(t["changed"].format(changes="; ".join(f"{oid} ({_fields(fields, t)})"
                                                           for oid, fields in detail["changed"].items())))
    if "absent" in detail:
        parts.append(t["absent"].format(ids=_ids(detail["absent"], t)))
    if "users_added" in detail:
        parts.append(t["users_added"].format(users=_ids([f"{u['id']} ({w.party(u['role'])})"
                                                         for u in detail["users_added"]], t)))
    if "users_disabled" in detail:
        parts.append(t["users_disabled"].format(users=_ids([u["id"] for u in detail["users_disabled"]], t)))
    return "; ".join(parts)


def _fields(changes: dict, t: dict) -> str:
    """Each field changed, old -> new (a table of hours is only named)."""
    return ", ".join(t["fields"].get(name, name) + ("" if isinstance(old, dict) or isinstance(new, dict)
                                                    else f" {_value(old)} → {_value(new)}")
                     for name, (old, new) in changes.items())


def _value(value) -> str:
    if value is None or value == "" or value == []:
        return "–"
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _ids(ids: list[str], t: dict, shown: int = 6) -> str:
    return ", ".join(ids[:shown]) + (f" {t['more'].format(n=len(ids) - shown)}" if len(ids) > shown else "")
