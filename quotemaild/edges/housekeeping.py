"""The periodic housekeeping task: quotes whose validity passed become expired, and the reminders
whose time has come are mailed to their seller.

It runs once right at start (a reminder that fell due while the daemon was stopped goes out now)
and then every `interval` seconds. Each step is its own short transaction in a worker thread; a
reminder is marked sent in the transaction that queues its mail, so it is sent once however often
the daemon restarts. After reminders were queued the outbox worker is woken.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import Clock
from quotemaild.logs import get_logger
from quotemaild.services.quote_manage import expire_due
from quotemaild.services.reminders import BATCH, send_due
from quotemaild.services.send import SendSettings

log = get_logger(__name__)

INTERVAL = 30.0


class HousekeepingTask:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock, settings: SendSettings,
                 wake_outbox: Callable[[], None], interval: float = INTERVAL) -> None:
        self._sessions = sessions
        self._clock = clock
        self._settings = settings
        self._wake_outbox = wake_outbox
        self._interval = interval
        self.reminders_sent = 0
        self.quotes_expired = 0

    async def run(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.run_once)
            except Exception as exc:  # store trouble: try again next round
                log.warning("housekeeping_failed", error=f"{type(exc).__name__}: {exc}"[:300])
            await asyncio.sleep(self._interval)

    def run_once(self) -> tuple[int, int]:
        """One round; (quotes expired, reminders handled)."""
        with self._sessions.begin() as session:
            expired = len(expire_due(session, self._clock))
        handled = sent = 0
        while True:
            with self._sessions.begin() as session:
                rows = send_due(session, self._settings, self._clock)
                sent += sum(1 for r in rows if r.state == "sent")
            handled += len(rows)
            if len(rows) < BATCH:
                break
        self.quotes_expired += expired
        self.reminders_sent += sent
        if sent:
            self._wake_outbox()
        if expired or handled:
            log.info("housekeeping", quotes_expired=expired, reminders=handled, reminders_sent=sent)
        return expired, handled
