"""Hypothesis drives random and malformed arguments through the `screening` command.

The promise under test (the contract's exit codes): every run ends with exit 0, 1 or 2, never a
traceback; a refusal or bad input prints one line on stderr (with --json one `{"error": …}`
document on stdout, and nothing else there) and leaves the database as it was. Writes that succeed
may change it, and so may a successful read (it writes its audit rows).

The strategy: each example draws one command of the contract (every command but the long-running
`scheduler run` and `overview --watch`) and a *chaos* level (0-100 %). Every value (a case id, a
user, an organisation, a date, a time, a number, a file, the database URL) is drawn valid with
the rest of the probability and otherwise near-valid (2026-02-30, 24:00, time zones, years 1 and
9999, 2^63, a personnummer with a wrong check digit, a dossier with letters, a case id in lower
case) or hostile (empty, blanks, control characters, lone surrogates as a non-UTF-8 terminal
gives them, very long strings, SQL, format strings, `--` and option-like text). At some chaos the
command is also typed in a hurry (an option repeated or unknown, `--` put in, an argument lost or
swapped, `--help`), global options go missing, and `--json` lands anywhere. So an example at chaos
0 is a valid command that usually succeeds, and one at chaos 100 is noise.

The examples run in-process (`cli.main`) against one demo region per module with a few children at
different steps, some alerts and messages; a smaller property runs the installed console script
in its own process, under other locales and stdout encodings and with undecodable bytes in argv.

In CI the examples are derandomized (the same every run; about 30 s on two cores). A longer or a fresh fuzz locally:

    SCREENING_FUZZ_EXAMPLES=5000 SCREENING_FUZZ_RANDOM=1 .venv/bin/python -m pytest -q \\
        -p no:cacheprovider tests/e2e/test_fuzz_cli.py

(SCREENING_FUZZ_RANDOM=1 draws new examples and keeps a failing one in Hypothesis' example database,
so that the next run starts from it.) A failure prints the arguments; a bug found gets an @example.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import cli
import screening
from screening.cli import render
from tests.e2e.conftest import snapshot
from tests.e2e.support import NOW, call, pnr, roomy

EXAMPLES = int(os.environ.get("SCREENING_FUZZ_EXAMPLES", "800"))
RANDOM = bool(os.environ.get("SCREENING_FUZZ_RANDOM"))
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=not RANDOM,
    database=settings.default.database if RANDOM else None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
IN_A_PROCESS = settings(FUZZ, max_examples=max(24, EXAMPLES // 30))  # ~0.2 s each

SCRIPT = Path(sys.executable).parent / "screening"
RECEPTION, HC, SCHOOL, PRESCHOOL = ("ostersund-reception", "hc-lugnvik", "ostersund-school-norrby",
                                    "ostersund-preschool-solrosen")
SCHOOL_HEALTH, BVC, COORDINATOR, ADMIN = "ostersund-school-health", "ostersund-bvc", "region-coordinator", "admin"
USERS = [RECEPTION, HC, SCHOOL, PRESCHOOL, SCHOOL_HEALTH, BVC, COORDINATOR, ADMIN, "krokom-reception", "hc-krokom"]
ROLES = ["reception", "health_centre", "school", "preschool", "school_health", "bvc", "coordinator", "admin"]
MUNICIPALITIES = ["Östersund", "Krokom", "Åre", "Berg", "Bräcke", "Härjedalen", "Ragunda", "Strömsund"]
# event -> its --set keys: a tuple of valid values, or the kind of value
EVENT_KEYS = {
    "notify_parties": {}, "change_arrival": {"arrival": "date"},
    "verify_previous_screening": {"done": ("yes", "no", "unknown")}, "move_out": {"reason": "text"},
    "book_health_conversation": {"start": "future"}, "cancel_booking": {}, "hold_health_conversation": {},
    "record_results": {"obstacle": ("yes", "no"), "note": "text"}, "inform_family": {}, "inform_reception": {},
    "record_consent": {"given_by": ("guardian", "god_man"), "scope": ("school_health",)},
    "share_with_school_health": {}, "book_examination": {"start": "future"}, "hold_examination": {"note": "text"},
    "decline": {"reason": "text"}, "close": {"reason": "text"}, "invite_intro_meeting": {}, "hold_intro_meeting": {},
    "make_intro_plan": {}, "start_school": {}, "start_preschool": {}, "start_with_adaptations": {"reason": "text"},
    "postpone_start": {"reason": "text"}, "request_records": {},
    "assess_vaccinations": {"status": ("complete", "missing", "unknown")},
    "make_vaccination_plan": {"tb_referral": ("yes", "no")}, "give_catch_up_dose": {"vaccine": "text"},
    "complete_vaccinations": {},
}
EVENT_USERS = {
    **{e: [RECEPTION] for e in ("notify_parties", "change_arrival", "verify_previous_screening", "move_out")},
    **{e: [HC] for e in ("book_health_conversation", "cancel_booking", "hold_health_conversation", "record_results",
                         "inform_family", "inform_reception", "record_consent", "share_with_school_health",
                         "book_examination", "hold_examination")},
    "decline": [HC, RECEPTION], "close": [RECEPTION, COORDINATOR], "start_school": [SCHOOL],
    "start_preschool": [PRESCHOOL], "request_records": [SCHOOL_HEALTH],
    **{e: [SCHOOL, PRESCHOOL] for e in ("invite_intro_meeting", "hold_intro_meeting", "make_intro_plan",
                                        "start_with_adaptations", "postpone_start")},
    **{e: [BVC, SCHOOL_HEALTH] for e in ("assess_vaccinations", "make_vaccination_plan", "give_catch_up_dose",
                                         "complete_vaccinations")},
}
COMMAND_USERS = {
    "book": [HC], "free": [HC], "export": [HC, COORDINATOR], "user add": [ADMIN], "user list": [ADMIN],
    "sweep": [COORDINATOR, ADMIN], "send": [COORDINATOR, ADMIN], "outbox list": [COORDINATOR, ADMIN],
    "retry": [COORDINATOR, ADMIN], "report": [COORDINATOR, ADMIN], "overview": [COORDINATOR, ADMIN],
    "prune": [ADMIN], "init": [ADMIN],  # a directory loaded once users exist: an admin's
    "rules load": [ADMIN], "audit verify": [ADMIN], "audit sample": [HC, COORDINATOR, ADMIN],
    "audit history": [COORDINATOR, ADMIN],
}
COMMANDS = ["register", "show", "list", "event", "history", "book", "org", "user add", "user list", "alerts", "ack",
            "sweep", "send", "outbox list", "retry", "prune", "free", "export", "report", "overview", "init",
            "rules load", "audit verify", "audit sample", "audit history"]

# --- values: valid, near-valid, hostile ------------------------------------------------------------

HOSTILE = [
    "", " ", "\t", "\n", " \n ", "-", "--", "---", "-x", "=", "==", "KEY=", "=VALUE", "None", "null", "NaN", "0", "-1",
    "1e309", "0x10", "１２３", "٣", "{0}", "{}", "{case}", "%s", "%d%n", "%(id)s", "$HOME", "${PATH}", "`id`", "\\",
    "'", '"', "'; DROP TABLE screening_case; --", "' OR '1'='1", "1; SELECT 1", "admin'--", "SC-%", "%", "_",
    "*", "?", "[", "<script>", "\x1b[31mred\x1b[0m", "\x07\x08\x0b\x0c\r", "\u202eevil", "\u200b", "\ufeff",
    "\u2028", "\x85", "ÖÖÖ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "🙂", "ｓｃ-ｘ", "İ", "ß", "\udcff", "a\udcffb", "x" * 5000, "9" * 400,
    "/", "./", "../", "~", "-" * 300, "\\N", "true", "false", "[]", '{"error": 1}',
]
TEXT = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=40),
    st.text(st.characters(min_codepoint=1, max_codepoint=31), min_size=1, max_size=5),
    st.builds(lambda s, n: s * n, st.sampled_from(["x", "Ö", "🙂", "%s", "--"]), st.integers(100, 3000)),
)
INTEGERS = st.one_of(
    st.integers(-3, 12).map(str),
    st.sampled_from(["0", "-0", "+1", " 1", "1.5", "1e3", "2147483648", str(2**63 - 1), str(2**63), str(-2**63 - 1),
                     "9" * 30, "-" + "9" * 30]),
    st.integers().map(str),
)
DATES = st.one_of(
    st.dates().map(str),
    st.sampled_from(["2026-11-23", "2026-02-30", "2026-13-01", "2026-00-10", "2026-1-5", "20261123", "2026-W48-1",
                     "2026-327", "0001-01-01", "9999-12-31", "10000-01-01", "-2026-11-23", "26-11-23", "2026/11/23",
                     "23.11.2026", "2026-11-23T10:00", "2019-04-02", "2024-02-29", "2023-02-29", " 2026-11-23 ",
                     "2026-11-23\n", "２０２６-１１-２３", "1899-12-31", "1900-01-01", "2199-12-31", "2200-01-01"]),
)
TIMES = st.one_of(
    st.datetimes().map(lambda t: t.isoformat(timespec="minutes")),
    st.sampled_from([NOW, "2026-11-24T09:00", "2026-11-26T10:15", "2026-11-23T24:00", "2026-11-23T23:60",
                     "2026-11-23T10:00:61", "2026-11-23T10:00+01:00", "2026-11-23T10:00Z", "2026-11-23T10:00+14:00",
                     "2026-11-23T10:00-12:00", "2026-11-23T10:00+25:00", "2026-11-23T10:00 Europe/Stockholm",
                     "2026-03-29T02:30", "2026-10-25T02:30", "2026-11-23 10:00", "2026-11-23T10", "2026-11-23",
                     "9999-12-31T23:59", "9999-12-31T23:59-12:00", "0001-01-01T00:00", "0001-01-01T00:00+14:00",
                     "1900-01-01T00:00+14:00", "2199-12-31T23:59-12:00", "1970-01-01T00:00Z", "2038-01-19T03:14:08Z",
                     "2026-11-23T10:00:00.999999999", "tomorrow", "now", "2026-11-23T10:00\n", "2026-02-30T10:00"]),
)
IDENTITY = st.one_of(
    st.sampled_from([pnr(), pnr(serial="411"), pnr()[:-1] + str((int(pnr()[-1]) + 1) % 10), pnr(coordination=True),
                     "20190402+2389", "190402-2389", "1904022389", "201904022389", "20190402-238", "2019O402-2389",
                     "00000000-0000", "20190402-23890", "19-04-02-2389", "20190432-2382"]),
    st.from_regex(r"\A[0-9]{6,12}[-+]?[0-9]{0,4}\Z"),
)
DOSSIER = st.one_of(st.sampled_from(["12-345678", "12345678", "98-765432", "1234567", "123-45678", "12-34567X",
                                     "ab-cdefgh", "12-3456789", "12--345678"]), st.from_regex(r"\A[0-9a-z-]{6,10}\Z"))
# Directory files `init --directory` must refuse with one line (near-valid ones are made from the demo's)
BAD_DIRECTORIES = {
    "empty.toml": "",
    "syntax.toml": "[region\nid = ",
    "no-region.toml": '[[organisations]]\nid = "x"\nkind = "coordinator"\nname = "X"\n',
    "wrong-types.toml": '[region]\nid = 1\nname = []\nmunicipalities = "Östersund"\n',
    "unknown-kind.toml": ('[region]\nid = "r"\nname = "R"\nmunicipalities = ["A"]\n[[organisations]]\nid = "x"\n'
                          'kind = "hospital"\nname = "X"\nmunicipality = "A"\n'),
    "bad-hours.toml": ('[region]\nid = "r"\nname = "R"\nmunicipalities = ["A"]\n[[organisations]]\nid = "c"\n'
                       'kind = "coordinator"\nname = "C"\n[[organisations]]\nid = "hc"\nkind = "health_centre"\n'
                       'name = "HC"\nserves = ["A"]\n[organisations.appointments]\ncapacity = 0\n'
                       'conversation_minutes = -5\n[organisations.appointments.hours]\nmon = ["25:00-08:00"]\n'),
    "format.toml": ('[region]\nid = "{0}"\nname = "%s"\nmunicipalities = ["{0}%s"]\n[[organisations]]\nid = "%s"\n'
                    'kind = "reception_unit"\nname = "{0}"\nmunicipality = "{0}%s"\n'),
    "binary.toml": "\x00\x01\x02ÿ",
}
DEMO_DIRECTORY = Path(screening.__file__).parent / "data" / "jamtland_harjedalen.toml"
NEAR_DIRECTORIES = {  # the demo's file with one fault
    "capacity-text.toml": ("capacity = 3", 'capacity = "three"'),
    "duplicate-id.toml": ('id = "hc-krokom"', 'id = "hc-lugnvik"'),
    "no-coordinator.toml": ('kind = "coordinator"', 'kind = "school"'),
    "latin1.toml": None,  # the whole file in Latin-1
}


@dataclass(frozen=True)
class Ref:
    """A value known only once the module's database exists: a case, an alert, a message, a path, a URL."""

    kind: str
    key: object = 0


