"""The HTTP API (`http.md`) over the services: who is asking (tokens), the same documents as the
command line's `--json`, the same scope and secrecy, errors as statuses with one document, and the
security headers. On SQLite and PostgreSQL (`db_url`). Everything is invented."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import T, later
from tests.e2e.conftest import snapshot
from tests.e2e.support import ADMIN, COORDINATOR, HC, RECEPTION, SCHOOL

MARKER = "MARKER-5c1e-TUBERKULOS-IGRA-POSITIV"
KROKOM = "krokom-reception"
READ_AT = later(24 * 5)  # 2026-11-28 10:00, after every event below
REGISTER = {"birth_date": "2019-04-02", "municipality": "Östersund", "school": SCHOOL, "arrival": "2026-11-25",
            "language": "ti", "interpreter": True, "name": "Testbarn Påhittadsson"}

# every route of http.md, as (method, path, body); {case} and {alert} filled in
ROUTES = [
    ("GET", "/api/me", None),
    ("GET", "/api/cases", None),
    ("POST", "/api/cases", REGISTER),
    ("GET", "/api/cases/{case}", None),
    ("POST", "/api/cases/{case}/events", {"event": "notify_parties"}),
    ("GET", "/api/cases/{case}/history?reads=true", None),
    ("GET", "/api/alerts?open=true", None),
    ("POST", "/api/alerts/1/ack", None),
    ("GET", "/api/overview", None),
    ("GET", "/api/report?from=2026-01-01&to=2026-12-31&by=municipality&format=json", None),
    ("GET", "/api/calendar/free?health_centre=hc-lugnvik&from=2026-11-24T08:00&days=2", None),
    ("GET", "/api/calendar/hc-lugnvik.ics", None),
]


def ok(response, status=200):
    assert response.status_code == status, (response.status_code, response.text)
    return response.json() if response.headers["content-type"].startswith("application/json") else response.text


def error_of(response, status: int, code: str) -> str:
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    assert "Traceback" not in response.text and "\n" not in body["error"]["message"]
    return body["error"]["message"]


@pytest.fixture
def case(api):
    """A child registered and taken to its results through the API, the results note a marker."""
    case_id = ok(api.post("/api/cases", RECEPTION, json=REGISTER), 201)["id"]
    steps = [(RECEPTION, later(0.5), {"event": "notify_parties"}),
             (HC, later(4), {"event": "book_health_conversation", "set": {"start": "2026-11-24T09:00"}}),
             (HC, later(24), {"event": "hold_health_conversation"}),
             (HC, later(24 * 4 + 1), {"event": "record_results", "set": {"obstacle": "yes", "note": MARKER}})]
    for user, when, body in steps:
        ok(api.post(f"/api/cases/{case_id}/events", user, when=when, json=body))
    return case_id


# --- who is asking ----------------------------------------------------------------------------


def test_me_names_the_tokens_person(api):
    me = ok(api.get("/api/me", RECEPTION))
    assert {k: me[k] for k in ("id", "role", "org")} == {"id": RECEPTION, "role": "reception", "org": RECEPTION}
    assert "name" in me


def bad_tokens(api) -> dict:
    from screening.services import tokens, users
    from tests.api.conftest import app_at

    good = api.token(RECEPTION)
    prefix, token_id, secret = good.split("_", 2)
    revoked = api.token(RECEPTION, days=2)
    app = app_at(api.url)
    tokens.revoke(app, users.identify(app, RECEPTION), revoked.split("_")[1])
    return {
        "none": None,
        "empty": "",
        "garbage": "not-a-token",
        "unknown id": f"{prefix}_000000000000_{secret}",
        "wrong secret": f"{prefix}_{token_id}_{secret[:-2]}xx",
        "wrong prefix": f"xyz_{token_id}_{secret}",
        "expired": api.token(RECEPTION, days=1, when=T - __import__("datetime").timedelta(days=2)),
        "revoked": revoked,
    }


@pytest.mark.parametrize("method,path,body", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_every_route_refuses_no_bad_expired_or_revoked_token_with_401(api, method, path, body):
    before = snapshot(api.url)
    for what, token in bad_tokens(api).items():
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        response = api.client().request(method, path.format(case="SC-0000"), headers=headers,
                                         **({"json": body} if body else {}))
        error_of(response, 401, "unauthenticated")
        assert response.headers["WWW-Authenticate"] == "Bearer", what
    after = snapshot(api.url)
    assert {k: v for k, v in after.items() if k not in ("api_token", "audit")} == \
        {k: v for k, v in before.items() if k not in ("api_token", "audit")}


def test_a_token_of_another_scheme_or_in_the_query_is_not_taken_outside_the_calendar(api):
    token = api.token(RECEPTION)
    error_of(api.client().get("/api/me", headers={"Authorization": f"Basic {token}"}), 401, "unauthenticated")
    error_of(api.client().get(f"/api/me?token={token}"), 401, "unauthenticated")


def test_a_calendar_client_subscribes_with_the_token_in_the_address(api):
    token = api.token(HC)
    body = ok(api.client().get(f"/api/calendar/hc-lugnvik.ics?token={token}"))
    assert body.startswith("BEGIN:VCALENDAR")
    error_of(api.client().get("/api/calendar/hc-lugnvik.ics?token=scr_x_y"), 401, "unauthenticated")


def test_a_token_is_stored_as_a_hash_and_its_use_noted(api):
    from screening.storage import db

    token = api.token(HC)
    ok(api.get("/api/me", HC))
    conn = db.connect_raw(api.url)
    try:
        rows = conn.all("SELECT * FROM api_token")
    finally:
        conn.close()
    secret = token.split("_", 2)[2]
    assert not [row for row in rows if secret in json.dumps(row, default=str)]
    assert [row for row in rows if row["id"] == token.split("_")[1] and row["last_used_at"] is not None]


def test_every_audit_row_of_a_request_names_its_door_the_token(api, case):
    from screening.storage import db

    token = api.token(HC)
    ok(api.get(f"/api/cases/{case}", HC, when=READ_AT))
    ok(api.get(f"/api/calendar/hc-lugnvik.ics?token={token}", when=READ_AT))
    conn = db.connect_raw(api.url)
    try:
        rows = conn.all("SELECT k.action, a.door FROM audit a JOIN audit_kind k ON k.no = a.kind "
                        "WHERE a.case_id = :c ORDER BY a.id DESC", {"c": case})
    finally:
        conn.close()
    show = next(row for row in rows if row["action"] == "show")
    assert show["door"] == f"api:{token.split('_')[1]}"
    assert rows[0]["action"] == "calendar" and rows[0]["door"] == show["door"]


# --- the same documents as the command line ----------------------------------------------------


def test_the_documents_are_the_command_lines_json(api, case, run):
    now = READ_AT.strftime("%Y-%m-%dT%H:%M")
    for path, args in ((f"/api/cases/{case}", ("case", "show", case)),
                       (f"/api/cases/{case}/history", ("case", "history", case)),
                       ("/api/cases", ("case", "list")),
                       ("/api/cases?open=true&limit=5", ("case", "list", "--open", "--limit", "5"))):
        for user in (HC, RECEPTION, COORDINATOR):
            via_api = ok(api.get(path, user, when=READ_AT))
            via_cli = run(*args, db=api.url, user=user, now=now)
            assert via_cli.code == 0, via_cli.err
            assert via_api == via_cli.data, (path, user)


def test_register_and_event_answer_as_the_command_does(api, run):
    done = ok(api.post("/api/cases", RECEPTION, json=REGISTER), 201)
    assert set(done) == {"id", "attached"} and done["attached"] is False
    view = ok(api.post(f"/api/cases/{done['id']}/events", RECEPTION, when=later(1), json={"event": "notify_parties"}))
    shown = run("case", "show", done["id"], db=api.url, user=RECEPTION, now="2026-11-23T11:00")
    assert {k: v for k, v in view.items() if k != "warnings"} == shown.data
    assert view["version"] == 2


# --- scope and secrecy ---------------------------------------------------------------------------


def test_a_case_out_of_scope_is_answered_exactly_as_an_unknown_one(api, case):
    unknown = "SC-2026-9999" if not case.startswith("SC-2026-9999") else "SC-2026-9998"
    for method, path, body in (("GET", "/api/cases/{}", None), ("GET", "/api/cases/{}/history", None),
                               ("POST", "/api/cases/{}/events", {"event": "notify_parties"}),
                               ("GET", "/api/cases/{}/history?reads=true", None)):
        theirs = api.call(method, path.format(case), KROKOM, when=READ_AT, **({"json": body} if body else {}))
        nobody = api.call(method, path.format(unknown), KROKOM, when=READ_AT, **({"json": body} if body else {}))
        assert theirs.status_code == nobody.status_code, (path, theirs.text, nobody.text)
        assert theirs.text.replace(case, "ID") == nobody.text.replace(unknown, "ID"), path
        error_of(theirs, 404, "not_found")
    assert case not in api.get("/api/cases", KROKOM, when=READ_AT).text


def test_the_health_centre_reads_the_planted_note(api, case):
    assert ok(api.get(f"/api/cases/{case}", HC, when=READ_AT))["results"]["note"] == MARKER


@pytest.mark.parametrize("user", [RECEPTION, SCHOOL, COORDINATOR, ADMIN])
def test_no_endpoint_gives_a_medical_note_to(api, case, user):
    seen = []
    for method, path, body in ROUTES:
        response = api.call(method, path.format(case=case), user, when=READ_AT, **({"json": body} if body else {}))
        seen.append((path, response.status_code))
        assert MARKER not in response.text and "MARKER" not in response.text, (user, path, response.text)
    for extra in ("/api/cases?overdue=true", f"/api/cases/{case}/history", "/api/alerts",
                  "/api/report?format=csv"):
        assert "MARKER" not in api.get(extra, user, when=READ_AT).text, (user, extra)
    assert ("/api/cases/{case}", 200) in seen  # the case itself was read, the note held back


# --- errors as statuses ----------------------------------------------------------------------


def test_a_refusal_is_403_in_the_callers_language(api):
    message = error_of(api.get("/api/overview", RECEPTION), 403, "refused")
    assert "mottagningsenhet" in message
    english = api.client(env={"SCREENING_LANGUAGE": "en"}).get(
        "/api/overview", headers={"Authorization": f"Bearer {api.token(RECEPTION)}"})
    assert "reception" in error_of(english, 403, "refused")
    asked = api.get("/api/overview", RECEPTION, headers={"Accept-Language": "fr;q=1, en-GB;q=0.8, sv;q=0.5"})
    assert "reception" in error_of(asked, 403, "refused")
    assert "mottagningsenhet" in error_of(api.get("/api/overview", RECEPTION, headers={"Accept-Language": "de"}),
                                          403, "refused")


def test_a_write_on_a_changed_case_is_409_and_changes_nothing(api, case):
    before = snapshot(api.url)
    response = api.post(f"/api/cases/{case}/events", HC, when=READ_AT,
                        json={"event": "book_examination", "set": {"start": "2026-12-01T09:00"}, "if_version": 1})
    error_of(response, 409, "conflict")
    assert snapshot(api.url)["screening_case"] == before["screening_case"]


@pytest.mark.parametrize("body", [
    {**REGISTER, "birth_date": "2019-13-45"},
    {**REGISTER, "unknown_option": 1},
    {"municipality": "Östersund"},
    {**REGISTER, "municipality": "Atlantis"},
], ids=["bad date", "unknown field", "missing field", "unknown municipality"])
def test_bad_input_is_422_and_registers_nothing(api, body):
    before = snapshot(api.url)["screening_case"]
    response = api.post("/api/cases", RECEPTION, json=body)
    assert response.status_code in (404, 422), response.text
    error_of(response, response.status_code, "not_found" if response.status_code == 404 else "bad_input")
    assert snapshot(api.url)["screening_case"] == before


def test_an_unknown_event_or_a_bad_time_is_422(api, case):
    error_of(api.post(f"/api/cases/{case}/events", HC, when=READ_AT, json={"event": "no_such_event"}), 422,
             "bad_input")
    error_of(api.post(f"/api/cases/{case}/events", HC, when=READ_AT, json={"event": "notify_parties", "at": "soon"}),
             422, "bad_input")


def test_an_internal_failure_is_a_generic_500_and_writes_nothing(api, case, monkeypatch):
    from screening.storage.repository import SqlAuditLog

    def broken(self):
        raise RuntimeError(f"boom {MARKER}")

    monkeypatch.setattr(SqlAuditLog, "flush", broken)
    before = snapshot(api.url)
    response = api.post(f"/api/cases/{case}/events", HC, when=READ_AT,
                        json={"event": "book_examination", "set": {"start": "2026-12-01T09:00"}})
    message = error_of(response, 500, "internal")
    assert "boom" not in response.text and MARKER not in response.text and "RuntimeError" not in response.text
    assert "Content-Security-Policy" in response.headers
    monkeypatch.undo()
    after = snapshot(api.url)
    assert after["screening_case"] == before["screening_case"] and after["audit"] == before["audit"]
    assert message


def test_an_unknown_address_is_a_404_document(api):
    error_of(api.get("/api/nowhere", RECEPTION), 404, "not_found")


# --- the description and the headers ---------------------------------------------------------


def test_the_openapi_description_names_every_route(api):
    spec = ok(api.client().get("/api/openapi.json"))
    for method, path, _ in ROUTES:
        template = (path.split("?")[0].replace("{case}", "{case_id}").replace("/1/", "/{alert_id}/")
                    .replace("hc-lugnvik.ics", "{org_id}.ics"))
        assert method.lower() in spec["paths"][template], template


def test_every_response_carries_the_security_headers(api):
    for response in (api.get("/api/me", RECEPTION), api.get("/api/me"), api.get("/api/nowhere", RECEPTION),
                     api.client().get("/api/openapi.json")):
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"  # never to another site; our forms keep their Origin
        assert "Strict-Transport-Security" not in response.headers  # plain HTTP, no trusted proxy


def test_hsts_over_https_and_from_a_trusted_proxy_only(api):
    token = {"Authorization": f"Bearer {api.token(RECEPTION)}", "X-Forwarded-Proto": "https"}
    trusted = {"SCREENING_TRUSTED_PROXIES": "10.0.0.0/8"}
    assert "Strict-Transport-Security" in api.client(env=trusted, client=("10.1.2.3", 4000)).get(
        "/api/me", headers=token).headers
    assert "Strict-Transport-Security" not in api.client(env=trusted, client=("192.0.2.7", 4000)).get(
        "/api/me", headers=token).headers
    assert "Strict-Transport-Security" not in api.client(client=("10.1.2.3", 4000)).get(
        "/api/me", headers=token).headers
    assert "Strict-Transport-Security" in api.client(base_url="https://testserver").get(
        "/api/me", headers={"Authorization": token["Authorization"]}).headers


def test_the_access_log_is_refused_as_the_command_refuses_it(api, case):
    error_of(api.get(f"/api/cases/{case}/history?reads=true", RECEPTION, when=READ_AT), 403, "refused")
    reads = ok(api.get(f"/api/cases/{case}/history?reads=true", HC, when=READ_AT))
    assert len(reads) > len(ok(api.get(f"/api/cases/{case}/history", HC, when=READ_AT)))
