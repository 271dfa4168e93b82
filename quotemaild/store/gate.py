"""Who writes to SQLite next: the commit writer first, processing in turns.

SQLite has one write lock for the whole file. When the processing child holds it and the commit
writer wants it, SQLite's busy handler makes the writer sleep and retry (1, 2, 5, 10 ms ...), and
a single SMTP session, which waits for each commit before it sends the next message, ran at the
pace of processing instead of its own. The gate hands the lock over directly instead:

- the commit writer (`priority`) says it is waiting, takes a cross-process lock and commits;
- processing (`background`) starts a write transaction when the writer is not waiting and has
  been idle for a moment, or once it has stayed out for its rest; while it waits it does the
  work it was given for meanwhile (the pipeline prepares the messages it writes next);
- once in, processing keeps the lock for its hold before it gives way to a waiting writer
  (`wanted`, checked between messages), then stays out for its rest again.

Hold and rest follow the writer's load. Its commits are group commits: while processing holds
the lock, every session that sends a message waits, and one commit then answers them all. A lone
session (the writer's commits carry one session each) waits for every hold in full and sends
nothing meanwhile, so processing takes short turns: hold 15 ms, rest 30 ms, a third of the
lock. When one commit answered several sessions since processing last let go, a hold costs each
of them less, and processing takes half the lock (15 ms in, 15 ms out; 20 in 12 out kept more
of the lock but cost 7 % of the accepted rate at 32 sessions for the same processed rate). Under
a steady stream processing thus goes on while mail arrives instead of leaving the backlog for
after it. (Giving way after every message, the first design,
starved processing under a single session: its commits came every millisecond, processing wrote
one message per half second and nearly the whole backlog waited for the load to end.) A 250
waits at most a hold and a commit for processing.

Acknowledged mail is durable before it is processed, so deferring processing never risks mail.
Other writers (CLI, outbox, IMAP progress) are rare and still rely on SQLite's busy timeout. On
PostgreSQL there is no file lock to share and the gate is open (`OPEN_GATE`).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from sqlalchemy.engine import make_url

from quotemaild.errors import StoreUnavailable


class GateAbandoned(StoreUnavailable):
    """The process that shares the gate died; the processing child ends."""


class Gate(Protocol):
    def priority(self, sessions: int = 1) -> Any: ...  # around the commit writer's transaction for `sessions`

    # A context manager around a processing transaction. While it waits for its turn it calls
    # `meanwhile` (work to do before the transaction, a step at a time; False: nothing left)
    # instead of sleeping.
    def background(self, meanwhile: Callable[[], bool] | None = None) -> Any: ...

    def wanted(self) -> bool: ...  # the commit writer waits and processing had its turn: commit soon

    def contended(self) -> bool: ...  # the commit writer waits for the lock now

    def release_for(self, pid: int) -> bool: ...  # a dead child's hold on the lock, undone


class _Open:
    @contextmanager
    def priority(self, sessions: int = 1) -> Iterator[None]:
        yield

    @contextmanager
    def background(self, meanwhile: Callable[[], bool] | None = None) -> Iterator[None]:
        # Never waits: what was to be done meanwhile is done before the transaction, not in it.
        while meanwhile is not None and meanwhile():
            pass
        yield

    def wanted(self) -> bool:
        return False

    def contended(self) -> bool:
        return False

    def release_for(self, pid: int) -> bool:
        return False


OPEN_GATE: Gate = _Open()


@dataclass(frozen=True)
class Turns:
    """Processing's turn at the lock: keep it at least `hold` s, then stay out up to `rest` s."""

    hold: float
    rest: float


LONE: Final = Turns(hold=0.015, rest=0.030)  # the writer's commits answer one session each
BUSY: Final = Turns(hold=0.015, rest=0.015)  # one answered several: a hold costs each of them less


