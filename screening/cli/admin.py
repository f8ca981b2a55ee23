"""The database, the directory, its users, the scheduler: the operator's commands.

Each command parses its options, calls one service and renders; `cli.py` lists them."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from screening.cli import render
from screening.cli.run import the


def init(
    ctx: typer.Context,
    demo: bool = typer.Option(False, "--demo", help="Load the demo region, an admin and one user per organisation."),
    directory: Optional[str] = typer.Option(None, "--directory", help="Load this region's directory file (TOML)."),
    simulation: bool = typer.Option(False, "--simulation", help="Make a simulation database: its clock may be set "
                                    "(--now); every screen, message and report says it is one."),
    app_role: Optional[str] = typer.Option(None, "--app-role", metavar="ROLE", envvar="SCREENING_APP_ROLE",
                                           help="PostgreSQL: grant this login role what the program needs and no "
                                           "more (it may append to the audit trail, never change it); run init "
                                           "as the tables' owner, the program as ROLE (docs/deployment.md)."),
) -> None:
    """Create or upgrade the database to the newest schema; never loses data. Once a user exists,
    loading a directory (--directory, --demo) needs an admin (--as), and what it changed is kept in
    the audit trail (audit history)."""
    from screening.services import admin

    run = the(ctx)
    done = admin.init(run.app, run.user, directory_file=directory, demo=demo, simulation=simulation,
                      app_role=app_role)

    def said() -> None:
        run.out.line(render.said(run.lang, "db_ready", db=done["db"]))
        if "directory" in done:
            run.out.line(render.said(run.lang, "directory_loaded", **done["directory"]))

    run.out.result(done, said)


def org_list(ctx: typer.Context) -> None:
    """Organisations in the directory (no --as needed: the directory is not secret)."""
    from screening.services import users

    run = the(ctx)
    orgs = users.organisations(run.app)
    run.out.result(orgs, lambda: render.organisations(orgs, run.words()))


def user_add(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., metavar="ID"),
    role: str = typer.Option(..., "--role", help="reception, health_centre, school, preschool, school_health, bvc, coordinator or admin."),
    org: str = typer.Option(..., "--org", help="The user's organisation id."),
    name: Optional[str] = typer.Option(None, "--name", metavar="TEXT", help="The person's full name."),
    email: Optional[str] = typer.Option(None, "--email", metavar="ADDR", help="The person's e-mail address."),
    hsa_id: Optional[str] = typer.Option(None, "--hsa-id", metavar="ID", help="The person's HSA-id "
                                         "(SE2321000032-abc123); unique."),
) -> None:
    """Add a user, a person; needs an admin, except while no user exists."""
    from screening.services import users

    run = the(ctx)
    user = users.add_user(run.app, run.user, user_id, role, org, name=name, email=email, hsa_id=hsa_id)
    run.out.result(user, lambda: run.out.line(render.said(run.lang, "user_added", id=user_id, role=role, org=org)))


def user_disable(ctx: typer.Context, user_id: str = typer.Argument(..., metavar="ID")) -> None:
    """Disable a user: they can no longer act (admin). Recorded in the audit trail."""
    from screening.services import users

    run = the(ctx)
    done = users.disable_user(run.app, run.actor(), user_id)
    run.out.result(done, lambda: run.out.line(render.said(run.lang, "user_disabled", id=user_id)))


def user_list(ctx: typer.Context) -> None:
    """Users: the person, their role and organisation, whether disabled (admin)."""
    from screening.services import users

    run = the(ctx)
    found = users.list_users(run.app, run.actor())
    run.out.result(found, lambda: render.users(found, run.words()))


def scheduler_run(
    ctx: typer.Context,
    every: float = typer.Option(5.0, "--every", help="Minutes between sweeps."),
    standby_poll: float = typer.Option(5.0, "--standby-poll", help="Seconds between a standby's tries, and "
                                       "between the active one's checks that it still holds the lock."),
) -> None:
    """Sweep every few minutes and send the coordinators' digest at 07:30 on working days (admin).

    Only one scheduler is active against a database; another waits as a standby. Logs go to stderr.
    """
    import logging

    from screening.services import scheduled
    from workflows import scheduler

    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    run = the(ctx)
    scheduled.ready(run.app, run.actor())
    raise typer.Exit(scheduler.run(run.app, every_minutes=every, standby_poll=standby_poll))


def backup(ctx: typer.Context,
           out_file: str = typer.Option(..., "--out", metavar="FILE", help="The backup file to write.")) -> None:
    """A consistent copy of the whole database while it is in use (admin): SQLite's online backup,
    or pg_dump's custom format on PostgreSQL. The file holds medical content: it is made readable
    by its owner only; keep it as carefully as the database."""
    from screening.services import admin

    run = the(ctx)
    done = admin.backup(run.app, run.actor(), out_file)
    run.out.result(done, lambda: run.out.line(
        render.said(run.lang, "backed_up_counts", file=out_file, cases=done["cases"], audit=done["audit_rows"])
        if "cases" in done else render.said(run.lang, "backed_up", file=out_file)))


def restore(ctx: typer.Context,
            source: str = typer.Argument(..., metavar="FILE", help="A file made by `screening backup`.")) -> None:
    """Restore a backup into a new, empty database (--db): a SQLite file that does not exist yet, or a
    PostgreSQL database without the product's tables. All of it or nothing; a backup of an older
    version is upgraded. Needs one of the backup's admins (--as); the restore is recorded in the audit
    trail (the file's name, when, by whom, the operating-system account)."""
    from screening.services import admin

    run = the(ctx)
    done = admin.restore(run.app, run.user, source, operator=_account())
    run.out.result(done, lambda: run.out.line(render.said(
        run.lang, "restored", cases=done["cases"], audit=done["audit_rows"], db=done["restored"])))


def _account() -> str:
    """The operating-system account running the command (by its user id, not the environment's name)."""
    from screening.cli.run import os_account

    return os_account()


def rules_load(ctx: typer.Context,
               source: str = typer.Argument(..., metavar="FILE", help="The region's rule file (TOML): values over "
                                            "the agreement's table, rule by rule.")) -> None:
    """Check a rule file and store it as the next version of the deadline rule table (admin). The
    newest version is in force; a case's deadlines follow it from the case's next event, and each
    deadline names the version it was computed under."""
    from screening.services import rules

    run = the(ctx)
    done = rules.load(run.app, run.actor(), source)
    run.out.result({"version": done["version"]}, lambda: run.out.line(
        render.said(run.lang, "rules_loaded" if done["new"] else "rules_same", version=done["version"])))
