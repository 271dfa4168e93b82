"""Who writes to SQLite next: the commit writer first, processing in the gaps.

SQLite has one write lock for the whole file. When the processing child holds it and the commit
writer wants it, SQLite's busy handler makes the writer sleep and retry (1, 2, 5, 10 ms ...), and
a single SMTP session, which waits for each commit before it sends the next message, ran at the
pace of processing instead of its own. The gate hands the lock over directly instead:

- the commit writer (`priority`) says it is waiting, takes a cross-process lock and commits;
- processing (`background`) starts a write transaction only when the writer is not waiting and
  has been idle for a moment, or when it has waited `max_defer` seconds, so processing always
  moves on (at least one transaction per `max_defer`) even while mail keeps arriving.

Acknowledged mail is durable before it is processed, so deferring processing never risks mail;
it only moves the parsing of a burst to just after the burst. Other writers (CLI, outbox, IMAP
progress) are rare and still rely on SQLite's busy timeout. On PostgreSQL there is no file lock
to share and the gate is open (`OPEN_GATE`).
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.engine import make_url

from quotemaild.errors import StoreUnavailable


class GateAbandoned(StoreUnavailable):
    """The process that shares the gate died; the processing child ends."""


class Gate(Protocol):
    def priority(self) -> Any: ...  # a context manager around the commit writer's transaction

    def background(self) -> Any: ...  # a context manager around a processing transaction

    def wanted(self) -> bool: ...  # the commit writer waits: a processing transaction should end soon

    def release_for(self, pid: int) -> bool: ...  # a dead child's hold on the lock, undone


class _Open:
    @contextmanager
    def priority(self) -> Iterator[None]:
        yield

    @contextmanager
    def background(self) -> Iterator[None]:
        yield

    def wanted(self) -> bool:
        return False

    def release_for(self, pid: int) -> bool:
        return False


OPEN_GATE: Gate = _Open()


@dataclass
class WriteGate:
    lock: Any  # a multiprocessing Lock, shared with the processing child
    waiting: Any  # RawValue('b'): 1 while the commit writer waits for or holds the lock
    last_commit: Any  # RawValue('d'): time.monotonic() of the writer's last commit (system-wide)
    holder: Any  # RawValue('i'): pid of the processing child while it holds the lock, else 0
    idle: float = 0.05  # the writer has committed nothing for this long: a gap to use
    max_defer: float = 0.5  # processing waits at most this long for a gap
    poll: float = 0.001
    owner_pid: int | None = None  # the daemon: if it dies holding the lock, nobody releases it

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
    def create(cls, context: Any = None, **kwargs: float) -> WriteGate:
        ctx = context or multiprocessing.get_context()
        return cls(ctx.Lock(), ctx.RawValue("b", 0), ctx.RawValue("d", 0.0), ctx.RawValue("i", 0),
                   owner_pid=os.getpid(), **kwargs)  # fmt: skip

    @contextmanager
    def priority(self) -> Iterator[None]:
        self.waiting.value = 1
        self.lock.acquire()
        try:
            yield
        finally:
            self.last_commit.value = time.monotonic()
            self.lock.release()
            self.waiting.value = 0

    @contextmanager
    def background(self) -> Iterator[None]:
        deadline = time.monotonic() + self.max_defer
        while True:
            now = time.monotonic()
            if now >= deadline or (not self.waiting.value and now - self.last_commit.value >= self.idle):
                break
            time.sleep(self.poll)
        # A daemon killed (-9) inside `priority` never releases the lock: do not wait for ever.
        while not self.lock.acquire(timeout=0.5):
            if self.owner_gone():
                raise GateAbandoned(f"the daemon (pid {self.owner_pid}) is gone")
        self.holder.value = os.getpid()
        try:
            yield
        finally:
            self.holder.value = 0
            self.lock.release()

    def wanted(self) -> bool:
        return bool(self.waiting.value)

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
