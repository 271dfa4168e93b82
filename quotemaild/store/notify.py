"""PostgreSQL LISTEN/NOTIFY: "look now" between every process and instance on one database.

    announce(sessions)   sender side, on every write sessionmaker (`db.make_sessionmaker`): a
                         transaction that queued outgoing mail or wrote change events sends
                         `NOTIFY quotemaild, 'outbox'` / `'changes'` just before it commits.
                         PostgreSQL delivers a notification only if, and when, its transaction
                         commits, and folds duplicates within one transaction.
    PgListener           receiving side, in the daemon: one connection per instance that LISTENs
                         and calls the handlers of a topic (the outbox worker's `wake`, the event
                         feed's `wake`). It reconnects when the connection drops and then calls
                         every handler once, for what it may have missed meanwhile.

A notification carries nothing but "look now" (never data): the receivers read the store as on
every poll, so a lost or duplicated one costs at most a poll interval or an extra look. On SQLite
the same seams are a datagram socket (`edges/wake.py`) and the in-process feed wake.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.logs import get_logger

log = get_logger(__name__)

CHANNEL = "quotemaild"
OUTBOX = "outbox"
CHANGES = "changes"
TOPICS = (OUTBOX, CHANGES)
# session.info keys set by the writers: services.outbox.OUTBOX_QUEUED and store.changes.
OUTBOX_QUEUED = "quotemaild.outbox_queued"
CHANGES_WRITTEN = "quotemaild.changes_written"


def announce(sessions: sessionmaker[Session]) -> None:
    """NOTIFY from the commits of `sessions` that matter to other processes (PostgreSQL only)."""
    bind = sessions.kw.get("bind")
    if bind is None or bind.dialect.name != "postgresql":
        return

    def before_commit(session: Session) -> None:
        topics = [OUTBOX] if session.info.get(OUTBOX_QUEUED) else []
        if session.info.pop(CHANGES_WRITTEN, False):
            topics.append(CHANGES)
        for topic in topics:
            session.execute(text("SELECT pg_notify(:channel, :topic)"), {"channel": CHANNEL, "topic": topic})

    def after_rollback(session: Session) -> None:
        session.info.pop(CHANGES_WRITTEN, None)

    event.listen(sessions, "before_commit", before_commit)
    event.listen(sessions, "after_rollback", after_rollback)


class PgListener:
    """A thread holding one LISTEN connection; `on(topic, handler)` before or after `start()`.

    Handlers run on the listener's thread and must be quick and thread-safe (the `wake` methods
    only schedule a callback on their event loop)."""

    def __init__(self, url: str, reconnect_delay: float = 1.0) -> None:
        parsed = make_url(url)
        self._conninfo: dict[str, Any] = {
            "host": parsed.host, "port": parsed.port, "user": parsed.username, "password": parsed.password,
            "dbname": parsed.database, **{k: v for k, v in parsed.query.items() if isinstance(v, str)},
        }  # fmt: skip
        self._handlers: dict[str, list[Callable[[], None]]] = {t: [] for t in TOPICS}
        self._reconnect_delay = reconnect_delay
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pg-listen", daemon=True)
        self.received = 0

    def on(self, topic: str, handler: Callable[[], None]) -> None:
        self._handlers[topic].append(handler)

    def start(self) -> PgListener:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _fire(self, topics: tuple[str, ...]) -> None:
        for topic in topics:
            for handler in self._handlers.get(topic, ()):
                try:
                    handler()
                except Exception as exc:  # noqa: BLE001 - one handler's trouble must not stop listening
                    log.warning("notify_handler_failed", topic=topic, error=f"{type(exc).__name__}: {exc}"[:200])

    def _run(self) -> None:
        import psycopg

        first = True
        while not self._stop.is_set():
            try:
                with psycopg.connect(**{k: v for k, v in self._conninfo.items() if v is not None},
                                     autocommit=True, connect_timeout=10) as conn:  # fmt: skip
                    conn.execute(f"LISTEN {CHANNEL}")
                    if not first:
                        self._fire(TOPICS)  # whatever was announced while we were away
                    first = False
                    while not self._stop.is_set():
                        for note in conn.notifies(timeout=1.0):
                            self.received += 1
                            self._fire((note.payload,))
            except Exception as exc:  # noqa: BLE001 - server gone or restarting: listen again
                log.warning("notify_listen_failed", error=f"{type(exc).__name__}: {exc}"[:200])
                self._stop.wait(self._reconnect_delay)