@dataclass
class World:
    url: str
    tmp: Path
    cases: list[str]
    alerts: list[int]
    messages: list[int]

    def resolve(self, item) -> str:
        if not isinstance(item, Ref):
            return item
        if item.kind == "case" and isinstance(item.key, tuple):
            case, how = self.cases[item.key[0]], item.key[1]
            return {"lower": case.lower(), "space": f" {case} ", "cut": case[:-1]}[how]
        if item.kind == "case":
            return self.cases[item.key]
        if item.kind in ("alert", "message"):
            return str((self.alerts if item.kind == "alert" else self.messages)[item.key])
        if item.kind == "path":
            return str(self.tmp / item.key)
        if item.kind == "sqlite":
            return f"sqlite:///{self.tmp / item.key}"
        return self.url  # "db"


def ref(kind: str, keys) -> st.SearchStrategy:
    return st.sampled_from([Ref(kind, key) for key in keys])


DB = Ref("db")
CASES = ref("case", range(6))  # see `world`: 0 registered, 1 results in, 2 already in Sweden, 3 Krokom, 4 booked,
ENDING = {"close", "move_out", "decline"}  # 5 vaccination plan made; these events only on 0, 2 and 3, so that
REPEATABLE = [(1, "inform_family"), (1, "inform_reception"), (1, "record_consent"), (4, "book_health_conversation"),
              (4, "inform_family"), (5, "give_catch_up_dose"), (0, "change_arrival")]  # these stay possible
