"""The processing child's main loop: build the processing side from the config, then run the
batches the parent hands over (`processing_messages`) until told to stop or orphaned."""

from __future__ import annotations

import gc
import os
import signal
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

from quotemaild.clock import SystemClock
from quotemaild.config import Config
from quotemaild.edges.processing_messages import Batch, Finished, SetLog, Started, Stop
from quotemaild.logs import configure_logging
from quotemaild.store.gate import Gate, GateAbandoned

NICE = 10


def child_main(conn: Connection, config: Config, gate: Gate) -> None:
    """A child: build the processing side from the config, then run batches until told or orphaned."""
    # The parent decides when we stop (SIGTERM goes to it; Ctrl-C reaches the whole group).
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)
    # Background work: when the CPUs are busy, accepting mail (the parent) goes first.
    os.nice(NICE)
    configure_logging(config.log)
    from quotemaild.edges.pending import wait_turn
    from quotemaild.edges.pipeline import Outcome, Steps, process_batch
    from quotemaild.store import db
    from quotemaild.wiring import processing_side

    # No fsync per processing commit, and the checkpoints out of its commits (`WalCheckpoints`).
    engine = db.make_engine(config.store, rebuildable=True, checkpoint_pages=db.NO_AUTOCHECKPOINT)
    sessions = db.make_sessionmaker(engine)
    clock = SystemClock()
    settings, acknowledge = processing_side(config, clock)
    steps = Steps(settings, clock, acknowledge, gate, after_commit=db.WalCheckpoints(engine))
    # What exists now (modules, SQLAlchemy's mappers and caches) lives as long as the child: kept
    # out of the cyclic collector, whose full passes would walk it again every few batches.
    gc.freeze()
    try:
        while True:
            try:
                msg: Any = conn.recv()
            except (EOFError, OSError):
                return  # the parent is gone: what is left stays pending for the next start
            if isinstance(msg, Batch):
                conn.send(Started(msg.raw_ids))
                others = msg.others
                turn = partial(wait_turn, sessions, others) if others else None
                done = process_batch(sessions, msg.raw_ids, steps, turn)
                conn.send(Finished(
                    processed=tuple(d.raw_id for d in done if d.outcome is Outcome.PROCESSED),
                    failed=tuple(d.raw_id for d in done if d.outcome is Outcome.FAILED),
                    skipped=tuple(d.raw_id for d in done if d.outcome is Outcome.SKIPPED),
                    queued_mail=any(d.queued_mail for d in done),
                ))  # fmt: skip
            elif isinstance(msg, SetLog):
                configure_logging(msg.config)
            elif isinstance(msg, Stop):
                return
    except (BrokenPipeError, EOFError, GateAbandoned):
        return  # the daemon is gone: what is left stays pending for the next start
    finally:
        engine.dispose()
