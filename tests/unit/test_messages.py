"""Errors said in Swedish (English as a setting): every error is raised as a literal English template
with its facts apart, the catalogue (screening/data/messages.sv.toml) says each in Swedish naming the
same facts, and the facts are said in the reader's words."""

from __future__ import annotations

import ast
import string
import tomllib
from datetime import datetime
from pathlib import Path

import pytest

from screening import clock
from screening.errors import BadInput, NotFound, Refused, StaleWrite
from screening.sayings import describe_unexpected, said
from screening.sayings import CATALOGUE, say

ROOT = Path(__file__).resolve().parents[2]
SCANNED = [ROOT / "cli.py"] + sorted(p for folder in ("screening", "workflows", "notifications", "web")
                                     for p in (ROOT / folder).rglob("*.py"))


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _error_classes(trees: dict[Path, ast.Module]) -> set[str]:
    """ScreeningError and every class that derives from it, by name, across the scanned code."""
    bases: dict[str, set[str]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(filter(None, map(_name, node.bases)))
    found = {"ScreeningError"}
    while more := {cls for cls, of in bases.items() if of & found} - found:
        found |= more
    return found


def _aliases(tree: ast.Module, classes: set[str]) -> set[str]:
    """Names bound to one of the error classes (`kind = Permanent… if … else Temporary…`)."""
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            options = [value.body, value.orelse] if isinstance(value, ast.IfExp) else [value]
            if all(_name(option) in classes for option in options):
                aliases.add(node.targets[0].id)
    return aliases


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level string constants (DISK_FULL = "…")."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            found[node.targets[0].id] = node.value.value
    return found


def scan(files=SCANNED, root=ROOT):
    """(templates raised or said: {template: [where, …]}, problems: [text, …]). Every error built is
    built from a string literal and keywords that give every fact the template names; the edge's
    own texts (`say(...)`) likewise, or from a module's constant."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in files}
    classes = _error_classes(trees)
    templates: dict[str, list[str]] = {}
    problems = []
    constants = {name: text for tree in trees.values() for name, text in _constants(tree).items()}  # imported too
    for path, tree in trees.items():
        errors = classes | _aliases(tree, classes)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            called = _name(node.func)
            if called not in errors and called != "say":
                continue
            where = f"{path.relative_to(root) if path.is_relative_to(root) else path}:{node.lineno}"
            first = node.args[0] if node.args else None
            if called == "say" and isinstance(first, ast.Name) and first.id in constants:
                template = constants[first.id]
            elif isinstance(first, ast.Constant) and isinstance(first.value, str):
                template = first.value
            elif called == "say" and isinstance(first, ast.Attribute) and first.attr == "template":
                continue  # sayings.said: the template of an error built elsewhere
            else:
                problems.append(f"{where}: {ast.unparse(node)[:120]} is not built from a string literal")
                continue
            templates.setdefault(template, []).append(where)
            if called == "say":
                given = _said_facts(node)
            else:
                given = None if any(k.arg is None for k in node.keywords) else {k.arg for k in node.keywords}
            if given is not None and not placeholders(template) <= given:
                problems.append(f"{where}: {template!r} names {sorted(placeholders(template) - given)}, "
                                "which the raise does not give")
    return templates, problems


def _said_facts(node: ast.Call) -> set[str] | None:
    facts = node.args[1] if len(node.args) > 1 else None
    if isinstance(facts, ast.Dict) and all(isinstance(k, ast.Constant) for k in facts.keys):
        return {k.value for k in facts.keys}
    return None


def placeholders(template: str) -> set[str]:
    """The facts a template names ({case}, {start:%H:%M} and {value!r} name case, start, value)."""
    names = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field is not None:
            names.add(field.split(".")[0].split("[")[0])
    return names


def catalogue() -> dict[str, str]:
    return tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def scanned():
    return scan()


def test_every_error_is_raised_as_a_literal_template_with_its_facts(scanned):
    templates, problems = scanned
    assert len(templates) > 150  # the scan found the raises (a broken scan must not pass by finding none)
    assert problems == []


def test_the_scan_catches_an_f_string_a_concatenation_a_format_and_a_variable(tmp_path):
    code = tmp_path / "bad.py"
    code.write_text(
        "from screening.errors import BadInput, Refused\n"
        "class Special(Refused):\n    pass\n"
        "def f(case_id, text, kind):\n"
        "    if kind == 1:\n        raise Refused(f'case {case_id} has no health centre')\n"
        "    if kind == 2:\n        raise BadInput('case ' + case_id)\n"
        "    if kind == 3:\n        raise Special('case {}'.format(case_id))\n"
        "    if kind == 4:\n        raise BadInput(text)\n"
        "    raise BadInput('case {case} is {state}', case=case_id)\n", encoding="utf-8")
    templates, problems = scan([ROOT / "screening" / "errors.py", code], root=tmp_path)
    problems = [problem for problem in problems if problem.startswith("bad.py")]
    assert sorted(int(problem.split(":")[1]) for problem in problems) == [6, 8, 10, 12, 13]
    assert [problem for problem in problems if "bad.py:13:" in problem and "names ['state']" in problem]
    assert "case {case} is {state}" in templates
    assert not any(where.startswith("bad.py") for template, wheres in templates.items() for where in wheres
                   if template != "case {case} is {state}")


def test_the_catalogue_says_every_template_raised_and_nothing_else(scanned):
    templates, _ = scanned
    swedish = catalogue()
    assert sorted(set(templates) - set(swedish)) == []  # raised but not said in Swedish
    assert sorted(set(swedish) - set(templates)) == []  # said in Swedish but raised nowhere


def test_each_swedish_template_names_exactly_the_facts_of_its_english_one():
    for english, swedish in catalogue().items():
        assert placeholders(swedish) == placeholders(english), english
        words = "".join(text for text, *_ in string.Formatter().parse(english))
        assert swedish != english or not any(ch.isalpha() for ch in words), f"not translated: {english}"


def test_the_templates_fill_in_with_facts_of_their_kind_in_either_language():
    """Each says itself with made-up facts (a datetime where the English formats one, a number where
    it formats a number, a list where it joins one): no format spec of the English breaks the Swedish."""
    moment = datetime(2026, 11, 25, 10, 0, tzinfo=clock.STOCKHOLM)
    for english in catalogue():
        facts = {}
        for _, field, spec, _ in string.Formatter().parse(english):
            if field is not None:
                facts[field] = moment if "%" in (spec or "") else 7 if spec in ("02d", "g") else \
                    ["a", "b"] if spec == "and" else "ö"
        swedish = say(english, facts, "sv")
        assert "{" not in swedish and "}" not in swedish, english
        assert ("ons 25 nov 2026 10:00" in swedish) == (moment in facts.values()), english
        assert say(english, facts, "en")


# --- how facts are said ------------------------------------------------------------------------

LATEST = datetime(2026, 11, 25, 10, 0, 30, tzinfo=clock.STOCKHOLM)


def stale() -> StaleWrite:
    return StaleWrite("case {case} was changed by someone else meanwhile: its {track} track has a step at "
                      "{latest:%Y-%m-%d %H:%M:%S}, after the clock; read it again and retry", case="SC-7",
                      track="health", latest=clock.local(LATEST))


def test_a_datetime_keeps_the_english_format_and_is_said_in_words_in_swedish():
    error = stale()
    assert error.message == ("case SC-7 was changed by someone else meanwhile: its health track has a step at "
                             "2026-11-25 10:00:30, after the clock; read it again and retry")
    assert said(error, "sv") == ("ärende SC-7 har ändrats av någon annan under tiden: hälsospåret har ett steg "
                                "ons 25 nov 2026 10:00, senare än klockan; läs in ärendet igen och försök på nytt")
    assert said(error, "en").startswith("case SC-7 was changed by someone else meanwhile: its health track has a "
                                       "step at Wed 25 Nov 2026 10:00, after the clock")


def test_parties_are_said_in_words_and_typed_values_as_typed():
    error = Refused("the role '{role}' may not {event} (only {roles})", role="school_health",
                    event="book_examination", roles=("health_centre", "reception"))
    assert error.message == "the role 'school_health' may not book_examination (only health_centre, reception)"
    assert said(error, "sv") == "rollen elevhälsa får inte göra book_examination (bara hälsocentral, mottagningsenhet)"
    unit = Refused("the catch-up vaccination of this child is for {unit}, not {acting_unit}", unit="school_health",
                   acting_unit="bvc")
    assert unit.message == "the catch-up vaccination of this child is for school_health, not bvc"
    assert said(unit, "sv") == "den kompletterande vaccinationen av det här barnet görs av elevhälsan, inte av BVC"


def test_a_list_is_joined_in_the_readers_language():
    error = Refused("the role '{role}' may give {event} only {only:and}, not {beyond}", role="health_centre",
                    event="update_details", only=("language", "interpreter"), beyond=["name", "school"])
    assert error.message == "the role 'health_centre' may give update_details only language and interpreter, not " \
                            "name, school"
    assert said(error, "sv") == "rollen hälsocentral får bara ange language och interpreter för update_details, " \
                               "inte name, school"


def test_an_error_inside_another_is_said_in_the_same_language():
    inner = BadInput("must be one of {values}, not '{value}'", values=["yes", "no", "ja", "nej"], value="kanske")
    outer = BadInput("{event}: {key} {error}", event="record_results", key="obstacle", error=inner)
    assert outer.message == "record_results: obstacle must be one of yes, no, ja, nej, not 'kanske'"
    assert said(outer, "sv") == "record_results: obstacle måste vara något av yes, no, ja, nej, inte 'kanske'"
    assert said(outer, "en") == outer.message


def test_a_conflict_of_identity_numbers_names_the_number_in_words():
    from screening.model import IdentityConflict

    conflict = IdentityConflict("the case already has a different {number}", number="dossier")
    refusal = Refused("case {case}: {conflict}", case="SC-1", conflict=conflict)
    assert refusal.message == "case SC-1: the case already has a different dossier"
    assert said(refusal, "sv") == "ärende SC-1: ärendet har redan ett annat dossiernummer"


def test_what_was_typed_stays_visible_on_one_line_in_either_language():
    error = NotFound("unknown case '{case}'", case="SC-1\nrm -rf")
    assert error.message == "unknown case 'SC-1\\nrm -rf'"
    assert said(error, "sv") == "okänt ärende 'SC-1\\nrm -rf'"


def test_a_template_the_catalogue_lacks_is_said_in_english_and_an_unknown_language_in_swedish():
    assert say("no such template {x}", {"x": 1}, "sv") == "no such template 1"
    assert say("unknown case '{case}'", {"case": "SC-1"}, "fi") == "okänt ärende 'SC-1'"


def test_every_refusal_of_a_command_has_swedish_words_for_what_it_asks():
    from screening.access import COMMAND_WORDS, COMMANDS
    from screening.sayings import ACTIONS

    asked = {COMMAND_WORDS.get(command, command) for command in COMMANDS}
    assert sorted(asked - set(ACTIONS["sv"])) == []
    assert sorted(set(ACTIONS["sv"]) - asked) == []


def test_the_edges_own_messages_are_said_in_either_language():
    import sqlite3

    assert describe_unexpected(sqlite3.OperationalError("database is locked"), lang="sv") == \
        ("database", "databasfel: database is locked", 2)
    assert describe_unexpected(KeyError("x"), lang="sv") == \
        ("internal", "internt fel (KeyError); ingenting ändrades. Rapportera gärna felet.", 3)
    assert describe_unexpected(KeyError("x")) == \
        ("internal", "internal error (KeyError); nothing was changed. Please report it.", 3)
