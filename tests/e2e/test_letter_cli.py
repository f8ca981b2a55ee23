"""`case letter ID [--examination] [--out FILE]`: the family's letter as a PDF on standard output or in
a file; a language without a letter, or an unchecked translation, is said to the nurse on stderr."""

from __future__ import annotations

import json

from tests.e2e.support import COORDINATOR, HC, NOW, RECEPTION, SCHOOL, assert_one_line_error, register


def booked(run, db, language):
    case_id = register(run, db, "--name", "Amira Hassan", "--language", language, "--interpreter", "--school", SCHOOL)
    assert run("case", "event", case_id, "notify_parties", db=db, user=RECEPTION, now=NOW).code == 0
    assert run("case", "book", case_id, "--start", "2026-11-25T10:00", db=db, user=HC, now=NOW).code == 0
    return case_id


def test_the_nurse_is_told_that_the_familys_text_is_unchecked(run, cli_db, tmp_path):
    case_id = booked(run, cli_db, "ar")
    result = run("case", "letter", case_id, "--out", str(tmp_path / "l.pdf"), db=cli_db, user=HC, now=NOW,
                 json_output=False)
    assert result.code == 0
    assert result.err == ("screening: varning: texten på arabiska är inte granskad av en auktoriserad översättare; "
                          "låt granska den innan brevet används\n")


def test_without_out_the_pdf_goes_to_standard_output_as_it_is(run, cli_db):
    import subprocess
    import sys

    case_id = booked(run, cli_db, "ti")
    printed = subprocess.run([sys.executable, "-c", "import cli, sys; sys.exit(cli.main())", "--db", cli_db, "--as",
                              HC, "--now", NOW, "case", "letter", case_id], capture_output=True, timeout=120)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout.startswith(b"%PDF-") and printed.stdout.rstrip().endswith(b"%%EOF")


def test_with_out_and_json_the_file_is_written_and_named(run, cli_db, tmp_path):
    case_id = booked(run, cli_db, "ti")
    target = tmp_path / "kallelse.pdf"
    result = run("case", "letter", case_id, "--out", str(target), db=cli_db, user=COORDINATOR, now=NOW)
    assert result.code == 0 and json.loads(result.out) == {"out": str(target)}
    assert target.read_bytes().startswith(b"%PDF-")


def test_a_language_without_a_letter_is_said_and_the_letter_is_swedish_and_english(run, cli_db, tmp_path):
    case_id = booked(run, cli_db, "my")
    result = run("case", "letter", case_id, "--out", str(tmp_path / "l.pdf"), db=cli_db, user=HC, now=NOW,
                 json_output=False)
    assert result.code == 0
    assert "det finns ingen kallelse på burmesiska: brevet är på svenska och engelska" in result.err


def test_json_without_out_is_bad_input_and_a_school_is_refused(run, cli_db):
    case_id = booked(run, cli_db, "so")
    assert assert_one_line_error(run("case", "letter", case_id, db=cli_db, user=HC, now=NOW), 2)["code"] == "bad_input"
    refused = assert_one_line_error(run("case", "letter", case_id, "--out", "x.pdf", db=cli_db, user=SCHOOL, now=NOW), 1)
    assert refused["code"] == "refused"


def test_no_booked_examination_no_letter(run, cli_db):
    case_id = booked(run, cli_db, "uk")
    error = assert_one_line_error(run("case", "letter", case_id, "--examination", "--out", "x.pdf", db=cli_db, user=HC,
                                      now=NOW), 1)
    assert error["message"] == f"ärende {case_id} har ingen bokad läkarundersökning att kalla familjen till"
