"""The region's directory of organisations: a TOML data file and a pure loader."""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import time
from email.utils import parseaddr
from pathlib import Path

from screening.errors import BadInput, NotFound
from screening.text import ID_LIMIT, NAME_LIMIT, check_line, refused_character

ORG_KINDS = ("reception_unit", "health_centre", "school", "preschool", "school_health", "bvc", "coordinator",
             "interpreter_service")
ROLES = ("reception", "health_centre", "school", "preschool", "school_health", "bvc", "coordinator", "admin")
# an interpreter service has no users: it receives orders (step 3: "Tolk bokas"), it does not log in
ROLE_FOR_KIND = {"reception_unit": "reception", **{k: k for k in ORG_KINDS[1:-1]}}
KIND_LABELS_SV = {
    "reception_unit": "Mottagningsenhet", "health_centre": "Hälsocentral", "school": "Skola",
    "preschool": "Förskola", "school_health": "Elevhälsa", "bvc": "BVC", "coordinator": "Samordnare",
    "interpreter_service": "Tolkförmedling",
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
BUNDLED = Path(__file__).parent / "data" / "jamtland_harjedalen.toml"

_SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_SPAN = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")
_MINUTES = ("conversation_minutes", "conversation_minutes_interpreter", "examination_minutes",
            "examination_minutes_interpreter")
_ORG_KEYS = {"id", "kind", "name", "municipality", "email", "phone", "address", "directions", "serves",
             "for_unaccompanied", "appointments", "interpreter_service"}
_TEXT_KEYS = {"name": NAME_LIMIT, "email": None, "phone": None, "address": None, "directions": None}  # shown text
_NOT_IN_ADDRESS = frozenset(' "(),:;<>[\\]')  # a display name, a comment, a list, a quoted or literal part


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
    directions: str = ""  # how a family finds the way there (a health centre's, for its letters)
    interpreter_service: str = ""  # the interpreter service a centre or a municipality's reception unit uses
    serves: tuple[str, ...] = ()
    for_unaccompanied: bool = False
    appointments: Appointments | None = None

    def to_dict(self) -> dict:
        a = self.appointments
        return {
            "id": self.id, "kind": self.kind, "name": self.name, "municipality": self.municipality,
            "email": self.email, "phone": self.phone, "address": self.address, "directions": self.directions,
            "interpreter_service": self.interpreter_service,
            "serves": list(self.serves), "for_unaccompanied": self.for_unaccompanied,
            "appointments": None if a is None else {
                "capacity": a.capacity, **{k: getattr(a, k) for k in _MINUTES},
                "hours": {WEEKDAYS[d]: [f"{s:%H:%M}-{e:%H:%M}" for s, e in spans]
                          for d, spans in sorted(a.hours.items())},
            },
        }


def _get(d: dict, key: str, typ, where: str, default=None):
    if key not in d:
        if default is None:
            raise BadInput("{where}: missing key '{key}'", where=where, key=key)
        return default
    v = d[key]
    if not isinstance(v, typ) or (typ is int and isinstance(v, bool)):
        raise BadInput("{where}: '{key}' must be of type {type}", where=where, key=key, type=typ.__name__)
    return v


def _line(value: str, key: str, where: str, limit: int | None = None) -> str:
    """A text of the directory as one line that shows as written, no longer than its column
    (`screening.text`): a line break would break a calendar or a message, a direction override
    would show a name reversed."""
    try:
        return check_line(value, limit)
    except BadInput as error:
        raise BadInput("{where}: '{key}' {error}", where=where, key=key, error=error) from None


def sound_email(address: str) -> bool:
    """One plain address, local-part@domain: one '@', a domain of at least two labels (letters, digits
    and inner hyphens), at most 254 characters (64 before the '@'), without a display name, a comment,
    a quoted part, spaces or control characters, and read back as itself by `email.utils.parseaddr`.
    Letters beyond ASCII are allowed (an internationalised address; SMTPUTF8 sends it)."""
    if len(address) > 254 or address.count("@") != 1 or refused_character(address) is not None:
        return False
    if any(ch.isspace() or ch in _NOT_IN_ADDRESS for ch in address):
        return False
    local, domain = address.split("@")
    labels = domain.split(".")
    return (0 < len(local) <= 64 and not local.startswith(".") and not local.endswith(".") and ".." not in local
            and len(labels) >= 2
            and all(0 < len(label) <= 63 and label[0] != "-" and label[-1] != "-"
                    and all(ch.isalnum() or ch == "-" for ch in label) for label in labels)
            and parseaddr(address) == ("", address))


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
        raise BadInput("{where}: must be a table", where=where)
    ints = {k: _get(raw, k, int, where) for k in ("capacity", *_MINUTES)}
    if ints["capacity"] < 1:
        raise BadInput("{where}: capacity must be at least 1, not {value}", where=where, value=ints["capacity"])
    for k in _MINUTES:
        if ints[k] < 1:
            raise BadInput("{where}: '{key}' must be positive", where=where, key=k)
    hours = {}
    for day, spans in _get(raw, "hours", dict, where).items():
        if day not in WEEKDAYS:
            raise BadInput("{where}: unknown weekday '{day}'; one of: {days}", where=where, day=day, days=WEEKDAYS)
        if not isinstance(spans, list):
            raise BadInput("{where}: hours '{day}' must be a list of \"HH:MM-HH:MM\"", where=where, day=day)
        parsed = [_span(text) for text in spans]
        if None in parsed:
            bad = spans[parsed.index(None)]
            raise BadInput("{where}: bad hours {hours!r} on {day}: expected \"HH:MM-HH:MM\" with end after start",
                           where=where, hours=bad, day=day)
        if parsed:
            hours[WEEKDAYS.index(day)] = tuple(sorted(parsed))
    if not hours:
        raise BadInput("{where}: no appointment hours", where=where)
    return Appointments(hours=hours, **ints)


def _organisation(raw, prefix: str, n: int = 0, municipalities: tuple[str, ...] | None = None, *,
                  loading: bool = True) -> Organisation:
    """One organisation of a directory being loaded; with `loading=False`, one as stored, whose text
    and address were checked when it was loaded (by an older version perhaps, with fewer rules: what
    it holds is shown escaped rather than refused, so that a stored directory never stops the work)."""
    where = f"{prefix}organisation #{n}"
    if not isinstance(raw, dict):
        raise BadInput("{where}: must be a table", where=where)
    oid = _get(raw, "id", str, where)
    where = f"{prefix}organisation '{oid}'"
    if not _SLUG.fullmatch(oid):
        raise BadInput("{where}: bad id: use lowercase ascii letters, digits and hyphens", where=where)
    if loading:
        _line(oid, "id", where, ID_LIMIT)
        for key, limit in _TEXT_KEYS.items():
            if isinstance(raw.get(key), str):  # a value of another type is refused below, as before
                _line(raw[key], key, where, limit)
        email = raw.get("email")
        if isinstance(email, str) and email and not sound_email(email):
            raise BadInput("{where}: bad e-mail address '{email}': one address as name@domain.example, at most 254 "
                           "characters, without a display name or spaces", where=where, email=email)
    if extra := sorted(set(raw) - _ORG_KEYS):
        raise BadInput("{where}: unknown key '{key}'", where=where, key=extra[0])
    kind = _get(raw, "kind", str, where)
    if kind not in ORG_KINDS:
        raise BadInput("{where}: unknown kind '{kind}'; one of: {kinds}", where=where, kind=kind, kinds=ORG_KINDS)
    regional = kind in ("coordinator", "health_centre", "interpreter_service")
    muni = _get(raw, "municipality", str, where, default="" if regional else None) or None
    serves = tuple(_get(raw, "serves", list, where, default=[]))
    for m in (muni, *serves):
        if municipalities is not None and m is not None and m not in municipalities:
            raise BadInput("{where}: municipality '{municipality}' is not in the region; one of: {municipalities}",
                           where=where, municipality=m, municipalities=municipalities)
    if kind == "health_centre":
        if not serves or not all(isinstance(m, str) for m in serves):
            raise BadInput("{where}: a health centre needs 'serves': a list of municipalities", where=where)
        if "appointments" not in raw:
            raise BadInput("{where}: a health centre needs [organisations.appointments]", where=where)
        appointments = _appointments(raw["appointments"], where)
    else:
        for key in ("serves", "appointments"):
            if raw.get(key) not in (None, []):
                raise BadInput("{where}: '{key}' is only for a health centre", where=where, key=key)
        appointments = None
    service = _get(raw, "interpreter_service", str, where, "")
    if service and kind not in ("health_centre", "reception_unit"):
        raise BadInput("{where}: 'interpreter_service' is named by a health centre or a reception unit", where=where)
    unacc = _get(raw, "for_unaccompanied", bool, where, default=False)
    if unacc and kind != "reception_unit":
        raise BadInput("{where}: 'for_unaccompanied' is only for a reception unit", where=where)
    return Organisation(
        id=oid, kind=kind, name=_get(raw, "name", str, where), municipality=muni,
        email=_get(raw, "email", str, where, ""), phone=_get(raw, "phone", str, where, ""),
        address=_get(raw, "address", str, where, ""), directions=_get(raw, "directions", str, where, ""),
        interpreter_service=service, serves=serves, for_unaccompanied=unacc,
        appointments=appointments)


def organisation_from_dict(d: dict) -> Organisation:
    """An organisation as stored (`Organisation.to_dict`): checked as it was when loaded."""
    return _organisation({k: v for k, v in d.items() if v is not None}, "", loading=False)


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
        raise NotFound("unknown organisation '{org}'", org=org_id)

    def of_kind(self, kind: str) -> list[Organisation]:
        if kind not in ORG_KINDS:
            raise BadInput("unknown organisation kind '{kind}'; one of: {kinds}", kind=kind, kinds=ORG_KINDS)
        return [o for o in self.organisations if o.kind == kind]

    def interpreter_service(self, health_centre_id: str | None, municipality: str) -> Organisation | None:
        """The interpreter service the case's health centre names, else the one its municipality's
        reception unit names (step 3: "Tolk bokas"); None where neither names one."""
        centre = next((o for o in self.organisations if o.id == health_centre_id), None)
        named = centre.interpreter_service if centre else ""
        if not named:
            named = next((o.interpreter_service for o in self.of_kind("reception_unit")
                          if o.municipality == municipality and o.interpreter_service), "")
        return next((o for o in self.organisations if o.id == named), None) if named else None

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
        raise BadInput("unknown municipality '{name}'; one of: {municipalities}", name=name,
                       municipalities=self.municipalities)


def assignment(directory, org_id: str, kind: str, municipality: str) -> str:
    """`org_id` as the case's organisation of `kind`: of that kind, and (but for a health centre,
    which may serve several municipalities) in the child's municipality. `directory`: anything with
    `get(id)`, a `Directory` or the stored one."""
    org = directory.get(org_id)
    if org.kind != kind:
        raise BadInput("'{org}' is not a {kind_of_org} but a {party}", org=org_id, kind_of_org=kind.replace("_", " "),
                       party=org.kind.replace("_", " "))
    if kind != "health_centre" and org.municipality != municipality:
        raise BadInput("'{org}' is in {municipality}, not {wanted}", org=org_id, municipality=org.municipality,
                       wanted=municipality)
    return org.id


def parse_directory(text: str, source: str = "<directory>") -> Directory:
    where = f"directory {source}"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise BadInput("{where}: not valid TOML: {error}", where=where, error=str(e)) from None
    region = _get(data, "region", dict, where)
    rid = _line(_get(region, "id", str, f"{where}: [region]"), "id", f"{where}: [region]", ID_LIMIT)
    region_name = _line(_get(region, "name", str, f"{where}: [region]"), "name", f"{where}: [region]", NAME_LIMIT)
    munis = _get(region, "municipalities", list, f"{where}: [region]")
    if not munis or not all(isinstance(m, str) and m for m in munis):
        raise BadInput("{where}: [region] municipalities must be a non-empty list of names", where=where)
    munis = tuple(_line(m, "municipalities", f"{where}: [region]", ID_LIMIT) for m in munis)
    orgs = []
    for i, raw in enumerate(_get(data, "organisations", list, where), 1):
        org = _organisation(raw, f"{where}: ", i, munis)
        if any(o.id == org.id for o in orgs):
            raise BadInput("{where}: organisation '{org}': duplicate id", where=where, org=org.id)
        orgs.append(org)
    served = {m for o in orgs for m in o.serves}
    for m in munis:
        if m not in served:
            raise BadInput("{where}: municipality '{municipality}' is served by no health centre", where=where,
                           municipality=m)
    if not any(o.kind == "coordinator" for o in orgs):
        raise BadInput("{where}: no coordinator (an organisation of kind 'coordinator')", where=where)
    services = {o.id for o in orgs if o.kind == "interpreter_service"}
    for org in orgs:
        if org.interpreter_service and org.interpreter_service not in services:
            raise BadInput("{where}: organisation '{org}': interpreter_service '{service}' is no interpreter service "
                           "in the directory", where=where, org=org.id, service=org.interpreter_service)
    return Directory(rid, region_name, munis, tuple(orgs))


def load_directory(path: str | Path | None = None) -> Directory:
    path = BUNDLED if path is None else Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise BadInput("directory {path}: cannot read: {error}", path=path, error=str(e)) from None
    return parse_directory(text, str(path))


def changes(old: Directory | None, new: Directory) -> dict:
    """What loading `new` over `old` (None: no directory yet) changes, for the audit trail: the region's
    fields (`region`: field -> [old, new]), the organisations added (`added`: id -> the record as
    loaded), those changed (`changed`: id -> field -> [old, new]) and those the new directory lacks
    (`absent`: kept, since cases may name them). Parts without a change are left out."""
    found: dict = {}
    region = _changed(_region(old), _region(new))
    if region:
        found["region"] = region
    before = {} if old is None else {org.id: org.to_dict() for org in old.organisations}
    after = {org.id: org.to_dict() for org in new.organisations}
    added = {oid: {k: v for k, v in record.items() if k != "id"} for oid, record in after.items() if oid not in before}
    changed = {oid: diff for oid, record in after.items() if oid in before and (diff := _changed(before[oid], record))}
    absent = [oid for oid in before if oid not in after]
    for name, part in (("added", added), ("changed", changed), ("absent", absent)):
        if part:
            found[name] = part
    return found


def _region(directory: Directory | None) -> dict:
    if directory is None:
        return {}
    return {"id": directory.region_id, "name": directory.region_name,
            "municipalities": list(directory.municipalities)}


def _changed(old: dict, new: dict) -> dict:
    return {key: [old.get(key), new.get(key)] for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key)}
