"""The processing child process: real process, real SQLite store, real pipe and gate."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import SystemClock
from quotemaild.config import Config
from quotemaild.edges.worker_process import CONTEXT, ProcessingWorker
from quotemaild.edges.writer import CommitWriter, RawInput
from quotemaild.services.ingest import record_failure
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store.gate import WriteGate
from quotemaild.store.models import OutboxMessage, RawMessage
from tests.conftest import DOMAIN, make_mail

pytestmark = pytest.mark.slow


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached after {timeout}s")


def states(sessions: sessionmaker[Session]) -> dict[int, str]:
    with sessions() as s:
        return {raw_id: state for raw_id, state in s.execute(select(RawMessage.id, RawMessage.state))}


@pytest.fixture
def tenant_id(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as s:
        return add_tenant(s, NewTenant(name="Acme", slug="acme"), SystemClock()).id


def raw_input(tenant_id: int, n: int) -> RawInput:
    data = make_mail(message_id=f"<w{n}@example.org>", sender=f"klant{n}@example.org")
    return RawInput(tenant_id, dt.datetime.now(dt.UTC), "smtp", f"klant{n}@example.org", (f"acme@{DOMAIN}",),
                    "127.0.0.1:1", "client.example.org", data)  # fmt: skip


def record_lost(sessions: sessionmaker[Session]) -> Callable[[int, str], None]:
    def record(raw_id: int, why: str) -> None:
        with sessions.begin() as s:
            record_failure(s, raw_id, why, SystemClock())

    return record


@pytest.fixture
def gate() -> WriteGate:
    return WriteGate.create(CONTEXT)


@pytest.fixture
def worker(config: Config, sessions, gate: WriteGate) -> Iterator[ProcessingWorker]:
    woken = threading.Event()
    w = ProcessingWorker(config, gate, notify=woken.set, on_lost=record_lost(sessions), restart_delay=0.1, workers=1)
    w.woken = woken  # type: ignore[attr-defined]
    yield w
    w.stop(10, finish_queue=False)


def test_committed_mail_is_processed_in_the_child_and_acknowledged(sessions, tenant_id, worker, gate):
    worker.start()
    writer = CommitWriter(sessions.kw["bind"], on_committed=worker.enqueue, gate=gate)
    writer.start()
    try:
        for n in range(20):
            writer.submit([raw_input(tenant_id, n)]).result(10)
    finally:
        writer.stop()
    wait_for(lambda: worker.processed == 20, what="20 processed")
    assert set(states(sessions).values()) == {"processed"}
    assert worker.failed == 0 and worker.pid != os.getpid()
    with sessions() as s:  # the acknowledgement hook ran in the child, in the same transaction
        assert len(s.scalars(select(OutboxMessage.id)).all()) == 20
    assert worker.woken.is_set()  # type: ignore[attr-defined]
    wait_for(lambda: worker.depth() == 0, what="empty backlog")


def test_pending_mail_is_picked_up_at_start_and_processed_once(sessions, tenant_id, worker, gate):
    writer = CommitWriter(sessions.kw["bind"], gate=gate)  # nobody is told: as after a crash
    writer.start()
    ids = [i for n in range(5) for i in writer.submit([raw_input(tenant_id, n)]).result(10)]
    writer.stop()
    worker.start()
    worker.enqueue(ids)  # the same ids once more, as the writer of a running daemon would send them
    wait_for(lambda: set(states(sessions).values()) == {"processed"}, what="all processed")
    time.sleep(0.3)
    assert (worker.processed, worker.failed) == (5, 0)


def test_a_child_that_dies_mid_message_is_replaced_and_the_message_kept_as_failed(sessions, tenant_id, worker, gate):
    worker.start()
    writer = CommitWriter(sessions.kw["bind"], on_committed=worker.enqueue)
    writer.start()
    try:
        gate.lock.acquire()  # the child gets as far as its write transaction and waits there
        [doomed] = writer.submit([raw_input(tenant_id, 1)]).result(10)
        wait_for(lambda: worker.in_hand() == (doomed,), what="message in hand")
        first_pid = worker.pid
        assert first_pid is not None
        os.kill(first_pid, signal.SIGKILL)
        wait_for(lambda: worker.restarts == 1 and worker.is_alive() and worker.pid != first_pid, what="restart")
        gate.lock.release()
        [later] = writer.submit([raw_input(tenant_id, 2)]).result(10)
        wait_for(lambda: states(sessions).get(later) == "processed", what="next message processed")
    finally:
        writer.stop()
    assert states(sessions)[doomed] == "failed"  # kept, visible, and `reprocess` can run it again
    with sessions() as s:
        error = s.scalar(select(RawMessage.error).where(RawMessage.id == doomed))
    assert error is not None and "ended unexpectedly" in error
    assert worker.failed == 1


def test_stop_without_finishing_leaves_the_rest_pending(sessions, tenant_id, worker, gate):
    gate.lock.acquire()  # the child stops at its first write transaction
    worker.start()
    writer = CommitWriter(sessions.kw["bind"], on_committed=worker.enqueue)
    writer.start()
    ids = list(writer.submit([raw_input(tenant_id, 0)]).result(10))
    wait_for(lambda: bool(worker.in_hand()), what="message in hand")
    # The rest arrive while the child waits at the gate with its batch: none can join it (a batch
    # taken after all ten had arrived would leave nothing pending to check).
    ids += [i for n in range(1, 10) for i in writer.submit([raw_input(tenant_id, n)]).result(10)]
    writer.stop()
    held = worker.in_hand()  # the batch the child took
    stopper = threading.Thread(target=worker.stop, args=(10, False))
    stopper.start()
    time.sleep(0.3)  # the stop is in the pipe before the child can look again
    gate.lock.release()
    stopper.join(15)
    assert not worker.is_alive()
    left = states(sessions)
    assert set(left) == set(ids)
    assert sorted(i for i, state in left.items() if state == "processed") == sorted(held)  # the batch in hand
    assert list(left.values()).count("pending") == 10 - len(held)  # the rest for the next start
    assert len(held) < 10


def test_a_child_stuck_on_one_message_is_killed_and_the_message_kept_as_failed(config, sessions, tenant_id, gate):
    w = ProcessingWorker(config, gate, on_lost=record_lost(sessions), restart_delay=0.1, message_timeout=1.0, workers=1)
    w.start()
    writer = CommitWriter(sessions.kw["bind"], on_committed=w.enqueue)
    writer.start()
    try:
        gate.lock.acquire()  # the child waits at its write transaction: stuck, as far as it can tell
        [stuck] = writer.submit([raw_input(tenant_id, 1)]).result(10)
        wait_for(lambda: w.in_hand() == (stuck,), what="message in hand")
        first_pid = w.pid
        wait_for(lambda: w.timeouts == 1, timeout=10, what="timeout noticed")
        wait_for(lambda: w.restarts == 1 and w.is_alive() and w.pid != first_pid, what="restart")
        gate.lock.release()
        [later] = writer.submit([raw_input(tenant_id, 2)]).result(10)
        wait_for(lambda: states(sessions).get(later) == "processed", what="next message processed")
    finally:
        writer.stop()
        w.stop(10, finish_queue=False)
    assert states(sessions)[stuck] == "failed"
    with sessions() as s:
        error = s.scalar(select(RawMessage.error).where(RawMessage.id == stuck))
    assert error is not None and "longer than 1 s" in error
    assert (w.failed, w.timeouts) == (1, 1)


def test_a_child_killed_inside_its_write_transaction_does_not_leave_the_writer_waiting(sessions, tenant_id, worker, gate):
    worker.start()
    writer = CommitWriter(sessions.kw["bind"], on_committed=worker.enqueue, gate=gate)
    writer.start()
    try:
        [first] = writer.submit([raw_input(tenant_id, 1)]).result(10)
        wait_for(lambda: states(sessions).get(first) == "processed", what="first processed")
        # The child's report comes after it left its write transaction (and cleared `holder`).
        wait_for(lambda: worker.processed == 1, what="first reported")
        gate.holder.value = worker.pid  # as if the child were inside `background` when it died
        gate.lock.acquire()
        doomed_pid = worker.pid
        assert doomed_pid is not None
        os.kill(doomed_pid, signal.SIGKILL)
        wait_for(lambda: worker.restarts == 1 and worker.is_alive(), what="restart")
        # The commit writer (priority) would wait for ever on a lock nobody alive holds.
        [later] = writer.submit([raw_input(tenant_id, 2)]).result(10)
        wait_for(lambda: states(sessions).get(later) == "processed", what="later processed")
    finally:
        writer.stop()
    assert gate.holder.value == 0


def test_a_lost_message_whose_failure_cannot_be_recorded_is_tried_again(config, sessions, tenant_id, gate):
    """A child dies with one message in hand while the store cannot take the failure (the outage
    that killed the child, say): the message goes back to be processed alone, not left pending
    until a restart or the orphan sweep."""
    refused: list[int] = []

    def store_down(raw_id: int, why: str) -> None:
        refused.append(raw_id)
        raise OSError("connection refused")

    w = ProcessingWorker(config, gate, on_lost=store_down, restart_delay=0.1, workers=1)
    w.start()
    writer = CommitWriter(sessions.kw["bind"], on_committed=w.enqueue)
    writer.start()
    try:
        gate.lock.acquire()  # the child waits at its write transaction with the message in hand
        [doomed] = writer.submit([raw_input(tenant_id, 1)]).result(10)
        wait_for(lambda: w.in_hand() == (doomed,), what="message in hand")
        os.kill(w.pid, signal.SIGKILL)
        wait_for(lambda: refused == [doomed] and w.restarts == 1 and w.is_alive(), what="restart")
        gate.lock.release()
        wait_for(lambda: states(sessions).get(doomed) == "processed", what="the message processed after all")
    finally:
        writer.stop()
        w.stop(10, finish_queue=False)
