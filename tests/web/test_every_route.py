"""Every address the server answers, whole: the table below names each route and who may open it, and
the tests hold the server to it — the routes are exactly the table's (a new one fails here until it is
added, with who may use it); signed out, a page leads to the sign-in and the API answers 401; a form sent
without the session's CSRF token is refused with 403 and writes nothing; and each role opens exactly the
pages its column says (403 for the others), a child's case page only where the role may see the child.
"""

from __future__ import annotations

from datetime import date

import pytest

from screening.services import events, sessions
from screening.services.registration import Registration, register
from screening.services.users import identify
from screening.storage import db

ROLES = {"health_centre": "hc-lugnvik", "reception": "ostersund-reception", "school": "ostersund-school-norrby",
         "preschool": "ostersund-preschool-solrosen", "school_health": "ostersund-school-health",
         "bvc": "ostersund-bvc", "coordinator": "region-coordinator", "admin": "admin"}
EVERYONE = frozenset(ROLES)
MUNICIPALITY_UNITS = frozenset({"reception", "school", "preschool", "school_health", "bvc"})
REGION = frozenset({"coordinator", "admin"})

# (method, path): who. "public" needs no sign-in; "api" takes a bearer token (or a session with the CSRF
# header); a set of roles: the signed-in roles that open the page (GET) or may send the form (POST).
ROUTES = {
    ("GET", "/signin"): "public", ("POST", "/signin"): "public",
    ("GET", "/signin/oidc"): "public", ("GET", "/signin/oidc/callback"): "public",
    ("GET", "/demo"): "public", ("POST", "/demo"): "public",  # a simulation only (404 otherwise)
    ("GET", "/api/openapi.json"): "public",
    ("POST", "/signout"): EVERYONE,
    ("GET", "/"): EVERYONE,  # to the role's first page
    ("GET", "/password"): EVERYONE, ("POST", "/password"): EVERYONE,
    ("GET", "/totp"): EVERYONE, ("POST", "/totp"): EVERYONE,
    ("GET", "/tokens"): EVERYONE, ("POST", "/tokens"): EVERYONE,
    ("GET", "/profile"): EVERYONE, ("POST", "/profile"): EVERYONE,
    ("GET", "/worklist"): {"health_centre"},
    ("GET", "/cases"): {"health_centre", "coordinator"},
    ("GET", "/cases/{case_id}"): EVERYONE,  # a coordinator and an admin see every case
    ("GET", "/cases/{case_id}/slots"): {"health_centre"},
    ("POST", "/cases/{case_id}/events"): EVERYONE - {"admin"},
    ("GET", "/cases/{case_id}/letter.pdf"): {"health_centre", "coordinator"},
    ("GET", "/register"): {"reception"}, ("POST", "/register"): {"reception"},
    ("GET", "/children"): MUNICIPALITY_UNITS,
    ("GET", "/region"): REGION, ("GET", "/region/now"): REGION,
    ("GET", "/alerts"): REGION, ("POST", "/alerts/ack"): REGION, ("POST", "/alerts/{alert_id}/ack"): REGION,
    ("GET", "/report"): REGION, ("GET", "/report/chart.png"): REGION, ("GET", "/report/report.csv"): REGION,
    ("GET", "/audit"): REGION, ("POST", "/audit"): REGION,
    ("GET", "/audit/{sample_id}"): REGION, ("POST", "/audit/{sample_id}/review"): REGION,
    ("GET", "/users"): REGION, ("POST", "/users/{user_id}/{action}"): {"admin"},
    ("GET", "/directory"): REGION,
    ("GET", "/api/me"): "api", ("GET", "/api/cases"): "api", ("POST", "/api/cases"): "api",
    ("GET", "/api/cases/{case_id}"): "api", ("POST", "/api/cases/{case_id}/events"): "api",
    ("GET", "/api/cases/{case_id}/history"): "api", ("GET", "/api/alerts"): "api",
    ("POST", "/api/alerts/{alert_id}/ack"): "api", ("GET", "/api/overview"): "api", ("GET", "/api/report"): "api",
    ("GET", "/api/worklist"): "api", ("GET", "/api/calendar/free"): "api",
    ("GET", "/api/calendar/{org_id}.ics"): "api",
}
# What a GET opens when the role may (the rest are 403): the first page is a redirect to the role's own.
OPENS = {"/": 303}
# Query strings that make a page answer in full (a slot list needs the booking it is for).
QUERY = {"/cases/{case_id}/slots": "?event=book_health_conversation&interpreter=yes"}


