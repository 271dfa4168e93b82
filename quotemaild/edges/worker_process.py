"""Processing in child processes: parse, understand and thread stored mail off the SMTP loop.

Parsing and threading cost about ten times what accepting a message costs, and in the daemon's
own process they hold the GIL that the event loop and the commit writer need. So the daemon
starts `[processing] workers` child processes for this work (`edges/pipeline.py` is what each
runs on a batch) and a dispatcher thread that hands them batches of raw ids.

`[processing] drain_workers` more children take batches only while no mail has arrived for a
moment (`DRAIN_IDLE`): accepting mail then needs no core, and the backlog a burst left behind
drains on every core; while mail arrives they stay out of the way of the event loop.

The dispatcher holds a bounded window of pending ids (`edges/pending_window.py`), refilled from
the store when it runs low, so the daemon's memory stays flat however far processing falls
behind. Each batch goes to exactly one child, so no two children ever work on the same raw message;
a batch carries the lower ids other children hold, and the child writes only after those (a
reply never overtakes its original, see `pending.wait_turn`).

Nothing here is needed for durability: a raw copy stays `pending` until the transaction that
stores its parsed message commits. A child that dies (a crash in a C library, the OOM killer,
or killed for taking longer than `message_timeout`) loses nothing: a batch of one in its hands
is recorded as failed (kept and visible, `reprocess` runs it again) so one poisonous mail cannot
crash children forever; a bigger batch is handed out again one message at a time, so only the
message that kills a child is marked. A new child takes the dead one's place.

The messages on the pipes are in `edges/processing_messages.py`.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.config import Config, LogConfig
from quotemaild.edges.child_handle import ChildHandle
from quotemaild.edges.pending import pending_count, pending_ids
from quotemaild.edges.pending_window import PendingWindow
from quotemaild.edges.processing_child import child_main
from quotemaild.edges.processing_messages import Batch, Finished, SetLog, Started, Stop
from quotemaild.edges.restarts import crash_streak, default_workers, restart_delay
from quotemaild.logs import get_logger
from quotemaild.store.gate import OPEN_GATE, Gate

log = get_logger(__name__)

# `forkserver`: children are forked from a small server that has already imported the processing
# code, so a (re)start costs milliseconds and the child inherits none of the daemon's sockets,
# threads or locks (a plain fork of a threaded process can copy a held lock).
CONTEXT = multiprocessing.get_context("forkserver")
CONTEXT.set_forkserver_preload([
    "quotemaild.edges.worker_process", "quotemaild.edges.processing_child", "quotemaild.edges.pipeline"
])

# A drain worker (`[processing] drain_workers`) takes a batch only once no mail has been committed
# for this long: while mail arrives, the daemon's event loop and commit writer need their core.
DRAIN_IDLE = 0.25
WINDOW = 2000  # pending ids the dispatcher holds at most; the rest stay in the store until needed
BATCH_MAX = 256  # raw messages per batch: written in transactions of up to pipeline.TRANSACTION_MAX
COUNT_EVERY = 1.0  # seconds between counts of the pending raw messages in the store
# Several instances on one PostgreSQL: every ORPHAN_SWEEP seconds the dispatcher also takes mail
# pending longer than ORPHAN_AGE, whatever its id (acknowledged by an instance that then died).
# A living instance processes its own mail within a second or two; if it is merely slow, the
# pipeline's row locks (SKIP LOCKED) keep the two apart.
ORPHAN_SWEEP = 10.0
ORPHAN_AGE = 60.0


class ProcessingWorker:
    """The parent's handle on the processing children and their dispatcher."""

    def __init__(
        self,
        config: Config,
        gate: Gate = OPEN_GATE,
        notify: Callable[[], None] | None = None,
        on_lost: Callable[[int, str], None] | None = None,
        restart_delay: float = 1.0,
        message_timeout: float | None = None,
        workers: int | None = None,
        window: int = WINDOW,
        batch_max: int = BATCH_MAX,
        drain_workers: int = 0,
    ) -> None:
        self._config = config
        self._gate = gate  # shared with the commit writer, which goes first
        self._notify = notify  # outgoing mail was queued: wake the delivery worker
        # A batch was committed: the daemon points this at the event stream's wake, so a seller's
        # open inbox hears of a new request at once rather than at its next poll (any thread).
        self.on_committed: Callable[[], None] | None = None
        self._on_lost = on_lost  # (raw id, why): a child died with this message alone in hand
        self._restart_delay = restart_delay
        # Seconds one batch may take; None: the config's [processing] message_timeout.
        self._message_timeout = message_timeout if message_timeout is not None else config.processing.message_timeout
        configured = config.processing.workers
        self._workers = workers or configured or default_workers()
        self._drain_workers = drain_workers  # slots from `_workers` on: only while no mail arrives
        self._arrived_at = float("-inf")  # when the commit writer last reported new mail
        self._batch_max = batch_max
        self._incoming: queue.SimpleQueue[list[int]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._lock = threading.Lock()  # children, handing out, stopping
        self._children: dict[int, ChildHandle] = {}
        self._readers: list[threading.Thread] = []
        self._window = PendingWindow(window)
        self._singles: deque[int] = deque()  # a dead child's batch, handed out one by one
        self._counted = 0  # pending raw messages at the last count
        self._since_count = 0  # committed minus finished since that count
        self._counted_upto = 0  # the highest raw id when counted: reports of ids up to it were counted
        self._counted_at = float("-inf")
        self._swept_at = time.monotonic()
        self._stopping = False
        self._finishing = False
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self.processed = 0
        self.failed = 0
        self.restarts = 0  # children replaced since start (crashed or killed), for health and tests
        self.timeouts = 0  # of those, killed for taking longer than message_timeout
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="processing-dispatch", daemon=True)

    # -- the daemon's side ------------------------------------------------------------------

    def start(self) -> None:
        from quotemaild.store import db

        self._engine = db.make_engine(self._config.store)
        self._sessions = db.make_sessionmaker(self._engine)
        for slot in range(self._workers + self._drain_workers):
            self._spawn(slot)
        self._dispatcher.start()

    def enqueue(self, raw_ids: Iterable[int]) -> None:
        """Never blocks (the commit writer calls this): the dispatcher thread takes it from here."""
        ids = list(raw_ids)
        if ids:
            self._arrived_at = time.monotonic()
            self._incoming.put(ids)
            self._wake.set()

    def set_log(self, cfg: LogConfig) -> None:
        with self._lock:
            children = list(self._children.values())
        for child in children:
            child.send(SetLog(cfg))

    def stop(self, timeout: float = 30.0, finish_queue: bool = True) -> None:
        """End the children after every pending message, or (`finish_queue=False`, shutdown)
        after the batch in hand; what is left stays pending in the store for the next start."""
        deadline = time.monotonic() + timeout
        if finish_queue:
            self._finishing = True
            self._wake.set()
            while time.monotonic() < deadline and self._dispatcher.is_alive() and not self._drained():
                time.sleep(0.02)
        with self._lock:
            self._stopping = True
            children = list(self._children.values())
        self._wake.set()
        for child in children:
            child.send(Stop())
        for child in children:
            child.proc.join(max(0.1, deadline - time.monotonic()))
            if child.proc.is_alive():
                log.warning("processing_child_killed", after_s=timeout, pid=child.proc.pid)
                child.proc.kill()
                child.proc.join(5)
        self._dispatcher.join(5)
        for reader in list(self._readers):
            reader.join(5)
        if self._engine is not None:
            self._engine.dispose()

    def depth(self) -> int:
        """Raw messages pending in the store (the last count, plus committed minus finished since)."""
        return max(0, self._counted + self._since_count)

    def is_alive(self) -> bool:
        """The children run, or are being replaced (health and the watchdog ask this)."""
        return self._dispatcher.is_alive() and not self._stopping

    @property
    def pid(self) -> int | None:
        """The first child's pid (tests, logs)."""
        child = self._children.get(0)
        return child.proc.pid if child is not None else None

    def pids(self) -> list[int]:
        return [c.proc.pid for c in self._children.values() if c.proc.pid is not None]

    def in_hand(self) -> tuple[int, ...]:
        """The raw ids the children are working on now."""
        return tuple(i for c in list(self._children.values()) for i in c.in_hand)

    # -- children ---------------------------------------------------------------------------

    def _spawn(self, slot: int, streak: int = 0) -> None:
        parent_end, child_end = CONTEXT.Pipe()
        proc = CONTEXT.Process(
            target=child_main, args=(child_end, self._config, self._gate), name=f"quotemaild-processing-{slot}"
        )
        proc.start()
        child_end.close()
        child = ChildHandle(slot, parent_end, proc, time.monotonic(), streak=streak)
        with self._lock:
            self._children[slot] = child
        reader = threading.Thread(target=self._read_loop, args=(child,), name=f"processing-read-{slot}", daemon=True)
        self._readers = [r for r in self._readers if r.is_alive()] + [reader]
        reader.start()
        self._wake.set()
        log.info("processing_child_started", pid=proc.pid, slot=slot)

    def _read_loop(self, child: ChildHandle) -> None:
        while True:
            try:
                if not child.conn.poll(1.0):
                    self._check_in_hand(child)
                    continue
                msg = child.conn.recv()
            except (EOFError, OSError):
                child.proc.join(5)
                if not self._stopping:
                    self._child_lost(child)
                return
            if isinstance(msg, Started):
                child.in_hand, child.in_hand_since = msg.raw_ids, time.monotonic()
            elif isinstance(msg, Finished):
                self._finished(child, msg)

    def _finished(self, child: ChildHandle, msg: Finished) -> None:
        with self._lock:
            child.in_hand = child.handed = ()
            self.processed += len(msg.processed)
            self.failed += len(msg.failed)
            self._since_count -= len(msg.processed) + len(msg.failed)
        self._wake.set()
        if msg.queued_mail and self._notify is not None:
            self._notify()
        if (msg.processed or msg.failed) and self.on_committed is not None:
            self.on_committed()

    def _check_in_hand(self, child: ChildHandle) -> None:
        """Kill a child stuck on a batch; its read loop then sees it end like a crash."""
        if not child.in_hand or child.killed_why is not None or self._stopping:
            return
        took = time.monotonic() - child.in_hand_since
        if took <= self._message_timeout:
            return
        child.killed_why = f"processing took longer than {self._message_timeout:g} s; stopped"
        self.timeouts += 1
        log.error("processing_timeout", raw_ids=list(child.in_hand)[:10], seconds=round(took, 1), pid=child.proc.pid)
        child.proc.kill()

    def _child_lost(self, child: ChildHandle) -> None:
        proc = child.proc
        why = child.killed_why or f"processing process ended unexpectedly (exit code {proc.exitcode})"
        lost = child.in_hand or child.handed
        streak = crash_streak(child.streak, time.monotonic() - child.spawned_at)
        if proc.pid is not None and self._gate.release_for(proc.pid):
            log.warning("processing_gate_released", pid=proc.pid)  # it died inside its write transaction
        if child.killed_why is None:
            log.error("processing_child_died", exitcode=proc.exitcode, raw_ids=list(lost)[:10])
        if len(lost) == 1 and child.in_hand:
            self._record_lost(lost[0], why)
        elif lost:
            with self._lock:  # which one killed it is not known: each again, alone
                self._singles.extend(lost)
        self.restarts += 1
        time.sleep(restart_delay(streak, self._restart_delay))
        if not self._stopping:
            self._spawn(child.slot, streak)

    def _record_lost(self, raw_id: int, why: str) -> None:
        if self._on_lost is None:
            return
        try:
            self._on_lost(raw_id, why)
            self.failed += 1
            with self._lock:
                self._since_count -= 1
        except Exception as exc:  # store trouble: it stays pending, and goes back to be tried alone
            log.error("failure_not_recorded", raw_id=raw_id, error=f"{type(exc).__name__}: {exc}"[:300])
            with self._lock:
                self._singles.append(raw_id)

    # -- the dispatcher ---------------------------------------------------------------------

    def _dispatch_loop(self) -> None:
        while not self._stopping:
            self._wake.wait(self._next_round())
            self._wake.clear()
            try:
                self._take_incoming()
                self._count_pending()
                self._refill()
                self._sweep_orphans()
                self._hand_out()
            except Exception as exc:  # store trouble: try again on the next round
                log.error("processing_dispatch_failed", error=f"{type(exc).__name__}: {exc}"[:300])
                time.sleep(0.5)

    def _next_round(self) -> float:
        """Seconds until the dispatcher looks again unwoken: sooner when a drain worker waits
        only for the mail to stop arriving."""
        if self._drain_workers and self._window:
            quiet_in = self._quiet_in()
            if 0 < quiet_in < 0.5:
                return quiet_in + 0.005
        return 0.5

    def _quiet_in(self) -> float:
        """Seconds until drain workers may take batches (no mail for DRAIN_IDLE); <= 0: now."""
        return self._arrived_at + DRAIN_IDLE - time.monotonic()

    def _take_incoming(self) -> None:
        while True:
            try:
                ids = self._incoming.get_nowait()
            except queue.Empty:
                return
            with self._lock:
                # A commit reported after the count may already be in it: count only what is newer.
                self._since_count += sum(1 for raw_id in ids if raw_id > self._counted_upto)
                self._window.offer(ids)

    def _count_pending(self) -> None:
        if time.monotonic() - self._counted_at < COUNT_EVERY:
            return
        assert self._sessions is not None
        self._take_incoming()  # what was reported before the count is in it
        counted, upto = pending_count(self._sessions)
        with self._lock:
            self._counted, self._counted_upto, self._since_count = counted, upto, 0
            self._counted_at = time.monotonic()

    def _refill(self) -> None:
        room = self._window.refill_room()
        if not room:
            return
        assert self._sessions is not None
        found = pending_ids(self._sessions, after=self._window.cursor, limit=room)
        with self._lock:
            self._window.refilled(found, room, self._handed())

    def _sweep_orphans(self) -> None:
        assert self._sessions is not None
        if self._sessions.kw["bind"].dialect.name == "sqlite" or self._window or self._singles:
            return  # SQLite: one daemon per file, whose own pending mail the window already covers
        if time.monotonic() - self._swept_at < ORPHAN_SWEEP:
            return
        self._swept_at = time.monotonic()
        before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=ORPHAN_AGE)
        found = pending_ids(self._sessions, limit=self._window.size, received_before=before)
        with self._lock:
            handed = self._handed()
            self._window.add(i for i in found if i not in handed)

    def _handed(self) -> set[int]:
        """The ids some child holds now (call with the lock)."""
        return {i for c in self._children.values() for i in c.handed}

    def _hand_out(self) -> None:
        with self._lock:
            if self._stopping:
                return
            quiet = self._quiet_in() <= 0
            for child in sorted(self._children.values(), key=lambda c: c.slot):
                if child.handed or not child.proc.is_alive() or (child.slot >= self._workers and not quiet):
                    continue
                if self._singles:
                    ids: tuple[int, ...] = (self._singles.popleft(),)
                elif self._window:
                    ids = self._window.take(self._batch_max)
                else:
                    return
                others = tuple(i for c in self._children.values() if c is not child for i in c.handed if i < ids[-1])
                child.handed = ids
                if not child.send(Batch(ids, others)):
                    child.handed = ()
                    self._singles.extendleft(reversed(ids))

    def _drained(self) -> bool:
        with self._lock:
            idle = all(not c.handed for c in self._children.values())
            return (idle and not self._window and not self._singles and not self._window.behind
                    and self._incoming.empty())
