"""The deployment's settings, read once at start and handed down (the bootstrap's half that reads).

An edge (the command line, the server) makes one `Settings` from the environment when it starts;
nothing below the edges reads the environment. Each value is parsed the first time it is asked for,
so a command pays only for the settings it uses, and a setting in error stops only the commands
that need it (`scheduler run` asks for all of its settings at once, so that it stops at start).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from screening.errors import BadInput

LANGUAGES = ("sv", "en")
DEFAULT_MIN_GROUP = 5
DIGEST_AT = time(7, 30)
KEEP_SENT = timedelta(days=90)
BOOKING_LEAD = timedelta(hours=2)
AUDIT_KEY_LENGTH = 32
SECRETS_KEY_LENGTH = 32


class Settings:
    """The settings of one process, from a snapshot of its environment."""

    def __init__(self, env: Mapping[str, str] | None = None):
        self.env = MappingProxyType(dict(env or {}))

    def get(self, name: str) -> str | None:
        """A variable's value; an empty one counts as unset, as shells make it easy to leave one so."""
        value = self.env.get(name)
        return value if value else None

    # --- the agreement's tables ---------------------------------------------------------

    @cached_property
    def calendar(self):
        """The Swedish working-day calendar."""
        from screening.workdays import default_calendar

        return default_calendar()

    @cached_property
    def routes(self) -> dict:
        """Which event tells which party: the bundled table, or SCREENING_ROUTES's file. (The deadline
        rules are the database's: `rules load`; no setting changes them.)"""
        from notifications.routes import load_routes

        return load_routes(self.get("SCREENING_ROUTES"))

    # --- people's language and messages ---------------------------------------------------

    @cached_property
    def language(self) -> str:
        """The language of messages (SCREENING_LANGUAGE): sv (default) or en."""
        chosen = self.env.get("SCREENING_LANGUAGE", "sv")
        if chosen not in LANGUAGES:
            raise BadInput("SCREENING_LANGUAGE must be one of {values}, not '{value}'", values=LANGUAGES, value=chosen)
        return chosen

    @cached_property
    def templates(self):
        """The message templates: a region's folder (SCREENING_TEMPLATES) over the bundled ones."""
        from notifications.templates import Templates

        folder = self.get("SCREENING_TEMPLATES")
        return Templates(self.language, Path(folder) if folder else None)

    @cached_property
    def booking_lead(self) -> timedelta:
        """How soon the earliest free time a booking takes may be: SCREENING_BOOKING_LEAD_HOURS
        (default 2), so that nobody is booked for the minute they are booked in."""
        text = (self.env.get("SCREENING_BOOKING_LEAD_HOURS") or "").strip()
        if not text:
            return BOOKING_LEAD
        if not text.isdigit() or int(text) > 24 * 14:
            raise BadInput("SCREENING_BOOKING_LEAD_HOURS must be a whole number of hours (0 to 336), not '{value}'",
                           value=text)
        return timedelta(hours=int(text))

    @cached_property
    def case_link(self) -> str | None:
        """Where a message points for the case: SCREENING_BASE_URL (the server's address, https://…)
        + /cases/{case}; None without one (the message names the case id only)."""
        base = self.get("SCREENING_BASE_URL")
        if base is None:
            return None
        if not base.startswith(("https://", "http://")) or any(ch.isspace() for ch in base):
            raise BadInput("SCREENING_BASE_URL must be the server's address (https://…), not '{value}'", value=base)
        return base.rstrip("/") + "/cases/{case}"

    def channel(self, folder: str | None = None):
        """Where the outbox delivers: a folder of .eml files (`folder` or SCREENING_OUTBOX_DIR), SMTP
        where configured, else the console. SMTP configured wrongly is an error, never a fallback."""
        from notifications.config import load_channel

        return load_channel(folder or self.get("SCREENING_OUTBOX_DIR"), self.env)

    def caldav(self) -> dict:
        """Each health centre's CalDAV calendar, from SCREENING_NOTIFY_CONFIG."""
        from notifications.config import caldav_settings

        return caldav_settings(self.env)

    # --- the follow-up and the scheduler ---------------------------------------------------

    @cached_property
    def min_group(self) -> int:
        """The smallest group the report shows with figures (SCREENING_MIN_GROUP, default 5)."""
        text = self.env.get("SCREENING_MIN_GROUP", str(DEFAULT_MIN_GROUP))
        if not text.strip().isdigit() or int(text) < 1:
            raise BadInput("SCREENING_MIN_GROUP must be a whole number of children, 1 or more, not '{value}'",
                           value=text)
        return int(text)

    @cached_property
    def digest_at(self) -> time | None:
        """When the coordinators' digest goes out on working days: SCREENING_DIGEST_AT (HH:MM, local
        time; default 07:30), or None (`off`) for a scheduler that sends none."""
        text = (self.env.get("SCREENING_DIGEST_AT") or "").strip()
        if not text:
            return DIGEST_AT
        if text == "off":
            return None
        try:
            return time.fromisoformat(text)
        except ValueError:
            raise BadInput("SCREENING_DIGEST_AT must be HH:MM or off, not '{value}'", value=text) from None

    @cached_property
    def keep_sent(self) -> timedelta | None:
        """How long sent messages are kept: SCREENING_OUTBOX_KEEP_DAYS (whole days, at least 2;
        default 90), or None (`off`) to keep them all. Queued and dead ones are always kept."""
        text = (self.env.get("SCREENING_OUTBOX_KEEP_DAYS") or "").strip()
        if not text:
            return KEEP_SENT
        if text == "off":
            return None
        if not text.isdigit() or not 2 <= int(text) <= 36_500:
            raise BadInput("SCREENING_OUTBOX_KEEP_DAYS must be a number of days from 2 to 36500, or off, "
                           "not '{value}'", value=text)
        return timedelta(days=int(text))

    def check_scheduler(self) -> None:
        """Everything the scheduler will need, parsed now: a setting in error stops it at start."""
        self.routes, self.calendar, self.digest_at, self.keep_sent, self.templates, self.audit_key  # noqa: B018 - parsed for their errors
        self.channel()

    # --- the audit trail --------------------------------------------------------------------

    @cached_property
    def audit_key(self) -> bytes | None:
        """The secret the audit trail's hash chain is keyed with (HMAC-SHA256): SCREENING_AUDIT_KEY, or
        the file SCREENING_AUDIT_KEY_FILE names (not readable by every account); at least 32 characters.
        None without one: the chain is plain SHA-256, which finds a row changed or taken out, but not
        a forger who computes the chain again. Keep it out of the database and its backups."""
        text, path = self.get("SCREENING_AUDIT_KEY"), self.get("SCREENING_AUDIT_KEY_FILE")
        if text and path:
            raise BadInput("set SCREENING_AUDIT_KEY or SCREENING_AUDIT_KEY_FILE, not both")
        if path:
            text = _key_file(Path(path), "SCREENING_AUDIT_KEY_FILE")
        if text is None:
            return None
        text = text.strip()
        if len(text) < AUDIT_KEY_LENGTH:
            raise BadInput("the audit key (SCREENING_AUDIT_KEY or its file) must be at least {length} characters",
                           length=AUDIT_KEY_LENGTH)
        return text.encode("utf-8")

    # --- sign-in and sessions -----------------------------------------------------------------

    @cached_property
    def secrets_key(self) -> bytes | None:
        """The key local accounts' TOTP secrets are encrypted with (AES-256-GCM, the key derived by
        HKDF-SHA256): SCREENING_SECRETS_KEY, or the file SCREENING_SECRETS_KEY_FILE names (not readable
        by every account); at least 32 characters. None without one: a simulation database uses a
        known demo key, a database for real use refuses to enrol a second factor. Keep it out of the
        database and its backups; changing it makes every enrolled factor unusable (an admin resets them)."""
        text, path = self.get("SCREENING_SECRETS_KEY"), self.get("SCREENING_SECRETS_KEY_FILE")
        if text and path:
            raise BadInput("set SCREENING_SECRETS_KEY or SCREENING_SECRETS_KEY_FILE, not both")
        if path:
            text = _key_file(Path(path), "SCREENING_SECRETS_KEY_FILE")
        if text is None:
            return None
        text = text.strip()
        if len(text) < SECRETS_KEY_LENGTH:
            raise BadInput("the secrets key (SCREENING_SECRETS_KEY or its file) must be at least {length} characters",
                           length=SECRETS_KEY_LENGTH)
        return text.encode("utf-8")

    @cached_property
    def session_idle(self) -> timedelta:
        """A session ends after this long unused: SCREENING_SESSION_IDLE_MINUTES (default 30)."""
        return timedelta(minutes=_whole(self.get("SCREENING_SESSION_IDLE_MINUTES"), "SCREENING_SESSION_IDLE_MINUTES",
                                        30, 1, 24 * 60))

    @cached_property
    def session_lifetime(self) -> timedelta:
        """A session ends this long after sign-in, used or not: SCREENING_SESSION_HOURS (default 12)."""
        return timedelta(hours=_whole(self.get("SCREENING_SESSION_HOURS"), "SCREENING_SESSION_HOURS", 12, 1, 24 * 7))

    @cached_property
    def signin_attempts(self) -> int:
        """Failed sign-ins in a row that lock a local account: SCREENING_SIGNIN_ATTEMPTS (default 5)."""
        return _whole(self.get("SCREENING_SIGNIN_ATTEMPTS"), "SCREENING_SIGNIN_ATTEMPTS", 5, 1, 100)

    @cached_property
    def signin_lock(self) -> timedelta:
        """How long such a lock lasts: SCREENING_SIGNIN_LOCK_MINUTES (default 15)."""
        return timedelta(minutes=_whole(self.get("SCREENING_SIGNIN_LOCK_MINUTES"), "SCREENING_SIGNIN_LOCK_MINUTES",
                                        15, 1, 24 * 60))

    @cached_property
    def oidc(self) -> IdentityProvider | None:
        """Sign-in through the region's identity provider (OpenID Connect), or None where the region
        has none (SCREENING_OIDC_DISCOVERY unset): the provider's discovery URL, this server's client id
        and secret (SCREENING_OIDC_CLIENT_SECRET, or the file SCREENING_OIDC_CLIENT_SECRET_FILE names),
        the `acr` values (SCREENING_OIDC_TWO_FACTOR_ACR) and/or `amr` methods (SCREENING_OIDC_TWO_FACTOR_AMR)
        that show two factors, comma-separated; SCREENING_OIDC_CLAIM, a claim matched against the users'
        HSA-id (else a person is found by the issuer and subject an admin linked); SCREENING_OIDC_SCOPE
        (default `openid`). The callback is SCREENING_BASE_URL + /signin/oidc/callback."""
        discovery = self.get("SCREENING_OIDC_DISCOVERY")
        if discovery is None:
            return None
        if not discovery.startswith(("https://", "http://")) or any(ch.isspace() for ch in discovery):
            raise BadInput("SCREENING_OIDC_DISCOVERY must be the provider's address (https://…), not '{value}'",
                           value=discovery)
        client_id = self.get("SCREENING_OIDC_CLIENT_ID")
        secret, path = self.get("SCREENING_OIDC_CLIENT_SECRET"), self.get("SCREENING_OIDC_CLIENT_SECRET_FILE")
        if secret and path:
            raise BadInput("set SCREENING_OIDC_CLIENT_SECRET or SCREENING_OIDC_CLIENT_SECRET_FILE, not both")
        secret = (_secret_file(Path(path)) if path else secret or "").strip()
        acr, amr = _listed(self.get("SCREENING_OIDC_TWO_FACTOR_ACR")), _listed(self.get("SCREENING_OIDC_TWO_FACTOR_AMR"))
        if not client_id or not secret:
            raise BadInput("sign-in through the identity provider needs SCREENING_OIDC_CLIENT_ID and "
                           "SCREENING_OIDC_CLIENT_SECRET (or SCREENING_OIDC_CLIENT_SECRET_FILE)")
        if not acr and not amr:
            raise BadInput("sign-in through the identity provider needs SCREENING_OIDC_TWO_FACTOR_ACR or "
                           "SCREENING_OIDC_TWO_FACTOR_AMR: what shows that the person used two factors")
        if self.case_link is None:
            raise BadInput("sign-in through the identity provider needs SCREENING_BASE_URL, the server's address")
        base = self.case_link.removesuffix("/cases/{case}")
        return IdentityProvider(discovery, client_id.strip(), secret, base + "/signin/oidc/callback", acr, amr,
                                (self.get("SCREENING_OIDC_CLAIM") or "").strip() or None,
                                (self.get("SCREENING_OIDC_SCOPE") or "openid").strip())

    # --- where the database is --------------------------------------------------------------

    def default_url(self) -> str:
        """The default database: a SQLite file under $XDG_DATA_HOME (or ~/.local/share)."""
        base = self.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
        return f"sqlite:///{Path(base) / 'screening' / 'screening.db'}"


