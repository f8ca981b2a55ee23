"""Security drills of the HTTP API (issue 18), on SQLite and PostgreSQL, over a database made by
`init --demo` with invented children:

- every route refuses a missing, malformed, unknown, wrong, expired, revoked or disabled person's
  token with 401 and the error document, and changes nothing;
- 20 failed tokens from one address within ten minutes: 429 for that address (a right token too),
  not for another, and answers again once the window has passed;
- a case outside the caller's scope is answered byte for byte as an unknown one, on every case route;
- the secrecy matrix: markers planted in every confidential note, every route read (and every POST
  answered) as every role; each marker is seen by exactly the roles the agreement allows.

The clock is set (tokens and the throttle keep the App's real time, which the tests give)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from screening.bootstrap import App, Clock
from screening.settings import Settings
from tests.api.conftest import Api, T, app_at
from tests.e2e.conftest import snapshot
from tests.e2e.support import (
    ADMIN,
    BORN,
    BVC,
    COORDINATOR,
    HC,
    PRESCHOOL,
    RECEPTION,
    SCHOOL,
    SCHOOL_HEALTH,
    call,
)
from workflows.events import EVENTS

READ_AT = datetime(2026, 12, 2, 9, 0, tzinfo=T.tzinfo)  # after every event of the scenario
OTHER_HC = "hc-odensala"  # a health centre of Östersund, not the children's
KROKOM = {"reception": "krokom-reception", "school_health": "krokom-school-health", "bvc": "krokom-bvc",
          "health_centre": "hc-krokom", "school": "krokom-school-granbacka", "preschool": "krokom-preschool-lingonet"}
OTHER_SCHOOL, OTHER_PRESCHOOL = "ostersund-school-solbacka", "ostersund-preschool-blaklockan"
ROLES = [RECEPTION, SCHOOL, PRESCHOOL, SCHOOL_HEALTH, BVC, HC, OTHER_HC, KROKOM["reception"], COORDINATOR, ADMIN]

PREFIX = "MARKER-9d2e"  # lower-case letters: never part of a case id, a date or a code
RESULTS_A = f"{PREFIX}-A-PROVSVAR-IGRA-POSITIV"  # record_results note, child A (shared with school health)
EXAM_A = f"{PREFIX}-A-UNDERSOKNING-LUNGRONTGEN"  # hold_examination note, child A
DOSE_A = f"{PREFIX}-A-DOS-MPR-SKOLHALSAN"  # give_catch_up_dose vaccine, child A (school health's record)
RESULTS_C = f"{PREFIX}-C-PROVSVAR-HEPATIT-B"  # record_results note, child C (not shared)
DECLINE_B = f"{PREFIX}-B-AVBOJT-TBC-UTREDNING"  # decline reason, child B
CLOSE_B = f"{PREFIX}-B-AVSLUT-LATENT-TB"  # close reason, child B
ATTEMPT = f"{PREFIX}-FORSOK"  # text a role types into an event it may not apply: never echoed

# Who may read each marker (access.py; agreement § 5, step 6-7, vacc 2; OSL 25:1, 12:2-3), written
# out so that a change of the access rules that leaks breaks this table's test. The children are
# Östersund's, of hc-lugnvik, school norrby and preschool solrosen; A's notes were copied to school
# health with the guardian's consent; BVC and school health read the vaccinating units' dose records.
SEES = {
    RESULTS_A: {HC, SCHOOL_HEALTH},
    EXAM_A: {HC, SCHOOL_HEALTH},
    DOSE_A: {HC, SCHOOL_HEALTH, BVC},
    RESULTS_C: {HC},
    DECLINE_B: {HC},
    CLOSE_B: {HC},
}
MARKERS = tuple(SEES)


# --- the world ----------------------------------------------------------------------------------


def cli(url: str, *args: str, user: str, now: str):
    return call(url, *args, user=user, now=now)


def register(url: str, name: str, born=BORN) -> str:
    return cli(url, "case", "register", "--birth-date", born.isoformat(), "--municipality", "Östersund",
               "--school", SCHOOL, "--preschool", PRESCHOOL, "--arrival", "2026-11-25", "--language", "ti",
               "--interpreter", "--name", name, user=RECEPTION, now="2026-11-23T10:00")["id"]


def plant(url: str) -> dict:
    """Children A (the whole health track, shared with school health, a catch-up dose), B (declined and
    closed) and C (results in, not shared), every confidential note a marker. The commands' own way in."""
    a, b, c = (register(url, name) for name in ("Testbarn Påhittadsson", "Prövbarn Låtsasdotter",
                                                  "Övningsbarn Uppdiktad"))

    def event(case_id, *args, user=HC, now):
        cli(url, "case", "event", case_id, *args, user=user, now=now)

    for n, case_id in enumerate((a, b, c)):
        event(case_id, "notify_parties", user=RECEPTION, now=f"2026-11-23T10:3{n}")
    for case_id, start in ((a, "2026-11-24T09:00"), (c, "2026-11-24T10:00")):
        event(case_id, "book_health_conversation", "--set", f"start={start}", now="2026-11-23T14:00")
        event(case_id, "hold_health_conversation", now="2026-11-24T11:00")
    event(a, "record_results", "--set", "obstacle=yes", "--set", f"note={RESULTS_A}", now="2026-11-27T11:00")
    event(c, "record_results", "--set", "obstacle=no", "--set", f"note={RESULTS_C}", now="2026-11-27T11:10")
    event(a, "book_examination", "--set", "start=2026-12-01T09:00", now="2026-11-27T11:15")
    event(a, "hold_examination", "--set", f"note={EXAM_A}", now="2026-12-01T10:00")
    event(a, "record_consent", "--set", "given_by=guardian", "--set", "scope=school_health", now="2026-12-01T11:00")
    event(a, "share_with_school_health", now="2026-12-01T11:05")
    event(b, "decline", "--set", f"reason={DECLINE_B}", now="2026-11-23T15:00")
    event(b, "close", "--set", f"reason={CLOSE_B}", user=RECEPTION, now="2026-11-24T09:00")
    event(a, "assess_vaccinations", "--set", "status=missing", user=SCHOOL_HEALTH, now="2026-11-30T09:00")
    event(a, "make_vaccination_plan", "--set", "tb_referral=yes", user=SCHOOL_HEALTH, now="2026-11-30T09:30")
    event(a, "give_catch_up_dose", "--set", f"vaccine={DOSE_A}", user=SCHOOL_HEALTH, now="2026-11-30T10:00")
    assert cli(url, "sweep", user=COORDINATOR, now="2026-12-02T08:00")["alerts"]  # deadlines past: alerts
    return {"a": a, "b": b, "c": c}


