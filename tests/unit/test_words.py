"""Words and times as people read them, in Swedish and English: every state, step, party and event
has its words in both languages, and times are local."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from screening import clock
from screening.words import ALERT_KINDS, EVENTS, PARTIES, RULES, STATES, STATUSES, THE_PARTY, Words

WINTER = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)  # 10:00 in Stockholm
SUMMER = datetime(2026, 6, 30, 22, 30, tzinfo=timezone.utc)  # 00:30 on 1 July in Stockholm


def test_times_are_local_and_in_the_readers_words():
    assert clock.short(WINTER) == "ons 25 nov 10:00"
    assert clock.short(WINTER, "en") == "Wed 25 Nov 10:00"
    assert clock.short(SUMMER) == "ons 1 jul 00:30"  # the day in Stockholm, not in UTC
    assert clock.spoken(WINTER) == "onsdag 25 november 2026 kl. 10:00"
    assert clock.spoken(date(2026, 12, 4), "en") == "Friday 4 December 2026"


def test_a_date_of_another_year_than_today_says_its_year():
    words = Words("sv", today=date(2027, 1, 11))
    assert words.day("2026-12-24") == "tor 24 dec 2026"
    assert words.day("2027-01-12") == "tis 12 jan"
    assert words.time("2027-01-12T08:15:00+01:00") == "tis 12 jan 08:15"
    assert words.time(None) == "" and words.day("") == ""


@pytest.mark.parametrize("table", [STATUSES, RULES, PARTIES, THE_PARTY, ALERT_KINDS, EVENTS])
def test_both_languages_name_the_same_things(table):
    assert set(table["sv"]) == set(table["en"])


def test_every_state_event_and_rule_of_the_agreement_has_its_words():
    from workflows.agreement import TRACKS
    from workflows.deadlines import load_rules
    from workflows.events import EVENTS as AGREEMENT_EVENTS

    for lang in ("sv", "en"):
        for track, (states, _, _) in TRACKS.items():
            assert set(states) == set(STATES[lang][track]), (lang, track)
        assert set(AGREEMENT_EVENTS) <= set(EVENTS[lang])
        assert set(load_rules()) <= set(RULES[lang])


def test_organisations_are_named_and_a_missing_one_is_a_dash():
    words = Words("sv", {"hc-lugnvik": "Hälsocentralen Lugnvik"})
    assert words.org("hc-lugnvik") == "Hälsocentralen Lugnvik" and words.org(None) == "–"
    assert words.language("ti") == "tigrinja" and Words("en").language("ti") == "Tigrinya"
