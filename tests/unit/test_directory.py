from datetime import time

import pytest

from screening.directory import (
    BUNDLED, KIND_LABELS_SV, ORG_KINDS, ROLE_FOR_KIND, ROLES, load_directory, organisation_from_dict,
    parse_directory,
)
from screening.errors import BadInput, NotFound

MUNIS = ["Berg", "Bräcke", "Härjedalen", "Krokom", "Ragunda", "Strömsund", "Åre", "Östersund"]


@pytest.fixture(scope="module")
def bundled():
    return load_directory()


def test_bundled_region(bundled):
    assert bundled.region_id == "jamtland-harjedalen"
    assert bundled.region_name == "Region Jämtland Härjedalen"
    assert list(bundled.municipalities) == MUNIS
    assert load_directory(BUNDLED) == bundled


@pytest.mark.parametrize("muni", MUNIS)
def test_bundled_municipality_has_every_party(bundled, muni):
    local = [o for o in bundled.organisations if o.municipality == muni]
    receptions = [o for o in local if o.kind == "reception_unit"]
    assert [o.for_unaccompanied for o in receptions].count(False) >= 1
    assert [o.for_unaccompanied for o in receptions].count(True) >= 1
    for kind in ("school", "preschool", "school_health", "bvc"):
        assert any(o.kind == kind for o in local), kind
    hc = bundled.default_health_centre(muni)
    assert hc is not None and hc.kind == "health_centre" and muni in hc.serves
    assert hc == next(o for o in bundled.of_kind("health_centre") if muni in o.serves)


def test_bundled_organisations(bundled):
    orgs = bundled.organisations
    assert len({o.id for o in orgs}) == len(orgs)
    assert len(bundled.of_kind("coordinator")) == 1
    assert bundled.of_kind("coordinator")[0].municipality is None
    assert 7 <= len(bundled.of_kind("health_centre")) <= 10
    assert len([o for o in orgs if o.kind == "school" and o.municipality == "Östersund"]) == 3
    assert len([o for o in orgs if o.kind == "preschool" and o.municipality == "Östersund"]) == 2
    for o in orgs:
        assert o.email.endswith(".example"), o.id
        assert o.phone.startswith("070-1740") and len(o.phone) == 11, o.id
        assert o.name and o.address
        if o.kind == "health_centre":
            a = o.appointments
            assert a.capacity >= 1 and a.hours and all(0 <= d <= 6 for d in a.hours)
        else:
            assert o.appointments is None and o.serves == ()


def test_bundled_lookups(bundled):
    assert bundled.get("ostersund-reception").name == "Integrationsservice Östersund"
    assert bundled.get("ostersund-social").for_unaccompanied
    hours = bundled.get("hc-lugnvik").appointments.hours
    assert hours[0][0] == (time(8, 30), time(11, 30))
    with pytest.raises(NotFound, match="unknown organisation 'nope'"):
        bundled.get("nope")
    with pytest.raises(BadInput):
        bundled.of_kind("clinic")


@pytest.mark.parametrize("given", ["Östersund", "östersund", "Ostersund", "OSTERSUND", " ostersund "])
def test_municipality_lenient(bundled, given):
    assert bundled.municipality(given) == "Östersund"


def test_municipality_transliterations(bundled):
    assert bundled.municipality("are") == "Åre"
    assert bundled.municipality("bracke") == "Bräcke"
    assert bundled.municipality("Stromsund") == "Strömsund"
    assert bundled.default_health_centre("Ostersund") == bundled.default_health_centre("Östersund")
    assert bundled.default_health_centre("Atlantis") is None
    with pytest.raises(BadInput, match="unknown municipality 'Atlantis'; one of: Berg, "):
        bundled.municipality("Atlantis")


def test_round_trip_every_bundled_organisation(bundled):
    import json
    for o in bundled.organisations:
        d = json.loads(json.dumps(o.to_dict()))
        assert organisation_from_dict(d) == o


def test_constants():
    assert set(ROLE_FOR_KIND) | {"interpreter_service"} == set(ORG_KINDS) == set(KIND_LABELS_SV)  # no users
    assert set(ROLE_FOR_KIND.values()) | {"admin"} == set(ROLES)
    assert ROLE_FOR_KIND["reception_unit"] == "reception"


# --- validation -----------------------------------------------------------

REGION = '[region]\nid = "r"\nname = "R"\nmunicipalities = ["Alby", "Öby"]\n'
COORD = '[[organisations]]\nid = "coord"\nkind = "coordinator"\nname = "C"\n'
APPOINTMENTS = """[organisations.appointments]
capacity = 1
conversation_minutes = 60
conversation_minutes_interpreter = 90
examination_minutes = 30
examination_minutes_interpreter = 45
[organisations.appointments.hours]
mon = ["08:30-11:30"]
"""
HC = """[[organisations]]
id = "hc-a"
kind = "health_centre"
name = "HC A"
serves = ["Alby", "Öby"]
""" + APPOINTMENTS
RECEPTION = '[[organisations]]\nid = "alby-reception"\nkind = "reception_unit"\nname = "M"\nmunicipality = "Alby"\n'


def _parse(*parts):
    return parse_directory("".join(parts), "x.toml")


def _bad(match, *parts):
    with pytest.raises(BadInput, match=match) as e:
        _parse(*parts)
    assert "\n" not in e.value.message
    assert e.value.message.startswith("directory x.toml: ")


def test_minimal_valid():
    d = _parse(REGION, COORD, HC, RECEPTION)
    assert d.default_health_centre("Öby").id == "hc-a"
    assert d.get("alby-reception").municipality == "Alby"
    assert d.get("hc-a").municipality is None


def test_toml_syntax_error():
    _bad("not valid TOML", REGION, "[[organisations]\n")


