"""The people at the region's identity provider linked to users (admin): link, unlink, list.

A person who signs in through the provider (OpenID Connect) comes in as the user an admin linked
them to, by the provider's issuer and the person's subject there (the `sub` of their ID token), unless
SCREENING_OIDC_CLAIM matches a claim against the users' HSA-ids instead. No user is made by a sign-in.

Each command parses its options, calls one service and renders; `cli.py` lists them."""

from __future__ import annotations

import typer

from screening.cli.run import the

SAID = {
    "sv": {"linked": "{subject} hos {issuer} loggar nu in som {user}",
           "unlinked": "{subject} hos {issuer} är inte längre kopplad till {user}",
           "title": "Kopplingar till identitetsleverantören", "user": "användare", "issuer": "utfärdare",
           "subject": "subjekt", "linked_at": "kopplad", "linked_by": "av"},
    "en": {"linked": "{subject} at {issuer} now signs in as {user}",
           "unlinked": "{subject} at {issuer} is no longer linked to {user}",
           "title": "Links to the identity provider", "user": "user", "issuer": "issuer", "subject": "subject",
           "linked_at": "linked", "linked_by": "by"},
}
ISSUER = typer.Option(None, "--issuer", metavar="URL", help="The provider's issuer (default: the configured "
                      "provider's, from SCREENING_OIDC_DISCOVERY).")
SUBJECT = typer.Option(..., "--subject", metavar="SUB", help="The person's subject at the provider (`sub`).")


def user_link(ctx: typer.Context, user_id: str = typer.Argument(..., metavar="ID"), issuer: str | None = ISSUER,
              subject: str = SUBJECT) -> None:
    """Link a person at the identity provider to a user (admin; audited): their sign-ins there then
    come in as this user. A link made again replaces the one before."""
    from screening.services import identity_provider

    run = the(ctx)
    done = identity_provider.link(run.app, run.actor(), user_id, issuer, subject)
    run.out.result(done, lambda: run.out.line(SAID[run.lang]["linked"].format(**done)))


def user_unlink(ctx: typer.Context, issuer: str | None = ISSUER, subject: str = SUBJECT) -> None:
    """Undo the link of a person at the identity provider (admin; audited)."""
    from screening.services import identity_provider

    run = the(ctx)
    done = identity_provider.unlink(run.app, run.actor(), issuer, subject)
    run.out.result(done, lambda: run.out.line(SAID[run.lang]["unlinked"].format(**done)))


def user_links(ctx: typer.Context, user_id: str | None = typer.Argument(None, metavar="[ID]")) -> None:
    """The people at identity providers linked to users, or to one user (admin)."""
    from screening.cli.render import _table, console
    from screening.services import identity_provider

    run = the(ctx)
    found = identity_provider.links(run.app, run.actor(), user_id)
    words = SAID[run.lang]

    def human() -> None:
        columns = ("user_id", "issuer", "subject", "linked_at", "linked_by")
        table = _table(words["title"], *(words[name.removesuffix("_id")] for name in columns))
        for row in found:
            table.add_row(*(row[name] for name in columns))
        console().print(table)

    run.out.result(found, human)
