"""Human output with rich: tables and panels, Swedish labels beside the contract's names."""

from __future__ import annotations

from functools import cache

from screening.directory import KIND_LABELS_SV
from screening.labels import STATUS_SV, TRACKS_SV, UNITS_SV, state_label

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


def _table(title: str, *columns: str):
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    return table


def organisations(orgs: list[dict]) -> None:
    table = _table("Organisationer", "id", "kind (typ)", "name", "municipality")
    for org in orgs:
        kind = f"{org['kind']} ({KIND_LABELS_SV.get(org['kind'], org['kind'])})"
        table.add_row(org["id"], kind, org["name"], org["municipality"] or "hela regionen")
    console().print(table)


def users(rows: list[dict]) -> None:
    table = _table("Användare", "id", "role", "org")
    for row in rows:
        table.add_row(row["id"], row["role"], row["org"])
    console().print(table)


def case(view: dict) -> None:
    from rich.panel import Panel
    from rich.table import Table

    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    identity = ", ".join(v for v in (view["personnummer"], view["samordningsnummer"], view["dossier"]) if v)
    rows = [
        ("Kommun", view["municipality"]),
        ("Namn", view["name"] or "–"),
        ("Född / ålder", f"{view['birth_date']} ({view['age']} år)"),
        ("Identitet", identity or "identitet saknas (inget person-, samordnings- eller dossiernummer)"),
        ("Språk / tolk", f"{view['language'] or '–'} / {'tolk behövs' if view['interpreter'] else 'ingen tolk'}"),
        ("Ankomst", view["arrival"] or "okänd"),
        ("Avisering", view["notice_at"]),
        ("Hälsocentral", view["health_centre"] or "–"),
        ("Skola / förskola", f"{view['school'] or '–'} / {view['preschool'] or '–'}"),
    ]
    if view["unaccompanied"]:
        rows.append(("", "ensamkommande"))
    for track, state in view["tracks"].items():
        rows.append((TRACKS_SV[track], state_label(track, state)))
    rows.append(("Vaccination av", UNITS_SV.get(view["vaccination_unit"], view["vaccination_unit"])))
    bookings = view.get("bookings", {})
    rows.append(("Hälsosamtal", _minute(bookings.get("health_conversation")) or "ej bokat"))
    rows.append(("Läkarundersökning", _minute(bookings.get("examination")) or "ej bokad"))
    results = view["results"]
    obstacle = {None: "ej känt", True: "ja", False: "nej"}[results["obstacle"]]
    rows.append(("Provsvar", f"{_minute(results['received_at']) or 'inte klara'}; hinder: {obstacle}"))
    if view.get("declined"):
        rows.append(("Avböjt", f"{_minute(view['declined']['at'])} ({view['declined']['by']})"))
    # medical content: present in the view only for the roles that may read it
    if results.get("note"):
        rows.append(("Provsvar, journal", results["note"]))
    if view.get("examination", {}).get("note"):
        rows.append(("Undersökning, journal", view["examination"]["note"]))
    for reason in view.get("reasons", []):
        rows.append(("Anledning", reason))
    for label, value in rows:
        facts.add_row(label, str(value))
    console().print(Panel(facts, title=f"Ärende {view['id']}", title_align="left"))
    if view["deadlines"]:
        deadlines(view["deadlines"])


def deadlines(items: list[dict]) -> None:
    table = _table("Tidsfrister", "rule", "owner", "due", "status (status)", "met", "late because of")
    for d in items:
        table.add_row(d["rule"], d["owner"], d["due_date"], f"{d['status']} ({STATUS_SV[d['status']]})",
                      _minute(d["met_at"]) or "", d.get("attributed_to") or "")
    console().print(table)


def cases(views: list[dict], next_after: str | None = None) -> None:
    """The cases as a table; `next_after`: the page is full, and the next one starts after that case."""
    table = _table(f"Ärenden ({len(views)})", "id", "kommun", "född", "hälsa", "skola", "vaccination", "HC")
    table.columns[0].no_wrap = True  # a case id is read aloud and typed back: never cut or wrapped
    table.columns[0].min_width = len(views[0]["id"]) if views else 0
    if next_after is not None:
        table.caption = f"Fler ärenden kan finnas: nästa sida med --after {next_after}"
    for view in views:
        tracks = view["tracks"]
        table.add_row(view["id"], view["municipality"], view["birth_date"],
                      state_label("health", tracks["health"]), state_label("school", tracks["school"]),
                      state_label("vaccination", tracks["vaccination"]), view["health_centre"] or "–")
    console().print(table)


def history(case_id: str, entries: list[dict]) -> None:
    table = _table(f"Händelser, ärende {case_id}", "event", "at", "recorded", "user", "org")
    for entry in entries:
        table.add_row(entry["event"], _minute(entry["at"]), _minute(entry["recorded_at"]), entry["user"],
                      entry["org"] or "")
    console().print(table)


def _minute(iso: str | None) -> str | None:
    return iso[:16].replace("T", " ") if iso else None


KIND_SV = {"reminder": "påminnelse", "breach": "överskriden", "warning": "varning"}


def alerts(items: list[dict], title: str) -> None:
    table = _table(f"{title} ({len(items)})", "id", "case", "rule", "kind (typ)", "owner", "due", "raised", "ack")
    for a in items:
        table.add_row(str(a["id"]), a["case"], a["rule"], f"{a['kind']} ({KIND_SV[a['kind']]})", a["owner"],
                      _minute(a["due"]), _minute(a["raised_at"]), "ja" if a["acknowledged"] else "")
    console().print(table)


def outbox(items: list[dict]) -> None:
    table = _table(f"Utkorgen ({len(items)})", "id", "key", "case", "status", "attempts", "next try", "sent",
                   "last error")
    for m in items:
        table.add_row(str(m["id"]), m["key"], m["case"] or "", m["status"], str(m["attempts"]),
                      _minute(m["next_attempt_at"]), _minute(m["sent_at"]), m["last_error"] or "")
    console().print(table)


def free_times(centre_id: str, times: list[dict]) -> None:
    table = _table(f"Lediga tider, {centre_id} ({len(times)})", "start", "end")
    for t in times:
        table.add_row(_minute(t["start"]), _minute(t["end"])[11:])
    console().print(table)
