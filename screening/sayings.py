"""The product's messages to people in their language: an error's English template looked up in the
catalogue (`screening/data/messages.sv.toml`, English template = Swedish template), its facts put
in the reader's words (`screening.words`: parties, events' steps, times). A template the catalogue
lacks is said in English: a test keeps the catalogue whole.

How facts are said (`say`):
- a datetime or a date in the reader's form ("ons 25 nov 2026 10:00"); a format spec the template gives
  it (`{start:%Y-%m-%d %H:%M}`, the English text's) is left for `errors.plain`, the English `message`;
- facts named role, party, owner or kind_of_org (and lists named roles, parties…) as the party's
  name ("hälsocentral"), unit and acting_unit as a sentence names it ("elevhälsan"); track
  ("hälsospåret"), state (the track's state), number ("dossiernummer"), outbox_status, appointment
  ("läkarundersökning"), action (what a command does) and stage (an SMTP exchange's) likewise;
- an error given as a fact (a value's own error inside the event's) in the same language;
- a list joined by ", ", or by the language's "and"/"or" where the template says `{name:and}`/`{name:or}`;
- anything else (case ids, event names, options, what was typed) as it is, format spec and all.
"""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from functools import cache
from pathlib import Path

from screening.errors import DISK_FULL, Filler, ScreeningError, one_line

CATALOGUE = Path(__file__).parent / "data" / "messages.sv.toml"
LANGUAGES = ("sv", "en")
PARTY_FACTS = ("role", "party", "owner", "kind_of_org")  # facts that name a party: said in words
THE_PARTY_FACTS = ("unit", "acting_unit")  # the same, as a sentence names it ("elevhälsan")
PARTY_LISTS = {"roles": "role", "parties": "party", "owners": "owner"}
ROLE_PARTY = {"reception": "reception_unit"}  # a role named as its party where the two words differ
TRACKS = {"sv": {"health": "hälsospåret", "school": "skolspåret", "vaccination": "vaccinationsspåret"}, "en": {}}
NUMBERS = {"sv": {"dossier": "dossiernummer"}, "en": {"dossier": "dossier number"}}
ACTIONS = {  # what a command does, as a refusal names it (access.COMMAND_WORDS, else the command's name)
    "sv": {"add or list users": "lägga till eller visa användare", "see the users": "se användarna",
           "follow the outbox": "följa utkorgen",
           "run the report": "ta fram uppföljningsrapporten", "see the overview": "se översikten",
           "back up the database": "säkerhetskopiera databasen", "prune the outbox": "rensa utkorgen",
           "print the family's letter": "skriva ut familjens kallelse",
           "register": "registrera anmälningar", "sweep": "köra bevakningen av tidsfristerna (sweep)",
           "load the region's directory": "läsa in regionens katalog", "restore the database": "återställa databasen",
           "draw or review a sample of the access log": "ta eller granska ett stickprov ur åtkomstloggen",
           "see the administration's audit trail": "se administrationens logg",
           "verify the audit trail": "kontrollera loggens hashkedja",
           "load the deadline rules": "läsa in tidsfristernas regler",
           "make or revoke another person's API tokens": "skapa eller återkalla andras API-nycklar"},
    "en": {},
}
SCHEMA_OBJECTS = {  # what a database holds, as a refused backup names it
    "sv": {"trigger": "triggern", "view": "vyn", "table": "tabellen", "index": "indexet", "function": "funktionen",
           "rule": "regeln", "policy": "policyn", "event trigger": "händelsetriggern", "procedure": "proceduren",
           "materialized view": "den materialiserade vyn", "aggregate": "aggregatet"},
    "en": {},
}
STAGES = {  # the part of an SMTP exchange a server refused
    "sv": {"login": "inloggningen", "sender": "avsändaren", "message": "meddelandet", "connection": "anslutningen",
           "greeting": "hälsningen (HELO/EHLO)", "command": "kommandot"},
    "en": {},
}


@cache
def catalogue(lang: str) -> dict[str, str]:
    if lang != "sv":
        return {}
    return tomllib.loads(CATALOGUE.read_text(encoding="utf-8")) if CATALOGUE.is_file() else {}