@pytest.fixture
def api(cli_db) -> Api:
    return Api(cli_db)


@pytest.fixture
def world(api) -> Api:
    api.cases = plant(api.url)
    return api


def unknown_like(case_id: str, taken) -> str:
    """An id of the same shape that names no case."""
    for digit in "987654321":
        other = case_id[:-1] + digit
        if other not in taken:
            return other
    raise AssertionError(case_id)


def body_of(response) -> str:
    return response.content.decode("utf-8", "replace")


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    document = response.json()
    assert set(document) == {"error"} and set(document["error"]) == {"code", "message"}, document
    assert document["error"]["code"] == code and document["error"]["message"], document
    assert "Traceback" not in response.text
    return document


# --- 401: no token, or a bad one -------------------------------------------------------------------


def routes(cases: dict) -> list[tuple[str, str, dict | None]]:
    """Every route of http.md, on a real case and alert (a hole would change them)."""
    a = cases["a"]
    return [
        ("GET", "/api/me", None),
        ("GET", "/api/cases", None),
        ("POST", "/api/cases", {"birth_date": "2019-04-02", "municipality": "Östersund", "school": SCHOOL}),
        ("GET", f"/api/cases/{a}", None),
        ("POST", f"/api/cases/{a}/events", {"event": "inform_family"}),
        ("GET", f"/api/cases/{a}/history", None),
        ("GET", f"/api/cases/{a}/history?reads=true", None),
        ("GET", "/api/alerts?open=true", None),
        ("POST", f"/api/alerts/{cases['alert']}/ack", None),
        ("GET", "/api/overview", None),
        ("GET", "/api/report?from=2026-01-01&to=2026-12-31&by=municipality&format=json", None),
        ("GET", "/api/report?format=csv", None),
        ("GET", "/api/calendar/free?health_centre=hc-lugnvik&from=2026-11-24T08:00&days=2", None),
        ("GET", "/api/calendar/hc-lugnvik.ics", None),
    ]


