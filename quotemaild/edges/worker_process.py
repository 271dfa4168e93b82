"""Processing in a child process: parse, understand and thread stored mail off the SMTP loop.

Parsing and threading cost about ten times what accepting a message costs, and in the daemon's
own process they hold the GIL that the event loop and the commit writer need: a 250 then waits on
a parse of somebody else's mail. So the daemon starts one child process for this work and hands
it the ids of committed raw copies over a pipe; the child reports each outcome back.

Nothing here is needed for durability: a raw copy stays `pending` until the transaction that
stores its parsed message commits, and every child starts by picking up what is pending. So a
child that dies (a crash in a C library, the OOM killer) loses nothing. The parent records the
message it had in hand as failed (kept and visible, `reprocess` runs it again) so one poisonous
mail cannot crash the child forever, and starts a new child.

Parent -> child: `("ids", [raw ids])`, `("log", LogConfig)`, `("stop", finish_queue)`.
Child -> parent: `("start", raw_id)` and `("done", raw_id, outcome, queued_mail, backlog)`.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection
from typing import Any

from quotemaild.clock import SystemClock
from quotemaild.config import Config, LogConfig
from quotemaild.logs import configure_logging, get_logger
from quotemaild.store.gate import OPEN_GATE, Gate, GateAbandoned

log = get_logger(__name__)

# `forkserver`: children are forked from a small server that has already imported the processing
# code, so a (re)start costs milliseconds and the child inherits none of the daemon's sockets,
# threads or locks (a plain fork of a threaded process can copy a held lock).
CONTEXT = multiprocessing.get_context("forkserver")
CONTEXT.set_forkserver_preload(["quotemaild.edges.worker_process", "quotemaild.services.ingest"])

_STOP = ("stop",)
# Several instances on one PostgreSQL: an idle child looks every ORPHAN_SWEEP seconds for mail
# pending longer than ORPHAN_AGE (acknowledged by an instance that then died). A living instance
# processes its own mail within a second or two; if it is merely slow, the row lock in
# `process_one` makes one of the two skip the message.
ORPHAN_SWEEP = 10.0
ORPHAN_AGE = 60.0
NICE = 10
STABLE_AFTER = 60.0  # a child that lived this long ended a crash streak: the next restart is quick
MAX_RESTART_DELAY = 30.0


def restart_delay(streak: int, base: float) -> float:
    """Seconds to wait before the next child after `streak` crashes in a row (1 = the first)."""
    return min(base * max(streak, 1), MAX_RESTART_DELAY)


def crash_streak(previous: int, lived: float, stable_after: float = STABLE_AFTER) -> int:
    """Crashes in a row, this one included: a child that ran `stable_after` seconds starts anew.

    Without the reset, a daemon whose child died once a week would wait the full 30 s ceiling
    after a few months, and mail would sit pending that long for nothing."""
    return previous + 1 if lived < stable_after else 1


class ProcessingWorker:
    """The parent's handle on the processing child; same surface as the in-process worker had."""

    def __init__(
        self,
        config: Config,
        gate: Gate = OPEN_GATE,
        notify: Callable[[], None] | None = None,
        on_lost: Callable[[int, str], None] | None = None,
        restart_delay: float = 1.0,
        message_timeout: float | None = None,
    ) -> None:
        self._config = config
        self._gate = gate  # shared with the commit writer, which goes first
        self._notify = notify  # outgoing mail was queued: wake the delivery worker
        self._on_lost = on_lost  # (raw id, why): the child died with this message in hand
        self._restart_delay = restart_delay
        # Seconds one message may take; None: the config's [processing] message_timeout.
        self._message_timeout = message_timeout if message_timeout is not None else config.processing.message_timeout
        self._outgoing: queue.SimpleQueue[tuple[Any, ...]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._conn: Connection | None = None
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._stopping = False
        self._in_hand: int | None = None
        self._in_hand_since = 0.0  # time.monotonic() of the child's "start"
        self._killed_why: str | None = None  # set when we killed the child ourselves
        self._spawned_at = 0.0
        self._streak = 0  # crashes in a row (see crash_streak)
        self._backlog = 0
        self.processed = 0
        self.failed = 0
        self.restarts = 0  # children replaced since start (crashed or killed), for health and tests
        self.timeouts = 0  # of those, killed for taking longer than message_timeout
        self._sender = threading.Thread(target=self._send_loop, name="processing-send", daemon=True)
        self._reader = threading.Thread(target=self._read_loop, name="processing-read", daemon=True)

    def start(self) -> None:
        self._spawn()
        self._sender.start()
        self._reader.start()

    def enqueue(self, raw_ids: Iterable[int]) -> None:
        """Never blocks (the commit writer calls this): a sender thread feeds the pipe."""
        ids = list(raw_ids)
        if ids:
            self._outgoing.put(("ids", ids))

    def set_log(self, cfg: LogConfig) -> None:
        self._outgoing.put(("log", cfg))

    def stop(self, timeout: float = 30.0, finish_queue: bool = True) -> None:
        """End the child after what is queued, or (`finish_queue=False`, shutdown) after the
        message in hand; what is left stays pending in the store and is picked up on the next start."""
        self._stopping = True
        self._outgoing.put(("stop", finish_queue))
        self._outgoing.put(_STOP)
        proc = self._proc
        if proc is not None:
            proc.join(timeout)
            if proc.is_alive():
                log.warning("processing_child_killed", after_s=timeout)
                proc.kill()
                proc.join(5)
        self._sender.join(5)
        self._reader.join(5)

    def depth(self) -> int:
        """Raw messages the child has been told about and not finished (approximate)."""
        return self._backlog + self._outgoing.qsize()

    def is_alive(self) -> bool:
        """The child runs, or is being replaced after it died (health and the watchdog ask this)."""
        return self._reader.is_alive() and not self._stopping

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def _spawn(self) -> None:
        parent_end, child_end = CONTEXT.Pipe()
        proc = CONTEXT.Process(
            target=child_main, args=(child_end, self._config, self._gate), name="quotemaild-processing"
        )
        proc.start()
        child_end.close()
        with self._lock:
            self._conn, self._proc = parent_end, proc
            self._spawned_at = time.monotonic()
            self._killed_why = None
        log.info("processing_child_started", pid=proc.pid)

    def _send_loop(self) -> None:
        while True:
            item = self._outgoing.get()
            if item is _STOP:
                return
            with self._lock:
                conn = self._conn
            try:
                if conn is not None:
                    conn.send(item)
            except (OSError, ValueError):
                pass  # child gone: those ids stay pending and its successor scans for them

    def _read_loop(self) -> None:
        while True:
            with self._lock:
                conn, proc = self._conn, self._proc
            assert conn is not None and proc is not None
            try:
                if not conn.poll(1.0):
                    self._check_in_hand(proc)
                    continue
                msg = conn.recv()
            except (EOFError, OSError):
                proc.join(5)
                if self._stopping:
                    return
                self._child_lost(proc)
                if self._stopping:
                    return
                continue
            self._handle(msg)

    def _check_in_hand(self, proc: multiprocessing.process.BaseProcess) -> None:
        """Kill a child stuck on one message; the read loop then sees it end like a crash."""
        in_hand = self._in_hand
        if in_hand is None or self._killed_why is not None or self._stopping:
            return
        took = time.monotonic() - self._in_hand_since
        if took <= self._message_timeout:
            return
        self._killed_why = f"processing took longer than {self._message_timeout:g} s; stopped"
        self.timeouts += 1
        log.error("processing_timeout", raw_id=in_hand, seconds=round(took, 1), pid=proc.pid)
        proc.kill()

    def _handle(self, msg: tuple[Any, ...]) -> None:
        if msg[0] == "start":
            self._in_hand = msg[1]
            self._in_hand_since = time.monotonic()
        elif msg[0] == "done":
            _, _raw_id, outcome, queued, backlog = msg
            self._in_hand = None
            self._backlog = backlog
            if outcome == "processed":
                self.processed += 1
            elif outcome == "failed":
                self.failed += 1
            if queued and self._notify is not None:
                self._notify()

    def _child_lost(self, proc: multiprocessing.process.BaseProcess) -> None:
        why = self._killed_why or f"processing process ended unexpectedly (exit code {proc.exitcode})"
        in_hand, self._in_hand = self._in_hand, None
        self._streak = crash_streak(self._streak, time.monotonic() - self._spawned_at)
        if proc.pid is not None and self._gate.release_for(proc.pid):
            log.warning("processing_gate_released", pid=proc.pid)  # it died inside its write transaction
        if self._killed_why is None:
            log.error("processing_child_died", exitcode=proc.exitcode, raw_id=in_hand)
        if in_hand is not None and self._on_lost is not None:
            try:
                self._on_lost(in_hand, why)
                self.failed += 1
            except Exception as exc:  # store trouble: it stays pending and is tried again
                log.error("failure_not_recorded", raw_id=in_hand, error=f"{type(exc).__name__}: {exc}"[:300])
        self.restarts += 1
        time.sleep(restart_delay(self._streak, self._restart_delay))
        if not self._stopping:
            self._spawn()


def child_main(conn: Connection, config: Config, gate: Gate) -> None:
    """The child: build the processing side from the config, then work until told or orphaned."""
    # The parent decides when we stop (SIGTERM goes to it; Ctrl-C reaches the whole group).
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    # Background work: when the CPUs are busy, accepting mail (the parent) goes first.
    os.nice(NICE)
    configure_logging(config.log)
    from quotemaild.edges.processor import pending_ids, process_one
    from quotemaild.store import db
    from quotemaild.wiring import processing_side

    engine = db.make_engine(config.store, rebuildable=True)  # no fsync per processing commit
    sessions = db.make_sessionmaker(engine)
    clock = SystemClock()
    settings, after = processing_side(config, clock)
    todo: deque[int] = deque(pending_ids(sessions))
    # On a shared database, mail another instance acknowledged and did not live to process.
    sweep = engine.dialect.name != "sqlite"
    # Ids committed before our scan may also arrive over the pipe: skip them once.
    scanned = set(todo)
    finishing = False
    queued: list[bool] = []  # set by the hook when the message queued outgoing mail
    try:
        while True:
            while not todo or conn.poll(0):
                if finishing and not todo:
                    return
                if sweep and not todo and not conn.poll(ORPHAN_SWEEP):
                    todo.extend(pending_ids(sessions, clock.now() - dt.timedelta(seconds=ORPHAN_AGE)))
                    continue
                try:
                    msg = conn.recv()
                except (EOFError, OSError):
                    return  # the parent is gone: what is left stays pending for the next start
                if msg[0] == "ids":
                    for raw_id in msg[1]:
                        if raw_id in scanned:
                            scanned.discard(raw_id)
                        else:
                            todo.append(raw_id)
                elif msg[0] == "log":
                    configure_logging(msg[1])
                elif msg[0] == "stop":
                    if not msg[1]:
                        return
                    finishing = True
            raw_id = todo.popleft()
            conn.send(("start", raw_id))
            queued.clear()
            result = process_one(sessions, raw_id, settings, clock, after, lambda: queued.append(True), gate)
            outcome = "failed" if result is None else ("skipped" if result == "skipped" else "processed")
            conn.send(("done", raw_id, outcome, bool(queued), len(todo)))
    except (BrokenPipeError, EOFError, GateAbandoned):
        return  # the daemon is gone: what is left stays pending for the next start
    finally:
        engine.dispose()
