"""Processing after the 250, as one pipeline: a batch of stored raw messages into requests.

A batch (the raw ids a worker took from its window, in arrival order) goes through these hops:

1. load     `load_batch` (`pipeline_load`): the raw rows still pending, their bytes and their
            tenants, in one read transaction (a reader never takes SQLite's write lock).
2. prepare  `services.ingest.prepare` for each: parse and understand, pure, outside any
            transaction: while the worker waits for its turn at the write lock (the gate's
            `meanwhile`), or, when it did not wait long enough, a few at a time inside the
            transaction as long as the SMTP commit writer does not want the lock. A message that
            raises here carries its error to hop 4.
3. turn     `pending.wait_turn` (several workers only): wait until no lower raw id of another worker is
            still pending, so a reply is never written before its original. The wait prepares
            the batch (hop 2), so one worker parses while another writes; so does a wait for
            the gate's lock while another worker holds it.
4. write    transactions of up to TRANSACTION_MAX messages behind the gate (`gate.background`,
            the SMTP commit writer first). Per message `services.ingest.process_raw` threads and
            stores it, then `acknowledge` queues its acknowledgement. Messages are written in
            order, and each one's request and message rows go in before the next is threaded.
            First without savepoints: the change events, timeline entries, Message-ID refs and
            the raw rows' UPDATEs are kept for one statement each at the end (`changes.deferred`,
            `store.batch_writes`), and threading's look-ups are read in one query per prepared
            group, completed by the refs the transaction writes itself, so a reply in the same
            batch as its original joins it exactly as one-by-one processing would. If a message
            raises, the transaction is rolled back and written again with a savepoint per
            message: the one that raises is rolled back to its savepoint and recorded as failed
            in a savepoint of its own (`record_failure`); the rest goes on. A message that could
            not be prepared ends the transaction before it, and is recorded as failed in one of
            its own.
5. commit   once per transaction; the transaction ends early when the commit writer waits (and
            processing had its hold). If the commit itself fails, its messages are written
            again one per transaction, so store trouble is pinned on no single message by mistake.
6. report   an `Outcome` per message; the caller wakes the outbox when one queued mail.
7. log      one info line per message (`message_processed` or `processing_failed`).

`process_one` is the same pipeline with a batch of one (`quotemaild reprocess`, tests).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import Clock
from quotemaild.domain.raw_state import RawState
from quotemaild.edges.pipeline_load import Loaded, Preparing, load_batch
from quotemaild.errors import describe
from quotemaild.logs import get_logger
from quotemaild.services.ingest import IngestResult, IngestSettings, prefetch_lookups, process_raw, record_failure
from quotemaild.store import batch_writes, changes
from quotemaild.store.cluster import Scope, skip_locked, tenant_lock
from quotemaild.store.gate import OPEN_GATE, Gate, GateAbandoned
from quotemaild.store.models import RawMessage, Tenant

log = get_logger(__name__)

# A hook run in the message's savepoint after it was threaded (the acknowledgement). It returns
# True when it queued outgoing mail, so the delivery worker is woken after the commit.
AfterIngest = Callable[[Session, IngestResult], bool]

# Raw messages per write transaction at most: big enough that the commit and the transaction
# set-up are a small share of each message (a transaction reads the raw rows it may write).
# A batch may hold more: what the worker prepares while it waits for its turn.
TRANSACTION_MAX: Final = 64
# Messages prepared at a time inside a write transaction when the wait prepared too few.
INLINE: Final = 8


class Outcome(StrEnum):
    PROCESSED = "processed"
    FAILED = "failed"
    SKIPPED = "skipped"  # no longer pending (processed elsewhere, reprocessed, deleted)


@dataclass(frozen=True)
class Done:
    """What became of one raw message of a batch."""

    raw_id: int
    outcome: Outcome
    queued_mail: bool = False
    result: IngestResult | None = None


@dataclass(frozen=True)
class Steps:
    """What the pipeline needs besides the store: built once per worker from the config."""

    settings: IngestSettings
    clock: Clock
    acknowledge: AfterIngest | None = None
    gate: Gate = OPEN_GATE
    after_commit: Callable[[], None] | None = None  # run outside the gate (the child's WAL checkpoints)


# Hop 3: wait for the turn, doing the work it is given (`meanwhile`, one step a call) meanwhile.
Turn = Callable[[Callable[[], bool]], None]


def process_batch(
    sessions: sessionmaker[Session], raw_ids: Sequence[int], steps: Steps, turn: Turn | None = None
) -> list[Done]:
    """Every hop for `raw_ids` (ascending); one `Done` per id, in order."""
    loaded = load_batch(sessions, raw_ids, steps.settings)
    if turn is not None and loaded:
        turn(Preparing(loaded, steps.settings))  # parsed while another worker writes
    slugs = {one.raw_id: one.tenant_slug for one in loaded}
    done: list[Done] = []
    todo = loaded
    while todo:
        chunk, after = todo[:TRANSACTION_MAX], todo[TRANSACTION_MAX:]
        unprepared = chunk[0].error is not None
        if unprepared:  # could not be prepared: recorded as failed on its own
            chunk, after = chunk[:1], [*chunk[1:], *after]
        try:
            if unprepared:
                written, left = _write(sessions, chunk, steps, after, savepoints=True)
            else:  # without savepoints up to the first message that could not be prepared
                try:
                    written, left = _write(sessions, chunk, steps, after, savepoints=False)
                except _MessageFailed:  # rolled back: again with a savepoint per message
                    written, left = _write(sessions, chunk, steps, after, savepoints=True)
        except GateAbandoned:
            raise
        except Exception as exc:  # the transaction failed as a whole: each message on its own
            if len(chunk) > 1:
                log.warning("batch_retried_one_by_one", size=len(chunk), error=describe(exc)[:300])
            written = [_write_alone(sessions, one, steps, exc if len(chunk) == 1 else None) for one in chunk]
            left = []
        for d in written:
            _log(d, slugs.get(d.raw_id))
        # What a written message was parsed into is not kept for the rest of the batch: a batch
        # of big mails holds only those not written yet (a batch of one returns it whole).
        ended = {d.raw_id for d in written}
        for one in chunk:
            if one.raw_id in ended:
                one.release()
        done += written if len(raw_ids) == 1 else [_without_content(d) for d in written]
        todo = left + after
    by_id = {d.raw_id: d for d in done}
    return [by_id.get(raw_id) or Done(raw_id, Outcome.SKIPPED) for raw_id in raw_ids]


def _without_content(done: Done) -> Done:
    if done.result is None:
        return done
    return replace(done, result=replace(done.result, parsed=None, understanding=None))


def process_one(
    sessions: sessionmaker[Session],
    raw_id: int,
    settings: IngestSettings,
    clock: Clock,
    after: AfterIngest | None = None,
    notify: Callable[[], None] | None = None,
    gate: Gate = OPEN_GATE,
) -> IngestResult | Outcome | None:
    """One raw message through the pipeline: its result, SKIPPED, or None when it failed (it is
    then kept as a failed request with the .eml attached)."""
    [done] = process_batch(sessions, [raw_id], Steps(settings, clock, after, gate))
    if done.queued_mail and notify is not None:
        notify()
    if done.outcome is Outcome.SKIPPED:
        return Outcome.SKIPPED
    return done.result


class _MessageFailed(Exception):
    """A message of a batch written without savepoints failed: the batch is written again with them."""


def _write(
    sessions: sessionmaker[Session],
    loaded: list[Loaded],
    steps: Steps,
    upcoming: Sequence[Loaded] = (),
    savepoints: bool = True,
) -> tuple[list[Done], list[Loaded]]:
    """Hops 4 and 5: one transaction, one commit. Returns what was written and what is left:
    when the SMTP commit writer waits for the lock (and this transaction had its `hold`, see
    `store/gate.py`), it commits early and the rest goes into the next one, so a 250 never waits
    for a whole batch.

    `upcoming`: the batch's messages after these, prepared too while waiting for the turn.
    `savepoints`: each message in a savepoint of its own, so one that fails is rolled back alone.
    Without (the common case: a SAVEPOINT and its RELEASE cost about as much as a message's
    INSERTs), the first message that fails raises `_MessageFailed` and the transaction is rolled
    back whole, for the caller to write again with savepoints; one that could not be prepared
    ends the transaction before it."""
    if not loaded:
        return [], []
    with steps.gate.background(Preparing([*loaded, *upcoming], steps.settings)), sessions.begin() as session:
        # Lock the rows where the database can (PostgreSQL: another worker, instance or
        # `reprocess` holding one is skipped, not waited for); SQLite has one writer.
        # Held for the transaction: the session keeps loaded rows only while something refers to
        # them, and threading asks for the tenant of every message.
        tenants = list(session.scalars(select(Tenant).where(Tenant.id.in_({one.tenant_id for one in loaded}))))
        raws = {
            raw.id: raw
            for raw in session.scalars(
                skip_locked(
                    select(RawMessage).where(
                        RawMessage.id.in_([one.raw_id for one in loaded]), RawMessage.state == RawState.PENDING
                    )
                )
            )
        }
        # Several instances on one PostgreSQL: one threading writer per tenant at a time, so a
        # message and its reply processed by two instances at once meet in one request. Taken in
        # tenant order, so two batches never wait for each other's locks.
        for tenant_id in sorted({raw.tenant_id for raw in raws.values()}):
            tenant_lock(session, tenant_id, Scope.THREADING)
        if savepoints:
            done, rest = _write_each(session, loaded, raws, steps, savepoints)
        else:
            # Change events, timeline entries, refs and the raw rows' UPDATEs each written as one
            # statement at the end, the Message-ID look-ups of the batch read in one query.
            with changes.deferred(session), batch_writes.deferred(session):
                prefetch_lookups(session, [(one.tenant_id, one.prepared) for one in loaded
                                           if one.prepared is not None and one.raw_id in raws])  # fmt: skip
                done, rest = _write_each(session, loaded, raws, steps, savepoints)
    del tenants
    if steps.after_commit is not None:
        steps.after_commit()
    return done, rest


def _write_each(
    session: Session, loaded: list[Loaded], raws: dict[int, RawMessage], steps: Steps, savepoints: bool
) -> tuple[list[Done], list[Loaded]]:
    """The messages of `_write`, in order, until the SMTP commit writer wants the lock."""
    done: list[Done] = []
    rest: list[Loaded] = []
    for index, one in enumerate(loaded):
        if index and steps.gate.wanted():
            rest = loaded[index:]
            break
        raw = raws.get(one.raw_id)
        if raw is None:
            done.append(Done(one.raw_id, Outcome.SKIPPED))
            continue
        if not one.ready:  # what the wait prepared is written: the writer's turn, or a few more here
            if index and steps.gate.contended():
                rest = loaded[index:]
                break
            fresh = _prepare_here(loaded[index:], steps)
            if not savepoints:
                prefetch_lookups(session, [(o.tenant_id, o.prepared) for o in fresh if o.prepared is not None])
        if not savepoints:
            if one.prepared is None:
                if index:  # the ones before it commit; it is recorded as failed on its own
                    rest = loaded[index:]
                    break
                raise _MessageFailed(one.raw_id)
            try:
                result = process_raw(session, raw, steps.settings, steps.clock, one.prepared)
                queued = steps.acknowledge(session, result) if steps.acknowledge is not None else False
            except GateAbandoned:
                raise
            except Exception as exc:
                raise _MessageFailed(one.raw_id) from exc
            done.append(Done(one.raw_id, Outcome.PROCESSED, bool(queued), result))
            continue
        error = one.error
        if one.prepared is not None:
            try:
                with session.begin_nested():
                    result = process_raw(session, raw, steps.settings, steps.clock, one.prepared)
                    queued = steps.acknowledge(session, result) if steps.acknowledge is not None else False
                done.append(Done(one.raw_id, Outcome.PROCESSED, bool(queued), result))
                continue
            except GateAbandoned:
                raise
            except Exception as exc:  # this message only: its savepoint is rolled back
                error = describe(exc)
        assert error is not None
        log.error("processing_failed", raw_id=one.raw_id, error=error[:500])
        try:
            with session.begin_nested():
                request_id = record_failure(session, one.raw_id, error, steps.clock)
            done.append(Done(one.raw_id, Outcome.FAILED, False, None))
            log.info("failure_recorded", raw_id=one.raw_id, request_id=request_id)
        except Exception as inner:  # left pending; the worker does not take it again this run
            log.error("failure_not_recorded", raw_id=one.raw_id, error=describe(inner)[:500])
            done.append(Done(one.raw_id, Outcome.FAILED, False, None))
    return done, rest


def _prepare_here(todo: list[Loaded], steps: Steps) -> list[Loaded]:
    """Inside a transaction nobody waits for: prepare the next message, and a few more while the
    commit writer still does not want the lock (their look-ups are then read in one query)."""
    fresh = []
    for one in todo[:INLINE]:
        if one.ready or (fresh and steps.gate.contended()):
            break
        one.prepare(steps.settings)
        fresh.append(one)
    return fresh


def _write_alone(sessions: sessionmaker[Session], one: Loaded, steps: Steps, failed: Exception | None) -> Done:
    """A message of a batch whose transaction failed, in a transaction of its own; if that fails
    too (or it was alone already, `failed`), it is recorded as failed."""
    if failed is None:
        try:
            [done], _ = _write(sessions, [one], steps)
            return done
        except GateAbandoned:
            raise
        except Exception as exc:
            failed = exc
    return _record(sessions, one.raw_id, describe(failed), steps)


def _record(sessions: sessionmaker[Session], raw_id: int, error: str, steps: Steps) -> Done:
    """A one-message batch whose transaction failed: keep the mail visible as failed."""
    log.error("processing_failed", raw_id=raw_id, error=error[:500])
    try:
        with steps.gate.background(), sessions.begin() as session:
            raw = session.get(RawMessage, raw_id)
            if raw is None or raw.state != RawState.PENDING:
                return Done(raw_id, Outcome.SKIPPED)
            request_id = record_failure(session, raw_id, error, steps.clock)
        log.info("failure_recorded", raw_id=raw_id, request_id=request_id)
    except GateAbandoned:
        raise
    except Exception as inner:  # store trouble: the raw copy stays pending for the next start
        log.error("failure_not_recorded", raw_id=raw_id, error=describe(inner)[:500])
    return Done(raw_id, Outcome.FAILED)


def _log(done: Done, tenant_slug: str | None) -> None:
    result = done.result
    if done.outcome is not Outcome.PROCESSED or result is None:
        return  # failures were logged where they happened; skips are not news
    log.info(
        "message_processed",
        raw_id=done.raw_id,
        verdict=result.decision.verdict,
        request_id=result.request_id,
        message_pk=result.message_pk,
    )
    system = result.understanding.system if result.understanding is not None else None
    if system is not None:
        # Set-up mail (Gmail's forwarding confirmation, Microsoft 365's AS(7555) NDR) never
        # becomes a request; without this event its code, link and hint would sit unseen.
        log.warning("system_mail", raw_id=done.raw_id, tenant=tenant_slug, message_pk=result.message_pk,
                    kind=system.kind, code=system.code, link=system.link, hint=system.hint)  # fmt: skip
