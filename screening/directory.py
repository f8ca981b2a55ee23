"""The region's directory of organisations: a TOML data file and a pure loader."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import NoReturn

from screening.errors import BadInput, NotFound

ORG_KINDS = ("reception_unit", "health_centre", "school", "preschool", "school_health", "bvc", "coordinator")
ROLES = ("reception", "health_centre", "school", "preschool", "school_health", "bvc", "coordinator", "admin")
ROLE_FOR_KIND = {"reception_unit": "reception", **{k: k for k in ORG_KINDS[1:]}}
KIND_LABELS_SV = {
    "reception_unit": "Mottagningsenhet", "health_centre": "Hälsocentral", "school": "Skola",
    "preschool": "Förskola", "school_health": "Elevhälsa", "bvc": "BVC", "coordinator": "Samordnare",
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BUNDLED = Path(__file__).parent / "data" / "jamtland_harjedalen.toml"

_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_SPAN = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")
_MINUTES = ("conversation_minutes", "conversation_minutes_interpreter", "examination_minutes",
            "examination_minutes_interpreter")
_ORG_KEYS = {"id", "kind", "name", "municipality", "email", "phone", "address", "serves",
             "for_unaccompanied", "appointments"}


@dataclass(frozen=True)
class Appointments:
    capacity: int
    conversation_minutes: int
    conversation_minutes_interpreter: int
    examination_minutes: int
    examination_minutes_interpreter: int
    hours: dict[int, tuple[tuple[time, time], ...]] = field(hash=False)  # weekday 0=Mon


@dataclass(frozen=True)
class Organisation:
    id: str
    kind: str
    name: str
    municipality: str | None
    email: str = ""
    phone: str = ""
    address: str = ""
    serves: tuple[str, ...] = ()
    for_unaccompanied: bool = False
    appointments: Appointments | None = None

    def to_dict(self) -> dict:
        a = self.appointments
        return {
            "id": self.id, "kind": self.kind, "name": self.name, "municipality": self.municipality,
            "email": self.email, "phone": self.phone, "address": self.address,
            "serves": list(self.serves), "for_unaccompanied": self.for_unaccompanied,
            "appointments": None if a is None else {
                "capacity": a.capacity, **{k: getattr(a, k) for k in _MINUTES},
                "hours": {WEEKDAYS[d]: [f"{s:%H:%M}-{e:%H:%M}" for s, e in spans]
                          for d, spans in sorted(a.hours.items())},
            },
        }


def _fail(where: str, msg: str) -> NoReturn:
    raise BadInput(f"{where}: {msg}")


def _get(d: dict, key: str, typ, where: str, default=None):
    if key not in d:
        if default is None:
            _fail(where, f"missing key '{key}'")
        return default
    v = d[key]
    if not isinstance(v, typ) or (typ is int and isinstance(v, bool)):
        _fail(where, f"'{key}' must be of type {typ.__name__}")
    return v


def _span(text) -> tuple[time, time] | None:
    m = _SPAN.fullmatch(text) if isinstance(text, str) else None
    try:
        start, end = time(int(m[1]), int(m[2])), time(int(m[3]), int(m[4]))
    except (TypeError, ValueError):
        return None
    return (start, end) if start < end else None


def _appointments(raw, where: str) -> Appointments:
    where += ": appointments"
    if not isinstance(raw, dict):
        _fail(where, "must be a table")
    ints = {k: _get(raw, k, int, where) for k in ("capacity", *_MINUTES)}
    if ints["capacity"] < 1:
        _fail(where, f"capacity must be at least 1, not {ints['capacity']}")
    for k in _MINUTES:
        if ints[k] < 1:
            _fail(where, f"'{k}' must be positive")
    hours = {}
    for day, spans in _get(raw, "hours", dict, where).items():
        if day not in WEEKDAYS:
            _fail(where, f"unknown weekday '{day}'; one of: {', '.join(WEEKDAYS)}")
        if not isinstance(spans, list):
            _fail(where, f"hours '{day}' must be a list of \"HH:MM-HH:MM\"")
        parsed = [_span(text) for text in spans]
        if None in parsed:
            bad = spans[parsed.index(None)]
            _fail(where, f"bad hours {bad!r} on {day}: expected \"HH:MM-HH:MM\" with end after start")
        if parsed:
            hours[WEEKDAYS.index(day)] = tuple(sorted(parsed))
    if not hours:
        _fail(where, "no appointment hours")
    return Appointments(hours=hours, **ints)


def _organisation(raw, prefix: str, n: int = 0, municipalities: tuple[str, ...] | None = None) -> Organisation:
    where = f"{prefix}organisation #{n}"
    if not isinstance(raw, dict):
        _fail(where, "must be a table")
    oid = _get(raw, "id", str, where)
    where = f"{prefix}organisation '{oid}'"
    if not _SLUG.fullmatch(oid):
        _fail(where, "bad id: use lowercase ascii letters, digits and hyphens")
    if extra := sorted(set(raw) - _ORG_KEYS):
        _fail(where, f"unknown key '{extra[0]}'")
    kind = _get(raw, "kind", str, where)
    if kind not in ORG_KINDS:
        _fail(where, f"unknown kind '{kind}'; one of: {', '.join(ORG_KINDS)}")
    regional = kind in ("coordinator", "health_centre")
    muni = _get(raw, "municipality", str, where, default="" if regional else None) or None
    serves = tuple(_get(raw, "serves", list, where, default=[]))
    for m in (muni, *serves):
        if municipalities is not None and m is not None and m not in municipalities:
            _fail(where, f"municipality '{m}' is not in the region; one of: {', '.join(municipalities)}")
    if kind == "health_centre":
        if not serves or not all(isinstance(m, str) for m in serves):
            _fail(where, "a health centre needs 'serves': a list of municipalities")
        if "appointments" not in raw:
            _fail(where, "a health centre needs [organisations.appointments]")
        appointments = _appointments(raw["appointments"], where)
    else:
        for key in ("serves", "appointments"):
            if raw.get(key) not in (None, []):
                _fail(where, f"'{key}' is only for a health centre")
        appointments = None
    unacc = _get(raw, "for_unaccompanied", bool, where, default=False)
    if unacc and kind != "reception_unit":
        _fail(where, "'for_unaccompanied' is only for a reception unit")
    return Organisation(
        id=oid, kind=kind, name=_get(raw, "name", str, where), municipality=muni,
        email=_get(raw, "email", str, where, ""), phone=_get(raw, "phone", str, where, ""),
        address=_get(raw, "address", str, where, ""), serves=serves, for_unaccompanied=unacc,
        appointments=appointments)


def organisation_from_dict(d: dict) -> Organisation:
    return _organisation({k: v for k, v in d.items() if v is not None}, "")


def _fold(name: str) -> str:
    ascii_ = unicodedata.normalize("NFKD", name.strip().casefold()).encode("ascii", "ignore")
    return ascii_.decode()


@dataclass(frozen=True)
class Directory:
    region_id: str
    region_name: str
    municipalities: tuple[str, ...]
    organisations: tuple[Organisation, ...]

    def get(self, org_id: str) -> Organisation:
        for org in self.organisations:
            if org.id == org_id:
                return org
        raise NotFound(f"unknown organisation '{org_id}'")

    def of_kind(self, kind: str) -> list[Organisation]:
        if kind not in ORG_KINDS:
            raise BadInput(f"unknown organisation kind '{kind}'; one of: {', '.join(ORG_KINDS)}")
        return [o for o in self.organisations if o.kind == kind]

    def default_health_centre(self, municipality: str) -> Organisation | None:
        key = _fold(municipality)
        for org in self.of_kind("health_centre"):
            if any(_fold(m) == key for m in org.serves):
                return org
        return None

    def municipality(self, name: str) -> str:
        for m in self.municipalities:
            if _fold(m) == _fold(name):
                return m
        raise BadInput(f"unknown municipality '{name}'; one of: {', '.join(self.municipalities)}")


def assignment(directory, org_id: str, kind: str, municipality: str) -> str:
    """`org_id` as the case's organisation of `kind`: of that kind, and (but for a health centre,
    which may serve several municipalities) in the child's municipality. `directory`: anything with
    `get(id)`, a `Directory` or the stored one."""
    org = directory.get(org_id)
    if org.kind != kind:
        raise BadInput(f"'{org_id}' is not a {kind.replace('_', ' ')} but a {org.kind.replace('_', ' ')}")
    if kind != "health_centre" and org.municipality != municipality:
        raise BadInput(f"'{org_id}' is in {org.municipality}, not {municipality}")
    return org.id


def parse_directory(text: str, source: str = "<directory>") -> Directory:
    where = f"directory {source}"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        _fail(where, f"not valid TOML: {e}")
    region = _get(data, "region", dict, where)
    rid = _get(region, "id", str, f"{where}: [region]")
    munis = _get(region, "municipalities", list, f"{where}: [region]")
    if not munis or not all(isinstance(m, str) and m for m in munis):
        _fail(where, "[region] municipalities must be a non-empty list of names")
    munis = tuple(munis)
    orgs = []
    for i, raw in enumerate(_get(data, "organisations", list, where), 1):
        org = _organisation(raw, f"{where}: ", i, munis)
        if any(o.id == org.id for o in orgs):
            _fail(where, f"organisation '{org.id}': duplicate id")
        orgs.append(org)
    served = {m for o in orgs for m in o.serves}
    for m in munis:
        if m not in served:
            _fail(where, f"municipality '{m}' is served by no health centre")
    if not any(o.kind == "coordinator" for o in orgs):
        _fail(where, "no coordinator (an organisation of kind 'coordinator')")
    return Directory(rid, _get(region, "name", str, f"{where}: [region]"), munis, tuple(orgs))


def load_directory(path: str | Path | None = None) -> Directory:
    path = BUNDLED if path is None else Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput(f"directory {path}: cannot read: {e}") from None
    return parse_directory(text, str(path))
