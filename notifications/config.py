"""Which channel delivers the outbox, from the settings (the process's environment, read once at
start and passed in as `env`) and an optional TOML file.

Order: a folder of .eml files where one is named, SMTP where it is configured
(SCREENING_NOTIFY_CONFIG's [smtp] section and/or SCREENING_SMTP_* variables), else the console.

The SMTP password is read from SCREENING_SMTP_PASSWORD only: secrets are never kept in the project's files
or its database, so a password in the TOML file is refused rather than ignored.

The same file names each health centre's CalDAV calendar, `[caldav."hc-lugnvik"]` with `url` and an optional
`username`; its password comes from SCREENING_CALDAV_PASSWORD_HC_LUGNVIK (the centre's id in capitals, anything
not a letter or digit as _), for the same reason. A centre without a section is not published.
"""

from __future__ import annotations

import re
import tomllib
from email.utils import parseaddr
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

from screening.errors import BadInput

CONFIG_ENV = "SCREENING_NOTIFY_CONFIG"
PASSWORD_ENV = "SCREENING_SMTP_PASSWORD"
# The variables that override a key of the [smtp] section.
ENV = {"host": "SCREENING_SMTP_HOST", "port": "SCREENING_SMTP_PORT", "security": "SCREENING_SMTP_SECURITY",
       "username": "SCREENING_SMTP_USERNAME", "sender": "SCREENING_SMTP_SENDER"}
KEYS = ("host", "port", "security", "username", "sender", "timeout", "ca_file")
DEFAULT_PORTS = {"starttls": 587, "tls": 465, "none": 25}
DEFAULT_SECURITY = "starttls"
DEFAULT_TIMEOUT = 30.0


def load_channel(folder: str | None = None, env: Mapping[str, str] | None = None):
    """The channel to deliver with: the folder's files where one is named, else SMTP as `env` configures it,
    else the console; raises BadInput when SMTP is configured wrongly (never falls back)."""
    from notifications.channels import ConsoleChannel, FileChannel

    if folder:
        return FileChannel(folder)
    settings = smtp_settings(env or {})
    if settings is None:
        return ConsoleChannel()
    from notifications.smtp import SmtpChannel

    return SmtpChannel(settings)


def smtp_settings(env: Mapping[str, str]):
    """SmtpSettings from the TOML file and the variables, or None where SMTP is not configured at all."""
    values, sources, base = _from_file(env.get(CONFIG_ENV))
    for key, name in ENV.items():
        if env.get(name):  # an empty variable counts as unset, as shells make it easy to leave one so
            values[key], sources[key] = env[name], name
    password = env.get(PASSWORD_ENV) or None
    if not values and password is None:
        return None
    return _settings(values, sources, base, password)


def _from_file(path: str | None) -> tuple[dict, dict, Path | None]:
    """The [smtp] section, where each key came from (for error messages), and the folder relative paths start at."""
    if not path:
        return {}, {}, None
    document = _read_toml(path)
    section = document.get("smtp")
    if section is None and isinstance(document.get("caldav"), dict):  # calendars only: e-mail as without a file
        return {}, {}, Path(path).parent
    if not isinstance(section, dict):  # named on purpose, so an empty file must not mean "use the console"
        raise BadInput("{path}: no [smtp] section", path=path)
    _check_keys(f"{path}: [smtp]", section, KEYS, PASSWORD_ENV)
    return dict(section), {key: f"{path} [smtp] {key}" for key in section}, Path(path).parent


def _check_keys(where: str, section: dict, known, password_env: str) -> None:
    """Only known keys, and never a secret: those come from the environment."""
    for key in section:
        if "password" in key.lower() or "secret" in key.lower():
            raise BadInput("{where} {key} is not allowed: secrets are never kept in files; set {variable} instead",
                           where=where, key=key, variable=password_env)
        if key not in known:
            raise BadInput("{where} {key} is not a known key (known: {keys})", where=where, key=key, keys=known)


def _settings(values: dict, sources: dict, base: Path | None, password: str | None):
    from notifications.smtp import SmtpSettings

    def where(key: str) -> str:
        return sources.get(key, f"[smtp] {key}")

    security = _security(values.get("security", DEFAULT_SECURITY), where("security"))
    username = _text(values["username"], where("username")) if "username" in values else None
    _check_login(username, password, security)
    return SmtpSettings(
        host=_host(values, where("host")),
        port=_port(values.get("port", DEFAULT_PORTS[security]), where("port")),
        security=security,
        username=username,
        password=password,
        sender=_sender(values, where("sender")),
        timeout=_timeout(values.get("timeout", DEFAULT_TIMEOUT), where("timeout")),
        ca_file=_ca_file(values["ca_file"], where("ca_file"), base) if "ca_file" in values else None,
    )


def _check_login(username: str | None, password: str | None, security: str) -> None:
    if username and password is None:
        raise BadInput("an SMTP username is configured but {variable} is not set", variable=PASSWORD_ENV)
    if password is not None and not username:
        raise BadInput("{variable} is set but no SMTP username is configured ({username} or [smtp] username)",
                       variable=PASSWORD_ENV, username=ENV["username"])
    if not ((username or "") + (password or "")).isascii():  # smtplib sends both as ASCII only
        raise BadInput("the SMTP username and {variable} must be ASCII characters only", variable=PASSWORD_ENV)
    if username and security == "none":
        raise BadInput("an SMTP login over an unencrypted connection (security none) is refused; "
                       "use starttls or tls")


