"""The write gate: the commit writer first, processing in the gaps, but never starved."""

from __future__ import annotations

import threading
import time

from quotemaild.store.gate import OPEN_GATE, Turns, WriteGate, gate_for


def test_priority_marks_the_writer_waiting_and_records_its_commit() -> None:
    gate = WriteGate.create()
    before = time.monotonic()
    with gate.priority():
        assert gate.waiting.value == 1
        assert not gate.lock.acquire(block=False)  # held for the transaction
    assert gate.waiting.value == 0
    assert gate.last_commit.value >= before


def test_background_defers_while_the_writer_is_busy_but_not_forever() -> None:
    gate = WriteGate.create(idle=0.005, lone=Turns(hold=0.0, rest=0.2))
    gate.waiting.value = 1  # the writer keeps wanting the lock
    started = time.monotonic()
    with gate.background():
        waited = time.monotonic() - started
    assert waited >= 0.2  # stayed out for its rest, then went ahead anyway


def test_background_goes_at_once_when_the_writer_is_idle() -> None:
    gate = WriteGate.create(idle=0.005, lone=Turns(hold=0.0, rest=30.0))
    entered = threading.Event()

    def work() -> None:
        with gate.background():
            entered.set()

    t = threading.Thread(target=work)
    t.start()
    assert entered.wait(5.0)  # far less than its rest: no writer activity to yield to
    t.join()


def test_the_writer_waits_for_a_running_background_transaction_then_goes() -> None:
    gate = WriteGate.create(idle=0.0, lone=Turns(hold=0.0, rest=0.0))
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

    gate = WriteGate.create(idle=0.0, lone=Turns(hold=0.0, rest=0.0))
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
    gate = WriteGate.create(ctx, idle=0.0, lone=Turns(hold=0.0, rest=0.0))
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


def test_processing_keeps_the_lock_for_its_hold_then_gives_way_to_a_waiting_writer() -> None:
    gate = WriteGate.create(idle=0.0, lone=Turns(hold=0.05, rest=0.0))
    with gate.background():
        assert not gate.wanted()  # nobody waits
        gate.waiting.value = 1
        assert not gate.wanted()  # the writer waits, but processing has just come in
        time.sleep(0.06)
        assert gate.wanted()  # its hold is over: commit and let the writer go
    gate.waiting.value = 0


def test_the_turns_follow_how_many_sessions_one_commit_answered_since_processing_let_go() -> None:
    lone, busy = Turns(hold=0.01, rest=0.3), Turns(hold=0.5, rest=0.01)
    gate = WriteGate.create(idle=30.0, lone=lone, busy=busy)
    with gate.priority(1):
        pass
    assert gate.turns() == lone  # one session at a time: it waits for every hold in full
    gate.waiting.value = 1  # the writer keeps wanting the lock: only the rest lets processing in
    started = time.monotonic()
    with gate.background():
        assert time.monotonic() - started >= 0.3
    with gate.priority(5):  # a group commit for five sessions
        pass
    with gate.priority(2):  # the largest since processing let go counts
        pass
    assert gate.turns() == busy
    gate.waiting.value = 1
    started = time.monotonic()
    with gate.background():
        assert time.monotonic() - started < 0.2  # the short rest
        assert gate.sessions.value == 5
        gate.waiting.value = 1
        assert not gate.wanted()  # the long hold
    assert gate.sessions.value == 0  # counted afresh after each turn
    assert gate.turns() == lone
    gate.waiting.value = 0


def test_the_wait_for_a_turn_does_the_work_given_for_meanwhile_then_sleeps() -> None:
    gate = WriteGate.create(idle=0.005, lone=Turns(hold=0.0, rest=0.1))
    gate.waiting.value = 1  # the writer keeps wanting the lock: processing stays out its rest
    steps: list[float] = []

    def meanwhile() -> bool:
        steps.append(time.monotonic())
        return len(steps) < 3  # three steps of work, then nothing left

    started = time.monotonic()
    with gate.background(meanwhile):
        waited = time.monotonic() - started
    assert waited >= 0.1
    # Each step while there was work, then a call per poll that finds none (not a busy loop).
    assert len(steps) >= 3 and steps[2] - started < 0.05
    assert len(steps) <= 0.1 / gate.poll + 3


def test_the_open_gate_does_the_meanwhile_work_before_the_transaction() -> None:
    left = [3]

    def meanwhile() -> bool:
        if not left[0]:
            return False
        left[0] -= 1
        return True

    with OPEN_GATE.background(meanwhile):
        assert left == [0]
    assert not OPEN_GATE.contended()


def test_contended_says_whether_the_writer_waits_now() -> None:
    gate = WriteGate.create()
    assert not gate.contended()
    gate.waiting.value = 1
    assert gate.contended()


def test_while_another_worker_holds_the_lock_the_wait_does_its_meanwhile_work() -> None:
    gate = WriteGate.create(idle=0.0, lone=Turns(hold=0.0, rest=0.0))
    done = threading.Event()
    steps: list[float] = []

    def meanwhile() -> bool:
        steps.append(time.monotonic())
        if len(steps) == 3:
            done.set()  # the other worker commits once this one has done its work
        return len(steps) < 3

    with gate.background():  # the other worker's transaction

        def other() -> None:
            with gate.background(meanwhile):
                pass

        waiter = threading.Thread(target=other)
        waiter.start()
        assert done.wait(5.0)  # the three steps ran while the lock was held
        time.sleep(0.05)
        assert len(steps) == 3  # then it waited on the lock: no busy loop
    waiter.join(5)
    assert not waiter.is_alive()
