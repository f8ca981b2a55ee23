"""What every page shares: the Jinja2 templates (`web/templates/`, extending `base.html`), the words in
the person's language (`web/templates/words.toml`), the form a POST sends, the signed-in person of a
page (303 to /signin without one; a session not yet set up sent to the step it misses), and the one
style sheet (`web/static/`). `web/app.py` adds the pages to the server (`install_pages`).

The pages are server-rendered HTML without script; a form that changes something carries the
session's CSRF token in its `csrf` field, checked by `web.people`.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from screening.errors import BadInput, NotSignedIn
from screening.sayings import ROLE_PARTY
from screening.services.sessions import Current
from screening.words import Words
from web import people

HERE = Path(__file__).parent
TEMPLATES, STATIC = HERE / "templates", HERE / "static"
WORDS = TEMPLATES / "words"  # each page module's own words (`words/<module>.toml`); the shared ones in words.toml

# Each role's pages in the header's navigation, its first the role's start page (`/` leads there):
# (address, the words' key). An address no route serves yet is left out.
NAV = {
    "health_centre": (("/worklist", "nav_worklist"), ("/cases", "nav_cases")),
    "reception": (("/children", "nav_children"), ("/register", "nav_register")),
    "school": (("/children", "nav_children"),),
    "preschool": (("/children", "nav_children"),),
    "school_health": (("/children", "nav_children"),),
    "bvc": (("/children", "nav_children"),),
    "coordinator": (("/region", "nav_region"), ("/alerts", "nav_alerts"), ("/cases", "nav_cases"),
                    ("/report", "nav_report"), ("/audit", "nav_audit"), ("/users", "nav_users"),
                    ("/directory", "nav_directory")),
    "admin": (("/region", "nav_region"), ("/alerts", "nav_alerts"), ("/report", "nav_report"),
              ("/audit", "nav_audit"), ("/users", "nav_users"), ("/directory", "nav_directory")),
}
EVERYONE = (("/profile", "nav_profile"),)
FORM_LIMIT = 64 * 1024  # bytes of a form: a password has at most 1024 characters
FORM_FIELDS = 64  # the alerts page's 50 ticks, with room


class Page(Exception):
    """A response a page gives instead of its own (a redirect, a refusal), raised from deep in a route."""

    def __init__(self, response: Response):
        super().__init__(response.status_code)
        self.response = response


async def shown(request: Request, page: Page) -> Response:
    return page.response


@cache
def environment():
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False)


@cache
def words() -> dict:
    """The pages' words by language: words.toml and every words/*.toml, a key defined once."""
    merged = tomllib.loads((TEMPLATES / "words.toml").read_text(encoding="utf-8"))
    for path in sorted(WORDS.glob("*.toml")):
        for language, table in tomllib.loads(path.read_text(encoding="utf-8")).items():
            twice = set(table) & set(merged.setdefault(language, {}))
            if twice:
                raise RuntimeError(f"{path.name} defines words defined elsewhere: {sorted(twice)}")
            merged[language].update(table)
    return merged


def lang(request: Request, current: Current | None = None) -> str:
    """The page's language: the one the person chose on their profile, else the browser's (sv or en),
    else the server's setting."""
    from web.answers import language

    return current.language if current is not None and current.language else language(request)


def served(request: Request) -> frozenset[str]:
    """The addresses the server's pages serve (for the navigation)."""
    return request.app.state.pages


def navigation(request: Request, current: Current | None) -> list[tuple[str, str]]:
    """The person's pages that exist: (address, the words' key)."""
    if current is None or current.setup is not None:
        return []
    there = served(request)
    return [(path, key) for path, key in NAV.get(current.actor.role, ()) + EVERYONE if path in there]


def start_of(request: Request, current: Current) -> str | None:
    """The person's start page (the first of their navigation), or None while their role has none."""
    there = served(request)
    return next((path for path, _ in NAV.get(current.actor.role, ()) if path in there), None)


def render(request: Request, template: str, title: str, current: Current | None = None, status: int = 200,
           **context) -> HTMLResponse:
    """A page in the person's language: `title` a key of the words, `current` the signed-in person
    (the header names them and offers the sign-out)."""
    language = lang(request, current)
    said = words()[language]
    role = Words(language).party(ROLE_PARTY.get(current.actor.role, current.actor.role)) if current else None
    html = environment().get_template(template).render(
        lang=language, w=said, title=said[title], current=current, role=role, csrf=people.csrf_of(request),
        nav=navigation(request, current), here=request.url.path,
        simulation=request.app.state.screening.simulation,
        demo="/demo" in served(request),  # the demo's sign-in shortcut (web/demo_signin.py), a simulation only
        oidc=request.app.state.screening.settings.oidc is not None, **{"errors": {}, **context})
    return HTMLResponse(html, status_code=status)


def message(request: Request, status: int, text: str, current: Current | None = None, back: str | None = None,
            title: str = "refused_title") -> HTMLResponse:
    return render(request, "message.html", title, current, status, message=text, back=back)


def redirect(to: str) -> Page:
    return Page(RedirectResponse(to, status_code=303))


def visitor(request: Request, csrf: str | None = None, *, setup_page: bool = False) -> Current:
    """The page's signed-in person, the form's CSRF token checked on a POST (`web.people`): not signed in,
    303 to /signin; a wrong or missing token, a 403 page; a session not yet set up, 303 to its step
    unless this is a page of the set-up (`setup_page`)."""
    try:
        current = people.signed_in(request, csrf=csrf, setup=True)
    except NotSignedIn:
        raise redirect("/signin") from None
    except people.BadCsrf:
        raise Page(message(request, 403, words()[lang(request)]["csrf"])) from None
    if current.setup is not None and not setup_page:
        raise redirect("/" + current.setup)
    return current


async def form(request: Request) -> dict[str, str]:
    """The fields of a form POSTed as application/x-www-form-urlencoded (the pages' only kind), each
    once; more than FORM_LIMIT bytes or FORM_FIELDS fields is refused."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > FORM_LIMIT:
            raise BadInput("the form is too large")
    if not body:
        return {}
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise BadInput("a form is sent as application/x-www-form-urlencoded")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False,
                          max_num_fields=FORM_FIELDS, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise BadInput("the form is not valid") from None
    return {name: value for name, value in reversed(pairs)}  # a field given twice: its first value


def qr_svg(text: str, title: str) -> Markup:
    """`text` as a QR code, an inline <svg> made here (no script, no style: the CSP allows it)."""
    import segno

    code = segno.make(text, error="m")
    return Markup(code.svg_inline(scale=5, border=4, dark="#000000", light="#ffffff", title=title,
                                  svgclass="qr-code", lineclass=None, omitsize=False))
