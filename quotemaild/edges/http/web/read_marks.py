"""Read marks written after the request page has been sent.

Opening a request marks it read for the user. As part of the page that was a write transaction
with its commit and fsync on the page's critical path (p95 579 ms at 100k requests on a busy
machine, most of it waiting for the write). Now the page is built in a read session and the mark
is written by a background task once the response is out (`inbox.record_read`, which skips it
when mail came in meanwhile).

"Mark as unread" must win over a mark still on its way, whatever the order the two reach the
store in: `cancel` drops a pending mark, and waits for one being written (the lock), so the
unread action's delete comes after it. One instance of this per app (a process); several daemons
on one store each order their own users' clicks.
"""

from __future__ import annotations

import itertools
import threading

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import Clock
from quotemaild.errors import QuotemailError
from quotemaild.logs import get_logger
from quotemaild.services import inbox

log = get_logger(__name__)


class ReadMarks:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[tuple[int, int], int] = {}  # (user, request) -> ticket of the latest mark
        self._tickets = itertools.count(1)

    def schedule(self, mark: inbox.ReadMark) -> int:
        with self._lock:
            ticket = next(self._tickets)
            self._pending[(mark.user_id, mark.request_id)] = ticket
            return ticket

    def record(self, sessions: sessionmaker[Session], clock: Clock, mark: inbox.ReadMark, ticket: int) -> bool:
        """Write the mark unless it was cancelled or superseded; True if a row was written."""
        key = (mark.user_id, mark.request_id)
        with self._lock:
            if self._pending.get(key) != ticket:
                return False
            del self._pending[key]
            try:
                with sessions.begin() as s:
                    return inbox.record_read(s, mark, clock)
            except (SQLAlchemyError, QuotemailError) as exc:
                # The request stays unread for this user; the next opening tries again.
                log.warning("read_mark_failed", request_id=mark.request_id, error=str(exc))
                return False

    def cancel(self, user_id: int, request_id: int) -> None:
        with self._lock:
            self._pending.pop((user_id, request_id), None)

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)