def _text(value, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or any(c in value for c in "\r\n"):
        raise BadInput("{where}: must be a non-empty line of text", where=where)
    return value.strip()


def _host(values: dict, where: str) -> str:
    if "host" not in values:
        raise BadInput("SMTP host missing: set [smtp] host in the file named by {variable} or {host}",
                       variable=CONFIG_ENV, host=ENV["host"])
    host = _text(values["host"], where)
    if any(c.isspace() or c == "/" for c in host):
        raise BadInput("{where}: '{host}' is not a host name or address", where=where, host=host)
    return host


def _security(value, where: str) -> str:
    security = value.strip().lower() if isinstance(value, str) else None
    if security not in DEFAULT_PORTS:
        raise BadInput("{where}: '{value}' is not a security mode (use starttls, tls or none)", where=where, value=value)
    return security


def _port(value, where: str) -> int:
    try:
        port = int(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else None
    except ValueError:
        port = None
    if port is None or not 1 <= port <= 65535:
        raise BadInput("{where}: '{value}' is not a port number (1-65535)", where=where, value=value)
    return port


def _timeout(value, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 600:
        raise BadInput("{where}: '{value}' is not a timeout in seconds (more than 0, at most 600)", where=where,
                       value=value)
    return float(value)


def _sender(values: dict, where: str) -> str:
    if "sender" not in values:
        raise BadInput("SMTP sender missing: set [smtp] sender or {variable} (e.g. screening@region.example)",
                       variable=ENV["sender"])
    sender = _text(values["sender"], where)
    if "@" not in parseaddr(sender)[1]:
        raise BadInput("{where}: '{sender}' is not an e-mail address", where=where, sender=sender)
    return sender


def _ca_file(value, where: str, base: Path | None) -> str:
    path = Path(_text(value, where))
    if base is not None and not path.is_absolute():  # relative to the TOML file, not to wherever cron runs us
        path = base / path
    if not path.is_file():
        raise BadInput("{where}: no such file: {path}", where=where, path=path)
    return str(path)


CALDAV_PASSWORD_ENV = "SCREENING_CALDAV_PASSWORD_"  # + the centre's id, e.g. ..._HC_LUGNVIK
CALDAV_KEYS = ("url", "username", "timeout")
_LOOPBACK = ("127.0.0.1", "::1", "localhost")  # a test server or a local proxy: nothing crosses a network


def caldav_password_env(centre_id: str) -> str:
    return CALDAV_PASSWORD_ENV + re.sub(r"[^0-9A-Za-z]", "_", centre_id).upper()


def caldav_settings(env: Mapping[str, str]) -> dict:
    """CaldavSettings by health centre id from SCREENING_NOTIFY_CONFIG's [caldav."<centre>"] sections; {} without."""
    path = env.get(CONFIG_ENV)
    if not path:
        return {}
    sections = _read_toml(path).get("caldav", {})
    if not isinstance(sections, dict):
        raise BadInput("{path}: [caldav] must hold one section per health centre, e.g. [caldav.\"hc-lugnvik\"]",
                       path=path)
    return {centre: _caldav(path, centre, section, env) for centre, section in sections.items()}


def _read_toml(path: str) -> dict:
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except OSError as error:
        raise BadInput("{variable}: cannot read {path}: {reason}", variable=CONFIG_ENV, path=path,
                       reason=error.strerror) from None
    except tomllib.TOMLDecodeError as error:
        raise BadInput("{path}: not valid TOML: {error}", path=path, error=str(error)) from None


def _caldav(path: str, centre: str, section, env: Mapping[str, str]) -> "CaldavSettings":
    from notifications.caldav import CaldavSettings

    where = f'{path} [caldav."{centre}"]'
    if not isinstance(section, dict):
        raise BadInput("{where}: must be a section with url (and username)", where=where)
    _check_keys(where, section, CALDAV_KEYS, caldav_password_env(centre))
    if "url" not in section:
        raise BadInput("{where}: url missing (the calendar collection, https://…/calendars/…/)", where=where)
    url = _caldav_url(_text(section["url"], f"{where} url"), f"{where} url")
    username = _text(section["username"], f"{where} username") if "username" in section else None
    password = env.get(caldav_password_env(centre)) or None
    _check_caldav_login(url, username, password, centre, where)
    return CaldavSettings(url=url, username=username, password=password,
                          timeout=_timeout(section.get("timeout", DEFAULT_TIMEOUT), f"{where} timeout"))


def _caldav_url(url: str, where: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise BadInput("{where}: '{url}' is not an http(s) URL", where=where, url=url)
    if parts.username or parts.password:  # a password in the URL is a password in the file
        raise BadInput("{where}: no user or password in the URL; use username and the password variable", where=where)
    return url if url.endswith("/") else url + "/"  # a collection: resources are named inside it


def _check_caldav_login(url: str, username: str | None, password: str | None, centre: str, where: str) -> None:
    if username and password is None:
        raise BadInput("{where}: a username is configured but {variable} is not set", where=where,
                       variable=caldav_password_env(centre))
    if password is not None and not username:
        raise BadInput("{variable} is set but {where} has no username", variable=caldav_password_env(centre), where=where)
    parts = urlsplit(url)
    plain = parts.scheme.lower() == "http" and parts.hostname not in _LOOPBACK
    if username and plain:  # the password would cross the network in the clear
        raise BadInput("{where}: a login over plain http is refused; use https", where=where)
