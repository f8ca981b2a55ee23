"""The product's own exceptions. Domain code raises these; only the CLI turns them into exit codes."""


class ScreeningError(Exception):
    """Base of every error the product reports to a user."""

    exit_code = 1
    code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


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


def describe_unexpected(error: Exception) -> tuple[str, str, int]:
    """(code, one-line message, exit code) for a failure that is not ours: never a traceback."""
    kind = type(error).__name__
    module = type(error).__module__
    first_line = (str(error).strip().splitlines() or [""])[0][:200]
    if module.startswith(("sqlalchemy", "psycopg", "sqlite3")) or kind in ("OperationalError", "DatabaseError"):
        return "database", f"database error: {first_line}", 2
    if isinstance(error, OSError):
        return "os", f"{error.strerror or kind}: {error.filename or first_line}", 2
    return "internal", f"internal error ({kind}); nothing was changed. Please report it.", 3
