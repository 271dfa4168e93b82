"""The processing pipeline on batches: threading as one by one, one bad message fails alone."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import SystemClock
from quotemaild.edges import pending, pipeline, pipeline_load
from quotemaild.edges.pipeline import Outcome, Steps, process_batch, process_one
from quotemaild.services.ingest import IngestSettings
from quotemaild.store.gate import OPEN_GATE
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store.models import Message, OutboxMessage, RawMessage
from quotemaild.wiring import processing_side
from tests.conftest import DOMAIN, make_mail
from tests.support.raws import add_pending_raw

CLOCK = SystemClock()


def thread_mails() -> list[bytes]:
    """An original, an unrelated mail, a reply to the original, a reply to that reply."""
    return [
        make_mail(subject="Offerte ramen", message_id="<orig@example.org>", sender="a@example.org"),
        make_mail(subject="Iets anders", message_id="<other@example.org>", sender="b@example.org"),
        make_mail(subject="Re: Offerte ramen", message_id="<re1@example.org>", sender="a@example.org",
                  extra="In-Reply-To: <orig@example.org>\r\nReferences: <orig@example.org>"),
        make_mail(subject="Re: Re: Offerte ramen", message_id="<re2@example.org>", sender="a@example.org",
                  extra="In-Reply-To: <re1@example.org>\r\nReferences: <orig@example.org> <re1@example.org>"),
    ]  # fmt: skip


def store_all(sessions: sessionmaker[Session], mails: list[bytes]) -> list[int]:
    with sessions.begin() as s:
        tenant_id = add_tenant(s, NewTenant("Acme", "acme"), CLOCK).id
        return [add_pending_raw(s, tenant_id, m, mail_from=f"m{n}@example.org") for n, m in enumerate(mails)]


def threads(sessions: sessionmaker[Session]) -> list[tuple[str, int | None]]:
    """(Message-ID, the request it is on, numbered in order of first appearance)."""
    with sessions() as s:
        rows = s.execute(select(Message.message_id, Message.request_id).order_by(Message.raw_id)).all()
    seen: dict[int | None, int] = {}
    return [(mid, seen.setdefault(rid, len(seen))) for mid, rid in rows]


def test_a_reply_in_the_batch_of_its_original_joins_it_as_one_by_one_would(config, sessions, tmp_path):
    settings = IngestSettings(domain=DOMAIN)
    ids = store_all(sessions, thread_mails())
    done = process_batch(sessions, ids, Steps(settings, CLOCK))
    assert [d.outcome for d in done] == [Outcome.PROCESSED] * 4
    assert [d.result.decision.verdict for d in done if d.result] == ["new", "new", "join", "join"]
    batched = threads(sessions)
    assert batched == [("<orig@example.org>", 0), ("<other@example.org>", 1), ("<re1@example.org>", 0),
                       ("<re2@example.org>", 0)]  # fmt: skip

    # The same mail one by one in a second store gives the same threads.
    from quotemaild.config import config_from_dict
    from quotemaild.store import db
    from tests.conftest import config_dict

    other = config_from_dict(config_dict(tmp_path / "one-by-one"))
    engine = db.make_engine(other.store)
    db.migrate(engine)
    try:
        one_sessions = db.make_sessionmaker(engine)
        for raw_id in store_all(one_sessions, thread_mails()):
            process_one(one_sessions, raw_id, settings, CLOCK)
        assert threads(one_sessions) == batched
    finally:
        engine.dispose()


class _WriterWaiting:
    """A gate whose commit writer always waits (the SQLite `WriteGate` says so while it does);
    its waits are long enough to prepare every message."""

    @contextlib.contextmanager
    def priority(self, sessions: int = 1) -> Iterator[None]:
        yield

    @contextlib.contextmanager
    def background(self, meanwhile: Callable[[], bool] | None = None) -> Iterator[None]:
        while meanwhile is not None and meanwhile():
            pass
        yield

    def wanted(self) -> bool:
        return True

    def contended(self) -> bool:
        return True

    def release_for(self, pid: int) -> bool:
        return False


class _NoWait(_WriterWaiting):
    """A gate that lets processing in at once (the writer idle): every message is prepared
    inside the write transaction."""

    @contextlib.contextmanager
    def background(self, meanwhile: Callable[[], bool] | None = None) -> Iterator[None]:
        yield

    def wanted(self) -> bool:
        return False

    def contended(self) -> bool:
        return False


@pytest.mark.parametrize("gate", [OPEN_GATE, _NoWait()], ids=["prepared-before", "prepared-inside"])
def test_one_bad_message_is_recorded_as_failed_and_the_rest_of_its_batch_commits(sessions, monkeypatch, gate):
    ids = store_all(sessions, thread_mails())
    bad_write, bad_parse = ids[1], ids[3]
    real_process_raw, real_prepare = pipeline.process_raw, pipeline_load.prepare

    def process_raw(session, raw, *args, **kwargs):
        result = real_process_raw(session, raw, *args, **kwargs)  # rows written, then it breaks
        if raw.id == bad_write:
            raise RuntimeError("threading exploded")
        return result

    def prepare(data, *args, **kwargs):
        if b"<re2@example.org>" in data:
            raise ValueError("parser exploded")
        return real_prepare(data, *args, **kwargs)

    monkeypatch.setattr(pipeline, "process_raw", process_raw)
    monkeypatch.setattr(pipeline_load, "prepare", prepare)
    done = process_batch(sessions, ids, Steps(IngestSettings(domain=DOMAIN), CLOCK, gate=gate))
    assert [d.outcome for d in done] == [Outcome.PROCESSED, Outcome.FAILED, Outcome.PROCESSED, Outcome.FAILED]
    with sessions() as s:
        states = {i: state for i, state in s.execute(select(RawMessage.id, RawMessage.state))}
        errors = {i: error for i, error in s.execute(select(RawMessage.id, RawMessage.error))}
        kinds = {i: kind for i, kind in s.execute(select(Message.raw_id, Message.kind))}
    assert [states[i] for i in ids] == ["processed", "failed", "processed", "failed"]
    assert "threading exploded" in errors[bad_write] and "parser exploded" in errors[bad_parse]
    # What the bad message wrote before it broke is gone; only its failure request remains.
    assert kinds[bad_write] == "unprocessed" and kinds[bad_parse] == "unprocessed"
    assert threads(sessions)[2] == ("<re1@example.org>", 0)  # the reply still joined its original


def test_acknowledgements_are_queued_in_the_batch_transaction(config, sessions):
    settings, acknowledge = processing_side(config, CLOCK)
    ids = store_all(sessions, thread_mails())
    done = process_batch(sessions, ids, Steps(settings, CLOCK, acknowledge))
    assert [d.queued_mail for d in done] == [True, True, False, False]  # two new requests, two replies
    with sessions() as s:
        assert len(s.scalars(select(OutboxMessage.id)).all()) == 2


def test_messages_no_longer_pending_are_skipped(sessions):
    ids = store_all(sessions, thread_mails()[:2])
    steps = Steps(IngestSettings(domain=DOMAIN), CLOCK)
    assert [d.outcome for d in process_batch(sessions, ids[:1], steps)] == [Outcome.PROCESSED]
    assert [d.outcome for d in process_batch(sessions, [*ids, 999], steps)] == [
        Outcome.SKIPPED, Outcome.PROCESSED, Outcome.SKIPPED,
    ]  # fmt: skip


@pytest.mark.parametrize("count", [0, 1, 5])
def test_pending_ids_and_count_see_the_store(sessions, count):
    ids = store_all(sessions, thread_mails()[:1] * count) if count else []
    assert pending.pending_ids(sessions) == ids
    assert pending.pending_ids(sessions, after=ids[0] if ids else 0, limit=2) == ids[1:3]
    assert pending.pending_count(sessions) == (count, max(ids, default=0))


def test_a_waiting_commit_writer_ends_the_batch_transaction_early(sessions):
    """With the writer waiting, each message commits on its own; the outcome is the same."""
    ids = store_all(sessions, thread_mails())
    commits: list[int] = []
    engine = sessions.kw["bind"]
    listener = lambda conn: commits.append(1)  # noqa: E731
    event.listen(engine, "commit", listener)
    try:
        done = process_batch(sessions, ids, Steps(IngestSettings(domain=DOMAIN), CLOCK, gate=_WriterWaiting()))
    finally:
        event.remove(engine, "commit", listener)
    assert [d.outcome for d in done] == [Outcome.PROCESSED] * 4
    assert len(commits) == 4
    assert [n for _, n in threads(sessions)] == [0, 1, 0, 0]


def test_messages_prepared_inside_the_transaction_thread_as_one_by_one(sessions, monkeypatch):
    """Nothing prepared while waiting: the transaction prepares a few at a time, and their
    look-ups still see what the batch wrote before them."""
    monkeypatch.setattr(pipeline, "INLINE", 1)
    ids = store_all(sessions, thread_mails())
    with savepoints_counted(sessions) as names:
        done = process_batch(sessions, ids, Steps(IngestSettings(domain=DOMAIN), CLOCK, gate=_NoWait()))
    assert [d.outcome for d in done] == [Outcome.PROCESSED] * 4
    assert names == []
    assert [n for _, n in threads(sessions)] == [0, 1, 0, 0]


def test_a_message_that_cannot_be_prepared_inside_the_transaction_lets_the_ones_before_commit(
    sessions, monkeypatch
):
    monkeypatch.setattr(pipeline, "INLINE", 1)
    ids = store_all(sessions, thread_mails())
    real_prepare = pipeline_load.prepare

    def prepare(data, *args, **kwargs):
        if b"<re2@example.org>" in data:
            raise ValueError("parser exploded")
        return real_prepare(data, *args, **kwargs)

    monkeypatch.setattr(pipeline_load, "prepare", prepare)
    commits: list[int] = []
    engine = sessions.kw["bind"]
    listener = lambda conn: commits.append(1)  # noqa: E731
    event.listen(engine, "commit", listener)
    try:
        with savepoints_counted(sessions) as names:
            done = process_batch(sessions, ids, Steps(IngestSettings(domain=DOMAIN), CLOCK, gate=_NoWait()))
    finally:
        event.remove(engine, "commit", listener)
    assert [d.outcome for d in done] == [Outcome.PROCESSED] * 3 + [Outcome.FAILED]
    # The three good ones in one transaction without savepoints; the bad one in its own.
    assert len(commits) == 2 and len(names) == 1
    assert [n for _, n in threads(sessions)][:3] == [0, 1, 0]  # the reply joined its original


@contextlib.contextmanager
def savepoints_counted(sessions: sessionmaker[Session]) -> Iterator[list[str]]:
    """The names of the SAVEPOINTs the engine opens while inside."""
    names: list[str] = []
    engine = sessions.kw["bind"]
    listener = lambda conn, name: names.append(name)  # noqa: E731
    event.listen(engine, "savepoint", listener)
    try:
        yield names
    finally:
        event.remove(engine, "savepoint", listener)


def test_a_batch_where_nothing_fails_is_written_without_savepoints(sessions):
    ids = store_all(sessions, thread_mails())
    with savepoints_counted(sessions) as names:
        done = process_batch(sessions, ids, Steps(IngestSettings(domain=DOMAIN), CLOCK))
    assert [d.outcome for d in done] == [Outcome.PROCESSED] * 4
    assert names == []
    assert [n for _, n in threads(sessions)] == [0, 1, 0, 0]


def test_a_message_failing_in_a_batch_without_savepoints_redoes_the_batch_with_them(sessions, monkeypatch):
    ids = store_all(sessions, thread_mails())
    real_process_raw = pipeline.process_raw
    calls: list[int] = []

    def process_raw(session, raw, *args, **kwargs):
        calls.append(raw.id)
        result = real_process_raw(session, raw, *args, **kwargs)
        if raw.id == ids[2]:
            raise RuntimeError("threading exploded")
        return result

    monkeypatch.setattr(pipeline, "process_raw", process_raw)
    with savepoints_counted(sessions) as names:
        done = process_batch(sessions, ids, Steps(IngestSettings(domain=DOMAIN), CLOCK))
    # First pass without savepoints up to the failure, then the whole batch again with them:
    # one per message, and one more for the failure record.
    assert calls == [ids[0], ids[1], ids[2], *ids]
    assert len(names) == 5
    assert [d.outcome for d in done] == [Outcome.PROCESSED, Outcome.PROCESSED, Outcome.FAILED, Outcome.PROCESSED]
    with sessions() as s:
        kinds = {i: kind for i, kind in s.execute(select(Message.raw_id, Message.kind))}
        assert len(s.scalars(select(Message.id)).all()) == 4  # nothing of the first pass is left
    assert kinds[ids[2]] == "unprocessed"
    # re2 answers re1, which failed: it threads by its References to the original, as one by one.
    assert [n for _, n in threads(sessions)] == [0, 1, 2, 0]


def test_a_worker_prepares_its_batch_while_it_waits_for_its_turn(sessions):
    """Several workers: while a lower id of another worker is still pending, the batch is parsed
    (the other worker writes meanwhile); once it is processed, the batch is written."""
    ids = store_all(sessions, thread_mails())
    steps = Steps(IngestSettings(domain=DOMAIN), CLOCK)
    prepared: list[int] = []  # messages of this batch prepared while the other worker wrote

    def turn(meanwhile: Callable[[], bool]) -> None:
        def step() -> bool:
            if meanwhile():
                prepared.append(1)
                return True
            if not threads(sessions):  # all prepared: now the other worker writes the original
                process_batch(sessions, ids[:1], steps)
            return False

        pending.wait_turn(sessions, ids[:1], step)

    done = process_batch(sessions, ids[1:], steps, turn)
    assert len(prepared) == 3  # every one parsed during the wait
    assert [d.outcome for d in done] == [Outcome.PROCESSED] * 3
    assert [n for _, n in threads(sessions)] == [0, 1, 0, 0]  # the replies joined the original