def set_disabled(url: str, user_id: str) -> None:
    """The person disabled in the database, their tokens left as they were: the token's check of its
    person, apart from the revocation that disabling does."""
    from screening.storage import db

    conn = db.connect_raw(url)
    try:
        conn.begin()
        conn.execute("UPDATE app_user SET disabled_at = :at WHERE id = :id",
                     {"at": conn.timestamp(T - timedelta(hours=1)), "id": user_id})
        conn.commit()
    finally:
        conn.close()


def bad_tokens(api: Api) -> dict[str, str | None]:
    from screening.services import tokens, users

    app = app_at(api.url)
    good = api.token(HC)
    prefix, token_id, secret = good.split("_", 2)
    revoked = api.token(HC, days=30)  # each bad in one way only: alive at READ_AT but for it
    disabled = api.token("hc-lugnvik-3", days=30)
    disabled_by_admin = api.token("hc-lugnvik-2", days=30)
    expired = api.token(HC, days=1, when=T - timedelta(days=1, seconds=1))
    for token in (revoked, disabled, disabled_by_admin):
        assert api.get("/api/me", token=token, when=READ_AT).status_code == 200
    assert api.get("/api/me", token=expired, when=T - timedelta(seconds=2)).status_code == 200
    tokens.revoke(app, users.identify(app, HC), revoked.split("_")[1])
    set_disabled(api.url, "hc-lugnvik-3")
    users.disable_user(app, users.identify(app, ADMIN), "hc-lugnvik-2")
    return {
        "no token": None,
        "empty": "",
        "malformed": "not-a-token",
        "malformed, two parts": f"{prefix}_{token_id}",
        "unknown id": f"{prefix}_{'0' * len(token_id)}_{secret}",
        "wrong secret": f"{prefix}_{token_id}_{secret[:-3]}xyz",
        "wrong prefix": f"xyz_{token_id}_{secret}",
        "expired": expired,
        "revoked": revoked,
        "its person disabled": disabled,
        "its person disabled by an admin": disabled_by_admin,
    }


def test_every_route_refuses_a_missing_or_bad_token_with_401_and_changes_nothing(world):
    api = world
    api.cases["alert"] = api.get("/api/alerts", COORDINATOR, when=READ_AT).json()[0]["id"]
    bad = bad_tokens(api)
    assert api.get("/api/me", HC, when=READ_AT).status_code == 200  # the right token works
    before = snapshot(api.url)
    for n, (method, path, body) in enumerate(routes(api.cases)):
        client = api.client(READ_AT, client=(f"192.0.2.{n + 1}", 5000))  # an address each: no throttle here
        for what, token in bad.items():
            headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
            response = client.request(method, path, headers=headers, **({"json": body} if body else {}))
            error_of(response, 401, "unauthenticated")
            assert response.headers["WWW-Authenticate"] == "Bearer", (path, what)
            assert PREFIX not in body_of(response)
            if path.endswith(".ics") and token:  # a calendar client's token in the address
                error_of(client.get(f"{path}?token={token}"), 401, "unauthenticated")
    assert snapshot(api.url) == before  # not a case, an audit row, a token's last use: nothing


