"""The `screening` command: the list of its commands, its global options, and the edge where
every failure becomes one line and an exit code.

Each command (in `screening/cli/`) parses its options, calls one service of `screening.services`
and renders what it returns. Heavy libraries are imported inside the commands that need them, so
that `--help` and the read commands start fast.
"""

from __future__ import annotations

import os
import sys
from typing import Optional

import typer

from screening.cli import accounts, admin, audit, cases, follow_up, messages, tokens
from screening.cli import identity_provider as oidc
from screening.cli.run import Run, the
from web import command as web

app = typer.Typer(
    help="Screening of newly arrived children under the region's 0–17 agreement.",
    no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None,
)
org_app = typer.Typer(help="The region's directory of organisations.", no_args_is_help=True)
user_app = typer.Typer(help="Users and their roles.", no_args_is_help=True)
case_app = typer.Typer(help="Children's cases: register, show, list, history.", no_args_is_help=True)
alerts_app = typer.Typer(help="Alerts of missed and coming deadlines: list, acknowledge.")
scheduler_app = typer.Typer(help="The long-running scheduler: sweeps and digests.", no_args_is_help=True)
outbox_app = typer.Typer(help="Messages waiting to be delivered.", no_args_is_help=True)
calendar_app = typer.Typer(help="Health centres' appointments: free times, calendars.", no_args_is_help=True)
rules_app = typer.Typer(help="The deadline rule table's versions.", no_args_is_help=True)
token_app = typer.Typer(help="Personal API tokens for the server: create, list, revoke.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit trail: its hash chain, the access log's follow-up.", no_args_is_help=True)
for group, name in ((org_app, "org"), (user_app, "user"), (case_app, "case"), (alerts_app, "alerts"),
                    (scheduler_app, "scheduler"), (outbox_app, "outbox"), (calendar_app, "calendar"),
                    (rules_app, "rules"), (audit_app, "audit"), (token_app, "token")):
    app.add_typer(group, name=name)


@app.callback()
def options(
    ctx: typer.Context,
    db: Optional[str] = typer.Option(None, "--db", metavar="URL", envvar="SCREENING_DB", help="Database URL (sqlite:///FILE or postgresql+psycopg://…)."),
    as_user: Optional[str] = typer.Option(None, "--as", metavar="USER", envvar="SCREENING_USER", help="The acting user's id."),
    now: Optional[str] = typer.Option(None, "--now", metavar="DATETIME", envvar="SCREENING_NOW", help="The clock (ISO 8601; local time if no offset)."),
    json_output: bool = typer.Option(False, "--json", help="Print exactly one JSON document."),
) -> None:
    from screening import clock
    from screening.bootstrap import bootstrap
    from screening.cli.run import os_account

    run = the(ctx)
    # every audit row of the command names the operating-system account it ran under
    run.app = bootstrap(db, clock.parse_datetime(now, "--now") if now else None, door="cli:" + os_account())
    run.user = as_user
    run.out.banner = run.simulation_banner
    if os.environ.get("SCREENING_RULES"):  # no setting changes the rules: say so, never follow it
        from screening.cli.output import warn
        from screening.cli.render import said

        warn(said(run.lang, "rules_setting"), run.lang)


# --- the commands: each parses, calls one service, renders (screening/cli/) ----------------

# the database, its directory and users, the scheduler, backups
app.command()(admin.init)
org_app.command("list")(admin.org_list)
user_app.command("add")(admin.user_add)
user_app.command("list")(admin.user_list)
user_app.command("disable")(admin.user_disable)
user_app.command("password")(accounts.user_password)
user_app.command("totp")(accounts.user_totp)
user_app.command("reset-factor")(accounts.user_reset_factor)
user_app.command("locked")(accounts.user_locked)
user_app.command("link")(oidc.user_link)
user_app.command("unlink")(oidc.user_unlink)
user_app.command("links")(oidc.user_links)
scheduler_app.command("run")(admin.scheduler_run)
app.command()(admin.backup)
app.command()(admin.restore)

