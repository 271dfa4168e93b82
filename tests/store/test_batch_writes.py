"""A batch's held-back rows and in-memory Message-ID look-ups: fewer statements, the same store."""

from __future__ import annotations

import collections
import contextlib
from collections.abc import Iterator

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import SystemClock
from quotemaild.edges.pipeline import Outcome, Steps, process_batch
from quotemaild.services.ingest import IngestSettings, process_raw
from quotemaild.store import batch_writes, changes
from quotemaild.store.models import ChangeEvent, Message, MessageRef, QuoteRequest, RawMessage, TimelineEvent
from quotemaild.wiring import processing_side
from tests.conftest import DOMAIN, make_mail
from tests.store.test_pipeline_batches import store_all, thread_mails

CLOCK = SystemClock()


def mixed_mails() -> list[bytes]:
    """Threads, a duplicate of a mail in the same batch, a reply by References only, and a reply
    whose original is not in the store at all."""
    return [
        *thread_mails(),
        make_mail(subject="Offerte ramen", message_id="<orig@example.org>", sender="a@example.org"),
        make_mail(subject="Nog iets", message_id="<re3@example.org>", sender="b@example.org",
                  extra="References: <nowhere@example.org> <other@example.org>"),
        make_mail(subject="Re: onbekend", message_id="<lost@example.org>", sender="c@example.org",
                  extra="In-Reply-To: <never-seen@example.org>"),
    ]  # fmt: skip


@contextlib.contextmanager
def statements(sessions: sessionmaker[Session]) -> Iterator[collections.Counter[str]]:
    """Statements the engine runs while inside, by verb and (first) table."""
    seen: collections.Counter[str] = collections.Counter()
    engine = sessions.kw["bind"]

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        words = [*statement.split(), ""]
        table = words[words.index("FROM") + 1] if "FROM" in words else words[2] if words[0] == "INSERT" else words[1]
        seen[f"{words[0]} {table}"] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def store_dump(sessions: sessionmaker[Session]) -> dict[str, list[tuple[object, ...]]]:
    """What processing wrote, ids and order included (timestamps aside)."""
    with sessions() as s:
        return {
            "requests": [tuple(r) for r in s.execute(select(QuoteRequest.id, QuoteRequest.subject,
                         QuoteRequest.message_count).order_by(QuoteRequest.id))],
            "messages": [tuple(r) for r in s.execute(select(Message.id, Message.request_id, Message.raw_id,
                         Message.message_id, Message.direction, Message.kind).order_by(Message.id))],
            "refs": [tuple(r) for r in s.execute(select(MessageRef.id, MessageRef.tenant_id, MessageRef.value,
                     MessageRef.message_pk).order_by(MessageRef.id))],
            "timeline": [tuple(r) for r in s.execute(select(TimelineEvent.id, TimelineEvent.request_id,
                         TimelineEvent.kind, TimelineEvent.actor, TimelineEvent.detail).order_by(TimelineEvent.id))],
            "changes": [tuple(r) for r in s.execute(select(ChangeEvent.id, ChangeEvent.tenant_id, ChangeEvent.kind,
                        ChangeEvent.request_id, ChangeEvent.data).order_by(ChangeEvent.id))],
            "raws": [tuple(r) for r in s.execute(select(RawMessage.id, RawMessage.state, RawMessage.error)
                     .order_by(RawMessage.id))],
        }  # fmt: skip


def other_store(tmp_path, name: str):  # type: ignore[no-untyped-def]
    from quotemaild.config import config_from_dict
    from quotemaild.store import db
    from tests.conftest import config_dict

    engine = db.make_engine(config_from_dict(config_dict(tmp_path / name)).store)
    db.migrate(engine)
    return engine, db.make_sessionmaker(engine)