PATHS = st.one_of(ref("path", ["out/f.txt", "out/chart.png", "missing/f.txt", "", "out/{0}%s.ics", "eml"]),
                  st.sampled_from(["", "/", "/proc/version", "/dev/full", "/proc/self/mem"]),
                  st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00/."), min_size=1,
                          max_size=20).map(lambda name: Ref("path", f"out/{name}")))
FILES_TO_REFUSE = st.one_of(ref("path", [*BAD_DIRECTORIES, *NEAR_DIRECTORIES, "missing.toml", "", "out"]),
                            st.sampled_from(["", "/dev/null", "/proc/self/mem", "/"]))

# kind -> (valid values, near-valid ones); hostile TEXT is the third choice for every kind
VALUES = {
    "case": (CASES, st.one_of(st.sampled_from(["SC-NOPE", "SC-00000000", "sc-", "SC-"]),
                              ref("case", [(i, how) for i in range(6) for how in ("lower", "space", "cut")]))),
    "user": (st.sampled_from(USERS), st.sampled_from(["nobody", "ADMIN", " admin", "admin ", "hc-", "admin\n"])),
    "org": (st.sampled_from(USERS[:-1] + ["krokom-school-health"]),
            st.sampled_from(["HC-LUGNVIK", "hc-lugnvik ", "nope", "hc"])),
    "school": (st.just(SCHOOL), st.sampled_from([HC, PRESCHOOL, "nope"])),
    "preschool": (st.just(PRESCHOOL), st.sampled_from([SCHOOL, "nope", "krokom-preschool"])),
    "centre": (st.sampled_from([HC, "hc-krokom"]), st.sampled_from([SCHOOL, "nope", "HC-LUGNVIK", "hc-"])),
    "municipality": (st.sampled_from(MUNICIPALITIES),
                     st.sampled_from(["östersund", "OSTERSUND", "Ostersund", " Östersund", "Atlantis"])),
    "role": (st.sampled_from(ROLES), st.sampled_from(["Admin", "nurse", "root"])),
    "date": (st.sampled_from(["2026-11-20", "2026-01-01", "2026-11-23"]), DATES),
    "birth": (st.sampled_from(["2019-04-02", "2012-06-30", "2024-01-15", "2009-01-01"]), DATES),
    "time": (st.sampled_from([NOW, "2026-11-20T09:00", "2026-11-23T09:30"]), TIMES),
    "future": (st.sampled_from(["2026-11-25T09:00", "2026-11-26T10:15", "2026-12-01T13:00"]), TIMES),
    "now": (st.sampled_from([NOW, "2026-12-15T10:00", "2026-11-24T08:00"]), TIMES),
    "int": (st.sampled_from(["1", "2", "3", "14"]), INTEGERS),
    "alert": (ref("alert", range(3)), INTEGERS),
    "message": (ref("message", range(3)), INTEGERS),
    "identity": (st.just(pnr(serial="620")), IDENTITY),
    "dossier": (st.sampled_from(["12-345678", "55-555555"]), DOSSIER),
    "language": (st.sampled_from(["ar", "fa", "so", "ti", "uk"]), st.sampled_from(["arabic", "AR", "x" * 100])),
    "permit": (st.sampled_from(["asylum", "residence"]), st.sampled_from(["tourist", "Asylum"])),
    "status": (st.sampled_from(["queued", "sent", "dead"]), st.sampled_from(["Sent", "all", "failed"])),
    "format": (st.sampled_from(["table", "csv", "json"]), st.sampled_from(["xlsx", "JSON", "html"])),
    "by": (st.sampled_from(["municipality", "health_centre"]), st.sampled_from(["school", "Municipality"])),
    "kind": (st.sampled_from(["directory", "restore", "sample", "review", "rules"]),
             st.sampled_from(["event", "show", "Directory", "audit"])),
    "text": (st.sampled_from(["moved to Umeå", "Ö-hälsa", "MMR"]), TEXT),
    "file": (ref("path", ["out/report.csv", "out/chart.png", "out/cal.ics"]), PATHS),
    "folder": (ref("path", ["eml"]), PATHS.filter(lambda path: path != "/")),  # run as root: nothing in /
    "directory": (FILES_TO_REFUSE, FILES_TO_REFUSE),  # a valid one would reload the directory
    "db": (st.just(DB), st.one_of(ref("sqlite", ["missing/x.db", "empty.db", "garbage.db", "", "x" * 3000]),
                                  st.sampled_from(["sqlite://", "mysql://root@localhost/x", "", "sqlite:///",
                                                   "postgresql+psycopg://nobody@127.0.0.1:1/none"]))),
}