def test_the_right_token_is_taken_where_the_bad_ones_were_refused(world):
    """The drill above proves something only if the same requests with a right token are answered."""
    api = world
    api.cases["alert"] = api.get("/api/alerts", COORDINATOR, when=READ_AT).json()[0]["id"]
    for method, path, body in routes(api.cases):
        user = RECEPTION if path == "/api/cases" and method == "POST" else (
            COORDINATOR if path.startswith(("/api/overview", "/api/report", "/api/alerts")) else HC)
        response = api.call(method, path, user, when=READ_AT, **({"json": body} if body else {}))
        assert response.status_code in (200, 201), (method, path, response.text)


# --- 429: too many failed tokens from one address --------------------------------------------------


class Moment:
    """The App's clock, moved by the test: the throttle reads its real time."""

    def __init__(self, when: datetime):
        self.when = when

    def __call__(self) -> datetime:
        return self.when


def server(url: str, moment: Moment, env: dict | None = None, address: str = "198.51.100.20"):
    import warnings

    from web.app import create

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

        app = App(url, Settings(env or {}), Clock(None, system=moment))
        return TestClient(create(app), raise_server_exceptions=False, client=(address, 4000))


def bearer(token: str, forwarded: str | None = None) -> dict:
    return {"Authorization": f"Bearer {token}", **({"X-Forwarded-For": forwarded} if forwarded else {})}


def test_twenty_failed_tokens_from_one_address_are_followed_by_429_until_the_window_passes(api):
    from web.app import THROTTLE_FAILURES, THROTTLE_WINDOW

    good, wrong, reception = api.token(HC), api.token(HC)[:-2] + "zz", api.token(RECEPTION)
    moment = Moment(T)
    one = server(api.url, moment, address="198.51.100.20")
    assert one.get("/api/me", headers=bearer(good)).status_code == 200
    for n in range(THROTTLE_FAILURES):
        moment.when = T + timedelta(seconds=10 * n)
        error_of(one.get("/api/me", headers=bearer(wrong)), 401, "unauthenticated")
    last_failure = moment.when
    before = snapshot(api.url)
    for token in (good, wrong):
        refused = one.get("/api/me", headers=bearer(token))
        error_of(refused, 429, "too_many")
        assert int(refused.headers["Retry-After"]) > 0
    error_of(one.get("/api/calendar/hc-lugnvik.ics", params={"token": good}), 429, "too_many")
    error_of(one.post("/api/cases", headers=bearer(reception),
                      json={"birth_date": "2019-04-02", "municipality": "Östersund"}), 429, "too_many")
    assert snapshot(api.url) == before  # refused before the token was even looked at
    another = server(api.url, moment, address="198.51.100.21")
    another.app.state.throttle = one.app.state.throttle  # the same server: one throttle, two addresses
    assert another.get("/api/me", headers=bearer(good)).status_code == 200
    moment.when = T + THROTTLE_WINDOW - timedelta(seconds=1)  # the first failure still within the window
    error_of(one.get("/api/me", headers=bearer(good)), 429, "too_many")
    moment.when = last_failure + THROTTLE_WINDOW  # every failure out of the window
    assert one.get("/api/me", headers=bearer(good)).json()["id"] == HC


