"""Message templates: text files a region can edit, in Swedish by default, English available.

A template's first line is `Subject: …`, then a blank line, then the body; `$name` takes a
field. A region's own folder (the setting SCREENING_TEMPLATES) is read first, file by file, then
the bundled one; the language is the setting SCREENING_LANGUAGE (`sv` or `en`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from string import Template

from screening import clock
from screening.errors import BadInput

BUNDLED = Path(__file__).parent / "templates"
LANGUAGES = ("sv", "en")
YES_NO = {"sv": ("ja", "nej"), "en": ("yes", "no")}
UNKNOWN = {"sv": "okänt", "en": "unknown"}
SIMULATION = {"sv": "SIMULERING", "en": "SIMULATION"}
SIMULATION_NOTE = {"sv": "Detta meddelande kommer från en simulering: inga verkliga uppgifter, inget att göra.",
                   "en": "This message comes from a simulation: no real data, nothing to do."}
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Templates:
    """The templates in one language, a region's folder (if any) over the bundled ones."""

    lang: str = "sv"
    folder: Path | None = None
    simulation: bool = False  # a simulation's messages say so, in the subject and first

    def render(self, name: str, fields: dict) -> tuple[str, str]:
        subject, body = render(name, fields, self.lang, self.folder)
        if self.simulation:
            return f"[{SIMULATION[self.lang]}] {subject}", f"{SIMULATION_NOTE[self.lang]}\n\n{body}"
        return subject, body


def _source(name: str, lang: str, region: Path | None = None) -> str:
    for folder in (region, BUNDLED):
        if folder and (path := Path(folder) / lang / f"{name}.txt").is_file():
            return path.read_text(encoding="utf-8")
    raise BadInput("no template '{name}' in language '{lang}'", name=name, lang=lang)


def shown(value, lang: str) -> str:
    """A field as a person reads it: yes/no, a local date and time in words ('onsdag 25 november 2026
    kl. 10:00'), a date so ('fredag 4 december 2026'), 'unknown' for nothing."""
    if value is None or value == "":
        return UNKNOWN[lang]
    if isinstance(value, bool):
        return YES_NO[lang][0] if value else YES_NO[lang][1]
    if isinstance(value, str) and ISO_TIME.match(value):  # a time from the payload
        return clock.spoken(datetime.fromisoformat(value), lang)
    if isinstance(value, str) and ISO_DATE.fullmatch(value):
        return clock.spoken(date.fromisoformat(value), lang)
    return str(value)


def render(name: str, fields: dict, lang: str = "sv", folder: Path | None = None) -> tuple[str, str]:
    """(subject, body) of the template filled with `fields`; a field it names but lacks is an error."""
    try:
        text = Template(_source(name, lang, folder)).substitute({key: shown(value, lang) for key, value in fields.items()})
    except KeyError as missing:
        raise BadInput("template '{name}' ({lang}) names ${field}, which no message gives it", name=name, lang=lang,
                       field=missing.args[0]) from None
    except ValueError as error:
        raise BadInput("template '{name}' ({lang}): {error}", name=name, lang=lang, error=str(error)) from None
    head, _, body = text.partition("\n")
    if not head.startswith("Subject:"):
        raise BadInput("template '{name}' ({lang}) must start with a 'Subject:' line", name=name, lang=lang)
    return head.removeprefix("Subject:").strip(), body.lstrip("\n")