def say(template: str, facts: dict, lang: str = "sv") -> str:
    """The template in `lang`, filled with the facts in that language's words. A template without
    facts is said as it is written (braces and all), as `errors.plain` does."""
    from screening.words import Words

    lang = lang if lang in LANGUAGES else "sv"
    words = Words(lang)
    text = catalogue(lang).get(template, template)
    if not facts:
        return text
    return Filler(lang).vformat(text, (), {name: _said(name, value, facts, words) for name, value in facts.items()})


class Said(str):
    """A fact already in the reader's words: a format spec meant for the raw value is ignored."""

    def __format__(self, spec: str) -> str:
        return str(self)


def said(error: ScreeningError, lang: str = "sv") -> str:
    """The error's message in `lang` (sv or en), as one line."""
    return one_line(say(error.template, error.facts, lang))


def _said(name: str, value, facts: dict, words):
    lang = words.lang
    if isinstance(value, ScreeningError):
        return Said(said(value, lang))
    if isinstance(value, datetime):
        return Said(words.time(value))
    if isinstance(value, date):
        return Said(words.day(value))
    if isinstance(value, (list, tuple)):
        return [_said(PARTY_LISTS.get(name, name), item, facts, words) for item in value]
    if not isinstance(value, str):
        return value
    if name in PARTY_FACTS or name in THE_PARTY_FACTS:
        party = value.replace(" ", "_")  # an English text may give a kind as words ("health centre")
        party = ROLE_PARTY.get(party, party)
        return Said(words.party(party) if name in PARTY_FACTS else words.the_party(party))
    if name == "state" and facts.get("track") in ("health", "school", "vaccination"):
        return Said(words.state(facts["track"], value))
    table = {"track": TRACKS, "number": NUMBERS, "action": ACTIONS, "stage": STAGES}.get(name)
    if table is not None:
        return Said(table[lang].get(value, value))
    if name == "outbox_status":
        return Said(words.outbox(value))
    if name == "appointment":
        return Said(words.appointment(value))
    if name == "object_kind":  # a database object a backup holds
        return Said(SCHEMA_OBJECTS[lang].get(value, value))
    return value


# --- failures that are not ours ----------------------------------------------------------------

def describe_unexpected(error: Exception, committed: bool = False, lang: str = "en") -> tuple[str, str, int]:
    """(code, one-line message in `lang`, exit code) for a failure that is not ours: never a traceback.
    `committed`: the command had already saved something when it failed."""
    kind = type(error).__name__
    module = type(error).__module__
    first_line = (str(error).strip().splitlines() or [""])[0][:200]
    if _disk_full(getattr(error, "orig", None) or error):  # SQLAlchemy (the migrations) wraps the driver's error
        return "database", say(DISK_FULL, {}, lang), 2
    if module.startswith(("sqlalchemy", "psycopg", "sqlite3")) or kind in ("OperationalError", "DatabaseError"):
        return "database", one_line(say("database error: {detail}", {"detail": first_line}, lang)), 2
    if isinstance(error, OSError):
        return "os", one_line(f"{error.strerror or kind}: {error.filename or first_line}"), 2
    if isinstance(error, UnicodeEncodeError) and _surrogate(error):
        # bytes that are not UTF-8 (a command line, a variable or a file name in another encoding)
        return "bad_input", say("text that is not valid UTF-8 was given (check the terminal's encoding)", {}, lang), 2
    if committed:
        return "internal", say("internal error ({kind}) after the command had saved its change; check the case "
                               "(case show, case history) before doing it again. Please report it.",
                               {"kind": kind}, lang), 3
    return "internal", say("internal error ({kind}); nothing was changed. Please report it.", {"kind": kind}, lang), 3


def _surrogate(error: UnicodeEncodeError) -> bool:
    """What could not be encoded is a lone surrogate: a byte that was not UTF-8 where the text came from."""
    failed = error.object[error.start:error.end]
    return isinstance(failed, str) and all("\ud800" <= ch <= "\udfff" for ch in failed)


def _disk_full(error: BaseException) -> bool:
    """SQLite's SQLITE_FULL (a full disk, or the database at its max_page_count); PostgreSQL's disk_full (53100)."""
    return getattr(error, "sqlite_errorcode", None) == 13 or getattr(error, "sqlstate", None) == "53100"
