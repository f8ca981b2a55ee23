"""The family's invitation letter (step 3: "Den nyanlända kallas brevledes av HC"; step 9 for the
doctor's examination): what it says, in Swedish and in the family's language.

A letter is made from a few facts kept when the booking is made (`facts`): the child's name and birth
date as the addressee, the time, the centre's name, address, directions and phone, the interpreter's
language and the region. Nothing medical: nothing else is handed to it. The texts are templates a
region can edit (`notifications/letters/<language>.toml`, a region's own folder first, file by
file); a language without one falls back to Swedish and English, and says so (`Letter.fallback`).
The bundled translations are unchecked (`checked = false`) until an authorised translator has
read them; the letter says so to the nurse (`Letter.unchecked`), never to the family.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from string import Template

from screening import clock
from screening.errors import BadInput
from screening.languages import language_name

BUNDLED = Path(__file__).parent / "letters"
ORDER = ("title", "addressee", "invitation", "when", "where", "directions", "interpreter", "bring", "rebook",
         "closing")  # the paragraphs, in order; title and invitation by kind of visit
OPTIONAL = {"directions": "directions", "interpreter": "interpreter"}  # left out without the fact
SPELLINGS = {"dari": "prs", "fa-af": "prs", "sorani": "ckb", "kurmanji": "kmr"}  # as staff write them
LOCALES = {"prs": "fa_AF", "kmr": "ku"}  # the letter's language -> Babel's (CLDR) locale, where they differ
# Facts written as the directory or the case has them (Swedish names, addresses, phone numbers): in a
# right-to-left letter each is a first-strong isolate (FSI ... PDI, Unicode's bidi algorithm), so that
# "063-14 20 00" or "Vårdvägen 3" reads as written and not in reversed runs.
ISOLATED = ("name", "centre", "address", "directions", "phone", "region", "minutes")


@dataclass(frozen=True)
class Section:
    """The letter in one language: its paragraphs, in order, and which way they run."""

    lang: str
    direction: str  # ltr | rtl
    title: str
    paragraphs: tuple[str, ...]
    checked: bool


@dataclass(frozen=True)
class Letter:
    sections: tuple[Section, ...]  # Swedish first, then the family's language (or English)
    fallback: str | None = None  # the family's language, when no template exists for it
    kind: str = "conversation"

    @property
    def unchecked(self) -> tuple[str, ...]:
        """The languages whose text no authorised translator has checked yet."""
        return tuple(section.lang for section in self.sections if not section.checked)


def letter_language(code: str | None) -> str | None:
    """The family's language as the letters name it (ISO 639; `dari` as `prs`, and so on)."""
    if not code:
        return None
    code = code.strip().lower()
    return SPELLINGS.get(code, code)