def test_behind_a_trusted_proxy_the_address_it_forwards_is_throttled_and_a_spoofed_one_is_not_believed(api):
    from web.app import THROTTLE_FAILURES

    good, wrong = api.token(HC), api.token(HC)[:-2] + "zz"
    moment = Moment(T)
    proxy = server(api.url, moment, env={"SCREENING_TRUSTED_PROXIES": "10.0.0.0/8"}, address="10.1.2.3")
    for _ in range(THROTTLE_FAILURES):
        error_of(proxy.get("/api/me", headers=bearer(wrong, "192.0.2.66")), 401, "unauthenticated")
    error_of(proxy.get("/api/me", headers=bearer(good, "192.0.2.66")), 429, "too_many")
    error_of(proxy.get("/api/me", headers=bearer(good, "203.0.113.9, 192.0.2.66")), 429, "too_many")  # the proxy's
    assert proxy.get("/api/me", headers=bearer(good, "192.0.2.67")).status_code == 200  # another client
    assert proxy.get("/api/me", headers=bearer(good, "192.0.2.66, 192.0.2.68")).status_code == 200
    # two trusted proxies in a row: the outer one's client is the address, not the outer proxy
    assert proxy.get("/api/me", headers=bearer(good, "192.0.2.67, 10.9.9.9")).status_code == 200
    error_of(proxy.get("/api/me", headers=bearer(good, "192.0.2.66, 10.9.9.9")), 429, "too_many")

    # not from a trusted proxy: X-Forwarded-For is the client's own word, and changes nothing
    direct = server(api.url, moment, env={"SCREENING_TRUSTED_PROXIES": "10.0.0.0/8"}, address="192.0.2.99")
    for n in range(THROTTLE_FAILURES):
        error_of(direct.get("/api/me", headers=bearer(wrong, f"203.0.113.{n}")), 401, "unauthenticated")
    error_of(direct.get("/api/me", headers=bearer(good, "203.0.113.200")), 429, "too_many")
    error_of(direct.get("/api/me", headers=bearer(good)), 429, "too_many")


# --- 404: out of scope, exactly as unknown -----------------------------------------------------------


def case_routes(case_id: str, event: str) -> list[tuple[str, str, dict | None]]:
    return [("GET", f"/api/cases/{case_id}", None),
            ("GET", f"/api/cases/{case_id}/history", None),
            ("GET", f"/api/cases/{case_id}/history?reads=true", None),
            ("POST", f"/api/cases/{case_id}/events", {"event": event}),
            ("POST", f"/api/cases/{case_id}/events", {"event": event, "if_version": 1}),
            ("POST", f"/api/cases/{case_id}/events", {"event": "record_results",
                                                      "set": {"obstacle": "no", "note": ATTEMPT}})]


# the roles whose scope leaves Östersund's children of hc-lugnvik, norrby and solrosen out, each with
# an event of its own kind
OUT_OF_SCOPE = {KROKOM["reception"]: "notify_parties", KROKOM["school_health"]: "request_records",
                KROKOM["bvc"]: "assess_vaccinations", KROKOM["health_centre"]: "inform_family",
                KROKOM["school"]: "invite_intro_meeting", KROKOM["preschool"]: "invite_intro_meeting",
                OTHER_HC: "inform_family", OTHER_SCHOOL: "invite_intro_meeting",
                OTHER_PRESCHOOL: "invite_intro_meeting"}


def same_answer(theirs, nobody, case_id: str, unknown: str) -> None:
    assert theirs.status_code == nobody.status_code, (theirs.text, nobody.text)
    assert theirs.content.replace(case_id.encode(), b"ID") == nobody.content.replace(unknown.encode(), b"ID")
    drop = {"content-length"}
    assert {k: v for k, v in theirs.headers.items() if k not in drop} == \
        {k: v for k, v in nobody.headers.items() if k not in drop}


def test_another_areas_case_is_answered_byte_for_byte_as_an_unknown_one(world):
    api = world
    taken = set(api.cases.values())
    for user in OUT_OF_SCOPE:
        api.token(user)  # made (and audited) before the drill
    before = snapshot(api.url)
    for user, event in OUT_OF_SCOPE.items():
        for case_id in api.cases.values():
            unknown = unknown_like(case_id, taken)
            for (method, path, body), (_, other, _) in zip(case_routes(case_id, event), case_routes(unknown, event)):
                options = {"json": body} if body else {}
                theirs = api.call(method, path, user, when=READ_AT, **options)
                nobody = api.call(method, other, user, when=READ_AT, **options)
                same_answer(theirs, nobody, case_id, unknown)
                error_of(theirs, 404, "not_found")
                assert ATTEMPT not in theirs.text
        listed = api.get("/api/cases", user, when=READ_AT).text
        assert not [case_id for case_id in api.cases.values() if case_id in listed], user
    after = snapshot(api.url)
    changed = {name: sorted(set(rows) ^ set(before[name])) for name, rows in after.items()
               if rows != before[name] and name != "api_token"}  # tokens: made, and their use noted
    assert not changed  # not a read or an event recorded


