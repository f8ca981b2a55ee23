"""The words of each child's name, folded, under each scope that sees the child, for the search by
name (`case_name_word`, migration 0027).

A name is split into words at anything that is not a letter or a digit ("Al-Amin" is "al" and
"amin"), and each word is folded: case folded (`str.casefold`: "ß" is "ss"), decomposed (NFKD) and
stripped of its combining marks, so that "Åsa" is "asa", "Ö" is "o", "Zoë" is "zoe" and an Arabic
name's vowel signs do not count; the few Latin letters NFKD does not decompose are spelled as a
Swedish keyboard would type them ("ø" is "o", "æ" is "ae", "ł" is "l"). The query is folded the same
way, so a search is as blind to case and accents as the words are.

Each word is a row under every scope a case is seen in (`screening.access.SCOPE_COLUMN`'s columns:
its municipality, health centre, school and preschool), keyed (scope, word, case): a search word
matches a name word it begins ("ali" finds "Ali Hassan" and "Hassan Alimi", not "Khalil"), a range of
the key within the searcher's scope, `scope = :scope AND word >= :prefix AND word < :prefix_next`. So a
search reads the index entries of its scope's names that begin with what was typed, and never a case
it does not show. Byte order is the order on both databases (SQLite's BINARY; the columns are
COLLATE "C" on PostgreSQL), which is code point order in UTF-8: the range holds exactly the words
that begin with the prefix.

The storage layer writes the rows wherever a case's name or a scope of it is written
(`SqlCaseRepository.add` and `save`): the rows gone deleted by their keys, the new ones inserted. A
change to `fold` or to the scopes needs a migration that refills the table, as 0027 fills it.
"""

from __future__ import annotations

import unicodedata

WORD_LIMIT = 200  # a word is never longer than the name (screening_case.name)
# Latin letters NFKD leaves whole, folded to what a Swedish keyboard types for them
_SPELLED = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i",
                          "ħ": "h", "ŧ": "t"})


def fold(text: str) -> str:
    """`text` case folded and without accents: 'Åsa Öberg' -> 'asa oberg' (its separators kept)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_SPELLED)


def words(text: str | None) -> list[str]:
    """The folded words of a name (or of a search), each once, in order: 'Ali al-Hassan' -> ali, al, hassan."""
    if not text:
        return []
    folded = "".join(ch if ch.isalnum() else " " for ch in fold(text))
    return list(dict.fromkeys(word[:WORD_LIMIT] for word in folded.split()))


def after_prefix(prefix: str) -> str | None:
    """The least string after every string that begins with `prefix` (its last character's next code
    point), or None when there is none (the range is then open above)."""
    for cut in range(len(prefix) - 1, -1, -1):
        if ord(prefix[cut]) < 0x10FFFF:
            following = ord(prefix[cut]) + 1
            return prefix[:cut] + chr(0xE000 if 0xD800 <= following <= 0xDFFF else following)  # no surrogate
    return None


# the columns of a case that scope a search (`access.SCOPE_COLUMN`), each a letter before the value
SCOPES = {"municipality": "m", "health_centre_id": "c", "school_id": "s", "preschool_id": "p"}
COLUMNS = ("name", *SCOPES)  # what a case's rows are made of


def scope_key(column: str, value: str) -> str:
    """The table's `scope` for the cases whose `column` is `value`: 'c:hc-lugnvik'."""
    return f"{SCOPES[column]}:{value}"


def keys(case: dict) -> set[tuple[str, str]]:
    """(scope, word) of every row of a case (a dict holding COLUMNS): each word under each scope."""
    scopes = [scope_key(column, case[column]) for column in SCOPES if case.get(column)]
    return {(scope, word) for word in words(case.get("name")) for scope in scopes}


def write(conn, case_id: str, old: dict | None, new: dict) -> None:
    """The case's rows as `new` (COLUMNS) has them, where they were as `old` (None: none yet), in the
    caller's transaction: those gone deleted by their keys, those new inserted."""
    before, after = keys(old) if old else set(), keys(new)
    conn.many("DELETE FROM case_name_word WHERE scope = :scope AND word = :word AND case_id = :case_id",
              [{"scope": scope, "word": word, "case_id": case_id} for scope, word in sorted(before - after)])
    conn.many("INSERT INTO case_name_word (scope, word, case_id) VALUES (:scope, :word, :case_id)",
              [{"scope": scope, "word": word, "case_id": case_id} for scope, word in sorted(after - before)])


def rows(cases) -> list[dict]:
    """The table's rows for `(case id, {COLUMNS})` pairs: what a bulk load (the migration) inserts."""
    return [{"scope": scope, "word": word, "case_id": case_id} for case_id, case in cases
            for scope, word in sorted(keys(case))]
