"""All identity numbers here are invented, with check digits computed by the module."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from screening.errors import BadInput
from screening.identity import (
    format_dossier,
    luhn_check_digit,
    parse_dossier,
    parse_personnummer,
    parse_samordningsnummer,
)

TODAY = date(2026, 1, 15)
BORN = date(2019, 4, 2)


def number(
    born: date, serial: str, *, coordination: bool = False, check: int | None = None
) -> str:
    """12 digits YYYYMMDDNNNC with a correct (or the given) check digit."""
    day = born.day + (60 if coordination else 0)
    body = f"{born.year:04d}{born.month:02d}{day:02d}{serial}"
    return body + str(luhn_check_digit(body[2:]) if check is None else check)


def forms(digits: str, separator: str = "-") -> list[str]:
    short = digits[2:]
    return [digits, f"{digits[:8]}-{digits[8:]}", short, f"{short[:6]}{separator}{short[6:]}"]


CHILD = number(BORN, "238")


def test_luhn_check_digit_matches_a_hand_computed_example():
    # 1 9 0 4 0 2 2 3 8 x 2 1 2 1 ... -> 2 9 0 4 0 2 4 3 16 -> 2+9+0+4+0+2+4+3+7 = 31 -> 9
    assert luhn_check_digit("190402238") == 9
    assert CHILD == "201904022389"


@pytest.mark.parametrize("text", forms(CHILD) + [f"  {CHILD}\n"])
def test_ten_and_twelve_digit_forms_normalise_identically(text):
    parsed = parse_personnummer(text, today=TODAY)
    assert parsed.digits == CHILD
    assert parsed.formatted() == f"{CHILD[:8]}-{CHILD[8:]}"
    assert parsed.birth_date == BORN
    assert not parsed.coordination


def test_plus_means_a_hundred_years_earlier():
    old = number(date(1919, 4, 2), "238")
    assert parse_personnummer(f"{old[2:8]}+{old[8:]}", today=TODAY).birth_date == date(1919, 4, 2)
    assert parse_personnummer(f"{old[2:8]}-{old[8:]}", today=TODAY).birth_date == date(2019, 4, 2)


def test_ten_digits_take_the_century_from_the_birth_date_when_today_is_unknown():
    assert parse_personnummer(CHILD[2:], birth_date=BORN).digits == CHILD


def test_ten_digits_without_today_or_birth_date_are_refused():
    with pytest.raises(BadInput, match="12 digits"):
        parse_personnummer(CHILD[2:])


def test_a_wrong_check_digit_is_refused_without_echoing_the_number():
    wrong = CHILD[:-1] + str((int(CHILD[-1]) + 1) % 10)
    with pytest.raises(BadInput, match="check digit") as err:
        parse_personnummer(wrong, today=TODAY)
    assert CHILD[2:8] not in err.value.message


def test_a_month_that_does_not_exist_is_refused():
    with pytest.raises(BadInput, match="13 is not a month"):
        parse_personnummer("201913022386", today=TODAY)


@pytest.mark.parametrize(
    ("month_day", "message"),
    [("0432", "32 is not a day"), ("0431", "no day 31"), ("0229", "no day 29")],
)
def test_a_day_that_does_not_exist_is_refused(month_day, message):
    body = f"2019{month_day}238"
    with pytest.raises(BadInput, match=message):
        parse_personnummer(body + str(luhn_check_digit(body[2:])), today=TODAY)


def test_a_leap_day_is_accepted_in_a_leap_year():
    leap = number(date(2020, 2, 29), "238")
    assert parse_personnummer(leap[2:], today=TODAY).birth_date == date(2020, 2, 29)


@pytest.mark.parametrize(
    "text", [CHILD[:-1], CHILD + "0", CHILD[3:], "", f"{CHILD[:8]}--{CHILD[8:]}"]
)
def test_a_wrong_length_is_refused(text):
    with pytest.raises(BadInput, match="10 or 12 digits"):
        parse_personnummer(text, today=TODAY)


@pytest.mark.parametrize(
    "text",
    [CHILD[:-1] + "X", f"{CHILD[:8]}/{CHILD[8:]}", f"{CHILD[:8]} {CHILD[8:]}", "٢" + CHILD[1:]],
)
def test_letters_and_other_characters_are_refused(text):
    with pytest.raises(BadInput, match="only digits"):
        parse_personnummer(text, today=TODAY)


def test_a_mismatching_birth_date_is_refused():
    with pytest.raises(BadInput, match="does not match the birth date 2019-04-03"):
        parse_personnummer(CHILD, birth_date=date(2019, 4, 3), today=TODAY)
    with pytest.raises(BadInput, match="does not match the birth date"):
        parse_personnummer(CHILD[2:], birth_date=date(2018, 4, 2))


def test_a_birth_date_in_the_future_is_refused():
    with pytest.raises(BadInput, match="future"):
        parse_personnummer(number(date(2026, 3, 1), "238"), today=TODAY)


def test_a_samordningsnummer_is_day_plus_sixty():
    coordination = number(BORN, "238", coordination=True)
    parsed = parse_samordningsnummer(coordination[2:], today=TODAY)
    assert parsed.coordination and parsed.birth_date == BORN and parsed.digits == coordination
    with pytest.raises(BadInput, match="give it as the samordningsnummer"):
        parse_personnummer(coordination, today=TODAY)


def test_a_personnummer_is_refused_as_a_samordningsnummer():
    with pytest.raises(BadInput, match="samordningsnummer"):
        parse_samordningsnummer(CHILD, today=TODAY)


@pytest.mark.parametrize("text", ["12345678", "12-345678", " 12-345678 "])
def test_dossier_numbers_are_eight_digits_with_an_optional_hyphen(text):
    assert parse_dossier(text) == "12345678"
    assert format_dossier(text) == "12-345678"


@pytest.mark.parametrize(
    "text", ["1234567", "123456789", "123-45678", "12-34567A", "12 345678", ""]
)
def test_malformed_dossier_numbers_are_refused(text):
    with pytest.raises(BadInput, match="dossier number"):
        parse_dossier(text)


serials = st.integers(min_value=0, max_value=999).map(lambda n: f"{n:03d}")
births = st.dates(min_value=date(1910, 1, 1), max_value=date(2025, 12, 31))


@given(births, serials)
def test_a_correct_number_round_trips_in_all_four_forms(born, serial):
    digits = number(born, serial)
    separator = "+" if TODAY.year - born.year >= 100 else "-"
    for text in forms(digits, separator):
        assert parse_personnummer(text, birth_date=born).digits == digits
        if not (text == digits[2:] and separator == "+"):  # no separator reads as '-'
            assert parse_personnummer(text, today=TODAY).birth_date == born


@given(births, serials, st.integers(min_value=1, max_value=9))
def test_any_other_check_digit_is_refused_in_all_four_forms(born, serial, shift):
    digits = number(born, serial)
    wrong = number(born, serial, check=(int(digits[-1]) + shift) % 10)
    for text in forms(wrong):
        with pytest.raises(BadInput, match="check digit"):
            parse_personnummer(text, birth_date=born)


@given(births, serials)
def test_a_samordningsnummer_round_trips_and_is_not_a_personnummer(born, serial):
    digits = number(born, serial, coordination=True)
    assert parse_samordningsnummer(digits, today=TODAY).birth_date == born
    with pytest.raises(BadInput):
        parse_personnummer(digits, today=TODAY)
