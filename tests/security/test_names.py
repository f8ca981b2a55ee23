"""A child's name and language as typed (`case register --name/--language`, `update_details name=/language=`):
one line that shows as written, no longer than its column, checked alike on SQLite and PostgreSQL.

A right-to-left override (U+202E) or another bidirectional control in a name makes a screen, a letter or a
calendar show the text around it reversed; a line break or a terminal escape breaks the line it is shown
on. They are refused at input with one line that names the character, never the name, and change nothing.
The zero-width non-joiner and joiner (U+200C, U+200D) are how Persian and Indic names are written: kept."""

from __future__ import annotations

import pytest

from screening import text
from tests.e2e.support import NOW, RECEPTION, HC, assert_one_line_error, register
from tests.security.conftest import snapshot

BIDI = ["\u202e", "\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e",
        "\u200f", "\u061c"]
INVISIBLE = ["\u200b", "\u2060", "\ufeff", "\u00ad"]  # zero-width space, word joiner, BOM, soft hyphen
LINE_BREAKS_AND_CONTROLS = ["\n", "\r", "\t", "\x1b[2J", "\x07", "\x85", "\u2028", "\u2029"]
REFUSED = BIDI + INVISIBLE + LINE_BREAKS_AND_CONTROLS
JOINED = ["\u0639\u0644\u06cc\u200c\u0631\u0636\u0627 \u0645\u062d\u0645\u062f\u06cc",  # Persian: Ali‌reza, ZWNJ
          "\u0915\u094d\u200d\u0937\u093f\u0924\u093f\u091c",  # Devanagari with a ZWJ
          "Amira Hassan"]


def name_of(run, db, case_id, user=RECEPTION):
    result = run("case", "show", case_id, db=db, user=user, now=NOW)
    assert result.code == 0, result.err
    return result.data["name"]


def refused_quietly(result, *words):
    """Bad input in one line, naming what is wrong and never repeating the name."""
    error = assert_one_line_error(result, 2)
    assert error["code"] == "bad_input"
    assert "Amira" not in result.err and "Amira" not in result.out
    for word in words:
        assert word in error["message"], error["message"]
    return error


def test_a_name_with_a_direction_control_or_a_control_character_is_refused_at_registration(run, cli_db):
    before = snapshot(cli_db)
    for character in REFUSED:
        result = run("case", "register", "--birth-date", "2019-04-02", "--municipality", "Östersund",
                     "--name", f"Amira{character}Hassan", db=cli_db, user=RECEPTION, now=NOW)
        refused_quietly(result, "name", f"U+{ord(character[0]):04X}")
        assert snapshot(cli_db) == before, repr(character)


def test_a_language_with_a_control_character_is_refused_at_registration(run, cli_db):
    before = snapshot(cli_db)
    for character in ("\u202e", "\n", "\x1b"):
        result = run("case", "register", "--birth-date", "2019-04-02", "--municipality", "Östersund",
                     "--language", f"a{character}r", db=cli_db, user=RECEPTION, now=NOW)
        refused_quietly(result, "language")
    assert snapshot(cli_db) == before


def test_a_name_with_a_direction_control_is_refused_by_update_details(run, cli_db):
    case_id = register(run, cli_db, "--name", "Amira Hassan")
    before = snapshot(cli_db)
    for character in REFUSED:
        result = run("case", "event", case_id, "update_details", "--set", f"name=Amira {character}Hassan",
                     db=cli_db, user=RECEPTION, now=NOW)
        refused_quietly(result, "name", f"U+{ord(character[0]):04X}")
        for user, key in ((RECEPTION, "language"), (HC, "language")):
            result = run("case", "event", case_id, "update_details", "--set", f"{key}=a{character}r",
                         db=cli_db, user=user, now=NOW)
            refused_quietly(result, "language")
        assert snapshot(cli_db) == before, repr(character)
    assert name_of(run, cli_db, case_id) == "Amira Hassan"


@pytest.mark.parametrize("name", JOINED)
def test_zero_width_joiners_are_part_of_a_name_and_kept(run, cli_db, name):
    case_id = register(run, cli_db, "--name", name)
    assert name_of(run, cli_db, case_id) == name
    other = register(run, cli_db, "--dossier", "12-345677")
    updated = run("case", "event", other, "update_details", "--set", f"name={name}", db=cli_db, user=RECEPTION,
                  now=NOW)
    assert updated.code == 0, updated.err
    assert name_of(run, cli_db, other) == name


def test_name_and_language_lengths_are_the_same_on_every_backend(run, cli_db):
    """The columns' lengths, enforced by the domain: the longest allowed is stored on both backends,
    one more is bad input on both (SQLite stored it, PostgreSQL failed with a database error)."""
    longest, language = "Å" * text.NAME_LIMIT, "x" * text.LANGUAGE_LIMIT
    case_id = register(run, cli_db, "--name", longest, "--language", language)
    assert name_of(run, cli_db, case_id) == longest
    before = snapshot(cli_db)
    for option, value, limit in (("--name", longest + "Å", text.NAME_LIMIT),
                                 ("--language", language + "x", text.LANGUAGE_LIMIT)):
        result = run("case", "register", "--birth-date", "2019-04-02", "--municipality", "Östersund", option, value,
                     db=cli_db, user=RECEPTION, now=NOW)
        refused_quietly(result, option.lstrip("-"), str(limit))
        assert snapshot(cli_db) == before
        result = run("case", "event", case_id, "update_details", "--set", f"{option.lstrip('-')}={value}",
                     db=cli_db, user=RECEPTION, now=NOW)
        refused_quietly(result, option.lstrip("-"), str(limit))
        assert snapshot(cli_db) == before
    fresh = register(run, cli_db, "--dossier", "12-345676")
    for key, value in (("name", longest), ("language", language)):
        updated = run("case", "event", fresh, "update_details", "--set", f"{key}={value}", db=cli_db,
                      user=RECEPTION, now=NOW)
        assert updated.code == 0, updated.err


def test_the_limits_are_the_columns():
    from screening.storage.tables import CaseRow, OrganisationRow, RegionRow

    columns = CaseRow.__table__.c
    assert columns.name.type.length == OrganisationRow.__table__.c.name.type.length == text.NAME_LIMIT
    assert RegionRow.__table__.c.name.type.length == text.NAME_LIMIT
    assert columns.language.type.length == text.LANGUAGE_LIMIT
    assert OrganisationRow.__table__.c.id.type.length == columns.municipality.type.length == text.ID_LIMIT
    assert RegionRow.__table__.c.id.type.length == text.ID_LIMIT