def test_a_batch_writes_the_store_exactly_as_one_by_one(config, sessions, tmp_path):
    """Rows, ids and order of every table processing writes, change events (with the ids of
    their timeline entries) included, with acknowledgements queued in between."""
    settings, acknowledge = processing_side(config, CLOCK)
    ids = store_all(sessions, mixed_mails())
    done = process_batch(sessions, ids, Steps(settings, CLOCK, acknowledge))
    assert [d.outcome for d in done] == [Outcome.PROCESSED] * len(ids)
    assert [d.result.decision.verdict for d in done if d.result] == [
        "new", "new", "join", "join", "duplicate", "join", "new",
    ]  # fmt: skip
    batched = store_dump(sessions)
    assert any(kind == "ack" for *_, kind in batched["messages"])  # ORM rows between the held-back ones

    engine, one_sessions = other_store(tmp_path, "one-by-one")
    try:
        for raw_id in store_all(one_sessions, mixed_mails()):  # each in a transaction, nothing held back
            with one_sessions.begin() as s:
                acknowledge(s, process_raw(s, s.get_one(RawMessage, raw_id), settings, CLOCK))
        one_by_one = store_dump(one_sessions)
    finally:
        engine.dispose()
    for table, rows in one_by_one.items():
        assert batched[table] == rows, table
    timeline_ids = {row[0] for row in batched["timeline"]}
    assert all(c[4]["timeline_id"] in timeline_ids for c in batched["changes"] if "timeline_id" in c[4])


def closed_and_read(sessions: sessionmaker[Session], raw_ids: list[int], settings: IngestSettings) -> None:
    """The first mail processed on its own, its request then accepted and read by a seller."""
    from quotemaild.services.users import add_user
    from quotemaild.store.models import RequestRead, Tenant

    process_batch(sessions, raw_ids[:1], Steps(settings, CLOCK))
    with sessions.begin() as s:
        request = s.scalars(select(QuoteRequest)).one()
        request.status = "accepted"
        user = add_user(s, s.get_one(Tenant, request.tenant_id), "Ann", "ann@acme.example", "seller", CLOCK)
        s.add(RequestRead(user_id=user.id, request_id=request.id, read_at=CLOCK.now()))


def test_replies_on_a_closed_read_request_are_written_as_one_by_one(config, sessions, tmp_path):
    """Read marks cleared (held back), attention raised once, the count read back with its update."""
    from quotemaild.store.models import RequestRead

    settings = IngestSettings(domain=DOMAIN)
    ids = store_all(sessions, thread_mails())
    closed_and_read(sessions, ids, settings)
    with statements(sessions) as seen:
        process_batch(sessions, ids[1:], Steps(settings, CLOCK))
    assert seen["DELETE request_reads"] == 1 and seen["SELECT quote_requests"] == 0

    engine, one_sessions = other_store(tmp_path, "one-by-one")
    try:
        one_ids = store_all(one_sessions, thread_mails())
        closed_and_read(one_sessions, one_ids, settings)
        for raw_id in one_ids[1:]:
            with one_sessions.begin() as s:
                process_raw(s, s.get_one(RawMessage, raw_id), settings, CLOCK)
        expected = store_dump(one_sessions)
        with one_sessions() as s:
            expected_flags = s.execute(select(QuoteRequest.id, QuoteRequest.needs_attention, QuoteRequest.status,
                                              QuoteRequest.message_count).order_by(QuoteRequest.id)).all()  # fmt: skip
    finally:
        engine.dispose()
    got = store_dump(sessions)
    for table, rows in expected.items():
        assert got[table] == rows, table
    with sessions() as s:
        flags = s.execute(select(QuoteRequest.id, QuoteRequest.needs_attention, QuoteRequest.status,
                                 QuoteRequest.message_count).order_by(QuoteRequest.id)).all()  # fmt: skip
        assert flags == expected_flags
        assert s.scalars(select(RequestRead.user_id)).all() == []
        assert expected_flags[0][1] is True  # the closed request asks for attention again
    assert [row[2] for row in got["timeline"]].count("needs_attention") == 1  # once, for two replies


