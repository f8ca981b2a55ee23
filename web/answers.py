"""How the server answers a refusal: the services' errors as HTTP statuses, the error document
`{"error": {"code", "message"}}`, and the caller's language (shared by the API, the pages and the
sign-in through the identity provider)."""

from __future__ import annotations

from fastapi import Request

from screening.errors import NotSignedIn, ScreeningError
from web.documents import Document
from web.people import TooMany


def status_of(error: ScreeningError) -> int:
    """The command's exit code as an HTTP status: 1 refused (403), 2 bad input (422); a case changed
    meanwhile 409; an unknown case, or one out of scope (alike), 404; no person 401."""
    if isinstance(error, NotSignedIn):
        return 401
    if isinstance(error, TooMany):
        return 429
    if error.code == "conflict":
        return 409
    if error.code == "not_found":
        return 404
    return 422 if error.exit_code == 2 else 403


def failure(request: Request, status: int, code: str, message: str) -> Document:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else {"Retry-After": "600"} if status == 429 else None
    return Document({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def language(request: Request) -> str:
    """The caller's language: the first of sv and en that `Accept-Language` asks for, else the server's
    setting (SCREENING_LANGUAGE: sv, or en)."""
    asked = []
    for position, part in enumerate(request.headers.get("accept-language", "").split(",")[:20]):
        tag, _, weight = part.strip().partition(";q=")
        try:
            quality = float(weight) if weight else 1.0
        except ValueError:
            continue
        asked.append((-quality, position, tag.split("-")[0].strip().lower()))
    chosen = next((tag for quality, _, tag in sorted(asked) if tag in ("sv", "en") and quality < 0), None)
    return chosen or request.app.state.screening.settings.language