def test_the_out_of_scope_drill_reaches_the_cases_from_within_the_scope(world):
    """The same routes as the case's own health centre: answered (so the 404s above are the scope's)."""
    api = world
    for case_id in api.cases.values():
        for method, path, _ in case_routes(case_id, "inform_family")[:3]:
            assert api.call(method, path, HC, when=READ_AT).status_code == 200, path


# --- the secrecy matrix ----------------------------------------------------------------------------------


def read_paths(cases: dict, user: str) -> list[str]:
    """Every GET route, with each of the children and the filters a list takes."""
    paths = ["/api/me", "/api/cases", "/api/cases?overdue=true", "/api/cases?open=true",
             "/api/cases?municipality=%C3%96stersund", "/api/cases?health_centre=hc-lugnvik", "/api/cases?limit=1",
             "/api/alerts", "/api/alerts?open=true", "/api/overview",
             "/api/report?from=2026-01-01&to=2026-12-31&by=municipality&format=json",
             "/api/report?from=2026-01-01&to=2026-12-31&by=health_centre&format=json",
             "/api/report?format=csv", "/api/report?by=health_centre&format=csv",
             "/api/calendar/free?health_centre=hc-lugnvik&from=2026-12-02T08:00&days=3",
             "/api/calendar/hc-lugnvik.ics", f"/api/calendar/{user}.ics"]
    for case_id in cases.values():
        paths += [f"/api/cases/{case_id}", f"/api/cases/{case_id}/history", f"/api/cases/{case_id}/history?reads=true"]
    return paths


def markers_in(text: str) -> set[str]:
    flat = re.sub(r"[\s\\]", "", text)  # folded .ics lines, escaped JSON
    found = {m for m in MARKERS if m in text or m in flat}
    assert PREFIX not in text or found or ATTEMPT in text, text  # a marker cut or changed: a leak all the same
    return found


def test_every_route_as_every_role_gives_each_marker_to_exactly_the_roles_allowed(world):
    api = world
    seen: dict[str, set[str]] = {marker: set() for marker in MARKERS}
    answered = {}
    for user in ROLES:
        for path in read_paths(api.cases, user):
            response = api.get(path, user, when=READ_AT)
            assert response.status_code in (200, 403, 404, 422), (user, path, response.status_code, response.text)
            answered[(user, path)] = response.status_code
            for marker in markers_in(body_of(response)):
                seen[marker].add(user)
            if response.status_code == 200 and path.startswith("/api/cases") and "history" not in path:
                shown = response.json()
                for view in shown if isinstance(shown, list) else [shown]:
                    medical_keys(user, view, path)
    assert seen == SEES
    # the reads were real: the case itself answered to everyone in scope, the report and calendar to some
    for user in ROLES:
        assert answered[(user, f"/api/cases/{api.cases['a']}")] == (404 if user in (OTHER_HC, KROKOM["reception"])
                                                                    else 200), user
    assert answered[(COORDINATOR, "/api/report?format=csv")] == 200
    assert answered[(HC, "/api/calendar/hc-lugnvik.ics")] == 200


# medical keys of a case document, by role (views.py, as access.py allows): `examination` with the
# results' note, `reasons`, and the vaccinating units' `vaccines_given` and `referrals`
KEYS = {HC: {"examination", "reasons", "vaccines_given", "referrals"},
        SCHOOL_HEALTH: {"examination", "vaccines_given", "referrals"}, BVC: {"vaccines_given", "referrals"}}


def medical_keys(user: str, view: dict, path: str) -> None:
    allowed = KEYS.get(user, set())
    held = {"examination", "reasons", "vaccines_given", "referrals"} & set(view)
    assert held <= allowed, (user, path, held)
    if "note" in view["results"]:
        assert user in (HC, SCHOOL_HEALTH), (user, path)