class Chooser:
    """Draws each value valid, or (with the example's chaos, in percent) near-valid or hostile."""

    def __init__(self, draw, chaos: int):
        self.draw, self.chaos = draw, chaos

    def bad(self) -> bool:
        return self.draw(st.integers(0, 99)) < self.chaos

    def __call__(self, kind: str, valid: st.SearchStrategy | None = None):
        good, near = VALUES[kind]
        if not self.bad():
            return self.draw(valid if valid is not None else good)
        return self.draw(st.one_of(near, TEXT))

    def options(self, table: dict[str, str | None], required: tuple[str, ...] = ()) -> list:
        """Some of the options (a flag's kind is None); a required one is left out only by chaos."""
        args: list = []
        for name, kind in table.items():
            if (not self.bad()) if name in required else self.draw(st.booleans()):
                args.append(name)
                if kind is not None:
                    args.append(self(kind))
        return args


def registration(pick: Chooser) -> list:
    """An arrival notice whose identity numbers agree with the birth date, unless chaos says otherwise."""
    draw = pick.draw
    born = draw(st.dates(date(2009, 1, 1), date(2026, 11, 1)))
    municipality = draw(st.sampled_from(["Östersund", "Östersund", "Krokom"]))
    number = pnr(born, f"{draw(st.integers(0, 999)):03d}", coordination=draw(st.booleans()))
    args = ["--birth-date", pick("birth", st.just(born.isoformat())), "--municipality",
            pick("municipality", st.just(municipality))]
    if draw(st.booleans()):
        args += ["--samordningsnummer" if number[6] in "6789" else "--personnummer", pick("identity", st.just(number))]
    if draw(st.booleans()):
        args += ["--dossier", pick("dossier", st.from_regex(r"\A[0-9]{2}-?[0-9]{6}\Z"))]
    args += pick.options({
        "--name": "text", "--language": "language", "--interpreter": None, "--no-interpreter": None,
        "--unaccompanied": None, "--permit": "permit", "--arrival": "date", "--notice-at": "time",
        "--already-in-sweden": None, "--health-centre": "centre",
        **({"--school": "school", "--preschool": "preschool"} if municipality == "Östersund" else {}),
    })
    if pick.bad():
        args = args[2:] if draw(st.booleans()) else args[:2] + args[4:]  # a required option missing
    return ["case", "register", *args]