def test_unreadable_file(tmp_path):
    with pytest.raises(BadInput, match="cannot read"):
        load_directory(tmp_path / "missing.toml")
    bad = tmp_path / "bin.toml"
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(BadInput, match="cannot read"):
        load_directory(bad)


def test_load_from_path_names_file(tmp_path):
    p = tmp_path / "mine.toml"
    p.write_text(REGION + HC, encoding="utf-8")
    with pytest.raises(BadInput, match=r"mine\.toml: no coordinator"):
        load_directory(p)


def test_missing_region():
    _bad("missing key 'region'", COORD, HC)


def test_missing_region_key():
    _bad(r"\[region\]: missing key 'municipalities'", '[region]\nid = "r"\nname = "R"\n', COORD, HC)


def test_missing_org_id():
    _bad("organisation #2: missing key 'id'", REGION, COORD, '[[organisations]]\nkind = "school"\n', HC)


def test_missing_org_name():
    _bad("organisation 'x': missing key 'name'", REGION, COORD,
         '[[organisations]]\nid = "x"\nkind = "school"\nmunicipality = "Alby"\n', HC)


def test_missing_municipality():
    _bad("organisation 'x': missing key 'municipality'", REGION, COORD,
         '[[organisations]]\nid = "x"\nkind = "school"\nname = "S"\n', HC)


def test_unknown_kind():
    _bad("organisation 'foo': unknown kind 'clinic'", REGION, COORD,
         '[[organisations]]\nid = "foo"\nkind = "clinic"\nname = "F"\nmunicipality = "Alby"\n', HC)


@pytest.mark.parametrize("slug", ["Alby-reception", "alby_reception", "åby", "-x", "a b", ""])
def test_bad_slug(slug):
    _bad("bad id", REGION, COORD, HC, RECEPTION.replace("alby-reception", slug))


def test_duplicate_id():
    _bad("organisation 'alby-reception': duplicate id", REGION, COORD, HC, RECEPTION, RECEPTION)


def test_unknown_key():
    _bad("organisation 'alby-reception': unknown key 'adress'", REGION, COORD, HC,
         RECEPTION + 'adress = "x"\n')


def test_municipality_not_in_region():
    _bad("organisation 'alby-reception': municipality 'Cby' is not in the region", REGION, COORD, HC,
         RECEPTION.replace('"Alby"', '"Cby"'))


def test_serves_municipality_not_in_region():
    _bad("organisation 'hc-a': municipality 'Cby' is not in the region", REGION, COORD,
         HC.replace('["Alby", "Öby"]', '["Alby", "Öby", "Cby"]'))


def test_health_centre_without_appointments():
    _bad("organisation 'hc-a': a health centre needs", REGION, COORD, HC.split("[organisations.appointments]")[0])


def test_health_centre_without_serves():
    _bad("organisation 'hc-a': a health centre needs 'serves'", REGION, COORD,
         HC.replace('serves = ["Alby", "Öby"]\n', ""))


def test_health_centre_missing_appointment_key():
    _bad("appointments: missing key 'examination_minutes'", REGION, COORD,
         HC.replace("examination_minutes = 30\n", ""))


@pytest.mark.parametrize("span", ["8:30-11:30", "08:30-08:30", "11:30-08:30", "08:30-25:00", "08:30", "08.30-11.30"])
def test_malformed_hours(span):
    _bad("organisation 'hc-a': appointments: bad hours", REGION, COORD, HC.replace("08:30-11:30", span))


def test_unknown_weekday():
    _bad("unknown weekday 'monday'", REGION, COORD, HC.replace("mon = ", "monday = "))


def test_no_hours():
    _bad("no appointment hours", REGION, COORD, HC.replace('mon = ["08:30-11:30"]', "mon = []"))


@pytest.mark.parametrize("cap", ["0", "-1"])
def test_capacity_below_one(cap):
    _bad("capacity must be at least 1", REGION, COORD, HC.replace("capacity = 1", f"capacity = {cap}"))


def test_capacity_wrong_type():
    _bad("'capacity' must be of type int", REGION, COORD, HC.replace("capacity = 1", 'capacity = "2"'))


def test_appointments_on_non_health_centre():
    _bad("organisation 'alby-reception': 'appointments' is only for a health centre", REGION, COORD, HC,
         RECEPTION + "[organisations.appointments]\ncapacity = 1\n")


def test_serves_on_non_health_centre():
    _bad("'serves' is only for a health centre", REGION, COORD, HC, RECEPTION + 'serves = ["Alby"]\n')


def test_for_unaccompanied_on_non_reception():
    _bad("'for_unaccompanied' is only for a reception unit", REGION, COORD, HC,
         '[[organisations]]\nid = "s"\nkind = "school"\nname = "S"\nmunicipality = "Alby"\n'
         "for_unaccompanied = true\n")


def test_municipality_served_by_no_health_centre():
    _bad("municipality 'Öby' is served by no health centre", REGION, COORD, HC.replace(', "Öby"]', "]"))


def test_no_coordinator():
    _bad("no coordinator", REGION, HC, RECEPTION)


def test_organisation_from_dict_validates():
    d = load_directory().get("hc-lugnvik").to_dict()
    d["appointments"]["capacity"] = 0
    with pytest.raises(BadInput, match="organisation 'hc-lugnvik': appointments: capacity"):
        organisation_from_dict(d)


def test_empty_weekday_is_dropped():
    d = _parse(REGION, COORD, HC.replace('mon = ["08:30-11:30"]', 'mon = []\nwed = ["13:00-15:00", "08:00-09:00"]'))
    assert d.get("hc-a").appointments.hours == {2: ((time(8), time(9)), (time(13), time(15)))}
