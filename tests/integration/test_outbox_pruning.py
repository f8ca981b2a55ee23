"""The outbox keeps a sent message for SCREENING_OUTBOX_KEEP_DAYS, then the nightly job deletes it;
queued and dead messages stay whatever their age."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifications import outbox
from notifications.channels import FileChannel
from screening.bootstrap import bootstrap
from screening.clock import STOCKHOLM
from screening.errors import BadInput
from screening.services.events import record_event
from screening.services.registration import Registration, register_in
from screening.services.users import actor_in
from screening.settings import Settings
from screening.storage.unit_of_work import SqlUnitOfWork
from workflows import scheduler
from workflows.policy import Policy

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=STOCKHOLM)


def stored(url: str) -> dict[str, str]:
    with SqlUnitOfWork(url) as uow:
        return {row["key"]: row["status"] for row in uow.conn.all("SELECT key, status FROM outbox")}


def put(url: str, messages: list[tuple[str, str, datetime]]) -> None:
    """Messages as (key, status, when): queued at `when`, and sent or given up then."""
    with SqlUnitOfWork(url) as uow:
        for key, status, when in messages:
            uow.outbox.queue(key, "digest", when, payload={"day": key})
            uow.conn.execute("UPDATE outbox SET status = :status, sent_at = :sent WHERE key = :key", {
                "key": key, "status": status, "sent": uow.conn.timestamp(when) if status == "sent" else None})
        uow.commit()


def test_a_sent_message_goes_after_its_days_and_the_others_stay(demo_db, tmp_path):
    reg = Registration(birth_date=date(2015, 4, 2), municipality="Östersund", notice_at=T0)
    with SqlUnitOfWork(demo_db) as uow:
        case_id, _ = register_in(uow, actor_in(uow, "ostersund-reception"), reg, now=T0, recorded_at=T0)
    with SqlUnitOfWork(demo_db) as uow:
        record_event(uow, actor_in(uow, "ostersund-reception"), case_id, "notify_parties", {},
                             policy=Policy.default(), now=T0, recorded_at=T0)
    with SqlUnitOfWork(demo_db) as uow:
        sent = outbox.dispatch(uow, FileChannel(tmp_path / "eml"), T0 + timedelta(minutes=5))
    assert sent >= 1
    delivered = set(stored(demo_db))
    put(demo_db, [("old-dead", "dead", T0 - timedelta(days=400)), ("old-queued", "queued", T0 - timedelta(days=400)),
                  ("recent-sent", "sent", T0 + timedelta(days=80))])

    assert scheduler.prune_job(bootstrap(demo_db), T0 + timedelta(days=90)) == 0  # sent 89 days 23:55 ago: kept
    assert scheduler.prune_job(bootstrap(demo_db), T0 + timedelta(days=90, minutes=6)) == len(delivered)

    assert stored(demo_db) == {"old-dead": "dead", "old-queued": "queued", "recent-sent": "sent"}
    with SqlUnitOfWork(demo_db) as uow:  # the case and its trail are untouched
        assert uow.cases.get(case_id).health_state == "parties_notified"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ages=st.lists(st.tuples(st.sampled_from(["sent", "queued", "dead"]), st.integers(0, 200)), max_size=25),
       batch=st.integers(1, 6), keep=st.integers(2, 120))
def test_pruning_in_batches_deletes_exactly_the_old_sent_ones(demo_db, monkeypatch, ages, batch, keep):
    monkeypatch.setattr(outbox, "PRUNE_BATCH", batch)
    with SqlUnitOfWork(demo_db) as uow:
        uow.conn.execute("DELETE FROM outbox")
        uow.commit()
    now = T0 + timedelta(days=300)
    messages = [(f"m{i}", status, now - timedelta(days=days, hours=1)) for i, (status, days) in enumerate(ages)]
    put(demo_db, messages)

    with SqlUnitOfWork(demo_db) as uow:
        pruned = outbox.prune(uow, now, timedelta(days=keep))

    gone = {key for key, status, when in messages if status == "sent" and when < now - timedelta(days=keep)}
    assert pruned == len(gone)
    assert set(stored(demo_db)) == {key for key, _, _ in messages} - gone


@pytest.mark.parametrize("text, keep", [("", timedelta(days=90)), ("off", None), ("2", timedelta(days=2)),
                                        (" 365 ", timedelta(days=365))])
def test_the_days_kept_are_a_setting(text, keep):
    assert Settings({"SCREENING_OUTBOX_KEEP_DAYS": text}).keep_sent == keep


@pytest.mark.parametrize("text", ["1", "0", "-5", "90d", "ninety", "1e3", "36501"])
def test_a_days_setting_that_is_no_number_of_days_is_refused(text):
    with pytest.raises(BadInput, match="SCREENING_OUTBOX_KEEP_DAYS must be"):
        Settings({"SCREENING_OUTBOX_KEEP_DAYS": text}).keep_sent


def test_with_the_setting_off_nothing_is_pruned(demo_db, monkeypatch):
    monkeypatch.setenv("SCREENING_OUTBOX_KEEP_DAYS", "off")
    put(demo_db, [("ancient", "sent", T0 - timedelta(days=4000))])
    assert scheduler.prune_job(bootstrap(demo_db), T0) == 0
    assert stored(demo_db) == {"ancient": "sent"}
