"""The region's directory as loaded (`init --directory FILE`): its text is one line that shows as written,
its e-mail addresses are addresses, its names fit their columns. A file that breaks one of these is
refused with one line naming the organisation, and changes nothing; a calendar made from a name stored
before these rules still escapes its line breaks instead of failing."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import vobject

from screening import text
from tests.e2e.support import HC, NOW, assert_one_line_error, register
from tests.security.conftest import snapshot
from tests.security.directories import bundled_with

CENTRE_NAME, CENTRE_ADDRESS, CENTRE_PHONE = "Hälsocentralen Lugnvik", "Vårdvägen 3, Lugnvik", "070-1740102"
CENTRE_EMAIL = "lugnvik.halsocentral@regionjh.example"
DIRECTIONS = ("Buss 3 till hållplatsen Lugnviks centrum, sedan 200 meter till vänster. Ingången mot "
              "parkeringen.")
REGION_NAME = "Region Jämtland Härjedalen"
FIELDS = {  # the text in the bundled file -> where the refusal says it is
    CENTRE_NAME: "hc-lugnvik", CENTRE_ADDRESS: "hc-lugnvik", CENTRE_PHONE: "hc-lugnvik", DIRECTIONS: "hc-lugnvik",
    CENTRE_EMAIL: "hc-lugnvik", REGION_NAME: "[region]", "Berg": "[region]",
}
REFUSED = ["\n", "\r", "\t", "\x1b[31m", "\x00", "\u2028", "\u202e", "\u202a", "\u2066", "\u2069", "\u200e",
           "\u200f", "\u061c", "\u200b", "\ufeff"]
BAD_ADDRESSES = [
    "not an address", "lugnvik", "lugnvik@", "@regionjh.example", "lugnvik@regionjh", "lugnvik@@regionjh.example",
    "a@b@regionjh.example", "lugnvik@regionjh..example", "lugnvik@.regionjh.example", "lugnvik@regionjh.example.",
    ".lugnvik@regionjh.example", "lug..nvik@regionjh.example", "lugnvik.@regionjh.example",
    '"Lugnvik" <lugnvik@regionjh.example>', "Lugnvik <lugnvik@regionjh.example>", "<lugnvik@regionjh.example>",
    "lugnvik@regionjh.example, chef@regionjh.example", "lugnvik@regionjh.example; chef@regionjh.example",
    "lugnvik (hc)@regionjh.example", "lug nvik@regionjh.example", "lugnvik@region jh.example",
    '"lug nvik"@regionjh.example', "lugnvik@[127.0.0.1]", "lugnvik@-regionjh.example", "lugnvik@regionjh-.example",
    "x" * 64 + "@" + ("d" * 60 + ".") * 3 + "example",  # 255 characters: over 254
]
SOUND_ADDRESSES = ["lugnvik.halsocentral@regionjh.example", "fornamn.efternamn+hc@vard.regionjh.example",
                   "o'brien@regionjh.example", "info@mölndal.example", "HC-Lugnvik_1@Region-JH.example",
                   "x" * 64 + "@" + ("d" * 60 + ".") * 3 + "exampl"]  # 254 characters


def refused_at_load(run, db, path, where: str) -> dict:
    error = assert_one_line_error(run("init", "--directory", path, db=db, user="admin"), 2)
    assert error["code"] == "bad_input"
    assert where in error["message"], error["message"]
    return error


def test_control_and_direction_characters_in_directory_text_are_refused_at_load(run, cli_db, tmp_path):
    """Names, addresses, directions, phone numbers, e-mail, the region's name and its municipalities: a line
    break would break a calendar or an e-mail header, a direction override shows a name reversed."""
    before = snapshot(cli_db)
    for field, where in FIELDS.items():
        for character in REFUSED:
            middle = len(field) // 2
            path = bundled_with(tmp_path, {field: field[:middle] + character + field[middle:]})
            error = refused_at_load(run, cli_db, path, where)
            assert f"U+{ord(character[0]):04X}" in error["message"] or "e-post" in error["message"], error["message"]
    assert snapshot(cli_db) == before


def test_zero_width_joiners_in_directory_names_are_kept(run, cli_db, tmp_path):
    persian = "\u062f\u0631\u0645\u0627\u0646\u06af\u0627\u0647\u200c\u0647\u0627\u06cc \u0644\u0648\u06af\u0646\u0648\u06cc\u06a9"
    path = bundled_with(tmp_path, {CENTRE_NAME: persian})
    assert run("init", "--directory", path, db=cli_db, user="admin").code == 0
    listed = run("org", "list", db=cli_db).data
    assert next(org for org in listed if org["id"] == "hc-lugnvik")["name"] == persian


def test_a_malformed_email_address_is_refused_at_load_not_retried_at_delivery(run, cli_db, tmp_path):
    before = snapshot(cli_db)
    for address in BAD_ADDRESSES:
        path = bundled_with(tmp_path, {CENTRE_EMAIL: address})
        error = refused_at_load(run, cli_db, path, "hc-lugnvik")
        assert "e-post" in error["message"], (address, error["message"])
        assert snapshot(cli_db) == before, address


def test_sound_email_addresses_load(run, cli_db, tmp_path):
    for address in SOUND_ADDRESSES:
        path = bundled_with(tmp_path, {CENTRE_EMAIL: address})
        loaded = run("init", "--directory", path, db=cli_db, user="admin")
        assert loaded.code == 0, (address, loaded.err)


def test_directory_names_longer_than_their_columns_are_refused_alike(run, cli_db, tmp_path):
    """SQLite stored a 201-character name; PostgreSQL failed on it with a database error."""
    before = snapshot(cli_db)
    for field, where, value, limit in ((CENTRE_NAME, "hc-lugnvik", "H" * (text.NAME_LIMIT + 1), text.NAME_LIMIT),
                                       (REGION_NAME, "[region]", "R" * (text.NAME_LIMIT + 1), text.NAME_LIMIT),
                                       ("Berg", "[region]", "B" * (text.ID_LIMIT + 1), text.ID_LIMIT),
                                       ("hc-lugnvik", "'hc-lll", "hc-" + "l" * (text.ID_LIMIT - 2), text.ID_LIMIT)):
        error = refused_at_load(run, cli_db, bundled_with(tmp_path, {field: value}), where)
        assert f"högst {limit} tecken, inte {limit + 1}" in error["message"], error["message"]
        assert snapshot(cli_db) == before
    longest = {CENTRE_NAME: "H" * text.NAME_LIMIT, "Berg": "B" * text.ID_LIMIT}
    loaded = run("init", "--directory", bundled_with(tmp_path, longest), db=cli_db, user="admin")
    assert loaded.code == 0, loaded.err


def test_calendar_export_escapes_a_line_break_in_a_name_stored_before_the_rule(run, cli_db):
    """A directory stored by an older version may hold a line break in a centre's name or address: the
    export writes it escaped (RFC 5545 \\n) and a calendar client reads it back, instead of exit 3."""
    from screening.storage import db

    case_id = register(run, cli_db, "--name", "Amira Hassan")
    assert run("case", "event", case_id, "notify_parties", db=cli_db, user="ostersund-reception", now=NOW).code == 0
    assert run("case", "book", case_id, "--start", "2026-11-25T09:00", db=cli_db, user=HC, now=NOW).code == 0
    name, address = "Hälsocentralen\nLugnvik; plan 2, hus B", "Vårdvägen 3\r\nLugnvik"
    conn = db.connect_raw(cli_db)
    try:
        details = json.loads(conn.one("SELECT details FROM organisation WHERE id = 'hc-lugnvik'")["details"])
        details.update(name=name, address=address)
        conn.execute("UPDATE organisation SET name = :name, details = :details WHERE id = 'hc-lugnvik'",
                     {"name": name, "details": json.dumps(details, ensure_ascii=False)})
    finally:
        conn.close()

    result = run("calendar", "export", "--health-centre", "hc-lugnvik", db=cli_db, user=HC, now=NOW,
                 json_output=False)

    assert result.code == 0, result.err
    calendar = vobject.readOne(result.out)
    assert calendar.contents["x-wr-calname"][0].value == f"SIMULERING – Bokningar: {name}"  # the tests run a simulation
    [entry] = calendar.vevent_list
    assert entry.location.value == f"{name}, Vårdvägen 3\nLugnvik"  # CRLF as one line break


def test_an_invitation_escapes_a_line_break_in_the_centres_name():
    from notifications import calendar
    from screening.directory import Organisation

    centre = Organisation(id="hc-x", kind="health_centre", name="Hälsocentralen\nX", municipality=None,
                          email="x@regionjh.example", address="Gatan 1\nX")
    when = datetime(2026, 11, 25, 8, tzinfo=timezone.utc)
    appointment = calendar.Appointment(uid="u-1@screening", sequence=0, kind="conversation", status="booked",
                                       starts=when, ends=when.replace(hour=9), updated_at=when,
                                       case_id="SC-ABCD2345", initials="A. H.", municipality="Östersund")
    for ics in (calendar.feed([appointment], centre),
                calendar.invitation(appointment, centre, attendees=["mottagning@ostersund.example"])):
        parsed = vobject.readOne(ics.decode("utf-8"))
        assert parsed.vevent.location.value == "Hälsocentralen\nX, Gatan 1\nX"
