"""The health centre's work list over the API (`GET /api/worklist`, and its search `?q=`): the same
documents as the pages' service (`screening.services.worklist`), the token's centre only, a page at a
time, every case named recorded as read through the token's door, errors as the API's error documents.
On SQLite and PostgreSQL. Every child, name and number is invented."""

from __future__ import annotations

import pytest

from screening.services import worklist
from screening.storage import db
from tests.api.test_api import error_of, ok
from tests.e2e.support import HC, RECEPTION, SCHOOL, pnr


def child(api, name: str, serial: str, notified: str, **given) -> str:
    body = {"birth_date": "2019-04-02", "municipality": "Östersund", "name": name,
            "personnummer": pnr(serial=serial), "notice_at": notified, **given}
    case_id = ok(api.post("/api/cases", RECEPTION, json=body), 201)["id"]
    ok(api.post(f"/api/cases/{case_id}/events", RECEPTION, json={"event": "notify_parties", "at": notified}))
    return case_id


@pytest.fixture
def children(api) -> dict[str, str]:
    """Two of Lugnvik's children (one five working days late with its booking, one in time) and one of
    Odensala's, another centre of the same municipality."""
    return {"late": child(api, "Amina Testsson", "238", "2026-11-09T10:00"),
            "fresh": child(api, "Bilal Testsson", "246", "2026-11-20T10:00"),
            "other": child(api, "Amir Testsson", "254", "2026-11-09T10:00", health_centre="hc-odensala")}


def test_the_work_list_is_the_services_document_for_the_tokens_centre(api, children):
    listed = ok(api.get("/api/worklist", HC))
    app_steps = [(step["case_id"], step["rule"]) for step in listed["steps"]]
    assert (children["late"], "book_health_conversation") == app_steps[0]  # overdue first
    assert (children["fresh"], "book_health_conversation") in app_steps
    assert children["other"] not in {case for case, _ in app_steps}
    late = listed["steps"][0]
    assert late["overdue"] is True and late["days_late"] == 5 and late["name"] == "Amina Testsson"
    assert listed["next"] is None
    overdue = ok(api.get("/api/worklist?when=overdue&kind=book", HC))
    assert [step["case_id"] for step in overdue["steps"]] == [children["late"]]


def test_the_work_list_comes_a_page_at_a_time(api, children):
    first = ok(api.get("/api/worklist?limit=1", HC))
    second = ok(api.get("/api/worklist", HC, params={"limit": 1, "after": first["next"]}))
    assert [step["case_id"] for step in first["steps"] + second["steps"]] == [children["late"], children["fresh"]]
    assert second["next"] is None


def test_the_search_finds_the_centres_cases_by_name_number_or_id_a_page_at_a_time(api, children):
    found = ok(api.get("/api/worklist", HC, params={"q": "testss"}))
    assert found["by"] == "name" and [case["id"] for case in found["cases"]] == sorted(
        [children["late"], children["fresh"]])
    assert set(found["cases"][0]) == {"id", "name", "birth_date", "municipality", "health", "ended"}
    first = ok(api.get("/api/worklist", HC, params={"q": "Testsson", "limit": 1}))
    second = ok(api.get("/api/worklist", HC, params={"q": "Testsson", "limit": 1, "after": first["next"]}))
    assert [case["id"] for case in first["cases"] + second["cases"]] == [case["id"] for case in found["cases"]]
    assert second["next"] is None
    by_number = ok(api.get("/api/worklist", HC, params={"q": pnr(serial="246")}))
    assert by_number["by"] == "number" and [case["id"] for case in by_number["cases"]] == [children["fresh"]]
    for text in ("Amir", children["other"], pnr(serial="254")):  # Odensala's: as if it did not exist
        assert ok(api.get("/api/worklist", HC, params={"q": text}))["cases"] == []


def test_every_case_named_is_recorded_as_read_through_the_tokens_door(api, children):
    token = api.token(HC)
    ok(api.get("/api/worklist", HC, params={"q": "amina"}))
    conn = db.connect_raw(api.url)
    try:
        rows = conn.all("SELECT a.case_id, a.door FROM audit a JOIN audit_kind k ON k.no = a.kind "
                        "WHERE k.action = 'list' AND a.door = :door", {"door": f"api:{token.split('_')[1]}"})
    finally:
        conn.close()
    assert [row["case_id"] for row in rows] == [children["late"]]


@pytest.mark.parametrize("user", [RECEPTION, SCHOOL, "region-coordinator"])
def test_the_work_list_is_the_health_centres_and_its_search_a_centres_or_a_coordinators(api, children, user):
    paths = ("/api/worklist",) if user == "region-coordinator" else ("/api/worklist", "/api/worklist?q=Testsson")
    for path in paths:
        response = api.get(path, user)
        error_of(response, 403, "refused")
        assert "Testsson" not in response.text


def test_a_coordinator_searches_the_region_a_name_within_a_municipality(api, children):
    coordinator = "region-coordinator"
    error_of(api.get("/api/worklist?q=Testsson", coordinator), 422, "bad_input")
    found = api.get("/api/worklist?q=Testsson&municipality=Östersund", coordinator)
    assert found.status_code == 200 and children["late"] in {case["id"] for case in found.json()["cases"]}
    assert api.get("/api/worklist?q=Testsson&municipality=Krokom", coordinator).json()["cases"] == []
    by_id = api.get(f"/api/worklist?q={children['late']}", coordinator).json()
    assert [case["id"] for case in by_id["cases"]] == [children["late"]] and by_id["by"] == "case_id"
    error_of(api.get("/api/worklist?q=Testsson&municipality=Atlantis", coordinator), 422, "bad_input")


def test_bad_input_is_422_and_no_token_401(api, children):
    for params in ({"q": "x"}, {"when": "someday"}, {"kind": "lunch"}, {"after": "SC-NOSUCH1:book"},
                   {"limit": 0}, {"limit": worklist.PAGE + 1}):
        error_of(api.get("/api/worklist", HC, params=params), 422, "bad_input")
    error_of(api.get("/api/worklist"), 401, "unauthenticated")


def test_the_openapi_description_names_the_work_list(api):
    spec = ok(api.client().get("/api/openapi.json"))
    parameters = spec["paths"]["/api/worklist"]["get"]["parameters"]
    assert {"q", "when", "kind", "after", "limit"} <= {parameter["name"] for parameter in parameters}
