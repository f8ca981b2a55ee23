"""The case page (`/cases/{case_id}`) on SQLite and PostgreSQL: each role sees what `case show --json`
gives it and no more (planted markers in the confidential notes), only the steps the rules allow it
now are offered, an event the rules refuse changes nothing and is said in words, the CSRF token and
the version read are checked, booking through the slot picker books the time picked, and the family's
letter is printed for the health centre only. A correction empties the values ticked "Töm" (never a
required one), picks units from the directory by name (the server checks the id sent), an event may say
when it happened (the service's checks, in words), the times follow the interpreter tick (without
script: "Visa tiderna"; with it: the slot list alone), and the access log is read a page at a time,
newest first. Every child, note and time is invented."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest

from screening.clock import STOCKHOLM
from screening.services import cases, events, sessions, users
from screening.services.registration import Registration, register
from tests.web.conftest import csrf_of

HC, OTHER_HC, RECEPTION, OTHER_RECEPTION = "hc-lugnvik", "hc-odensala", "ostersund-reception", "berg-reception"
SCHOOL, PRESCHOOL = "ostersund-school-norrby", "ostersund-preschool-solrosen"
SCHOOL_HEALTH, BVC, COORDINATOR = "ostersund-school-health", "ostersund-bvc", "region-coordinator"
RESULTS_NOTE = "MARKER-7f3a-TUBERKULOS-IGRA-POSITIV"
EXAM_NOTE = "MARKER-7f3a-LUNGRONTGEN-FYND"
DECLINE_REASON = "MARKER-7f3a-AVBOJT-HEPATIT-B"
PREFIX = "MARKER-7f3a"


def new_case(site, **details) -> str:
    notice = Registration(birth_date=date(2019, 4, 2), municipality="Östersund", name="Testbarn Påhittadsson",
                          school=SCHOOL, preschool=PRESCHOOL, arrival=date(2026, 11, 25), language="ti",
                          interpreter=True, **details)
    return register(site.app, users.identify(site.app, RECEPTION), notice)["id"]


def event(site, user: str, case_id: str, name: str, **values) -> dict:
    site.later(minutes=5)
    return events.apply(site.app, users.identify(site.app, user), case_id, name, values)


def shown(site, user: str, case_id: str) -> dict:
    return cases.show(site.app, users.identify(site.app, user), case_id)


def browser_as(site, user: str):
    browser = site.browser()
    browser.cookies.set("screening_session", sessions.start(site.app, user)["session"])
    return browser


def offered(html: str) -> set[str]:
    return set(re.findall(r'id="step-([a-z_]+)"', html))


def version(site, case_id: str) -> int:
    return shown(site, COORDINATOR, case_id)["version"]


@pytest.fixture
def examined(site):
    """A child through the health track with an obstacle and both medical notes; another declined."""
    a, b = new_case(site), new_case(site, personnummer=None)
    for case_id in (a, b):
        event(site, RECEPTION, case_id, "notify_parties")
    event(site, HC, a, "book_health_conversation", start="2026-11-24T09:00")
    site.at(datetime(2026, 11, 24, 10, 0, tzinfo=STOCKHOLM))
    event(site, HC, a, "hold_health_conversation")
    event(site, HC, a, "record_results", obstacle="yes", note=RESULTS_NOTE)
    event(site, HC, a, "book_examination", start="2026-11-26T09:00")
    event(site, HC, b, "decline", reason=DECLINE_REASON)
    site.at(datetime(2026, 11, 26, 11, 0, tzinfo=STOCKHOLM))
    event(site, HC, a, "hold_examination", note=EXAM_NOTE)
    return a, b


# --- secrecy: what `case show` gives the role, and no more ------------------------------------------

def test_the_health_centre_sees_the_medical_notes_it_wrote(site, examined):
    a, b = examined
    page = browser_as(site, HC).get(f"/cases/{a}")
    assert page.status_code == 200
    assert RESULTS_NOTE in page.text and EXAM_NOTE in page.text
    assert DECLINE_REASON in browser_as(site, HC).get(f"/cases/{b}").text


@pytest.mark.parametrize("user", [RECEPTION, SCHOOL, PRESCHOOL, SCHOOL_HEALTH, BVC, COORDINATOR])
def test_no_other_role_finds_a_marker_on_the_case_page(site, examined, user):
    for case_id in examined:
        seen = shown(site, user, case_id)
        assert PREFIX not in repr(seen)  # the service gives it none: the page must not either
        page = browser_as(site, user).get(f"/cases/{case_id}")
        assert page.status_code == 200, (user, page.text[:300])
        assert PREFIX not in page.text, user
        assert case_id in page.text


def test_reception_sees_the_obstacle_yes_and_no_note(site, examined):
    a, _ = examined
    page = browser_as(site, RECEPTION).get(f"/cases/{a}")
    assert re.search(r"<dt>Hinder för skolstart</dt><dd>ja</dd>", page.text)
    assert "Provsvar, anteckning" not in page.text and PREFIX not in page.text


def test_a_case_out_of_scope_is_answered_like_an_unknown_one(site, examined):
    a, _ = examined
    other = browser_as(site, OTHER_HC)
    outside, unknown = other.get(f"/cases/{a}"), other.get("/cases/SC-ZZZZZZZZ")
    assert outside.status_code == unknown.status_code == 404
    assert outside.text.replace(a, "X") == unknown.text.replace("SC-ZZZZZZZZ", "X")
    assert "Testbarn" not in outside.text and browser_as(site, OTHER_RECEPTION).get(f"/cases/{a}").status_code == 404


def test_the_page_read_is_recorded_like_case_show(site):
    from screening.services.cases import history

    case_id = new_case(site)
    browser_as(site, SCHOOL).get(f"/cases/{case_id}")
    reads = [e for e in history(site.app, users.identify(site.app, COORDINATOR), case_id, reads_too=True)
             if e["action"] != "event" and e["user"] == SCHOOL]
    assert reads, "the school's read of the case page is in the access log"


# --- the steps offered: only those the rules allow this person now -----------------------------------

def test_a_new_case_offers_reception_the_notice_and_the_health_centre_nothing_to_book(site):
    case_id = new_case(site)
    reception = offered(browser_as(site, RECEPTION).get(f"/cases/{case_id}").text)
    assert "notify_parties" in reception and "update_details" in reception
    assert not reception & {"record_results", "book_health_conversation", "hold_health_conversation"}
    centre = offered(browser_as(site, HC).get(f"/cases/{case_id}").text)
    assert "book_health_conversation" not in centre and "notify_parties" not in centre


@pytest.mark.parametrize("steps, user, present, absent", [
    ((), RECEPTION, {"notify_parties", "change_arrival", "update_details", "decline", "move_out", "close"},
     {"record_results", "book_health_conversation", "start_school"}),
    (("notify",), HC, {"book_health_conversation", "update_details", "decline", "record_consent"},
     {"record_results", "hold_health_conversation", "cancel_booking", "notify_parties", "book_examination"}),
    (("notify",), RECEPTION, {"change_arrival", "update_details", "move_out"},
     {"notify_parties", "record_results", "book_health_conversation"}),
    (("notify", "book"), HC, {"hold_health_conversation", "cancel_booking", "book_health_conversation"},
     {"record_results", "book_examination"}),
    (("notify", "book", "hold"), HC, {"record_results"}, {"book_health_conversation", "inform_family"}),
    (("notify", "book", "hold"), RECEPTION, {"move_out"}, {"record_results", "hold_health_conversation"}),
    ((), SCHOOL, {"invite_intro_meeting", "hold_intro_meeting"}, {"start_school", "notify_parties"}),
    ((), PRESCHOOL, {"invite_intro_meeting"}, {"start_preschool", "start_school"}),
    ((), COORDINATOR, {"close"}, {"notify_parties", "record_results"}),
    ((), SCHOOL_HEALTH, {"request_records", "assess_vaccinations"}, {"notify_parties", "record_results"}),
])
def test_only_the_steps_the_rules_allow_now_are_offered(site, steps, user, present, absent):
    case_id = new_case(site)
    for step in steps:
        if step == "notify":
            event(site, RECEPTION, case_id, "notify_parties")
        elif step == "book":
            event(site, HC, case_id, "book_health_conversation", start="2026-11-24T09:00")
        elif step == "hold":
            site.at(datetime(2026, 11, 24, 10, 0, tzinfo=STOCKHOLM))
            event(site, HC, case_id, "hold_health_conversation")
    found = offered(browser_as(site, user).get(f"/cases/{case_id}").text)
    assert present <= found, (user, steps, found)
    assert not found & absent, (user, steps, found & absent)


def test_a_booking_made_is_offered_closed_to_book_again_naming_the_time_booked(site):
    case_id = new_case(site)
    event(site, RECEPTION, case_id, "notify_parties")
    before = browser_as(site, HC).get(f"/cases/{case_id}").text
    assert '<details class="step" id="step-book_health_conversation" open>' in before
    event(site, HC, case_id, "book_health_conversation", start="2026-11-24T09:00")
    after = browser_as(site, HC).get(f"/cases/{case_id}").text
    assert '<details class="step" id="step-book_health_conversation">' in after  # closed: nothing owed
    assert re.search(r"<summary>Boka hälsosamtal: boka om \(bokad tis 24 nov 09:00\)</summary>", after)
    # the free times (a read of the centre's calendar) only when asked for
    assert 'name="start"' not in after.split('id="step-book_health_conversation"')[1].split("</details>")[0]
    asked = re.search(r'<a href="(/cases/[^"]+\?interpreter=yes)#step-book_health_conversation">Visa de lediga '
                      r'tiderna för att boka om</a>', after).group(1)
    times = browser_as(site, HC).get(asked).text
    assert '<details class="step" id="step-book_health_conversation" open>' in times
    assert 'name="start"' in times.split('id="step-book_health_conversation"')[1].split("</details>")[0]


def test_a_step_done_once_is_no_longer_offered_as_owed_but_apart_to_record_again(site, examined):
    a, _ = examined
    page = browser_as(site, HC).get(f"/cases/{a}").text
    owed, _, apart = page.partition('<details class="steps-again"')
    assert {"inform_family", "inform_reception"} <= offered(owed) and not apart.strip().startswith(">")
    event(site, HC, a, "inform_family")
    page = browser_as(site, HC).get(f"/cases/{a}").text
    owed, _, apart = page.partition('<details class="steps-again"')
    assert "inform_family" not in offered(owed) and "inform_reception" in offered(owed)
    apart = apart.split("</details>")[0]
    assert offered(apart) == {"inform_family"} and "Redan gjort: registrera igen" in apart
    assert re.search(r"Familjen informerad: senast [a-zåäö]{3} \d+ nov \d\d:\d\d\.", apart)


def test_a_school_start_with_an_open_obstacle_is_not_offered_but_the_adapted_one_is(site, examined):
    a, _ = examined
    for name in ("hold_intro_meeting", "make_intro_plan"):
        event(site, SCHOOL, a, name)
    found = offered(browser_as(site, SCHOOL).get(f"/cases/{a}").text)
    assert "start_with_adaptations" in found and "postpone_start" in found and "start_school" not in found


# --- posting an event -----------------------------------------------------------------------------

def test_an_event_is_applied_and_the_page_says_so(site):
    case_id = new_case(site)
    browser = browser_as(site, RECEPTION)
    page = browser.get(f"/cases/{case_id}")
    done = browser.post(f"/cases/{case_id}/events", follow_redirects=False,
                        data={"csrf": csrf_of(page.text), "event": "notify_parties", "if_version": "1"})
    assert done.status_code == 303 and done.headers["location"] == f"/cases/{case_id}?done=notify_parties"
    assert shown(site, RECEPTION, case_id)["tracks"]["health"] == "parties_notified"
    after = browser.get(done.headers["location"])
    assert 'role="status"' in after.text and "parterna underrättade" in after.text


def test_an_event_the_rules_refuse_is_said_on_the_page_and_nothing_changes(site):
    case_id = new_case(site)
    browser = browser_as(site, RECEPTION)
    page = browser.get(f"/cases/{case_id}")
    refused = browser.post(f"/cases/{case_id}/events", data={"csrf": csrf_of(page.text), "event": "record_results",
                                                             "if_version": "1", "obstacle": "no"})
    assert refused.status_code == 403 and 'role="alert"' in refused.text
    assert "record_results" in refused.text and "Inget ändrades." in refused.text
    assert version(site, case_id) == 1 and shown(site, HC, case_id)["results"]["received_at"] is None
    early = browser_as(site, HC)
    page = early.get(f"/cases/{case_id}")
    too_soon = early.post(f"/cases/{case_id}/events", data={"csrf": csrf_of(page.text), "if_version": "1",
                                                            "event": "hold_health_conversation"})
    assert too_soon.status_code == 403 and "registrerad" in too_soon.text  # the track's state, in words
    assert version(site, case_id) == 1


def test_a_value_refused_is_said_and_kept_in_its_form(site):
    case_id = new_case(site)
    browser = browser_as(site, RECEPTION)
    page = browser.get(f"/cases/{case_id}")
    bad = browser.post(f"/cases/{case_id}/events", data={"csrf": csrf_of(page.text), "event": "change_arrival",
                                                         "if_version": "1", "arrival": "25/11"})
    assert bad.status_code == 422 and "25/11" in bad.text and 'href="#step-change_arrival"' in bad.text
    assert shown(site, RECEPTION, case_id)["arrival"] == "2026-11-25"


def test_an_event_without_the_sessions_csrf_token_is_refused(site):
    case_id = new_case(site)
    refused = browser_as(site, RECEPTION).post(f"/cases/{case_id}/events",
                                               data={"event": "notify_parties", "if_version": "1"})
    assert refused.status_code == 403
    assert version(site, case_id) == 1


def test_a_page_read_before_someone_else_changed_the_case_is_refused_with_a_message(site):
    case_id = new_case(site)
    browser = browser_as(site, RECEPTION)
    page = browser.get(f"/cases/{case_id}")
    event(site, RECEPTION, case_id, "change_arrival", arrival="2026-11-27")  # someone else, meanwhile
    stale = browser.post(f"/cases/{case_id}/events", data={"csrf": csrf_of(page.text), "event": "notify_parties",
                                                           "if_version": "1"})
    assert stale.status_code == 409 and 'role="alert"' in stale.text
    assert shown(site, RECEPTION, case_id)["tracks"]["health"] == "registered" and version(site, case_id) == 2
    assert 'name="if_version" value="2"' in stale.text  # the page shows the case as it is now


def test_the_results_form_asks_for_the_obstacle_and_a_note(site):
    case_id = new_case(site)
    event(site, RECEPTION, case_id, "notify_parties")
    event(site, HC, case_id, "book_health_conversation", start="2026-11-24T09:00")
    site.at(datetime(2026, 11, 24, 10, 0, tzinfo=STOCKHOLM))
    event(site, HC, case_id, "hold_health_conversation")
    site.later(minutes=5)
    browser = browser_as(site, HC)
    page = browser.get(f"/cases/{case_id}")
    assert 'id="step-record_results-obstacle-yes"' in page.text and 'id="step-record_results-note"' in page.text
    done = browser.post(f"/cases/{case_id}/events", follow_redirects=False, data={
        "csrf": csrf_of(page.text), "event": "record_results", "if_version": str(version(site, case_id)),
        "obstacle": "no", "note": "Invented: all samples negative"})
    assert done.status_code == 303
    seen = shown(site, HC, case_id)
    assert seen["results"]["obstacle"] is False and seen["results"]["note"] == "Invented: all samples negative"


# --- booking through the slot picker, and the letter -------------------------------------------------

def test_the_health_centre_books_the_time_it_picks_before_the_deadline(site):
    case_id = new_case(site)
    event(site, RECEPTION, case_id, "notify_parties")
    browser = browser_as(site, HC)
    page = browser.get(f"/cases/{case_id}")
    times = re.findall(r'name="start" value="([^"]+)"', page.text)
    due = shown(site, HC, case_id)["deadlines"]
    due = next(d["due"] for d in due if d["rule"] == "book_health_conversation")
    assert times and all(datetime.fromisoformat(t) < datetime.fromisoformat(due) for t in times)
    assert all(datetime.fromisoformat(t) > site.now for t in times)
    picked = times[2]
    done = browser.post(f"/cases/{case_id}/events", follow_redirects=False, data={
        "csrf": csrf_of(page.text), "event": "book_health_conversation", "if_version": "2", "start": picked,
        "interpreter_shown": "1", "interpreter": "yes"})
    assert done.status_code == 303, done.text[:500]
    seen = shown(site, HC, case_id)
    assert datetime.fromisoformat(seen["bookings"]["health_conversation"]) == datetime.fromisoformat(picked)
    assert seen["version"] == 3  # the interpreter flag unchanged: one event
    after = browser.get(done.headers["location"]).text
    assert re.search(r"<dt>Tolkbeställning</dt>\s*<dd>hälsosamtal: (beställs|beställd)</dd>", after), \
        re.findall(r"Tolkbeställning.{0,80}", after)
    assert "Tolkbeställning" not in browser_as(site, RECEPTION).get(f"/cases/{case_id}").text


def test_unticking_the_interpreter_books_without_one_in_the_same_step(site):
    case_id = new_case(site)
    event(site, RECEPTION, case_id, "notify_parties")
    browser = browser_as(site, HC)
    page = browser.get(f"/cases/{case_id}")
    picked = re.findall(r'name="start" value="([^"]+)"', page.text)[0]
    done = browser.post(f"/cases/{case_id}/events", follow_redirects=False, data={
        "csrf": csrf_of(page.text), "event": "book_health_conversation", "if_version": "2", "start": picked,
        "interpreter_shown": "1"})
    assert done.status_code == 303
    seen = shown(site, HC, case_id)
    assert seen["interpreter"] is False and seen["bookings"]["health_conversation"] is not None


def test_a_booking_without_a_time_picked_is_refused(site):
    case_id = new_case(site)
    event(site, RECEPTION, case_id, "notify_parties")
    browser = browser_as(site, HC)
    page = browser.get(f"/cases/{case_id}")
    refused = browser.post(f"/cases/{case_id}/events", data={
        "csrf": csrf_of(page.text), "event": "book_health_conversation", "if_version": "2",
        "interpreter_shown": "1", "interpreter": "yes"})
    assert refused.status_code == 422 and "start" in refused.text
    assert shown(site, HC, case_id)["bookings"]["health_conversation"] is None


def test_the_letter_is_printed_for_the_health_centre_and_refused_to_reception(site):
    case_id = new_case(site)
    event(site, RECEPTION, case_id, "notify_parties")
    event(site, HC, case_id, "book_health_conversation", start="2026-11-24T09:00")
    centre = browser_as(site, HC)
    page = centre.get(f"/cases/{case_id}")
    assert f'href="/cases/{case_id}/letter.pdf"' in page.text
    letter = centre.get(f"/cases/{case_id}/letter.pdf")
    assert letter.status_code == 200 and letter.headers["content-type"] == "application/pdf"
    assert letter.content.startswith(b"%PDF")
    reception = browser_as(site, RECEPTION)
    assert "letter.pdf" not in reception.get(f"/cases/{case_id}").text
    assert reception.get(f"/cases/{case_id}/letter.pdf").status_code == 403
    assert browser_as(site, OTHER_HC).get(f"/cases/{case_id}/letter.pdf").status_code == 404
    assert centre.get(f"/cases/{case_id}/letter.pdf?examination=1").status_code == 403  # none booked


def test_the_deadlines_name_their_clause_and_the_timeline_who_did_what(site):
    case_id = new_case(site)
    event(site, RECEPTION, case_id, "notify_parties")
    page = browser_as(site, HC).get(f"/cases/{case_id}")
    assert re.search(r"<th scope=\"row\">underrätta parterna</th>\s*<td>steg 2</td>", page.text)
    assert re.search(r"<th scope=\"row\">fyller 18</th>\s*<td>omfattning \(0-17\)</td>", page.text)
    assert not re.search(r"<td>(step|steps|scope) ", page.text)  # the rule table's English, in Swedish words
    assert "parterna underrättade, av" in page.text and "Integrationsservice Östersund" in page.text
    assert "<caption>" in page.text


def test_the_access_log_is_on_the_page_for_the_health_centre_only(site):
    case_id = new_case(site)
    browser_as(site, SCHOOL).get(f"/cases/{case_id}")
    centre = browser_as(site, HC).get(f"/cases/{case_id}?reads=1")
    assert "läste ärendet" in centre.text and "Norrbyskolan" in centre.text
    school = browser_as(site, SCHOOL).get(f"/cases/{case_id}?reads=1")
    assert school.status_code == 200 and "läste ärendet" not in school.text and "?reads=1" not in school.text


def test_a_school_start_with_an_obstacle_is_refused_in_words_then_started_with_adaptations(site, examined):
    a, _ = examined
    for name in ("hold_intro_meeting", "make_intro_plan"):
        event(site, SCHOOL, a, name)
    site.later(minutes=5)
    browser = browser_as(site, SCHOOL)
    page = browser.get(f"/cases/{a}")
    now = str(version(site, a))
    refused = browser.post(f"/cases/{a}/events", data={"csrf": csrf_of(page.text), "event": "start_school",
                                                       "if_version": now})
    assert refused.status_code == 403 and "hinder" in refused.text.lower()
    assert shown(site, SCHOOL, a)["tracks"]["school"] == "plan_made"
    adapted = browser.post(f"/cases/{a}/events", follow_redirects=False, data={
        "csrf": csrf_of(page.text), "event": "start_with_adaptations", "if_version": now,
        "reason": "Invented: adapted after the health centre's advice"})
    assert adapted.status_code == 303
    assert shown(site, SCHOOL, a)["tracks"]["school"] == "started_adapted"


def test_a_visit_said_held_before_its_booked_start_is_pointed_out(site):
    case_id = new_case(site)
    event(site, RECEPTION, case_id, "notify_parties")
    event(site, HC, case_id, "book_health_conversation", start="2026-11-24T09:00")
    site.at(datetime(2026, 11, 23, 15, 0, tzinfo=STOCKHOLM))
    browser = browser_as(site, HC)
    page = browser.get(f"/cases/{case_id}")
    done = browser.post(f"/cases/{case_id}/events", follow_redirects=False, data={
        "csrf": csrf_of(page.text), "event": "hold_health_conversation", "if_version": str(version(site, case_id))})
    assert done.status_code == 303 and done.headers["location"].endswith("&early=1")
    assert "före sin bokade tid" in browser.get(done.headers["location"]).text


def test_every_events_form_asks_for_exactly_the_values_the_event_takes():
    from screening.services.case_view import VALUES
    from workflows.events import EVENTS

    for name, described in EVENTS.items():
        asked = {v.key: v.required for v in VALUES.get(name, ())}
        takes = {**{key: False for key in described.optional}, **{key: True for key in described.required}}
        assert asked == takes, name


def test_the_examination_is_booked_through_its_own_slot_picker_and_the_page_speaks_english(site):
    case_id = new_case(site)
    event(site, RECEPTION, case_id, "notify_parties")
    event(site, HC, case_id, "book_health_conversation", start="2026-11-24T09:00")
    site.at(datetime(2026, 11, 24, 10, 0, tzinfo=STOCKHOLM))
    event(site, HC, case_id, "hold_health_conversation")
    event(site, HC, case_id, "record_results", obstacle="yes")
    browser = browser_as(site, HC)
    page = browser.get(f"/cases/{case_id}", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in page.text and "Book the doctor&#39;s examination" in page.text
    picked = re.findall(r'name="start" value="([^"]+)"', page.text)[0]
    assert datetime.fromisoformat(picked) > site.now
    done = browser.post(f"/cases/{case_id}/events", follow_redirects=False, data={
        "csrf": csrf_of(page.text), "event": "book_examination", "if_version": str(version(site, case_id)),
        "start": picked, "interpreter_shown": "1", "interpreter": "yes"})
    assert done.status_code == 303
    seen = shown(site, HC, case_id)
    assert datetime.fromisoformat(seen["bookings"]["examination"]) == datetime.fromisoformat(picked)
    assert browser.get(f"/cases/{case_id}/letter.pdf?examination=1").content.startswith(b"%PDF")


def test_the_times_for_a_visit_without_an_interpreter_are_a_link_away(site):
    case_id = new_case(site)
    event(site, RECEPTION, case_id, "notify_parties")
    browser = browser_as(site, HC)
    page = browser.get(f"/cases/{case_id}")
    tick = r'<input type="checkbox" id="step-book_health_conversation-start-interpreter"[^>]*>'
    assert " checked" in re.search(tick, page.text).group(0)
    assert f'href="/cases/{case_id}?interpreter=no#step-book_health_conversation"' in page.text
    without = browser.get(f"/cases/{case_id}?interpreter=no")
    assert " checked" not in re.search(tick, without.text).group(0)
    assert f'href="/cases/{case_id}?interpreter=yes#step-book_health_conversation"' in without.text
    assert len(re.findall(r'name="start"', without.text)) >= len(re.findall(r'name="start"', page.text))


# --- a correction that empties a value -------------------------------------------------------------

def post(browser, case_id: str, page_html: str, event_name: str, site, **values):
    """The step's form sent as the page sends it (the case's version as now)."""
    return browser.post(f"/cases/{case_id}/events", follow_redirects=False, data={
        "csrf": csrf_of(page_html), "event": event_name, "if_version": str(version(site, case_id)), **values})


def test_a_correction_empties_the_values_ticked_and_keeps_the_others(site):
    case_id = new_case(site, dossier="12345678")
    browser = browser_as(site, RECEPTION)
    page = browser.get(f"/cases/{case_id}").text
    for key in ("name", "language", "personnummer", "samordningsnummer", "dossier"):
        assert f'name="clear_{key}"' in page, key
    assert 'name="clear_health_centre"' not in page and 'name="clear_school"' not in page
    site.later(minutes=5)
    done = post(browser, case_id, page, "update_details", site, name="", clear_name="yes", dossier="",
                clear_dossier="yes", language="", school="-", preschool="", health_centre="")
    assert done.status_code == 303, done.text[:500]
    seen = shown(site, RECEPTION, case_id)
    assert seen["name"] is None and seen["dossier"] is None and seen["school"] is None
    assert seen["language"] == "ti" and seen["preschool"] == PRESCHOOL and seen["health_centre"] == HC


def test_a_value_that_cannot_be_emptied_is_refused_in_words_and_nothing_changes(site):
    case_id = new_case(site)
    browser = browser_as(site, RECEPTION)
    page = browser.get(f"/cases/{case_id}").text
    before = version(site, case_id)
    centre = post(browser, case_id, page, "update_details", site, health_centre="-")
    assert centre.status_code == 422 and "en hälsocentral byts mot en annan, den tas inte bort" in centre.text
    arrival = post(browser, case_id, page, "change_arrival", site, arrival="2026-11-27", clear_arrival="yes")
    assert arrival.status_code == 422 and "”Nytt ankomstdatum” kan inte tömmas" in arrival.text
    both = post(browser, case_id, page, "update_details", site, name="Nytt Påhittat Namn", clear_name="yes")
    assert both.status_code == 422 and "välj det ena" in both.text and 'name="clear_name" value="yes" checked' in both.text
    assert version(site, case_id) == before
    seen = shown(site, RECEPTION, case_id)
    assert seen["health_centre"] == HC and seen["arrival"] == "2026-11-25" and seen["name"] == "Testbarn Påhittadsson"


def test_the_health_centre_corrects_only_language_and_interpreter_and_may_empty_the_language(site):
    case_id = new_case(site)
    event(site, RECEPTION, case_id, "notify_parties")
    browser = browser_as(site, HC)
    page = browser.get(f"/cases/{case_id}").text
    form = page[page.index('id="step-update_details"'):]
    form = form[:form.index("</details>")]
    assert set(re.findall(r' name="([a-z_]+)"', form)) == {"csrf", "event", "if_version", "language", "clear_language",
                                                           "interpreter", "at"}
    beyond = post(browser, case_id, page, "update_details", site, clear_name="yes")
    assert beyond.status_code == 403 and shown(site, RECEPTION, case_id)["name"] == "Testbarn Påhittadsson"
    site.later(minutes=5)
    assert post(browser, case_id, page, "update_details", site, clear_language="yes").status_code == 303
    assert shown(site, HC, case_id)["language"] is None


# --- units picked from the directory by name ---------------------------------------------------------

def options_of(html: str, field: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select id="step-update_details-{field}" name="{field}"[^>]*>(.*?)</select>', html, re.DOTALL)
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1))


def test_the_units_are_lists_of_names_of_what_makes_sense_for_the_child(site):
    case_id = new_case(site)
    page = browser_as(site, RECEPTION).get(f"/cases/{case_id}").text
    assert not re.search(r'<input[^>]* name="(school|preschool|health_centre)"', page)
    schools = dict(options_of(page, "school"))
    assert schools == {"": "Oförändrat", "-": "Ingen skola (ta bort uppgiften)", SCHOOL: "Norrbyskolan",
                       "ostersund-school-solbacka": "Solbackaskolan", "ostersund-school-ekbacke": "Ekbackeskolan"}
    preschools = dict(options_of(page, "preschool"))
    assert set(preschools) == {"", "-", PRESCHOOL, "ostersund-preschool-blaklockan"}
    assert preschools[PRESCHOOL] == "Solrosens förskola"
    centres = [org for org, _ in options_of(page, "health_centre")]
    assert centres[:3] == ["", HC, OTHER_HC] and "hc-sveg" in centres and "-" not in centres  # serving Östersund first
    assert len(centres) == 1 + 9  # the region's health centres
    assert "Nu: Norrbyskolan" in page


@pytest.mark.parametrize("field, sent, said_as", [
    ("school", "krokom-school-granbacka", "ligger i Krokom, inte i Östersund"),
    ("school", PRESCHOOL, "är inte en skola utan en förskola"),
    ("preschool", "ostersund-preschool-finns-inte", "okänd organisation"),
    ("health_centre", SCHOOL, "är inte en hälsocentral utan en skola"),
])
def test_a_unit_is_sent_by_id_and_the_server_checks_it(site, field, sent, said_as):
    case_id = new_case(site)
    browser = browser_as(site, RECEPTION)
    page = browser.get(f"/cases/{case_id}").text
    refused = post(browser, case_id, page, "update_details", site, **{field: sent})
    assert refused.status_code in (404, 422) and said_as in refused.text and 'role="alert"' in refused.text
    assert version(site, case_id) == 1 and shown(site, RECEPTION, case_id)[field] == {
        "school": SCHOOL, "preschool": PRESCHOOL, "health_centre": HC}[field]
    site.later(minutes=5)
    chosen = post(browser, case_id, page, "update_details", site, school="ostersund-school-solbacka",
                  health_centre=OTHER_HC)
    assert chosen.status_code == 303
    seen = shown(site, RECEPTION, case_id)
    assert seen["school"] == "ostersund-school-solbacka" and seen["health_centre"] == OTHER_HC


# --- when it happened ---------------------------------------------------------------------------------

def test_an_event_said_to_have_happened_earlier_is_recorded_then_local_time_in_utc(site):
    from datetime import UTC

    case_id = new_case(site)  # registered at 10:00, Monday 23 November (UTC+1)
    site.later(hours=3)
    browser = browser_as(site, RECEPTION)
    page = browser.get(f"/cases/{case_id}").text
    assert 'id="step-notify_parties-at" name="at" type="datetime-local"' in page
    done = post(browser, case_id, page, "notify_parties", site, at="2026-11-23T11:30")
    assert done.status_code == 303, done.text[:500]
    assert shown(site, RECEPTION, case_id)["tracks"]["health"] == "parties_notified"
    with site.app.reads() as reads:
        stored = reads.conn.one("SELECT at FROM audit_trail WHERE case_id = :id AND event = 'notify_parties'",
                                {"id": case_id})["at"]
    from screening.clock import from_db

    assert from_db(stored) == datetime(2026, 11, 23, 10, 30, tzinfo=UTC)  # stored in UTC
    assert "mån 23 nov 11:30: parterna underrättade" in browser.get(f"/cases/{case_id}").text  # said in Stockholm's


@pytest.mark.parametrize("at, said_as", [
    ("2026-11-23T12:01", "tidpunkten för händelsen ligger i framtiden"),
    ("2026-11-23T09:59", "tidpunkten för händelsen ligger före registreringen av anmälan"),
    ("2026-11-23T10:20", "ligger före det senaste steget"),
    ("23/11 kl 11", "är inte ett datum med klockslag"),
])
def test_a_time_it_cannot_have_happened_at_is_refused_in_words_and_nothing_changes(site, at, said_as):
    case_id = new_case(site)
    site.later(minutes=30)
    event(site, RECEPTION, case_id, "change_arrival", arrival="2026-11-26")  # the health track's step at 10:35
    site.at(datetime(2026, 11, 23, 12, 0, tzinfo=STOCKHOLM))
    browser = browser_as(site, RECEPTION)
    page = browser.get(f"/cases/{case_id}").text
    refused = post(browser, case_id, page, "notify_parties", site, at=at)
    assert refused.status_code == 422 and said_as in refused.text and "Inget ändrades." in refused.text
    assert f'value="{at}"' in refused.text  # kept in its form
    assert version(site, case_id) == 2 and shown(site, RECEPTION, case_id)["tracks"]["health"] == "registered"


def test_a_booking_said_made_earlier_is_recorded_then_with_its_interpreter_change(site):
    case_id = new_case(site)
    event(site, RECEPTION, case_id, "notify_parties")  # 10:05
    site.later(hours=2)
    browser = browser_as(site, HC)
    page = browser.get(f"/cases/{case_id}?interpreter=no").text
    picked = re.findall(r'name="start" value="([^"]+)"', page)[0]
    done = post(browser, case_id, page, "book_health_conversation", site, start=picked, interpreter_shown="1",
                at="2026-11-23T11:15")
    assert done.status_code == 303, done.text[:500]
    trail = cases.history(site.app, users.identify(site.app, HC), case_id)
    assert [(e["event"], e["at"]) for e in trail[-2:]] == [("update_details", "2026-11-23T11:15:00+01:00"),
                                                          ("book_health_conversation", "2026-11-23T11:15:00+01:00")]
    assert shown(site, HC, case_id)["interpreter"] is False


# --- the free times follow the interpreter tick --------------------------------------------------------

def starts(html: str) -> list[str]:
    return re.findall(r'name="start" value="([^"]+)"', html)


def test_the_times_follow_the_tick_without_script_and_nothing_is_recorded(site):
    case_id = new_case(site)
    event(site, RECEPTION, case_id, "notify_parties")
    browser = browser_as(site, HC)
    page = browser.get(f"/cases/{case_id}").text
    assert 'name="show" value="times"' in page and " formnovalidate" in page
    untick = post(browser, case_id, page, "book_health_conversation", site, show="times", interpreter_shown="1",
                  at="2026-11-23T10:02")
    assert untick.status_code == 200 and 'role="alert"' not in untick.text
    tick = r'<input type="checkbox" id="step-book_health_conversation-start-interpreter"[^>]*>'
    assert " checked" not in re.search(tick, untick.text).group(0)
    assert starts(untick.text) == starts(browser.get(f"/cases/{case_id}?interpreter=no").text)
    assert starts(untick.text) != starts(page)  # a visit without an interpreter is shorter: other times
    assert 'value="2026-11-23T10:02"' in untick.text  # what was typed is kept
    again = post(browser, case_id, untick.text, "book_health_conversation", site, show="times",
                 interpreter_shown="1", interpreter="yes")
    assert " checked" in re.search(tick, again.text).group(0) and starts(again.text) == starts(page)
    seen = shown(site, HC, case_id)
    assert seen["version"] == 2 and seen["interpreter"] is True and seen["bookings"]["health_conversation"] is None


def test_the_times_for_the_tick_are_served_alone_for_the_script_to_the_one_who_books(site):
    case_id = new_case(site)
    event(site, RECEPTION, case_id, "notify_parties")
    browser = browser_as(site, HC)
    for need in ("yes", "no"):
        alone = browser.get(f"/cases/{case_id}/slots?event=book_health_conversation&interpreter={need}")
        assert alone.status_code == 200 and "<html" not in alone.text and '<fieldset class="slots">' in alone.text
        assert starts(alone.text) == starts(browser.get(f"/cases/{case_id}?interpreter={need}").text)
        assert f"?interpreter={'no' if need == 'yes' else 'yes'}#step-book_health_conversation" in alone.text
    assert browser.get(f"/cases/{case_id}/slots?event=book_examination&interpreter=no").status_code == 404
    assert browser.get(f"/cases/{case_id}/slots?event=close&interpreter=no").status_code == 404
    for user in (RECEPTION, OTHER_HC):
        refused = browser_as(site, user).get(f"/cases/{case_id}/slots?event=book_health_conversation")
        assert refused.status_code == 404 and 'name="start"' not in refused.text


# --- the access log a page at a time -----------------------------------------------------------------

def read_often(site, case_id: str, times: int) -> None:
    """`times` reads of the case by the school, a minute apart, before the site's now."""
    from datetime import timedelta

    actor = users.identify(site.app, SCHOOL)
    with site.app.reads() as reads:
        for n in range(times):
            when = site.now + timedelta(minutes=n + 1)
            reads.record_reads(actor, [case_id], "show", when, when)
    site.later(minutes=times + 1)


