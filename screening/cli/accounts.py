"""Local accounts from the operator's terminal: a password, the second factor's enrolment, an admin's
reset of a lost factor, the accounts locked now.

Each command parses its options, calls one service and renders; `cli.py` lists them."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from screening.cli.run import the

SAID = {
    "sv": {"password_made": "Engångslösenord för {user} (visas bara nu; personen byter det efter inloggning):",
           "password_set": "Lösenordet för {user} är satt",
           "enrol": "Läs in adressen i autentiseringsappen (som QR-kod eller inskriven), bekräfta sedan med "
                    "screening user totp {user} --code KOD:",
           "confirmed": "Den andra faktorn för {user} gäller nu. Engångskoder för återställning (visas bara nu; "
                        "varje kod fungerar en gång):",
           "reset": "Den andra faktorn för {user} är återställd; {sessions_ended} inloggning(ar) avslutade. "
                    "Nytt engångslösenord (visas bara nu; lämna det personligen): personen loggar in med det, "
                    "registrerar en ny faktor och väljer ett eget lösenord:",
           "none_locked": "Inget konto är låst", "locked": "{user} är låst till {locked_until}"},
    "en": {"password_made": "One-time password for {user} (shown only now; its person changes it after signing in):",
           "password_set": "The password of {user} is set",
           "enrol": "Read the address into the authenticator app (as a QR code or typed), then confirm with "
                    "screening user totp {user} --code CODE:",
           "confirmed": "The second factor of {user} is in force. One-time recovery codes (shown only now; each "
                        "works once):",
           "reset": "The second factor of {user} is reset; {sessions_ended} session(s) ended. A new one-time "
                    "password (shown only now; hand it over in person): its person signs in with it, enrols a "
                    "new factor and chooses a password of their own:",
           "none_locked": "No account is locked", "locked": "{user} is locked until {locked_until}"},
}


def _print_whole(text: str) -> None:
    from screening.cli.render import console

    console().print(text, soft_wrap=True, markup=False, highlight=False)  # whole, to copy


def user_password(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., metavar="ID"),
    stdin: bool = typer.Option(False, "--stdin", help="Read the password from standard input (one line) "
                               "instead of making a one-time password."),
) -> None:
    """Set a local account's password: your own, or (admin) another's as a one-time password, made and
    printed once unless given on standard input. At least 12 characters, not a common password."""
    from screening.services import accounts

    run = the(ctx)
    given = sys.stdin.readline().rstrip("\r\n") if stdin else None
    done = accounts.set_password(run.app, run.actor(), user_id, given)
    words = SAID[run.lang]

    def human() -> None:
        if "password" in done:
            run.out.line(words["password_made"].format(user=user_id))
            _print_whole(done["password"])
        else:
            run.out.line(words["password_set"].format(user=user_id))

    run.out.result(done, human)


def user_totp(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., metavar="ID"),
    code: Optional[str] = typer.Option(None, "--code", help="The first code the app shows: confirms the enrolment."),
) -> None:
    """Enrol a second factor (TOTP, RFC 6238): prints the otpauth URI for the authenticator app; then
    --code confirms it with the app's first code and prints the one-time recovery codes (once)."""
    from screening.services import accounts

    run = the(ctx)
    actor = run.actor()
    words = SAID[run.lang]
    if code is None:
        done = accounts.enrol_totp(run.app, actor, user_id)

        def human() -> None:
            run.out.line(words["enrol"].format(user=user_id))
            _print_whole(done["uri"])
    else:
        done = accounts.confirm_totp(run.app, actor, user_id, code)

        def human() -> None:
            run.out.line(words["confirmed"].format(user=user_id))
            for recovery in done["recovery_codes"]:
                _print_whole(recovery)

    run.out.result(done, human)


def user_reset_factor(ctx: typer.Context, user_id: str = typer.Argument(..., metavar="ID")) -> None:
    """Reset a user's lost second factor (admin): the TOTP secret and recovery codes go, the lock is
    lifted, every session of theirs ends, and a new one-time password is printed once; audited. They
    sign in with it, enrol again (on the page, or user totp) and choose their own password."""
    from screening.services import accounts

    run = the(ctx)
    done = accounts.reset_factor(run.app, run.actor(), user_id)

    def human() -> None:
        run.out.line(SAID[run.lang]["reset"].format(**done))
        _print_whole(done["password"])

    run.out.result(done, human)


def user_locked(ctx: typer.Context) -> None:
    """Local accounts locked now after repeated failed sign-ins, and until when (admin)."""
    from screening.services import accounts

    run = the(ctx)
    found = accounts.locked(run.app, run.actor())
    words = SAID[run.lang]

    def human() -> None:
        if not found:
            run.out.line(words["none_locked"])
        for row in found:
            run.out.line(words["locked"].format(user=row["user"], locked_until=row["locked_until"]))

    run.out.result(found, human)