def facts(case, booking: dict, centre, region: str) -> dict:
    """What a letter may say, kept with the booking's sequence: never anything medical."""
    starts, ends = clock.from_db(booking["starts"]), clock.from_db(booking["ends"])
    return {"name": case.name, "birth_date": case.birth_date.isoformat(), "language": case.language,
            "interpreter": booking["interpreter"], "start": clock.local_iso(starts),
            "minutes": int((ends - starts).total_seconds() // 60), "centre": centre.name,
            "address": centre.address or "", "directions": getattr(centre, "directions", None) or "",
            "phone": centre.phone or "", "region": region}


def compose(kept: dict, kind: str, folder: Path | None = None) -> Letter:
    """The letter for these kept facts: Swedish, then the family's language (English where no template
    exists for it, and `fallback` says which language that was)."""
    family = letter_language(kept.get("language"))
    langs, fallback = ["sv"], None
    if family and family != "sv":
        if _source(family, folder) is not None:
            langs.append(family)
        else:
            langs.append("en")
            fallback = family
    elif family is None:
        langs.append("en")
    sections = tuple(_section(lang, kept, kind, folder) for lang in dict.fromkeys(langs))
    return Letter(sections, fallback, kind)


def _section(lang: str, kept: dict, kind: str, folder: Path | None) -> Section:
    texts = {**template("sv", folder), **template(lang, folder)}  # a key a language lacks: the Swedish one
    said = _said(kept, lang, texts)
    if texts.get("direction") == "rtl":  # a Swedish name or a phone number keeps its own order in a
        said = {name: f"\u2068{value}\u2069" if name in ISOLATED and value else value  # right-to-left line
                for name, value in said.items()}
    paragraphs = []
    for key in ORDER[1:]:
        if key in OPTIONAL and not kept.get(OPTIONAL[key]):
            continue
        name = f"{key}_{kind}" if key == "invitation" else key
        paragraphs.append(_fill(texts[name], said, lang, name))
    return Section(lang, texts.get("direction", "ltr"), _fill(texts[f"title_{kind}"], said, lang, "title"),
                   tuple(paragraphs), bool(template(lang, folder).get("checked", False)))


def _fill(text: str, said: dict, lang: str, key: str) -> str:
    try:
        return Template(text).substitute(said)
    except KeyError as missing:
        raise BadInput("letter template '{lang}' ({key}) names ${fact}, which no letter gives it", lang=lang,
                       key=key, fact=missing.args[0]) from None
    except ValueError as error:
        raise BadInput("letter template '{lang}' ({key}): {reason}", lang=lang, key=key, reason=str(error)) from None


def _said(kept: dict, lang: str, texts: dict | None = None) -> dict:
    """The facts in the letter's language: dates and times in its words, the interpreter's language
    named in it."""
    from babel import Locale
    from babel.dates import format_date, format_datetime

    locale = Locale.parse(LOCALES.get(lang, lang))
    start = datetime.fromisoformat(kept["start"])
    interpreter = letter_language(kept.get("interpreter"))
    texts = texts or {**template("sv"), **template(lang)}
    return {"name": kept.get("name") or texts["no_name"],
            "birth_date": format_date(date.fromisoformat(kept["birth_date"]), "d MMMM y", locale=locale),
            "when": format_datetime(start, "EEEE d MMMM y, HH:mm", tzinfo=clock.STOCKHOLM, locale=locale),
            "minutes": str(kept["minutes"]), "centre": kept["centre"], "address": kept["address"],
            "directions": kept["directions"], "phone": kept["phone"], "region": kept["region"],
            "interpreter": (texts["language_name"] if interpreter == lang else _language_name(interpreter, locale))
            if interpreter else ""}  # the letter's own language by its own name ("دری", not CLDR's "فارسی")


def _language_name(code: str, locale) -> str:
    """The interpreter's language named in the letter's: ours in Swedish and English (as the e-mails
    name it), CLDR's in the others; the code where neither knows it."""
    from babel import Locale
    from babel.core import UnknownLocaleError

    if locale.language in ("sv", "en"):
        return language_name(code, locale.language)
    try:
        return locale.languages.get(Locale.parse(LOCALES.get(code, code)).language, code)
    except (ValueError, UnknownLocaleError):
        return code


@cache
def _bundled(lang: str) -> dict | None:
    path = BUNDLED / f"{lang}.toml"
    return _read(path) if path.is_file() else None


def _read(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise BadInput("letter template {path}: {reason}", path=str(path), reason=str(error)) from None


def _source(lang: str, folder: Path | None) -> dict | None:
    """A region's own template (`folder/letters/<lang>.toml`) before the bundled one; None: none."""
    if not lang.replace("_", "").isalnum():
        return None
    if folder is not None and (path := Path(folder) / "letters" / f"{lang}.toml").is_file():
        return {"checked": True, **_read(path)}  # a region's own text is its own, unless it says otherwise
    return _bundled(lang)


def template(lang: str, folder: Path | None = None) -> dict:
    found = _source(lang, folder)
    if found is None:
        raise BadInput("no letter template in language '{lang}'", lang=lang)
    return found


def languages(folder: Path | None = None) -> tuple[str, ...]:
    """The languages a letter can be written in, bundled or the region's."""
    found = {path.stem for path in BUNDLED.glob("*.toml")}
    if folder is not None:
        found |= {path.stem for path in (Path(folder) / "letters").glob("*.toml")}
    return tuple(sorted(found))