def test_the_case_documents_hold_the_medical_keys_of_the_role_only(world):
    api = world
    a = api.cases["a"]
    for user in ROLES:
        response = api.get(f"/api/cases/{a}", user, when=READ_AT)
        if response.status_code != 200:
            continue
        view = response.json()
        assert {"examination", "reasons", "vaccines_given", "referrals"} & set(view) == KEYS.get(user, set()), user
        assert (view["results"].get("note") == RESULTS_A) == (user in (HC, SCHOOL_HEALTH)), user
        assert set(view["results"]) == ({"received_at", "obstacle", "note"} if user in (HC, SCHOOL_HEALTH)
                                        else {"received_at", "obstacle"}), user
        if user in (HC, SCHOOL_HEALTH, BVC):
            assert view["referrals"] == ["tuberculosis"] and view["vaccines_given"] == [DOSE_A], user


# what each role may itself do to child A or C, and an event with confidential text it may not apply
OWN = {RECEPTION: ("c", {"event": "change_arrival", "set": {"arrival": "2026-12-07"}}),
       SCHOOL: ("a", {"event": "invite_intro_meeting"}), PRESCHOOL: ("a", {"event": "invite_intro_meeting"}),
       SCHOOL_HEALTH: ("a", {"event": "complete_vaccinations"}), BVC: ("c", {"event": "request_records"}),
       HC: ("c", {"event": "inform_family"}), OTHER_HC: ("a", {"event": "inform_family"}),
       KROKOM["reception"]: ("a", {"event": "notify_parties"}), COORDINATOR: ("c", {"event": "notify_parties"}),
       ADMIN: ("a", {"event": "notify_parties"})}
FORBIDDEN = [{"event": "record_results", "set": {"obstacle": "no", "note": ATTEMPT}},
             {"event": "hold_examination", "set": {"note": ATTEMPT}},
             {"event": "decline", "set": {"reason": ATTEMPT}},
             {"event": "give_catch_up_dose", "set": {"vaccine": ATTEMPT}}]


ROLE_OF = {RECEPTION: "reception", SCHOOL: "school", PRESCHOOL: "preschool", SCHOOL_HEALTH: "school_health",
           BVC: "bvc", HC: "health_centre", OTHER_HC: "health_centre", KROKOM["reception"]: "reception",
           COORDINATOR: "coordinator", ADMIN: "admin"}


def allowed_for(user: str) -> set[str]:
    return {marker for marker, readers in SEES.items() if user in readers}


def test_no_post_answers_a_role_with_a_marker_it_may_not_see(world):
    api = world
    alert = api.get("/api/alerts", COORDINATOR, when=READ_AT).json()[0]["id"]
    statuses = {}
    for user in ROLES:
        which, body = OWN[user]
        answers = [api.post(f"/api/cases/{api.cases[which]}/events", user, when=READ_AT, json=body),
                   api.post("/api/cases", user, when=READ_AT, json={"birth_date": "2019-04-02",
                                                                      "municipality": "Östersund", "name": "Testbarn Ny"}),
                   api.post(f"/api/alerts/{alert}/ack", user, when=READ_AT)]
        statuses[user] = answers[0].status_code
        for case_id in api.cases.values():
            for forbidden in (f for f in FORBIDDEN if ROLE_OF[user] not in EVENTS[f["event"]].roles):
                answers.append(api.post(f"/api/cases/{case_id}/events", user, when=READ_AT, json=forbidden))
        for response in answers:
            assert response.status_code in (200, 201, 403, 404, 409, 422), (user, response.text)
            text = body_of(response)
            assert markers_in(text) <= allowed_for(user), (user, text)
            if response.status_code >= 400:
                assert ATTEMPT not in text, (user, text)
    assert {statuses[user] for user in (RECEPTION, SCHOOL_HEALTH, HC)} == {200}, statuses  # own events taken
