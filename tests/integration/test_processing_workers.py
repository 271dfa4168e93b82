"""Several processing children and the dispatcher's bounded window: real processes, real store."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import SystemClock
from quotemaild.config import Config
from quotemaild.edges import child_handle, worker_process
from quotemaild.edges.processing_messages import Batch
from quotemaild.edges.worker_process import CONTEXT, ProcessingWorker
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store.gate import WriteGate
from quotemaild.store.models import Message, RawMessage
from tests.conftest import make_mail
from tests.support.raws import add_pending_raw

pytestmark = pytest.mark.slow


def wait_for(condition: Callable[[], bool], timeout: float = 60.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"{what} not reached after {timeout}s")


def pending(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).where(RawMessage.state == "pending")) or 0)


def conversation(n: int) -> list[bytes]:
    """Thread n: an original and a reply to it, from the same customer."""
    return [
        make_mail(subject=f"Offerte {n}", message_id=f"<o{n}@example.org>", sender=f"k{n}@example.org"),
        make_mail(subject=f"Re: Offerte {n}", message_id=f"<r{n}@example.org>", sender=f"k{n}@example.org",
                  extra=f"In-Reply-To: <o{n}@example.org>\r\nReferences: <o{n}@example.org>"),
    ]  # fmt: skip


def store(sessions: sessionmaker[Session], mails: list[bytes]) -> list[int]:
    with sessions.begin() as s:
        tenant_id = add_tenant(s, NewTenant("Acme", "acme"), SystemClock()).id
        return [add_pending_raw(s, tenant_id, m) for m in mails]


def requests_by_message_id(sessions: sessionmaker[Session]) -> dict[str, int | None]:
    with sessions() as s:
        rows = s.execute(select(Message.message_id, Message.request_id).where(Message.direction == "in"))
        return {mid: rid for mid, rid in rows}


def test_two_workers_thread_a_reply_and_its_original_held_by_different_workers(config: Config, sessions):
    """Batches of one alternate between two children, so each reply is in the other child's hands
    while its original is processed; every reply still joins its original, and no raw message
    is processed twice."""
    mails = [m for n in range(15) for m in conversation(n)]
    ids = store(sessions, mails)
    worker = ProcessingWorker(config, WriteGate.create(CONTEXT), restart_delay=0.1, workers=2, batch_max=1)
    worker.start()
    try:
        assert len(worker.pids()) == 2
        wait_for(lambda: pending(sessions) == 0, what="all processed")
        wait_for(lambda: worker.processed == len(ids), what="all reported")
    finally:
        worker.stop(10, finish_queue=False)
    found = requests_by_message_id(sessions)
    assert len(found) == len(ids)  # one message per raw message: none processed twice
    for n in range(15):
        assert found[f"<r{n}@example.org>"] == found[f"<o{n}@example.org>"], f"thread {n} split"
    assert len(set(found.values())) == 15
    assert (worker.processed, worker.failed) == (len(ids), 0)


def test_the_window_is_refilled_from_the_store(config: Config, sessions):
    """A window of 4 ids: 30 pending at start and 10 more reported later are all processed once."""
    ids = store(sessions, [make_mail(message_id=f"<win{n}@example.org>", sender=f"w{n}@example.org") for n in range(30)])
    worker = ProcessingWorker(config, WriteGate.create(CONTEXT), restart_delay=0.1, workers=1, window=4, batch_max=3)
    worker.start()
    try:
        with sessions.begin() as s:
            tenant_id = s.scalar(select(RawMessage.tenant_id).limit(1))
            more = [add_pending_raw(s, tenant_id, make_mail(message_id=f"<late{n}@example.org>")) for n in range(10)]
        worker.enqueue(more)  # as the commit writer reports them, window full or not
        wait_for(lambda: pending(sessions) == 0, what="all processed")
        wait_for(lambda: worker.processed == 40, what="all reported")
        assert len(worker._window) <= 4
        assert worker.depth() == 0
    finally:
        worker.stop(10, finish_queue=False)
    assert len(requests_by_message_id(sessions)) == len(ids) + len(more)
    assert worker.failed == 0


def test_stop_finishing_the_queue_processes_everything_pending(config: Config, sessions):
    ids = store(sessions, [make_mail(message_id=f"<fin{n}@example.org>") for n in range(12)])
    worker = ProcessingWorker(config, WriteGate.create(CONTEXT), restart_delay=0.1, workers=1, window=5, batch_max=2)
    worker.start()
    worker.stop(60, finish_queue=True)
    assert pending(sessions) == 0
    assert worker.processed == len(ids)


def test_a_drain_worker_takes_batches_only_once_no_mail_has_arrived_for_a_moment(config: Config, sessions, monkeypatch):
    """One worker and one drain worker: while the commit writer keeps reporting mail, only the
    first gets batches; once it stops, both drain what is left, and each message once."""
    ids = store(sessions, [make_mail(message_id=f"<dr{n}@example.org>", sender=f"d{n}@example.org") for n in range(300)])
    sent: list[tuple[int, float]] = []  # (slot, when) of every batch handed out
    real_send = child_handle.ChildHandle.send

    def send(child: child_handle.ChildHandle, msg: object) -> bool:
        if isinstance(msg, Batch):
            sent.append((child.slot, time.monotonic()))
        return real_send(child, msg)

    monkeypatch.setattr(child_handle.ChildHandle, "send", send)
    worker = ProcessingWorker(config, WriteGate.create(CONTEXT), restart_delay=0.1, workers=1, drain_workers=1,
                              batch_max=1)  # fmt: skip
    arrivals: list[float] = []

    def arrive() -> None:  # mail is arriving (an id it has: nothing new to do)
        arrivals.append(time.monotonic())
        worker.enqueue(ids[:1])

    arrive()
    worker.start()
    try:
        assert len(worker.pids()) == 2
        until = time.monotonic() + 0.6
        while time.monotonic() < until:
            arrive()
            time.sleep(0.02)
        assert pending(sessions) > 0, "all processed while mail arrived: too few messages to tell"
        wait_for(lambda: pending(sessions) == 0, what="all processed")
        wait_for(lambda: worker.processed == len(ids), what="all reported")
    finally:
        worker.stop(10, finish_queue=False)
    drain = [when for slot, when in sent if slot == 1]
    assert drain, "the drain worker never got a batch"
    for when in drain:  # each one a pause after the mail that arrived last before it: none while
        # the mail kept arriving every 20 ms (unless a sleep overslept the pause)
        last = max(t for t in arrivals if t <= when)
        assert when - last >= worker_process.DRAIN_IDLE - 0.005, (when - last, len(drain))
    assert len(requests_by_message_id(sessions)) == len(ids)  # none processed twice