def log_rows(html: str) -> list[str]:
    table = html[html.index('<table class="case-log">'):]
    table = table[:table.index("</table>")]
    return re.findall(r"<tr><td>([^<]*)</td>", table)


def test_the_access_log_is_shown_newest_first_fifty_at_a_time(site):
    case_id = new_case(site)
    read_often(site, case_id, 120)
    browser = browser_as(site, HC)
    first = browser.get(f"/cases/{case_id}?reads=1")
    rows = log_rows(first.text)
    assert len(rows) == 50 and rows[0] == "mån 23 nov 12:01" and rows[2] == "mån 23 nov 12:00"  # the HC's own reads first
    earlier = re.search(rf'href="/cases/{case_id}\?reads=1&amp;before=(\d+)#history-heading">Tidigare', first.text)
    second = browser.get(f"/cases/{case_id}?reads=1&before={earlier.group(1)}")
    assert log_rows(second.text)[0] == "mån 23 nov 11:12" and len(log_rows(second.text)) == 50
    assert "Till de senaste" in second.text
    last = re.search(r'before=(\d+)#history-heading">Tidigare', second.text).group(1)
    third = log_rows(browser.get(f"/cases/{case_id}?reads=1&before={last}").text)
    assert third[-1] == "mån 23 nov 10:00" and len(third) == 120 + 1 + 2 - 100  # down to the registration
    assert "Tidigare i åtkomstloggen" not in browser.get(f"/cases/{case_id}?reads=1&before={last}").text
    assert len(log_rows(browser.get(f"/cases/{case_id}?reads=1&before=x").text)) == 50  # not a page: the newest
    school = browser_as(site, SCHOOL).get(f"/cases/{case_id}?reads=1&before={last}")
    assert school.status_code == 200 and 'class="case-log"' not in school.text and "läste ärendet" not in school.text


