"""The access log's follow-up (HSLF-FS 2016:40 4 kap. 9 §): `audit sample` draws a documented random
sample of the reads of cases in a period, for a coordinator or admin of every case, for a health centre
of its own cases only; the draw is recorded (and can be drawn again from the record), and so is its
review (`audit review`). Other roles are refused and nothing is recorded."""

from __future__ import annotations

import pytest

from screening.services.audit_sample import choose
from tests.e2e.support import HC, RECEPTION, assert_one_line_error, register
from tests.security.conftest import snapshot

COORDINATOR, KROKOM_HC = "region-coordinator", "hc-krokom"
SAMPLED_AT = "2026-11-23T12:00"  # the default period: 2026-10-25 to 2026-11-23


@pytest.fixture
def reads(run, cli_db):
    """Two cases (Östersund's at hc-lugnvik, Krokom's at hc-krokom), and reads of them at known times;
    returns the cases and each read as (case, user, kind, minute)."""
    ostersund = register(run, cli_db, now="2026-10-20T09:00")
    krokom = register(run, cli_db, user="krokom-reception", municipality="Krokom", now="2026-10-20T09:00")

    def did(*args, user, now):
        assert run(*args, db=cli_db, user=user, now=now).code == 0

    did("case", "show", ostersund, user=HC, now="2026-10-20T10:00")  # before the default period
    did("case", "show", ostersund, user=HC, now="2026-10-25T00:30")  # its first day
    did("case", "list", user=COORDINATOR, now="2026-11-20T10:00")  # both cases
    did("case", "show", krokom, user=KROKOM_HC, now="2026-11-21T10:00")
    did("case", "history", ostersund, "--reads", user=HC, now="2026-11-22T10:00")
    # an event is no read, but the case it answers with is
    did("case", "event", ostersund, "notify_parties", user=RECEPTION, now="2026-11-22T11:00")
    made = {(ostersund, HC, "show", "2026-10-25T00:30"), (ostersund, COORDINATOR, "list", "2026-11-20T10:00"),
            (krokom, COORDINATOR, "list", "2026-11-20T10:00"), (krokom, KROKOM_HC, "show", "2026-11-21T10:00"),
            (ostersund, HC, "history", "2026-11-22T10:00"), (ostersund, RECEPTION, "show", "2026-11-22T11:00")}
    return ostersund, krokom, made


def sample(run, url, *options, user=COORDINATOR, now=SAMPLED_AT):
    drawn = run("audit", "sample", *options, db=url, user=user, now=now)
    assert drawn.code == 0, drawn.err
    return drawn.data


def seen(reads: list[dict]) -> set:
    return {(r["case"], r["user"], r["kind"], r["at"][:16]) for r in reads}


def recorded_samples(run, url) -> list[dict]:
    return run("audit", "history", "--kind", "sample", db=url, user="admin").data


def test_a_coordinator_samples_every_read_of_the_period_and_no_event(run, cli_db, reads):
    _, _, made = reads

    drawn = sample(run, cli_db, "--size", "100")

    assert seen(drawn) == made  # the reads of the last 30 days, of every case; not the older one, no event
    assert {r["org"] for r in drawn if r["user"] == KROKOM_HC} == {KROKOM_HC}
    assert len({r["sample"] for r in drawn}) == 1
    [record] = recorded_samples(run, cli_db)
    detail = record["detail"]
    assert (record["user"], detail["sample"], detail["from"], detail["to"]) == (
        COORDINATOR, drawn[0]["sample"], "2026-10-25", "2026-11-23")
    assert detail["population"] == 6 and detail["reads"] == [r["id"] for r in drawn]
    assert detail["health_centre"] is None and len(detail["seed"]) == 16


def test_a_period_given_limits_the_sample_to_it(run, cli_db, reads):
    ostersund, krokom, _ = reads
    drawn = sample(run, cli_db, "--from", "2026-11-01", "--to", "2026-11-20", "--size", "100")
    assert seen(drawn) == {(ostersund, COORDINATOR, "list", "2026-11-20T10:00"),
                           (krokom, COORDINATOR, "list", "2026-11-20T10:00")}


def test_a_health_centre_samples_only_its_own_cases_reads(run, cli_db, reads):
    ostersund, _, made = reads
    drawn = sample(run, cli_db, "--size", "100", user=HC)
    assert seen(drawn) == {read for read in made if read[0] == ostersund}
    assert recorded_samples(run, cli_db)[0]["detail"]["health_centre"] == HC


def test_the_draw_is_random_and_can_be_drawn_again_from_its_record(run, cli_db, reads):
    population = [r["id"] for r in sample(run, cli_db, "--size", "100")]
    draws = [sample(run, cli_db, "--size", "2") for _ in range(12)]

    assert all(len(d) == 2 and {r["id"] for r in d} <= set(population) for d in draws)
    assert len({tuple(r["id"] for r in d) for d in draws}) > 1  # 12 draws of 2 of 6 all alike: 1 in 10^14
    for record in recorded_samples(run, cli_db)[1:]:
        detail = record["detail"]
        assert detail["up_to"] >= max(population) and detail["population"] == len(population)
        assert choose(population, 2, int(detail["seed"], 16)) == detail["reads"]


