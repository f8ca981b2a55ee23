"""Personal API tokens: create (printed once), list, revoke.

Each command parses its options, calls one service and renders; `cli.py` lists them."""

from __future__ import annotations

from typing import Optional

import typer

from screening.cli.run import the

SAID = {
    "sv": {"created": "Nyckel {id} för {user}, giltig till {expires}. Den visas bara nu; spara den säkert:",
           "revoked": "Nyckel {id} är återkallad", "title": "API-nycklar", "id": "nyckel", "user": "användare",
           "state": "läge", "created_at": "skapad", "expires_at": "giltig till", "last_used_at": "senast använd",
           "active": "giltig", "expired": "utgången"},
    "en": {"created": "Token {id} for {user}, valid until {expires}. It is shown only now; keep it safe:",
           "revoked": "Token {id} revoked", "title": "API tokens", "id": "token", "user": "user", "state": "state",
           "created_at": "created", "expires_at": "valid until", "last_used_at": "last used", "active": "active",
           "expired": "expired"},
}
SAID["sv"]["revoked_state"], SAID["en"]["revoked_state"] = "återkallad", "revoked"


def token_create(
    ctx: typer.Context,
    user: Optional[str] = typer.Option(None, "--user", metavar="ID", help="Whose token (default: the acting "
                                       "user; another person's: an admin)."),
    days: int = typer.Option(90, "--days", help="How many days it is valid (1-365)."),
) -> None:
    """Make a personal API token (`Authorization: Bearer TOKEN`). It is printed once and stored only as a hash."""
    from screening.services import tokens

    run = the(ctx)
    done = tokens.create(run.app, run.actor(), user, days)
    words = SAID[run.lang]

    def human() -> None:
        run.out.line(words["created"].format(id=done["id"], user=done["user"], expires=done["expires_at"]))
        from screening.cli.render import console

        console().print(done["token"], soft_wrap=True, markup=False, highlight=False)  # whole, to copy

    run.out.result(done, human)


def token_list(ctx: typer.Context) -> None:
    """Your API tokens (an admin: everyone's), never their secrets."""
    from screening.cli.render import _table, console
    from screening.services import tokens

    run = the(ctx)
    found = tokens.listing(run.app, run.actor())
    words = SAID[run.lang]

    def human() -> None:
        table = _table(words["title"], *(words[k] for k in ("id", "user", "state", "created_at", "expires_at",
                                                             "last_used_at")))
        for row in found:
            state = words["revoked_state" if row["state"] == "revoked" else row["state"]]
            table.add_row(row["id"], row["user"], state, row["created_at"], row["expires_at"], row["last_used_at"] or "")
        console().print(table)

    run.out.result(found, human)


def token_revoke(ctx: typer.Context, token_id: str = typer.Argument(..., metavar="ID")) -> None:
    """Revoke an API token (yours; an admin: anyone's). It stops working at once."""
    from screening.services import tokens

    run = the(ctx)
    done = tokens.revoke(run.app, run.actor(), token_id)
    run.out.result(done, lambda: run.out.line(SAID[run.lang]["revoked"].format(id=token_id)))