def event_arguments(pick: Chooser, event: str) -> list:
    args: list = []
    for key, kind in EVENT_KEYS.get(event, {}).items():
        if not pick.bad():
            value = pick.draw(st.sampled_from(kind)) if isinstance(kind, tuple) else pick(kind)
            args += ["--set", f"{key}={value}"]
    for _ in range(pick.draw(st.integers(1, 2)) if pick.bad() else 0):
        args += ["--set", pick.draw(st.one_of(
            st.builds("{}={}".format, TEXT, TEXT), TEXT,
            st.sampled_from(["=x", "start", "note", "reason==", " note =x", "start=" + NOW, "arrival=2026-02-30",
                             "note=a=b"])))]
    return args


def arguments(pick: Chooser, which: str) -> list:
    draw = pick.draw
    if which == "register":
        return registration(pick)
    if which in ("show", "history"):
        return ["case", which, pick("case"), *(["--reads"] if which == "history" and draw(st.booleans()) else [])]
    if which == "list":
        return ["case", "list", *pick.options({"--municipality": "municipality", "--health-centre": "centre",
                                               "--overdue": None, "--open": None, "--limit": "int",
                                               "--after": "case"})]
    if which == "event":
        if pick.bad():
            case, event = pick("case"), draw(st.sampled_from(sorted(EVENT_KEYS)) | TEXT)
        elif draw(st.booleans()):  # one the case's state allows, again and again
            case, event = draw(st.sampled_from(REPEATABLE))
            case = Ref("case", case)
        else:
            event = draw(st.sampled_from(sorted(EVENT_KEYS)))
            case = pick("case", ref("case", [0, 2, 3]) if event in ENDING else None)
        return ["case", "event", case, event, *event_arguments(pick, event),
                *pick.options({"--at": "time", "--if-version": "int"})]
    if which == "book":
        how = (pick.options({"--auto": None, "--start": "future"}) if pick.bad()
               else draw(st.sampled_from([["--auto"], ["--start", pick("future")]])))
        return ["case", "book", pick("case"), *(["--examination"] if draw(st.booleans()) else []), *how]
    if which == "org":
        return ["org", "list"]
    if which == "user add":
        name = draw(TEXT) if pick.bad() else draw(st.from_regex(r"\Anurse-[a-z]{1,8}\Z"))
        return ["user", "add", name, *pick.options({"--role": "role", "--org": "org"}, required=("--role", "--org"))]
    if which == "user list":
        return ["user", "list"]
    if which == "alerts":
        return ["alerts", *(["--open"] if draw(st.booleans()) else [])]
    if which == "ack":
        return ["alerts", "ack", pick("alert")]
    if which == "sweep":
        return ["sweep"]
    if which == "send":
        return ["outbox", "send", *pick.options({"--dir": "folder"})]
    if which == "outbox list":
        return ["outbox", "list", *pick.options({"--status": "status"})]
    if which == "retry":
        return ["outbox", "retry", pick("message")]
    if which == "prune":
        return ["outbox", "prune", *pick.options({"--keep-days": "int"})]
    if which == "free":
        return ["calendar", "free", *pick.options({"--health-centre": "centre", "--from": "future", "--days": "int",
                                                   "--examination": None, "--interpreter": None},
                                                  required=("--health-centre",))]
    if which == "export":
        return ["calendar", "export", *pick.options({"--health-centre": "centre", "--out": "file"},
                                                    required=("--health-centre",))]
    if which == "report":
        args = pick.options({"--from": "date", "--to": "date", "--by": "by", "--format": "format", "--out": "file"})
        if draw(st.integers(0, 14)) == 0:  # a chart costs a second
            args += ["--chart", pick("file")]
        return ["report", *args]
    if which == "overview":
        return ["overview", *pick.options({"--every": "int", "--oldest": "int"})]
    if which == "rules load":
        return ["rules", "load", pick("file")]
    if which == "audit verify":
        return ["audit", "verify"]
    if which == "audit sample":
        return ["audit", "sample", *pick.options({"--size": "int", "--from": "date", "--to": "date"})]
    if which == "audit history":
        return ["audit", "history", *pick.options({"--kind": "kind"})]
    return ["init", *(["--demo"] if draw(st.integers(0, 4)) == 0 else []), "--directory", pick("directory")]