# children's cases
case_app.command("register")(cases.case_register)
case_app.command("show")(cases.case_show)
case_app.command("list")(cases.case_list)
case_app.command("event")(cases.case_event)
case_app.command("book")(cases.case_book)
case_app.command("history")(cases.case_history)
case_app.command("letter")(cases.case_letter)

# deadlines, alerts and the follow-up
app.command()(follow_up.sweep)
alerts_app.callback(invoke_without_command=True)(follow_up.alerts_list)
alerts_app.command("ack")(follow_up.alerts_ack)
app.command()(follow_up.report)
app.command()(follow_up.overview)

# appointments and messages
calendar_app.command("free")(messages.calendar_free)
calendar_app.command("export")(messages.calendar_export)
outbox_app.command("send")(messages.outbox_send)
outbox_app.command("list")(messages.outbox_list)
outbox_app.command("retry")(messages.outbox_retry)
outbox_app.command("prune")(messages.outbox_prune)

# the deadline rules' versions
rules_app.command("load")(admin.rules_load)

# the audit trail and its follow-up
audit_app.command("verify")(audit.audit_verify)
audit_app.command("sample")(audit.audit_sample)
audit_app.command("review")(audit.audit_review)
audit_app.command("history")(audit.audit_history)

# the server and its API tokens
app.command()(web.serve)
token_app.command("create")(tokens.token_create)
token_app.command("list")(tokens.token_list)
token_app.command("revoke")(tokens.token_revoke)


# --- the edge ----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the command; turn every failure into one line and an exit code."""
    from typer._click import exceptions as click

    from screening.cli.output import Output, narrow_stdout
    from screening.errors import ScreeningError
    from screening.files import private_umask
    from screening.sayings import say

    private_umask(os.environ.get("SCREENING_FILE_GROUP", "") in ("1", "yes", "ja"))  # the database, its copies,
    # messages and reports: the owner's only, unless the operator grants the owner's group
    if narrow_stdout() and hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")  # a name the locale cannot show becomes '?', not a crash
    args = list(sys.argv[1:] if argv is None else argv)
    lang = language()
    out = Output(as_json="--json" in args, lang=lang)  # known before parsing, so a usage error answers in JSON
    if out.as_json:  # --json is global, but staff type it last too: `case list --json`
        args = ["--json"] + [arg for arg in args if arg != "--json"]
    if any("\ud800" <= ch <= "\udfff" for arg in args for ch in arg):  # bytes that were not UTF-8
        return out.fail("bad_input", say("an argument is not valid UTF-8 (check the terminal's encoding)", {}, lang), 2)
    from screening.storage import db

    commits_before = db.commits
    try:
        code = app(args=args, prog_name="screening", standalone_mode=False, obj=Run(out))
        return code if isinstance(code, int) else 0
    except ScreeningError as error:
        return out.fail(error.code, error, error.exit_code)
    except typer.Exit as done:
        return done.exit_code
    except click.NoArgsIsHelpError as help_wanted:
        sys.stdout.write(help_wanted.format_message() + "\n")
        return 0
    except click.ClickException as error:
        return out.fail("usage", error.format_message().replace("\n", " "), 2)
    except typer.Abort:
        return out.fail("aborted", say("aborted", {}, lang), 1)
    except Exception as error:  # the database, the file system: one line, no locals
        from screening.sayings import describe_unexpected

        if os.environ.get("SCREENING_DEBUG"):
            raise
        code, message, exit_code = describe_unexpected(error, committed=db.commits > commits_before, lang=lang)
        return out.fail(code, message, exit_code)


def language() -> str:
    """The language errors are said in: SCREENING_LANGUAGE, sv (the default) or en. A value that is
    neither is the command's own error where it matters (messages); the error path says it in sv."""
    chosen = os.environ.get("SCREENING_LANGUAGE")
    return chosen if chosen in ("sv", "en") else "sv"


if __name__ == "__main__":
    sys.exit(main())
