"""What the health centre's search takes a text for (`screening.services.worklist.what`): a case id,
an identity number (the century from today's date), a dossier number, else the words of a name. Every
number is invented."""

from __future__ import annotations

from datetime import date

import pytest

from screening.errors import BadInput
from screening.services.worklist import what as _what
from tests.e2e.support import pnr

TODAY = date(2026, 11, 23)


def test_a_case_id_is_taken_as_one():
    assert _what("SC-7K2M9QXA", TODAY) == {"case_id": "SC-7K2M9QXA"}


def test_an_identity_number_is_taken_in_its_stored_twelve_digits_with_ten_or_twelve_given():
    twelve = pnr()
    assert _what(twelve, TODAY) == {"number": twelve.replace("-", "")}
    assert _what(twelve[2:], TODAY) == {"number": twelve.replace("-", "")}
    assert _what(twelve[2:].replace("-", ""), TODAY) == {"number": twelve.replace("-", "")}


def test_a_coordination_number_is_told_by_its_day_plus_sixty():
    number = pnr(coordination=True)
    assert _what(number, TODAY) == {"number": number.replace("-", "")}


def test_a_wrong_check_digit_is_said_not_searched_for():
    number = pnr()
    wrong = number[:-1] + str((int(number[-1]) + 1) % 10)
    with pytest.raises(BadInput, match="check digit"):
        _what(wrong, TODAY)


def test_a_dossier_number_and_a_name():
    assert _what("12-345678", TODAY) == {"dossier": "12345678"}
    assert _what("AMINA T", TODAY) == {"words": ["amina", "t"]}  # each word folded, a beginning of a word
