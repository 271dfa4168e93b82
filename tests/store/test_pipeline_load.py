"""The pipeline's load and prepare hops: bytes read up to a budget, preparing ahead bounded too."""

from __future__ import annotations

import pytest

from quotemaild.clock import SystemClock
from quotemaild.edges import pipeline, pipeline_load
from quotemaild.edges.pipeline import Outcome, Steps, process_batch
from quotemaild.edges.pipeline_load import Preparing, load_batch
from quotemaild.services.ingest import IngestSettings
from quotemaild.services.tenants import NewTenant, add_tenant
from tests.conftest import DOMAIN, make_mail
from tests.support.raws import add_pending_raw

CLOCK = SystemClock()
SETTINGS = IngestSettings(domain=DOMAIN)


def stored(sessions, count: int) -> list[int]:
    with sessions.begin() as s:
        tenant_id = add_tenant(s, NewTenant("Acme", "acme"), CLOCK).id
        mails = [make_mail(subject=f"Vraag {n}", message_id=f"<m{n}@example.org>") for n in range(count)]
        return [add_pending_raw(s, tenant_id, mail) for mail in mails]


def test_the_bytes_beyond_the_load_budget_are_read_when_prepared(sessions, monkeypatch):
    ids = stored(sessions, 5)
    size = len(make_mail(subject="Vraag 0", message_id="<m0@example.org>"))
    monkeypatch.setattr(pipeline_load, "LOAD_BYTES", 2 * size + 1)  # room for two
    loaded = load_batch(sessions, ids, SETTINGS)
    assert [one.data is not None for one in loaded] == [True, True, False, False, False]
    assert all(one.size == size for one in loaded)
    for one in loaded:
        one.prepare(SETTINGS)
    assert all(one.prepared is not None and one.data is None for one in loaded)
    assert [one.prepared.message_id for one in loaded] == [f"<m{n}@example.org>" for n in range(5)]


def test_a_batch_beyond_the_load_budget_is_processed_whole(sessions, monkeypatch):
    ids = stored(sessions, 6)
    monkeypatch.setattr(pipeline_load, "LOAD_BYTES", 1)  # nothing read up front
    done = process_batch(sessions, ids, Steps(SETTINGS, CLOCK))
    assert [d.outcome for d in done] == [Outcome.PROCESSED] * 6


def test_preparing_ahead_stops_at_its_byte_budget_and_goes_on_once_written(sessions, monkeypatch):
    ids = stored(sessions, 5)
    loaded = load_batch(sessions, ids, SETTINGS)
    monkeypatch.setattr(pipeline_load, "AHEAD_BYTES", 2 * loaded[0].size)
    step = Preparing(loaded, SETTINGS)
    assert step() and step() and not step()  # two ahead, then the budget is spent
    assert [one.ready for one in loaded] == [True, True, False, False, False]
    # The first two written: a transaction for the rest prepares two more ahead.
    step = Preparing(loaded[2:], SETTINGS)
    assert step() and step() and not step()
    assert [one.ready for one in loaded] == [True] * 4 + [False]


def test_one_message_bigger_than_the_budget_is_still_prepared_ahead_alone(sessions, monkeypatch):
    ids = stored(sessions, 2)
    loaded = load_batch(sessions, ids, SETTINGS)
    monkeypatch.setattr(pipeline_load, "AHEAD_BYTES", 1)
    step = Preparing(loaded, SETTINGS)
    assert step() and not step()
    assert [one.ready for one in loaded] == [True, False]


def test_store_trouble_while_reading_is_not_recorded_as_the_message_failing(sessions, monkeypatch):
    ids = stored(sessions, 3)
    monkeypatch.setattr(pipeline_load, "LOAD_BYTES", 1)  # every message read when prepared
    loaded = load_batch(sessions, ids, SETTINGS)
    calls: list[int] = []
    real_read = loaded[0].read

    def flaky(raw_id: int) -> bytes:
        calls.append(raw_id)
        if len(calls) == 1:
            raise OSError("disk I/O error")
        return real_read(raw_id)

    for one in loaded:
        one.read = flaky
    with pytest.raises(OSError):
        loaded[0].prepare(SETTINGS)
    assert not loaded[0].ready and loaded[0].error is None  # not marked as a bad message
    loaded[0].prepare(SETTINGS)  # read again: fine now
    assert loaded[0].prepared is not None


def test_a_batch_whose_read_fails_once_is_written_message_by_message(sessions, monkeypatch):
    ids = stored(sessions, 3)
    monkeypatch.setattr(pipeline_load, "LOAD_BYTES", 1)
    real_read_big, calls = pipeline_load.read_big, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk I/O error")
        return real_read_big(*args, **kwargs)

    monkeypatch.setattr(pipeline_load, "read_big", flaky)
    done = process_batch(sessions, ids, Steps(SETTINGS, CLOCK))
    assert [d.outcome for d in done] == [Outcome.PROCESSED] * 3


def test_a_written_message_lets_go_of_what_it_was_parsed_into(sessions, monkeypatch):
    ids = stored(sessions, 4)
    batches: list[list] = []
    real_load = pipeline.load_batch

    def load(*args, **kwargs):
        batches.append(real_load(*args, **kwargs))
        return batches[-1]

    monkeypatch.setattr(pipeline, "load_batch", load)
    done = process_batch(sessions, ids, Steps(SETTINGS, CLOCK))
    assert [d.outcome for d in done] == [Outcome.PROCESSED] * 4
    assert all(one.released and one.prepared is None and one.data is None for one in batches[0])
    # The outcome keeps the threading decision, not the parsed message.
    assert [(d.result.decision.verdict, d.result.parsed) for d in done] == [("new", None)] * 4
    [one] = process_batch(sessions, ids[:1], Steps(SETTINGS, CLOCK))  # no longer pending
    assert one.outcome is Outcome.SKIPPED