def test_a_case_read_many_times_reads_a_page_of_its_log_not_the_whole(site, monkeypatch):
    from screening.storage.db import RawConnection

    case_id = new_case(site)
    read_often(site, case_id, 300)
    largest = []
    real = RawConnection.all

    def counted(self, sql, params=None):
        rows = real(self, sql, params)
        if "audit_trail" in sql:
            largest.append(len(rows))
        return rows

    monkeypatch.setattr(RawConnection, "all", counted)
    page = browser_as(site, HC).get(f"/cases/{case_id}?reads=1")
    assert page.status_code == 200 and len(log_rows(page.text)) == 50
    assert largest and max(largest) <= 51, largest


def test_the_whole_correction_form_as_a_browser_sends_it_fits_the_forms_limit(site):
    """A browser sends every field of the form (the empty ones too) and each tick ticked: all of them
    within the pages' limit of fields (`web.pages.FORM_FIELDS`), and every tick clears its value."""
    from web.pages import FORM_FIELDS

    case_id = new_case(site, dossier="12345678")
    browser = browser_as(site, RECEPTION)
    page = browser.get(f"/cases/{case_id}").text
    form = page[page.index('id="step-update_details"'):]
    form = form[:form.index("</form>")]
    names = list(dict.fromkeys(re.findall(r' name="([a-z_]+)"', form)))
    assert len(names) <= FORM_FIELDS, names
    sent = {name: "" for name in names} | {name: "yes" for name in names if name.startswith("clear_")}
    sent |= {"csrf": csrf_of(page), "event": "update_details", "if_version": "1", "preschool": "-"}
    site.later(minutes=5)
    done = browser.post(f"/cases/{case_id}/events", data=sent, follow_redirects=False)
    assert done.status_code == 303, done.text[:800]
    seen = shown(site, RECEPTION, case_id)
    assert [seen[key] for key in ("name", "language", "dossier", "preschool")] == [None, None, None, None]
    assert seen["school"] == SCHOOL and seen["health_centre"] == HC and seen["interpreter"] is True