def _key_file(path: Path, name: str) -> str:
    """A key's file (the setting `name` gives it): refused if every account may read it, or it cannot be read."""
    try:
        if path.stat().st_mode & 0o007:
            raise BadInput("{name}: {path} may be read by every account (chmod o-rwx it)", name=name, path=str(path))
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise BadInput("{name}: cannot read {path}", name=name, path=str(path)) from None


def _whole(text: str | None, name: str, default: int, low: int, high: int) -> int:
    """A setting that is a whole number from `low` to `high`; unset: the default."""
    text = (text or "").strip()
    if not text:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        raise BadInput("{name} must be a whole number from {low} to {high}, not '{value}'", name=name, low=low,
                       high=high, value=text)
    return int(text)


@dataclass(frozen=True)
class IdentityProvider:
    """The identity provider's settings (`Settings.oidc`)."""

    discovery: str
    client_id: str
    client_secret: str = field(repr=False)
    redirect_uri: str
    two_factor_acr: frozenset[str]
    two_factor_amr: frozenset[str]
    claim: str | None  # matched against the users' HSA-id; None: issuer + subject linked by an admin
    scope: str


def _listed(text: str | None) -> frozenset[str]:
    return frozenset(part.strip() for part in (text or "").split(",") if part.strip())


def _secret_file(path: Path) -> str:
    """The client secret's file: refused if every account may read it, or it cannot be read."""
    try:
        if path.stat().st_mode & 0o007:
            raise BadInput("SCREENING_OIDC_CLIENT_SECRET_FILE: {path} may be read by every account (chmod o-rwx it)",
                           path=str(path))
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise BadInput("SCREENING_OIDC_CLIENT_SECRET_FILE: cannot read {path}", path=str(path)) from None
