"""The write gate: the commit writer first, processing in the gaps, but never starved."""

from __future__ import annotations

import threading
import time

from quotemaild.store.gate import OPEN_GATE, WriteGate, gate_for


def test_priority_marks_the_writer_waiting_and_records_its_commit() -> None:
    gate = WriteGate.create()
    before = time.monotonic()
    with gate.priority():
        assert gate.waiting.value == 1
        assert not gate.lock.acquire(block=False)  # held for the transaction
    assert gate.waiting.value == 0
    assert gate.last_commit.value >= before


def test_background_defers_while_the_writer_is_busy_but_not_forever() -> None:
    gate = WriteGate.create(idle=0.005, max_defer=0.2)
    gate.waiting.value = 1  # the writer keeps wanting the lock
    started = time.monotonic()
    with gate.background():
        waited = time.monotonic() - started
    assert waited >= 0.2  # deferred for max_defer, then went ahead anyway


def test_background_goes_at_once_when_the_writer_is_idle() -> None:
    gate = WriteGate.create(idle=0.005, max_defer=30.0)
    entered = threading.Event()

    def work() -> None:
        with gate.background():
            entered.set()

    t = threading.Thread(target=work)
    t.start()
    assert entered.wait(5.0)  # far less than max_defer: no writer activity to yield to
    t.join()


def test_the_writer_waits_for_a_running_background_transaction_then_goes() -> None:
    gate = WriteGate.create(idle=0.0, max_defer=0.0)
    order: list[str] = []
    with gate.background():

        def write() -> None:
            with gate.priority():
                order.append("writer")

        writer = threading.Thread(target=write)
        writer.start()
        time.sleep(0.05)
        order.append("background done")
    writer.join(5)
    assert order == ["background done", "writer"]


def test_server_databases_get_the_open_gate() -> None:
    assert gate_for("postgresql+psycopg://q@localhost/q") is OPEN_GATE
    assert isinstance(gate_for("sqlite:///var/q.db"), WriteGate)


def test_a_lock_left_held_by_a_dead_daemon_is_abandoned_not_waited_on_for_ever() -> None:
    import pytest

    from quotemaild.store.gate import GateAbandoned

    gate = WriteGate.create(idle=0.0, max_defer=0.0)
    gate.lock.acquire()  # the daemon held it when it was killed
    gate.owner_pid = 2**22 + 12345  # no such process
    with pytest.raises(GateAbandoned), gate.background():
        pass


def _hold_and_die(gate: WriteGate) -> None:
    """A processing child killed inside its write transaction."""
    import os
    import signal

    with gate.background():
        os.kill(os.getpid(), signal.SIGKILL)


def test_a_lock_held_by_a_killed_child_is_released_by_the_parent_and_only_for_that_child() -> None:
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")
    gate = WriteGate.create(ctx, idle=0.0, max_defer=0.0)
    child = ctx.Process(target=_hold_and_die, args=(gate,))
    child.start()
    child.join(30)
    assert child.exitcode == -9
    assert not gate.lock.acquire(block=False)  # the semaphore outlived its holder
    assert child.pid is not None
    assert not gate.release_for(child.pid + 1)  # somebody else's pid: left alone
    assert gate.release_for(child.pid)
    assert gate.holder.value == 0
    with gate.priority():  # the commit writer goes again
        pass
    assert not gate.release_for(child.pid)  # nothing held any more: nothing released twice


def test_the_open_gate_has_nothing_to_release() -> None:
    assert OPEN_GATE.release_for(1234) is False