def test_a_batch_costs_one_statement_per_table_for_timeline_refs_raws_and_look_ups(sessions):
    ids = store_all(sessions, mixed_mails())
    with statements(sessions) as seen:
        done = process_batch(sessions, ids, Steps(IngestSettings(domain=DOMAIN), CLOCK))
    assert [d.outcome for d in done] == [Outcome.PROCESSED] * len(ids)
    assert seen["INSERT timeline_events"] == 1
    assert seen["INSERT message_refs"] == 1
    assert seen["UPDATE raw_messages"] == 1
    assert seen["INSERT change_events"] == 1
    assert seen["SELECT message_refs"] == 1  # the batch's look-ups, all at once
    assert seen["INSERT messages"] == len(ids) - 1  # the duplicate stores no message
    assert seen["INSERT quote_requests"] == 3


def test_a_failing_message_drops_the_held_back_rows_with_the_rest_of_the_pass(sessions, monkeypatch):
    """The pass without savepoints is rolled back whole, held-back rows and look-ups included;
    the pass with savepoints writes one by one."""
    from quotemaild.edges import pipeline

    ids = store_all(sessions, thread_mails())
    real = pipeline.process_raw

    def process_raw(session, raw, *args, **kwargs):  # type: ignore[no-untyped-def]
        if raw.id == ids[2] and batch_writes.pending(session) is not None:
            assert batch_writes.pending(session).events  # the first two messages' entries, held back
            raise RuntimeError("threading exploded")
        assert batch_writes.pending(session) is None
        return real(session, raw, *args, **kwargs)

    monkeypatch.setattr(pipeline, "process_raw", process_raw)
    done = process_batch(sessions, ids, Steps(IngestSettings(domain=DOMAIN), CLOCK))
    assert [d.outcome for d in done] == [Outcome.PROCESSED] * 4
    dump = store_dump(sessions)
    assert len(dump["timeline"]) == 6 and len(dump["refs"]) == 4
    assert [r[0] for r in dump["timeline"]] == list(range(dump["timeline"][0][0], dump["timeline"][0][0] + 6))


def test_a_ref_the_orm_adds_in_a_batch_is_looked_up_in_the_store(sessions):
    [raw_id] = store_all(sessions, thread_mails()[:1])
    process_batch(sessions, [raw_id], Steps(IngestSettings(domain=DOMAIN), CLOCK))
    with sessions.begin() as s, changes.deferred(s), batch_writes.deferred(s):
        message = s.scalars(select(Message)).one()
        tenant = message.tenant_id
        batch_writes.prefetch_refs(s, [(tenant, "<later@example.org>"), (tenant, "<orig@example.org>")])
        assert batch_writes.known_refs(s, message.tenant_id, ["<later@example.org>"]) == []
        assert batch_writes.known_refs(s, message.tenant_id, ["<orig@example.org>"]) == [
            ("<orig@example.org>", message.id, message.request_id)
        ]
        s.add(MessageRef(tenant_id=message.tenant_id, value="<later@example.org>", message_pk=message.id))
        s.flush()
        assert batch_writes.known_refs(s, message.tenant_id, ["<later@example.org>"]) is None  # ask the store
        assert batch_writes.known_refs(s, message.tenant_id, ["<unasked@example.org>"]) is None
        # a held-back ref answers at once, and is in the store before anything asks the store
        assert batch_writes.add_ref(s, message.tenant_id, "<held@example.org>", message.id, message.request_id)
        assert batch_writes.known_refs(s, message.tenant_id, ["<held@example.org>"]) == [
            ("<held@example.org>", message.id, message.request_id)
        ]
        assert batch_writes.known_refs(s, message.tenant_id, ["<unasked@example.org>"]) is None
        assert s.scalar(select(MessageRef.id).where(MessageRef.value == "<held@example.org>")) is not None


def test_held_back_timeline_entries_need_deferred_change_events(sessions):
    ids = store_all(sessions, thread_mails()[:1])
    process_batch(sessions, ids, Steps(IngestSettings(domain=DOMAIN), CLOCK))
    from quotemaild.services.timeline import event as timeline_event

    with sessions() as s, batch_writes.deferred(s):
        request_id = s.scalars(select(QuoteRequest.id)).one()
        try:
            timeline_event(s, request_id, CLOCK.now(), "note", "x@example.org", body="een")
        except RuntimeError as exc:
            assert "deferred change events" in str(exc)
        else:
            raise AssertionError("a timeline entry was held back without its change event")
        s.rollback()