@dataclass
class WriteGate:
    lock: Any  # a multiprocessing Lock, shared with the processing child
    waiting: Any  # RawValue('b'): 1 while the commit writer waits for or holds the lock
    last_commit: Any  # RawValue('d'): time.monotonic() of the writer's last commit (system-wide)
    holder: Any  # RawValue('i'): pid of the processing child while it holds the lock, else 0
    sessions: Any  # RawValue('i'): the most sessions one commit answered since processing let go
    idle: float = 0.002  # the writer has committed nothing for this long: a gap to use
    lone: Turns = LONE
    busy: Turns = BUSY
    poll: float = 0.001
    owner_pid: int | None = None  # the daemon: if it dies holding the lock, nobody releases it
    _hold: float = field(default=0.0, init=False, repr=False)  # this process's turn, and since when
    _entered: float = field(default=0.0, init=False, repr=False)

    def owner_gone(self) -> bool:
        if self.owner_pid is None:
            return False
        try:
            os.kill(self.owner_pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False

    @classmethod
    def create(cls, context: Any = None, **kwargs: Any) -> WriteGate:
        ctx = context or multiprocessing.get_context()
        return cls(ctx.Lock(), ctx.RawValue("b", 0), ctx.RawValue("d", 0.0), ctx.RawValue("i", 0),
                   ctx.RawValue("i", 0), owner_pid=os.getpid(), **kwargs)  # fmt: skip

    def turns(self) -> Turns:
        return self.busy if self.sessions.value > 1 else self.lone

    @contextmanager
    def priority(self, sessions: int = 1) -> Iterator[None]:
        self.waiting.value = 1
        self.lock.acquire()
        if sessions > self.sessions.value:
            self.sessions.value = sessions
        try:
            yield
        finally:
            self.last_commit.value = time.monotonic()
            self.lock.release()
            self.waiting.value = 0

    @contextmanager
    def background(self, meanwhile: Callable[[], bool] | None = None) -> Iterator[None]:
        started = time.monotonic()
        while True:
            now = time.monotonic()
            if now - started >= self.turns().rest:
                break
            if not self.waiting.value and now - self.last_commit.value >= self.idle:
                break
            # The rest is the processing's time to prepare what it writes next (one message,
            # ~0.3 ms, a step): a turn then goes on writing, not parsing.
            if meanwhile is None or not meanwhile():
                time.sleep(self.poll)
        # Another processing worker may hold the lock for a whole transaction: its work meanwhile
        # too. A daemon killed (-9) inside `priority` never releases the lock: do not wait for ever.
        while not self.lock.acquire(block=False):
            if meanwhile is not None and meanwhile():
                continue
            meanwhile = None
            if self.lock.acquire(timeout=0.5):
                break
            if self.owner_gone():
                raise GateAbandoned(f"the daemon (pid {self.owner_pid}) is gone")
        self.holder.value = os.getpid()
        self._hold = self.turns().hold
        self._entered = time.monotonic()
        try:
            yield
        finally:
            self.holder.value = 0
            self.sessions.value = 0
            self.lock.release()

    def contended(self) -> bool:
        return bool(self.waiting.value)

    def wanted(self) -> bool:
        """The writer waits and this process has held the lock for its hold: time to commit."""
        return self.contended() and time.monotonic() - self._entered >= self._hold

    def release_for(self, pid: int) -> bool:
        """The processing child `pid` died (killed, crashed): release the lock if it held it.

        A semaphore is not released by the death of its holder, and the commit writer would wait
        for it for ever: every 250 would then wait too. Called by the parent after the child is
        gone, so the hold cannot be in use. (A child killed between its acquire and recording
        itself as holder is a window of a few instructions that this cannot see.)"""
        if pid == 0 or self.holder.value != pid:
            return False
        self.holder.value = 0
        self.lock.release()
        return True


def gate_for(store_url: str, context: Any = None) -> Gate:
    """A shared gate for a SQLite store; the open gate for a server database."""
    if make_url(store_url).get_backend_name() == "sqlite":
        return WriteGate.create(context)
    return OPEN_GATE
