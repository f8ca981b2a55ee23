"""The operator's commands for local accounts: `user password`, `user totp`, `user reset-factor`,
`user locked` (admin), on SQLite and PostgreSQL. Invented people and passwords only."""

from __future__ import annotations

import io
from datetime import datetime

import pyotp

from screening.bootstrap import App, Clock
from screening.services import accounts
from screening.settings import Settings

NOW = "2026-11-23T10:00"
AT = datetime.fromisoformat(NOW + "+01:00")


def _people(run, db) -> tuple[str, str]:
    found = run("user", "list", db=db, user="admin", now=NOW).data
    return "admin", next(u["id"] for u in found if u["role"] == "health_centre")


def test_an_admin_sets_a_one_time_password_and_enrols_a_second_factor_from_the_terminal(run, cli_db):
    admin, person = _people(run, cli_db)
    made = run("user", "password", person, db=cli_db, user=admin, now=NOW)
    assert made.code == 0 and made.data["temporary"] and len(made.data["password"]) == 20
    enrol = run("user", "totp", person, db=cli_db, user=admin, now=NOW)
    assert enrol.code == 0 and enrol.data["uri"].startswith("otpauth://totp/")
    totp = pyotp.parse_uri(enrol.data["uri"])
    wrong = run("user", "totp", person, "--code", "12345", db=cli_db, user=admin, now=NOW)
    assert wrong.code == 1
    confirmed = run("user", "totp", person, "--code", totp.at(AT), db=cli_db, user=admin, now=NOW)
    assert confirmed.code == 0 and len(confirmed.data["recovery_codes"]) == 10
    app = App(cli_db, Settings({}), Clock(AT, lambda: AT))
    later = datetime.fromisoformat("2026-11-23T10:01+01:00")
    signed = accounts.sign_in(App(cli_db, Settings({}), Clock(later, lambda: later)), person, made.data["password"],
                              totp.at(later))
    assert signed["must_change_password"] and app.clock.now() == AT
    reset = run("user", "reset-factor", person, db=cli_db, user=admin, now="2026-11-23T10:02")
    assert reset.code == 0 and reset.data["sessions_ended"] == 1
    assert run("user", "totp", person, db=cli_db, user=admin, now="2026-11-23T10:03").code == 0


def test_a_password_from_standard_input_follows_the_policy(run, cli_db, monkeypatch):
    admin, person = _people(run, cli_db)
    monkeypatch.setattr("sys.stdin", io.StringIO("kort\n"))
    assert run("user", "password", person, "--stdin", db=cli_db, user=admin, now=NOW).code == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("granskog-vinterväg-kaffe-9\n"))
    done = run("user", "password", person, "--stdin", db=cli_db, user=admin, now=NOW)
    assert done.code == 0 and "password" not in done.data


def test_only_an_admin_resets_a_factor_or_sees_the_locked_accounts(run, cli_db):
    _, person = _people(run, cli_db)
    assert run("user", "reset-factor", "admin", db=cli_db, user=person, now=NOW).code == 1
    assert run("user", "locked", db=cli_db, user=person, now=NOW).code == 1
    assert run("user", "locked", db=cli_db, user="admin", now=NOW).data == []