def hurried(draw, args: list) -> list:
    """The command as typed in a hurry: an option repeated, unknown or moved, `--`, an argument lost."""
    args = list(args)
    for _ in range(draw(st.integers(1, 2))):
        how = draw(st.sampled_from(["repeat", "unknown", "dashdash", "drop", "swap", "extra", "help"]))
        where = draw(st.integers(0, len(args)))
        if how == "repeat" and args:
            start = draw(st.integers(0, len(args) - 1))
            args[where:where] = args[start:start + 2]
        elif how == "unknown":
            args.insert(where, draw(st.sampled_from(["--bogus", "-x", "--as", "--db", "--now", "--set", "--json=1",
                                                     "--Json", "-", "--no-json", "--dem", "--reads=yes", "-h"])))
        elif how == "dashdash":
            args.insert(where, "--")
        elif how == "drop" and args:
            del args[min(where, len(args) - 1)]
        elif how == "swap" and len(args) > 1:
            i = min(where, len(args) - 2)
            args[i], args[i + 1] = args[i + 1], args[i]
        elif how == "extra":
            args.insert(where, draw(TEXT))
        elif how == "help" and draw(st.integers(0, 4)) == 0:
            args.insert(where, "--help")
    return args


@st.composite
def invocation(draw) -> list:
    """Global options and one command; every value valid or, by the example's chaos, near-valid or hostile."""
    chaos = draw(st.sampled_from([0, 3, 10, 25, 60, 100]))
    pick, rarely = Chooser(draw, chaos), Chooser(draw, chaos // 4)  # global options go wrong less often
    which = draw(st.sampled_from(COMMANDS))
    args = arguments(pick, which)
    if which == "register":
        users = ["krokom-reception"] if "Krokom" in args else [RECEPTION]
    else:
        users = EVENT_USERS.get(args[3], USERS) if which == "event" else COMMAND_USERS.get(which, USERS)
    if pick.bad():
        args = hurried(draw, args)
    front: list = ["--db", rarely("db")] if not rarely.bad() else []
    if not rarely.bad():
        front += ["--as", rarely("user", st.sampled_from(users))]
    if draw(st.booleans()):
        front += ["--now", rarely("now")]
    argv = front + args
    if draw(st.booleans()):
        argv.insert(draw(st.integers(0, len(argv))) if pick.bad() else draw(st.sampled_from([0, len(argv)])), "--json")
    return argv


# --- the region, running, checking ---------------------------------------------------------------


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    """One demo region with a few invented children at different steps, some alerts and messages."""
    tmp = tmp_path_factory.mktemp("fuzz")
    (tmp / "out").mkdir()
    url = f"sqlite:///{tmp / 'screening.db'}"
    with pytest.MonkeyPatch.context() as env:
        for name in [n for n in os.environ if n.startswith("SCREENING_")]:
            env.delenv(name)
        env.setenv("XDG_DATA_HOME", str(tmp / "xdg"))  # the default database, when --db is left out
        env.chdir(tmp / "out")  # where a relative --out, --chart or --dir lands
        call(url, "init", "--demo")
        roomy(url)
        registering = ("case", "register", "--birth-date", "2019-04-02", "--municipality", "Östersund")
        plain = call(url, *registering, "--personnummer", pnr(), "--dossier", "12-345678", "--language", "ar",
                     "--interpreter", user=RECEPTION, now="2026-11-02T10:00")["id"]
        results = call(url, *registering, "--personnummer", pnr(serial="411"), user=RECEPTION,
                       now="2026-11-02T10:00")["id"]
        call(url, "case", "event", results, "notify_parties", user=RECEPTION, now="2026-11-02T11:00")
        call(url, "case", "book", results, "--start", "2026-11-05T09:00", "--force", user=HC, now="2026-11-03T10:00")
        call(url, "case", "event", results, "hold_health_conversation", "--at", "2026-11-05T10:00", user=HC,
             now="2026-11-05T11:00")
        call(url, "case", "event", results, "record_results", "--set", "obstacle=no", "--set", "note=MEDICAL-SECRET",
             user=HC, now="2026-11-10T11:00")
        earlier = call(url, "case", "register", "--birth-date", "2012-06-30", "--municipality", "Östersund",
                       "--already-in-sweden", "--school", SCHOOL, user=RECEPTION, now="2026-11-02T10:00")["id"]
        krokom = call(url, "case", "register", "--birth-date", "2024-01-15", "--municipality", "Krokom",
                      "--dossier", "98-765432", user="krokom-reception", now="2026-11-04T10:00")["id"]
        booked = call(url, *registering, "--language", "so", user=RECEPTION, now="2026-11-02T10:00")["id"]
        call(url, "case", "event", booked, "notify_parties", user=RECEPTION, now="2026-11-02T11:00")
        call(url, "case", "book", booked, "--auto", user=HC, now="2026-11-03T10:00")
        vaccinated = call(url, "case", "register", "--birth-date", "2013-02-11", "--municipality", "Östersund",
                          "--school", SCHOOL, user=RECEPTION, now="2026-11-02T10:00")["id"]
        for step, at, *values in (("request_records", "2026-11-03"), ("assess_vaccinations", "2026-11-04",
                                                                      "--set", "status=missing"),
                                  ("make_vaccination_plan", "2026-11-05")):
            call(url, "case", "event", vaccinated, step, *values, user=SCHOOL_HEALTH, now=f"{at}T10:00")
        alerts = [a["id"] for a in call(url, "sweep", user=COORDINATOR, now="2026-11-20T10:00")["alerts"]]
        messages = [m["id"] for m in call(url, "outbox", "list", user=COORDINATOR, now="2026-11-20T10:00")]
        call(url, "outbox", "send", "--dir", str(tmp / "eml"), user=COORDINATOR, now="2026-11-20T10:00")
        assert len(alerts) >= 3 and len(messages) >= 3, (alerts, messages)
        (tmp / "empty.db").write_bytes(b"")
        (tmp / "garbage.db").write_bytes(b"this is not a database\n" * 100)
        for name, text in BAD_DIRECTORIES.items():
            (tmp / name).write_text(text, encoding="utf-8")
        demo = DEMO_DIRECTORY.read_text(encoding="utf-8")
        for name, change in NEAR_DIRECTORIES.items():
            (tmp / name).write_bytes(demo.replace(*change, 1).encode() if change else demo.encode("latin-1"))
        yield World(url, tmp, [plain, results, earlier, krokom, booked, vaccinated], alerts, messages)


@dataclass
class Run:
    code: int
    out: str
    err: str


def run_in_process(argv: list[str]) -> Run:
    """cli.main with stdout and stderr as a process without a terminal has them (UTF-8; strict, backslashreplace)."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict", newline="\n", write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace", newline="\n",
                           write_through=True)
    render.console.cache_clear()  # one console per process, as when typed in a shell
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = cli.main(list(argv))
    finally:
        sys.stdout, sys.stderr = saved
    return Run(code, out.buffer.getvalue().decode("utf-8"), err.buffer.getvalue().decode("utf-8", "replace"))


def fingerprint(world: World) -> dict:
    """Every table as stored (3-10 ms on this database, so every refused example is checked in full)."""
    return snapshot(world.url)


def check(argv: list[str], result: Run) -> None:
    """The contract's promises for one run of the command."""
    assert result.code in (0, 1, 2), f"exit {result.code}: {result.err}"
    assert "Traceback" not in result.err + result.out, result.err
    json_wanted = "--json" in argv
    if result.code == 0:
        if json_wanted and "--help" not in argv and not result.out.startswith("Usage:") and "export" not in argv:
            json.loads(result.out)  # exactly one document (calendar export writes the .ics, also with --json)
        return
    lines = result.err.splitlines()  # every line break a terminal knows: \n, \r, \v, \f, \x1c-\x1e, \x85, \u2028…
    assert len(lines) == 1 and lines[0].startswith("screening: ") and result.err.endswith("\n"), result.err
    if json_wanted:
        document = json.loads(result.out)  # fails on a second document or any other text
        assert set(document) == {"error"} and {"code", "message"} <= set(document["error"]), result.out
        assert len(document["error"]["message"].splitlines()) == 1, result.out
    else:
        assert result.out == "", result.out


# Regressions: one example for each bug the fuzz found (the fix named beside it).
@given(argv=invocation())
@example(argv=["--db", DB, "--as", ADMIN, "--now", "\n", "case", "list"])  # a message quoting a newline: errors.py
@example(argv=["--db", DB, "--as", ADMIN, "case", "show", "SC-\u2028X", "--json"])  # the same, \u2028
@example(argv=["--db", DB, "--as", ADMIN, "case", "list", "--bogus\u2028x"])  # a usage error quoting U+2028: cli.fail
@example(argv=["--db", DB, "--as", "\udcff", "case", "list"])  # a lone surrogate given to SQLite (exit 3)
@example(argv=["--db", DB, "--as", HC, "--json", "case", "event", Ref("case", 4), "book_health_conversation",
               "--set", "start=\udcff"])  # a lone surrogate in a --json error: a traceback
@example(argv=["--db", DB, "--json", "--\udcff"])  # the same in a usage error: cli.fail
@example(argv=["--db", DB, "--as", COORDINATOR, "report", "--format", "csv", "--out",
               Ref("path", "out/\udcff.csv")])  # a file name that is not UTF-8, printed (exit 3)
@example(argv=["--db", DB, "--as", ADMIN, "alerts", "ack", str(2**63)])  # past SQLite's integers (exit 3)
@example(argv=["--db", DB, "--as", COORDINATOR, "outbox", "retry", str(2**63)])  # the same
@example(argv=["--db", DB, "--as", COORDINATOR, "--now", "9999-12-31T23:59", "overview"])  # date overflow (exit 3)
@example(argv=["--db", DB, "--as", ADMIN, "--now", "0001-01-01T00:00+14:00", "case", "list"])  # the same
@example(argv=["--db", DB, "--as", COORDINATOR, "report", "--from", "0001-01-01"])  # the same
@example(argv=["--db", DB, "--as", HC, "calendar", "free", "--health-centre", HC, "--from", "9999-12-31T00:00"])
@example(argv=["--db", DB, "--as", RECEPTION, "case", "register", "--birth-date", "2019-04-02", "--municipality",
               "Östersund", "--arrival", "9999-12-31"])  # AssertionError in the deadlines (exit 3)
@example(argv=["--db", DB, "--as", RECEPTION, "--now", NOW, "case", "event", Ref("case", 0), "change_arrival",
               "--set", "arrival=0001-01-01"])  # ValueError (exit 3)
@example(argv=["--db", DB, "--as", HC, "--now", NOW, "case", "book", Ref("case", 4), "--start", "9999-12-31T10:00"])
# ^ booked in year 9999, then exit 3 "nothing was changed"; every calendar export after it failed
@example(argv=["--db", DB, "--as", COORDINATOR, "report", "--chart", "/"])  # ValueError (exit 3): charts.py
@example(argv=["--db", DB, "--as", COORDINATOR, "report", "--format", "csv", "--out", ""])  # the same: cli._write_file
@FUZZ
def test_any_arguments_end_in_exit_0_1_or_2_with_one_line_and_no_change_when_refused(world, argv):
    argv = [world.resolve(item) for item in argv]
    before = fingerprint(world)

    result = run_in_process(argv)

    check(argv, result)
    if result.code != 0:
        assert fingerprint(world) == before, "a refused command changed the database"


# --- the real console script --------------------------------------------------------------------

ENVIRONMENTS = [
    {}, {"LC_ALL": "C"}, {"LC_ALL": "C", "PYTHONIOENCODING": "ascii"},
    {"PYTHONIOENCODING": "latin-1"},  # a Swedish ISO-8859-1 terminal
]


@given(argv=invocation(), environment=st.sampled_from(ENVIRONMENTS))
@example(argv=["--db", DB, "org", "list"], environment={"LC_ALL": "C", "PYTHONIOENCODING": "ascii"})  # Ö: exit 3
@example(argv=["--db", DB, "--as", ADMIN, "--json", "case", "show", "SC-🙂"],
         environment={"PYTHONIOENCODING": "latin-1"})  # a traceback from cli.fail
@example(argv=["--db", DB, "--as", ADMIN, "case", "show", "SC-\udcff"], environment={})  # the byte 0xff in argv
@IN_A_PROCESS
def test_the_console_script_in_any_locale_ends_in_exit_0_1_or_2_with_one_line(world, argv, environment):
    argv = [world.resolve(item) for item in argv]
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("SCREENING_", "LC_", "PYTHONIOENCODING"))},
           "XDG_DATA_HOME": str(world.tmp / "xdg"), **environment}
    before = fingerprint(world)

    # a str argument with a lone surrogate goes to the process as the byte it stands for (os.fsencode)
    done = subprocess.run([str(SCRIPT), *argv], capture_output=True, env=env, cwd=world.tmp / "out", timeout=120)

    encoding = "latin-1" if environment.get("PYTHONIOENCODING") == "latin-1" else "utf-8"
    check(argv, Run(done.returncode, done.stdout.decode(encoding), done.stderr.decode(encoding, "replace")))
    if done.returncode != 0:
        assert fingerprint(world) == before, "a refused command changed the database"


