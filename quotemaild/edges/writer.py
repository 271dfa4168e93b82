"""Group commit: one writer thread stores the raw copies of concurrent messages in one transaction.

The SMTP/LMTP edges hand a batch of `RawInput` (one per tenant of a transaction) to `submit` and
await the returned future; it resolves with the new row ids only after the commit, which with
SQLite `synchronous=FULL` means after the fsync. Everything queued while a commit runs goes into
the next one, so under load many messages share one fsync and durability costs little throughput.
A failed commit fails every future of its batch with `StoreUnavailable`: the edge answers 451.

How the rows go in depends on the backend (`inserts_for`): on SQLite straight through the sqlite3
driver, elsewhere through SQLAlchemy Core (on PostgreSQL a lone copy as one autocommit statement,
one round trip). On PostgreSQL the engine runs with synchronous_commit
on (`store.db`), so there too a future resolves only once the commit's WAL is flushed; a lost
connection fails the batch (451) and the next batch reconnects. Both write the same column values (the SQLite path uses
the models' own bind processors), which a test compares.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, bindparam, cast, insert, select
from sqlalchemy.exc import SQLAlchemyError

from quotemaild.errors import StoreUnavailable
from quotemaild.logs import get_logger
from quotemaild.store.blobs import BIG_BYTES, fill_blob
from quotemaild.store.gate import OPEN_GATE, Gate
from quotemaild.store.models import RawData, RawMessage

log = get_logger(__name__)
_STOP = object()


@dataclass(frozen=True)
class RawInput:
    tenant_id: int
    received_at: dt.datetime
    channel: str
    mail_from: str
    rcpt_to: tuple[str, ...]
    peer: str
    helo: str
    data: bytes


@dataclass
class _Job:
    items: Sequence[RawInput]
    future: Future[list[int]]


@dataclass
class WriterStats:
    batches: int = 0
    messages: int = 0
    failures: int = 0
    last_batch_size: int = 0
    last_commit_seconds: float = 0.0


class CommitWriter:
    def __init__(
        self,
        engine: Engine,
        on_committed: Callable[[list[int]], None] | None = None,
        batch_max: int = 256,
        delay: float = 0.0,
        observe: Callable[[int, float], None] | None = None,
        gate: Gate = OPEN_GATE,
        lock_timeout: float | None = None,
    ) -> None:
        self._engine = engine
        # PostgreSQL: seconds a commit may wait for a lock (a schema change holding the table)
        # before it fails and the edge answers 451, as SQLite's busy timeout does.
        self._lock_timeout = lock_timeout
        self._gate = gate  # SQLite's write lock goes to us before the processing child
        self._inserts: Inserts | None = None  # opened on the first batch, kept for the writer's life
        self._on_committed = on_committed
        self._observe = observe  # (batch size, commit seconds), e.g. metrics histograms
        self._batch_max = batch_max
        self._delay = delay
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="commit-writer", daemon=True)
        self.stats = WriterStats()

    def start(self) -> None:
        self._thread.start()

    def submit(self, items: Sequence[RawInput]) -> Future[list[int]]:
        future: Future[list[int]] = Future()
        self._queue.put(_Job(items, future))
        return future

    def depth(self) -> int:
        """Jobs waiting for the next commit."""
        return self._queue.qsize()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 30.0) -> None:
        """Commit what is queued, then end the thread."""
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _drop_inserts(self, broken: bool = False) -> None:
        inserts, self._inserts = self._inserts, None
        if inserts is not None:
            inserts.close(broken)

    def _run(self) -> None:
        try:
            self._batches()
        finally:
            self._drop_inserts()

    def _batches(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                return
            jobs = [first]
            if self._delay:
                time.sleep(self._delay)
            while len(jobs) < self._batch_max:
                try:
                    nxt = self._queue.get_nowait()
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stopping = True
                    break
                jobs.append(nxt)
            self._commit([j for j in jobs if isinstance(j, _Job)])

    def _commit(self, jobs: list[_Job]) -> None:
        started = time.perf_counter()
        results: list[list[int]] = []
        try:
            items = [item for job in jobs for item in job.items]
            if self._inserts is None:
                self._inserts = inserts_for(self._engine, self._lock_timeout)
            with self._gate.priority(len(jobs)):
                new_ids = iter(self._inserts.commit(items))
            for job in jobs:
                results.append([next(new_ids) for _ in job.items])
        except (SQLAlchemyError, sqlite3.Error, OSError) as exc:
            self._drop_inserts(broken=True)  # the next batch starts on a fresh one (the store may be back)
            self.stats.failures += 1
            log.warning("commit_failed", batch=len(jobs), error=type(exc).__name__, detail=str(exc)[:200])
            error = StoreUnavailable(f"store could not commit: {type(exc).__name__}")
            for job in jobs:
                _resolve(job.future, exception=error)
            return
        self.stats.batches += 1
        self.stats.messages += sum(len(j.items) for j in jobs)
        self.stats.last_batch_size = len(jobs)
        self.stats.last_commit_seconds = time.perf_counter() - started
        if self._observe is not None:
            self._observe(len(jobs), self.stats.last_commit_seconds)
        for job, ids in zip(jobs, results, strict=True):
            _resolve(job.future, result=ids)
        if self._on_committed is not None:
            self._on_committed([i for ids in results for i in ids])


def _resolve(future: Future[list[int]], result: list[int] | None = None, exception: Exception | None = None) -> None:
    if not future.set_running_or_notify_cancel():
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result or [])


def _row(item: RawInput) -> dict[str, Any]:
    return {
        "tenant_id": item.tenant_id,
        "received_at": item.received_at,
        "channel": item.channel,
        "mail_from": item.mail_from,
        "rcpt_to": list(item.rcpt_to),
        "peer": item.peer,
        "helo": item.helo,
        "size": len(item.data),
        "sha256": hashlib.sha256(item.data).hexdigest(),
        "state": "pending",
        "attempts": 0,
    }


# The columns `_row` fills, in its order.
_ROW_COLUMNS: tuple[str, ...] = tuple(_row(RawInput(0, dt.datetime.now(dt.UTC), "", "", (), "", "", b"")))


class Inserts(Protocol):
    """Stores one batch of raw copies in one transaction and returns their ids, in order."""

    def commit(self, items: Sequence[RawInput]) -> list[int]: ...

    def close(self, broken: bool) -> None: ...


def inserts_for(engine: Engine, lock_timeout: float | None = None) -> Inserts:
    if engine.dialect.name == "sqlite" and engine.dialect.driver == "pysqlite":
        return SqliteInserts(engine)
    return CoreInserts(engine, lock_timeout)


# RETURNING the ids in the order of the rows given (SQLite >= 3.35 and PostgreSQL both do this).
_INSERT = insert(RawMessage).returning(RawMessage.id, sort_by_parameter_order=True)
_INSERT_DATA = insert(RawData)


def _insert_one() -> Any:
    """PostgreSQL: one raw copy, both rows, as one statement (a data-modifying WITH)."""
    raws, data = RawMessage.__table__, RawData.__table__
    new_raw = insert(raws).values({c: bindparam(c, type_=raws.c[c].type) for c in _ROW_COLUMNS})
    new_raw = new_raw.returning(raws.c.id).cte("new_raw")
    value = cast(bindparam("data", type_=data.c.data.type), data.c.data.type)
    return insert(data).from_select(["raw_id", "data"], select(new_raw.c.id, value)).returning(data.c.raw_id)


_INSERT_ONE = _insert_one()


class CoreInserts:
    """Any backend: one executemany per table through SQLAlchemy Core.

    The statements are compiled once (cached), not built per row, which was a third of the
    daemon's CPU under load. One connection serves the writer's life, not one from the pool per
    batch: a checkout and return cost as much as a tenth of a one-message commit."""

    def __init__(self, engine: Engine, lock_timeout: float | None = None) -> None:
        self._conn: Connection = engine.connect()
        # PostgreSQL: a lone message (one SMTP session waits for each commit) goes in as one
        # statement on a connection of its own in autocommit: one round trip where BEGIN, two
        # INSERTs and COMMIT took four. The statement is its own transaction: both rows or none,
        # committed (and its WAL flushed) before it returns.
        self._single: Connection | None = None
        if engine.dialect.name != "postgresql":
            return
        self._single = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        if lock_timeout is not None:
            for conn in (self._conn, self._single):
                conn.exec_driver_sql(f"SET lock_timeout = {max(1, int(lock_timeout * 1000))}")
                conn.commit()

    def commit(self, items: Sequence[RawInput]) -> list[int]:
        if self._single is not None and len(items) == 1:
            [item] = items
            raw_id = int(self._single.execute(_INSERT_ONE, {**_row(item), "data": item.data}).scalar_one())
            self._single.commit()  # nothing to commit at the driver: ends SQLAlchemy's own begin
            return [raw_id]
        with self._conn.begin():
            raw_ids = [int(r[0]) for r in self._conn.execute(_INSERT, [_row(item) for item in items])]
            data = [{"raw_id": i, "data": item.data} for i, item in zip(raw_ids, items, strict=True)]
            self._conn.execute(_INSERT_DATA, data)
        return raw_ids

    def close(self, broken: bool) -> None:
        for conn in (self._conn, self._single):
            if conn is None:
                continue
            try:
                if broken:
                    conn.invalidate()  # not back into the pool
                conn.close()
            except SQLAlchemyError:
                pass


class SqliteInserts:
    """SQLite: the same rows straight through the sqlite3 driver.

    A single SMTP session waits for every commit, and SQLAlchemy's statement execution (events,
    result set-up, parameter processing) cost a third to a half of the fsync'd one-message commit.
    Values go through the models' own bind processors, so what lands in a column is exactly what
    `CoreInserts` writes. A message of `BIG_BYTES` or more goes in by blob I/O, as the processing
    child reads it (`store.blobs`)."""

    def __init__(self, engine: Engine) -> None:
        dialect = engine.dialect
        table = RawMessage.__table__
        self._processors = {c.name: c.type.dialect_impl(dialect).bind_processor(dialect) for c in table.columns}
        self._sql = f"INSERT INTO {table.name} ({', '.join(_ROW_COLUMNS)}) VALUES ({', '.join('?' * len(_ROW_COLUMNS))})"
        data = RawData.__table__
        self._data_table, self._data_column = data.name, data.c.data.name
        self._sql_data = f"INSERT INTO {data.name} ({data.c.raw_id.name}, {data.c.data.name}) VALUES (?, ?)"
        self._sql_big_data = f"INSERT INTO {data.name} ({data.c.raw_id.name}, {data.c.data.name}) VALUES (?, zeroblob(?))"
        self._fairy = engine.raw_connection()  # the pool's connection: its pragmas are set on connect
        self._db: sqlite3.Connection = self._fairy.driver_connection  # type: ignore[assignment]

    def _values(self, item: RawInput) -> tuple[Any, ...]:
        # `_row` gives the columns in the same order every time: the order of `self._sql`.
        return tuple(v if (proc := self._processors[k]) is None else proc(v) for k, v in _row(item).items())

    def commit(self, items: Sequence[RawInput]) -> list[int]:
        cur = self._db.cursor()
        try:
            cur.execute("BEGIN IMMEDIATE")  # the connection is in autocommit mode (see store.db)
            ids: list[int] = []
            for item in items:
                cur.execute(self._sql, self._values(item))
                ids.append(int(cur.lastrowid or 0))
            stored = list(zip(ids, (item.data for item in items), strict=True))
            cur.executemany(self._sql_data, [(i, data) for i, data in stored if len(data) < BIG_BYTES])
            for i, data in stored:
                if len(data) >= BIG_BYTES:  # bound as a value, SQLite would hold it twice more
                    cur.execute(self._sql_big_data, (i, len(data)))
                    fill_blob(self._db, self._data_table, self._data_column, i, data)
            cur.execute("COMMIT")
        except BaseException:
            if self._db.in_transaction:
                self._db.rollback()
            raise
        finally:
            cur.close()
        return ids

    def close(self, broken: bool) -> None:
        try:
            if broken:
                self._fairy.invalidate()
            self._fairy.close()
        except (SQLAlchemyError, sqlite3.Error):
            pass
