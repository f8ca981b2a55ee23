"""How a name becomes the words the search reads (`screening.storage.name_words`), and what a search
text is taken for (`screening.services.worklist.what`). Every name is invented."""

from __future__ import annotations

from datetime import date

import pytest

from screening.errors import BadInput
from screening.services.worklist import MAX_WORDS, what
from screening.storage.name_words import after_prefix, fold, words

TODAY = date(2026, 11, 23)


def test_case_and_accents_are_folded_away():
    assert words("Åsa Öberg") == ["asa", "oberg"]
    assert words("ZOË Müller-Lüdenscheidt") == ["zoe", "muller", "ludenscheidt"]
    assert words("Søren Ærø Łukasz") == ["soren", "aero", "lukasz"]  # letters NFKD leaves whole
    assert words("Straße") == ["strasse"]  # case folding, not lower case
    assert fold("Ş") == "s" and fold("İ") == "i"


def test_a_name_is_split_at_anything_not_a_letter_or_a_digit_each_word_once():
    assert words("Ali al-Hassan  O'Brien") == ["ali", "al", "hassan", "o", "brien"]
    assert words("Ali Ali") == ["ali"]
    assert words(None) == [] and words("") == [] and words("- ' .") == []


def test_arabic_vowel_signs_do_not_count():
    assert words("مُحَمَّد") == words("محمد") == ["محمد"]


def test_the_range_after_a_prefix_holds_exactly_the_words_it_begins():
    assert after_prefix("ali") == "alj"
    assert after_prefix("a\U0010ffff") == "b"
    assert after_prefix("\U0010ffff") is None
    assert after_prefix("\ud7ff") == "\ue000"  # never a surrogate, which UTF-8 cannot hold
    names = ["al", "ali", "alimi", "alj", "alz", "ak", "ali\U0010ffff"]
    assert sorted(n for n in names if "ali" <= n < after_prefix("ali")) == ["ali", "alimi", "ali\U0010ffff"]


def test_a_search_is_the_folded_words_of_the_text_all_of_which_must_begin_a_word_of_the_name():
    assert what("Åsa  ÖB", TODAY) == {"words": ["asa", "ob"]}
    assert what("ab c d e f g", TODAY)["words"] == ["ab", "c", "d", "e", "f", "g"][:MAX_WORDS]


@pytest.mark.parametrize("text", ["x", " a ", "a b", "%_", "--"])
def test_too_little_to_search_for_is_said_not_searched(text):
    """One letter alone (or nothing but signs) would read a large part of the names: refused."""
    with pytest.raises(BadInput, match="at least two characters"):
        what(text, TODAY)


def test_every_scope_a_search_is_made_in_has_its_rows():
    """A role's scope (`access.SCOPE_COLUMN`) with no rows would find nothing by name."""
    from screening.access import SCOPE_COLUMN
    from screening.storage.name_words import SCOPES, keys

    assert {column for column, _ in SCOPE_COLUMN.values()} <= set(SCOPES)
    assert keys({"name": "Åsa Ödman", "municipality": "Berg", "health_centre_id": "hc-berg", "school_id": None}) == {
        ("m:Berg", "asa"), ("m:Berg", "odman"), ("c:hc-berg", "asa"), ("c:hc-berg", "odman")}