def routes_of(server) -> set[tuple[str, str]]:
    """(method, path) of every route the server answers, the included routers' and the mounts' alike."""
    found = set()

    def walk(routes):
        for route in routes:
            inner = getattr(route, "original_router", None)
            if inner is not None:
                walk(inner.routes)
                continue
            for method in getattr(route, "methods", None) or {"MOUNT"}:
                if method != "HEAD":
                    found.add((method, route.path))

    walk(server.router.routes)
    return found


def filled(path: str, case_id: str) -> str:
    return (path.replace("{case_id}", case_id).replace("{alert_id}", "1").replace("{sample_id}", "1")
            .replace("{user_id}", "hc-lugnvik-3").replace("{action}", "disable").replace("{org_id}", "hc-lugnvik"))


@pytest.fixture
def child(site) -> str:
    notice = Registration(birth_date=date(2019, 4, 2), municipality="Östersund",
                          name="Routbarn Påhittadsson", school=ROLES["school"], preschool=ROLES["preschool"])
    case_id = register(site.app, identify(site.app, ROLES["reception"]), notice)["id"]
    site.later(minutes=5)
    events.apply(site.app, identify(site.app, ROLES["reception"]), case_id, "notify_parties", {})
    site.later(minutes=5)
    events.apply(site.app, identify(site.app, ROLES["health_centre"]), case_id, "book_health_conversation",
                 {"start": "2026-11-24T09:00"})
    return case_id  # booked: the letter can be printed, and the booking moved


def browser_as(site, role: str):
    browser = site.browser()
    browser.cookies.set("screening_session", sessions.start(site.app, ROLES[role])["session"])
    return browser


def audit_rows(site) -> int:
    with db.engine(site.app.url).connect() as conn:
        return conn.exec_driver_sql("SELECT COUNT(*) FROM audit").scalar()


def test_the_server_answers_exactly_the_routes_of_the_table(site):
    from web.app import create

    answered = routes_of(create(site.app))
    assert answered - {("MOUNT", "/static")} == set(ROUTES), (
        f"not in the table: {sorted(answered - set(ROUTES) - {('MOUNT', '/static')})}; "
        f"gone: {sorted(set(ROUTES) - answered)}")


def test_signed_out_a_page_leads_to_the_sign_in_a_form_too_and_the_api_answers_401(site, child):
    browser = site.browser()
    for (method, path), who in ROUTES.items():
        answer = browser.request(method, filled(path, child), follow_redirects=False,
                                 **({"data": {"x": "1"}} if method == "POST" else {}))
        if who == "public":
            assert answer.status_code in (200, 303, 404, 422), (method, path, answer.status_code)
        elif who == "api":
            assert answer.status_code == 401 and answer.json()["error"]["code"], (method, path)
        else:
            assert (answer.status_code, answer.headers.get("location")) == (303, "/signin"), (method, path)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_a_form_without_the_csrf_token_is_refused_and_writes_nothing(site, child, role):
    browser = browser_as(site, role)
    before = audit_rows(site)
    for (method, path), who in ROUTES.items():
        if method != "POST" or who in ("public", "api"):
            continue
        for data in ({"x": "1"}, {"csrf": "not-the-token", "x": "1"}):
            answer = browser.post(filled(path, child), data=data, follow_redirects=False)
            assert answer.status_code == 403, (role, path, answer.status_code)
    assert audit_rows(site) == before
    assert browser.get("/profile").status_code == 200  # the session still stands


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_role_opens_exactly_the_pages_of_its_column(site, child, role):
    browser = browser_as(site, role)
    for (method, path), who in ROUTES.items():
        if method != "GET" or who in ("public", "api") or "{" in path and path.startswith("/audit/"):
            continue
        answer = browser.get(filled(path, child) + QUERY.get(path, ""), follow_redirects=False)
        if role in who:
            assert answer.status_code == OPENS.get(path, 200), (role, path, answer.status_code)
        else:
            assert answer.status_code in (403, 404), (role, path, answer.status_code)
            assert "Routbarn" not in answer.text, (role, path)