@pytest.mark.parametrize("user", [RECEPTION, "ostersund-school-norrby", "ostersund-preschool-solrosen",
                                  "ostersund-school-health", "ostersund-bvc"])
def test_the_other_roles_may_not_sample_nor_review_and_nothing_is_recorded(run, cli_db, reads, user):
    sample_id = sample(run, cli_db)[0]["sample"]
    before = snapshot(cli_db)
    assert_one_line_error(run("audit", "sample", db=cli_db, user=user, now=SAMPLED_AT), 1)
    assert_one_line_error(run("audit", "review", sample_id, "--ok", db=cli_db, user=user, now=SAMPLED_AT), 1)
    assert snapshot(cli_db) == before


def test_bad_sizes_and_periods_are_bad_input_and_record_nothing(run, cli_db, reads):
    before = snapshot(cli_db)
    for options in (("--size", "0"), ("--size", "501"), ("--size", "many"), ("--from", "2026-11-20", "--to",
                                                                              "2026-11-19"), ("--from", "idag")):
        assert_one_line_error(run("audit", "sample", *options, db=cli_db, user=COORDINATOR, now=SAMPLED_AT), 2)
    assert snapshot(cli_db) == before


def test_a_review_is_recorded_once_by_the_centre_it_was_drawn_for_or_a_coordinator(run, cli_db, reads):
    theirs = sample(run, cli_db)[0]["sample"]
    own = sample(run, cli_db, user=HC)[0]["sample"]
    before = snapshot(cli_db)
    assert_one_line_error(run("audit", "review", theirs, "--ok", db=cli_db, user=HC, now=SAMPLED_AT), 2)  # unknown
    assert_one_line_error(run("audit", "review", own, "--ok", db=cli_db, user=KROKOM_HC, now=SAMPLED_AT), 2)
    assert_one_line_error(run("audit", "review", "no-such", "--ok", db=cli_db, user=COORDINATOR), 2)
    for options in ((), ("--ok", "--finding", "x")):
        assert_one_line_error(run("audit", "review", own, *options, db=cli_db, user=HC, now=SAMPLED_AT), 2)
    assert snapshot(cli_db) == before

    done = run("audit", "review", own, "--finding", "hc-krokom läste ärendet utan att ha det", db=cli_db, user=HC,
               now=SAMPLED_AT)
    assert done.code == 0, done.err
    assert done.data == {"sample": own, "outcome": "finding", "finding": "hc-krokom läste ärendet utan att ha det",
                         "reads": 4, "drawn_by": HC}
    ok = run("audit", "review", theirs, "--ok", db=cli_db, user=COORDINATOR, now=SAMPLED_AT)
    assert ok.code == 0 and ok.data["outcome"] == "ok", ok.err
    again = assert_one_line_error(run("audit", "review", own, "--ok", db=cli_db, user="admin", now=SAMPLED_AT), 1)
    assert "redan granskat" in again["message"]
    reviews = run("audit", "history", "--kind", "review", db=cli_db, user=COORDINATOR).data
    assert [(r["user"], r["detail"]) for r in reviews] == [
        (HC, {"sample": own, "outcome": "finding", "finding": "hc-krokom läste ärendet utan att ha det"}),
        (COORDINATOR, {"sample": theirs, "outcome": "ok"})]


@pytest.mark.parametrize("finding", ["två\nrader", "\u202eomvänd", "x" * 501, "   "])
def test_a_finding_is_one_line_of_at_most_500_characters(run, cli_db, reads, finding):
    own = sample(run, cli_db, user=HC)[0]["sample"]
    before = snapshot(cli_db)
    error = assert_one_line_error(run("audit", "review", own, "--finding", finding, db=cli_db, user=HC), 2)
    assert error["message"].startswith(("fyndet", "ett fynd")), error["message"]
    assert snapshot(cli_db) == before


def test_the_sample_is_shown_in_swedish_with_how_to_record_the_review(run, cli_db, reads, monkeypatch):
    monkeypatch.setenv("SCREENING_LANGUAGE", "sv")
    shown = run("audit", "sample", db=cli_db, user=COORDINATOR, now=SAMPLED_AT, json_output=False)
    assert shown.code == 0, shown.err
    sample_id = recorded_samples(run, cli_db)[0]["detail"]["sample"]
    assert f"Stickprov {sample_id} ur åtkomstloggen" in shown.out and "läste ärendet" in shown.out
    assert f"screening audit review {sample_id}" in " ".join(shown.out.split())
    empty = run("audit", "sample", "--from", "2026-01-01", "--to", "2026-01-31", db=cli_db, user=COORDINATOR,
                now=SAMPLED_AT, json_output=False)
    assert empty.code == 0 and "Inga läsningar 2026-01-01–2026-01-31" in empty.out, empty.out
