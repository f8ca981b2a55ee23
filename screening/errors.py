"""The product's own exceptions. Domain code raises these; only the CLI turns them into exit codes."""


class ScreeningError(Exception):
    """Base of every error the product reports to a user."""

    exit_code = 1
    code = "error"

    def __init__(self, message: str):
        message = one_line(message)  # messages quote what was typed: a newline or an escape in it stays visible
        super().__init__(message)
        self.message = message


def one_line(text: str) -> str:
    """The text as one line that shows what it holds: line breaks, control and format characters, and
    undecodable bytes (lone surrogates from a command line that is not UTF-8) as Python escapes."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


class Refused(ScreeningError):
    """Refused by the rules: state, guard, role, scope of action, consent (exit 1)."""

    exit_code = 1
    code = "refused"


class StaleWrite(Refused):
    """The case was changed by someone else since it was read (optimistic locking)."""

    code = "conflict"


class BadInput(ScreeningError):
    """Malformed input: a date, an identifier, an option (exit 2)."""

    exit_code = 2
    code = "bad_input"


class NotFound(BadInput):
    """Unknown case, organisation or user; also a case outside the user's scope."""

    code = "not_found"


DISK_FULL = ("database error: the database or its disk is full; the change under way was not saved. "
             "Free some space, then run the command again.")


def describe_unexpected(error: Exception, committed: bool = False) -> tuple[str, str, int]:
    """(code, one-line message, exit code) for a failure that is not ours: never a traceback.
    `committed`: the command had already saved something when it failed."""
    kind = type(error).__name__
    module = type(error).__module__
    first_line = (str(error).strip().splitlines() or [""])[0][:200]
    if _disk_full(getattr(error, "orig", None) or error):  # SQLAlchemy (the migrations) wraps the driver's error
        return "database", DISK_FULL, 2
    if module.startswith(("sqlalchemy", "psycopg", "sqlite3")) or kind in ("OperationalError", "DatabaseError"):
        return "database", f"database error: {one_line(first_line)}", 2
    if isinstance(error, OSError):
        return "os", one_line(f"{error.strerror or kind}: {error.filename or first_line}"), 2
    if isinstance(error, UnicodeEncodeError) and _surrogate(error):
        # bytes that are not UTF-8 (a command line, a variable or a file name in another encoding)
        return "bad_input", "text that is not valid UTF-8 was given (check the terminal's encoding)", 2
    if committed:
        return "internal", (f"internal error ({kind}) after the command had saved its change; check the case "
                            "(case show, case history) before doing it again. Please report it."), 3
    return "internal", f"internal error ({kind}); nothing was changed. Please report it.", 3


def _surrogate(error: UnicodeEncodeError) -> bool:
    """What could not be encoded is a lone surrogate: a byte that was not UTF-8 where the text came from."""
    failed = error.object[error.start:error.end]
    return isinstance(failed, str) and all("\ud800" <= ch <= "\udfff" for ch in failed)


def _disk_full(error: BaseException) -> bool:
    """SQLite's SQLITE_FULL (a full disk, or the database at its max_page_count); PostgreSQL's disk_full (53100)."""
    return getattr(error, "sqlite_errorcode", None) == 13 or getattr(error, "sqlstate", None) == "53100"
