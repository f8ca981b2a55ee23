"""One line of text that people type or a region's file holds and that others are shown: a child's name,
its language, an organisation's name and contact data. Checked where it comes in, alike on every
database (SQLite does not enforce a column's length, PostgreSQL does).

Such a line holds no line break and no control character (a terminal escape, a tab), and none of the
invisible characters that change how text around them is shown: the bidirectional controls (U+202A–U+202E,
U+2066–U+2069, U+200E, U+200F, U+061C) could make a screen, a letter or a calendar show a name reversed,
and the other invisible format characters (U+200B, U+2060, U+FEFF, a soft hyphen…) hide in a name.
The zero-width non-joiner and joiner (U+200C, U+200D) are kept: Persian and Indic names need them."""

from __future__ import annotations

import unicodedata

from screening.errors import BadInput

# The columns' lengths (screening/storage/tables.py; tests/security/test_names.py keeps them equal).
NAME_LIMIT = 200  # screening_case.name, organisation.name, region.name
LANGUAGE_LIMIT = 16  # screening_case.language (and booking.interpreter, which copies it)
ID_LIMIT = 64  # organisation.id, region.id, and a municipality's name (screening_case.municipality)

JOINERS = frozenset("\u200c\u200d")  # zero-width non-joiner and joiner: part of how a name is written
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})  # controls, format, lone surrogates, line breaks


def refused_character(text: str) -> str | None:
    """The first character a displayed line must not hold, named as "U+202E (RIGHT-TO-LEFT OVERRIDE)";
    None when there is none."""
    for ch in text:
        if ch not in JOINERS and unicodedata.category(ch) in REFUSED_CATEGORIES:
            name = unicodedata.name(ch, "")
            return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")
    return None


def check_line(text: str, limit: int | None = None) -> str:
    """`text` if it is one line of at most `limit` characters that shows as it is written; else
    BadInput (a value's own error, for its caller to say whose value it is: it never repeats the text)."""
    if limit is not None and len(text) > limit:
        raise BadInput("must be at most {limit} characters, not {length}", limit=limit, length=len(text))
    if (character := refused_character(text)) is not None:
        raise BadInput("must not hold the character {character}: a line break, a control character or an "
                       "invisible character that changes how the text is shown", character=character)
    return text
