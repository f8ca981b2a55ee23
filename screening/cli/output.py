"""What the command line writes: one JSON document or a rendering for people, and errors as one line."""

from __future__ import annotations

import sys


class Output:
    """Standard output for one command: JSON (`--json`) or people's text."""

    def __init__(self, as_json: bool = False, lang: str = "sv"):
        self.as_json = as_json
        self.lang = lang  # the language of the person reading its errors (SCREENING_LANGUAGE): sv or en
        self.streaming = False  # an array begun on stdout and not ended: no error document may follow it
        self.banner = None  # what a screen of a simulation says first (a function giving the line, or None)

    def result(self, data, human) -> None:
        """`data` as JSON, or `human()` renders it for people."""
        if self.as_json:
            self.json(data)
        elif self.banner is None:
            human()
        else:  # drawn first, shown under the banner: a screen that fails to draw shows nothing at all
            from screening.cli.render import console

            with console().capture() as drawn:
                human()
            self.banner_once()
            console().file.write(drawn.get())

    def banner_once(self) -> None:
        """A simulation's screen says it is one, first and once."""
        banner, self.banner = self.banner, None
        if banner is not None and (text := banner()):
            self.line(text)

    def json(self, data) -> None:
        import json

        sys.stdout.write(json.dumps(data, ensure_ascii=narrow_stdout(), default=str) + "\n")

    def json_list(self, items) -> None:
        """A JSON array written item by item: the same text as `json` of the list. The first item
        is made before anything is written, so a refusal or bad input (found before the first case)
        still leaves stdout to the error document. A failure later (the database gone mid-list)
        leaves the array unended, the error on stderr and a non-zero exit."""
        import json

        ascii_only = narrow_stdout()
        items = iter(items)
        first = next(items, None)
        if first is None:
            sys.stdout.write("[]\n")
            return
        self.streaming = True
        sys.stdout.write("[" + json.dumps(first, ensure_ascii=ascii_only, default=str))
        for item in items:
            sys.stdout.write(", " + json.dumps(item, ensure_ascii=ascii_only, default=str))
        sys.stdout.write("]\n")
        self.streaming = False

    def line(self, text: str) -> None:
        from screening.cli.render import console

        self.banner_once()

        console().print(text)

    def bytes(self, body: bytes) -> None:
        """A file's bytes on standard output as they are (an .ics, a CSV)."""
        sys.stdout.flush()
        sys.stdout.buffer.write(body)

    def fail(self, code: str, message, exit_code: int) -> int:
        """One line on stderr (and with `--json` the error document on stdout); the exit code.
        `message`: a text already in the reader's language, or a `ScreeningError`, said here in `lang`."""
        from screening.cli.render import console
        from screening.errors import ScreeningError, one_line

        console.cache_clear()  # a write that failed leaves rich's buffer full: the next command starts afresh
        if isinstance(message, ScreeningError):
            from screening.sayings import said

            message = said(message, self.lang)
        message = one_line(message)  # usage errors quote what was typed: a newline or an undecodable byte in it
        if self.as_json and not self.streaming:
            import json

            error = {"error": {"code": code, "message": message}}
            sys.stdout.write(json.dumps(error, ensure_ascii=narrow_stdout()) + "\n")
        sys.stderr.write(f"screening: {message}\n")
        return exit_code


WARNING = {"sv": "varning", "en": "warning"}


def warn(text: str, lang: str = "sv") -> None:
    sys.stderr.write(f"screening: {WARNING.get(lang, WARNING['sv'])}: {text}\n")


def narrow_stdout() -> bool:
    """Standard output in a Latin-1 or ASCII locale: not every character can be written to it."""
    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower().replace("_", "-")
    return not encoding.startswith("utf")


def write_file(path: str, body: bytes) -> None:
    """The whole file or none of it, the owner's only, never through a link (`screening.files`)."""
    from screening.files import write_whole

    write_whole(path, body, "--out")
