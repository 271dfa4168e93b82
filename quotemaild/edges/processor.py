"""The processing worker: parse, classify and thread stored raw messages, after the 250.

It runs in its own thread so the event loop keeps accepting mail. Each raw message is one unit of
work in its own transaction. On start it picks up every raw message still `pending` (mail that
was acknowledged before a crash or restart), so nothing acked is ever left unprocessed.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import Clock
from quotemaild.logs import get_logger
from quotemaild.services.ingest import (
    IngestResult,
    IngestSettings,
    prepare,
    process_raw,
    record_failure,
    tenant_identity,
)
from quotemaild.store.db import make_reader, make_rebuildable
from quotemaild.store.models import RawMessage, Tenant

log = get_logger(__name__)
_STOP = -1

# A hook run inside the same transaction after a message was threaded (acknowledgements, ...).
# It returns True when it queued outgoing mail, so the delivery worker is woken after the commit.
AfterIngest = Callable[[Session, IngestResult], bool]


def process_one(
    sessions: sessionmaker[Session],
    raw_id: int,
    settings: IngestSettings,
    clock: Clock,
    after: AfterIngest | None = None,
    notify: Callable[[], None] | None = None,
) -> IngestResult | None:
    """Process one raw message; on any failure keep it visible as failed. Returns None if failed."""
    structlog.contextvars.bind_contextvars(raw_id=raw_id)
    try:
        # Parse and understand first, outside any write transaction: on SQLite a long write
        # transaction would hold the lock the SMTP commit writer needs (and make it answer 451).
        with make_reader(sessions.kw["bind"])() as session:
            raw = session.get(RawMessage, raw_id)
            if raw is None or raw.state != "pending":
                return None
            tenant = session.get_one(Tenant, raw.tenant_id)
            tenant_slug = tenant.slug
            identity = tenant_identity(tenant, settings.domain)
            prepared = prepare(raw.data, raw.mail_from, identity, settings)
        queued = False
        with make_rebuildable(sessions.kw["bind"]).begin() as session:
            raw = session.get(RawMessage, raw_id)
            if raw is None or raw.state != "pending":
                return None
            result = process_raw(session, raw, settings, clock, prepared)
            if after is not None:
                queued = after(session, result)
        if queued and notify is not None:
            notify()
        log.info(
            "message_processed",
            verdict=result.decision.verdict,
            request_id=result.request_id,
            message_pk=result.message_pk,
        )
        system = result.understanding.system if result.understanding is not None else None
        if system is not None:
            # Set-up mail (Gmail's forwarding confirmation, Microsoft 365's AS(7555) NDR) never
            # becomes a request; without this event its code, link and hint would sit unseen.
            log.warning(
                "system_mail",
                tenant=tenant_slug,
                message_pk=result.message_pk,
                kind=system.kind,
                code=system.code,
                link=system.link,
                hint=system.hint,
            )
        return result
    except Exception as exc:  # any bug or bad mail: keep the mail, show the error, move on
        error = f"{type(exc).__name__}: {exc}"
        log.error("processing_failed", error=error[:500])
        try:
            with sessions.begin() as session:
                request_id = record_failure(session, raw_id, error, clock)
            log.info("failure_recorded", request_id=request_id)
        except Exception as inner:  # store trouble: the raw copy stays pending for the next start
            log.error("failure_not_recorded", error=f"{type(inner).__name__}: {inner}"[:500])
        return None
    finally:
        structlog.contextvars.unbind_contextvars("raw_id")


def pending_ids(sessions: sessionmaker[Session]) -> list[int]:
    with make_reader(sessions.kw["bind"])() as session:
        return list(session.scalars(select(RawMessage.id).where(RawMessage.state == "pending").order_by(RawMessage.id)))


class Processor:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: IngestSettings,
        clock: Clock,
        after: AfterIngest | None = None,
        notify: Callable[[], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._clock = clock
        self._after = after
        self._notify = notify
        self._queue: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="processor", daemon=True)
        self.processed = 0
        self.failed = 0
        self._abandon = threading.Event()

    def start(self) -> None:
        self.enqueue(pending_ids(self._sessions))
        self._thread.start()

    def enqueue(self, raw_ids: Iterable[int]) -> None:
        for raw_id in raw_ids:
            self._queue.put(raw_id)

    def stop(self, timeout: float = 30.0, finish_queue: bool = True) -> None:
        """End the thread after what is queued, or (`finish_queue=False`, shutdown) after the
        message in hand; what is left stays pending in the store and is picked up on the next start."""
        if not finish_queue:
            self._abandon.set()
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def depth(self) -> int:
        return self._queue.qsize()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while True:
            raw_id = self._queue.get()
            if raw_id == _STOP or self._abandon.is_set():
                return
            result = process_one(self._sessions, raw_id, self._settings, self._clock, self._after, self._notify)
            if result is None:
                self.failed += 1
            else:
                self.processed += 1