@pytest.mark.parametrize("args", [
    ("org", "list"), ("--json", "org", "list"), ("--as", ADMIN, "user", "list"),
    ("--as", HC, "calendar", "export", "--health-centre", HC),
])
def test_a_reader_that_goes_away_ends_the_command_quietly(world, args):
    """`screening … | head -1`: the pipe closed before anything is written. Click exits 1 without a word."""
    reading, writing = os.pipe()
    os.close(reading)
    try:
        done = subprocess.run([str(SCRIPT), "--db", world.url, *args], stdout=writing, stderr=subprocess.PIPE,
                              timeout=60, env={k: v for k, v in os.environ.items() if not k.startswith("SCREENING_")})
    finally:
        os.close(writing)

    assert done.returncode in (0, 1), done.stderr
    assert b"Traceback" not in done.stderr and b"Exception ignored" not in done.stderr, done.stderr


@pytest.mark.parametrize("user_id", ["", " ", "nurse anna", "a\nb", "\x1b[2J", "x" * 65])
def test_a_user_id_that_could_not_be_typed_back_is_refused(world, user_id):
    before = fingerprint(world)

    result = run_in_process(["--db", world.url, "--as", ADMIN, "--json", "user", "add", user_id,
                             "--role", "reception", "--org", RECEPTION])

    check(["--json"], result)
    assert result.code == 2
    assert fingerprint(world) == before
