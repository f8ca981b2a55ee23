"""The product's own exceptions. Domain code raises these; only the edges turn them into exit codes and
say them to people (`screening.sayings`). Nothing here imports the product."""

import string


class ScreeningError(Exception):
    """Base of every error the product reports to a user.

    Raised with the message as a template in English and the facts it names apart:
    `Refused("case {case} has no health centre to book at", case=case_id)`. The edges say it in the
    person's language (`screening.sayings.said`, from the catalogue `screening/data/messages.sv.toml`), the facts in
    their words (`screening.words`); `message` is the English text, for logs and tests."""

    exit_code = 1
    code = "error"

    def __init__(self, message: str, /, **facts):  # positional: a fact may be named `message`
        self.template = message
        self.facts = facts
        message = one_line(plain(message, facts))  # what was typed stays visible
        super().__init__(message)
        self.message = message


JOINERS = {"sv": {"and": " och ", "or": " eller "}, "en": {"and": " and ", "or": " or "}}


class Filler(string.Formatter):
    """A template filled with its facts: a list joined by ", " (or the language's "and"/"or" where the
    template writes `{name:and}`/`{name:or}`), anything else formatted as the template says."""

    def __init__(self, lang: str):
        self.lang = lang

    def format_field(self, value, format_spec: str):
        if isinstance(value, (list, tuple)):
            joiner = JOINERS[self.lang].get(format_spec, ", ")
            return joiner.join(format(item, "") for item in value)
        return format(value, format_spec)


def plain(template: str, facts: dict) -> str:
    """The English template filled with the facts as they were given (ids, typed values, format specs
    honoured): an error's `message`, for logs and tests."""
    return Filler("en").vformat(template, (), facts) if facts else template


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


class NotSignedIn(ScreeningError):
    """No person behind the request: no token or session, or one unknown, expired or revoked (HTTP 401)."""

    exit_code = 1
    code = "unauthenticated"


DISK_FULL = ("database error: the database or its disk is full; the change under way was not saved. "
             "Free some space, then run the command again.")
