"""Raw messages still pending, as the store sees them: the dispatcher's ids and count, and a
worker's turn (hop 3 of `edges/pipeline.py`: the lower ids other workers hold, processed yet?).

Every look is a read transaction (`store.db.make_reader`), so none takes SQLite's write lock.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.domain.raw_state import RawState
from quotemaild.logs import get_logger
from quotemaild.store.db import make_reader
from quotemaild.store.models import RawMessage

log = get_logger(__name__)

# How long a worker waits for a lower raw id held by another worker before writing anyway.
TURN_WAIT: Final = 2.0
# How often that worker looks whether the lower ids are processed.
TURN_POLL: Final = 0.002


def pending_ids(
    sessions: sessionmaker[Session], after: int = 0, limit: int | None = None, received_before: dt.datetime | None = None
) -> list[int]:
    """Pending raw ids above `after`, ascending, at most `limit` (the index on (state, id) covers
    it); `received_before`: only mail older than that (on a shared database, what an instance
    that died acknowledged and never processed)."""
    query = select(RawMessage.id).where(RawMessage.state == RawState.PENDING, RawMessage.id > after)
    if received_before is not None:
        query = query.where(RawMessage.received_at < received_before)
    query = query.order_by(RawMessage.id)
    if limit is not None:
        query = query.limit(limit)
    with make_reader(sessions.kw["bind"])() as session:
        return list(session.scalars(query))


def pending_count(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """(Raw messages pending, the highest raw id in the store when counted)."""
    with make_reader(sessions.kw["bind"])() as session:
        count = session.scalar(select(func.count()).where(RawMessage.state == RawState.PENDING)) or 0
        highest = session.scalar(select(func.max(RawMessage.id))) or 0
    return int(count), int(highest)


def wait_turn(
    sessions: sessionmaker[Session],
    others: Sequence[int],
    meanwhile: Callable[[], bool] | None = None,
    patience: float = TURN_WAIT,
) -> None:
    """Hop 3, with several workers: write a batch only once the lower raw ids that other workers
    held when it was handed out (`others`) are processed, or `patience` ran out (a worker that
    died must not hold up the rest; its successor takes those ids again). While it waits, it
    does `meanwhile` a step at a time (the pipeline prepares the batch), rather than sleeping.

    Threading looks up what is already stored: a reply written before its original would open
    a request of its own. One-by-one processing writes in arrival order, and so does this:
    parsing runs in parallel, the writes (one at a time on SQLite anyway) in order."""
    if not others:
        return
    deadline = time.monotonic() + patience
    waiting = select(RawMessage.id).where(RawMessage.id.in_(list(others)), RawMessage.state == RawState.PENDING).limit(1)
    reader = make_reader(sessions.kw["bind"])
    look_at = 0.0
    while (now := time.monotonic()) < deadline:
        # The store is asked every TURN_POLL s, not after every step of the work meanwhile: a
        # look (up to 256 ids in a read transaction) costs more than preparing a message.
        if now >= look_at:
            with reader() as session:
                if session.scalar(waiting) is None:
                    return
            look_at = time.monotonic() + TURN_POLL
        if meanwhile is None or not meanwhile():
            meanwhile = None
            time.sleep(max(0.0, look_at - time.monotonic()))
    log.warning("turn_not_awaited", others=len(others), waited_s=patience)
