"""Processing one stored raw message: parse, classify and thread it, after the 250.

Each raw message is one unit of work in its own transaction. The daemon runs this in a child
process (`edges/worker_process.py`) that starts by picking up every raw message still `pending`
(mail acknowledged before a crash or restart), so nothing acked is ever left unprocessed;
`quotemaild reprocess` calls it directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Final, Literal

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
from quotemaild.store.blobs import read_big
from quotemaild.store.db import make_reader
from quotemaild.store.cluster import Scope, tenant_lock
from quotemaild.store.gate import OPEN_GATE, Gate, GateAbandoned
from quotemaild.store.models import RawData, RawMessage, Tenant

log = get_logger(__name__)

# Another worker got there first (or the id is unknown): nothing done, nothing failed.
SKIPPED: Final = "skipped"

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
    gate: Gate = OPEN_GATE,
) -> IngestResult | Literal["skipped"] | None:
    """Process one raw message; on any failure keep it visible as failed and return None.

    Returns SKIPPED when the raw message is no longer pending (processed meanwhile, or deleted)."""
    structlog.contextvars.bind_contextvars(raw_id=raw_id)
    try:
        # Parse and understand first, outside any write transaction: on SQLite a long write
        # transaction would hold the lock the SMTP commit writer needs (and make it answer 451).
        with make_reader(sessions.kw["bind"])() as session:
            raw = session.get(RawMessage, raw_id)
            if raw is None or raw.state != "pending":
                return SKIPPED
            tenant = session.get_one(Tenant, raw.tenant_id)
            tenant_slug = tenant.slug
            identity = tenant_identity(tenant, settings.domain)
            data = read_big(session, RawData.data, raw_id) or b""
            prepared = prepare(data, raw.mail_from, identity, settings)
        queued = False
        del raw, data  # the raw bytes: `prepared` has what the transaction needs
        with gate.background(), sessions.begin() as session:
            # Several instances on one PostgreSQL: the row lock makes a second worker on the same
            # message wait and then see it processed; the tenant lock lets a message and its reply,
            # processed at the same moment by two instances, thread into one request.
            raw = session.get(RawMessage, raw_id, with_for_update=True)
            if raw is None or raw.state != "pending":
                return SKIPPED
            tenant_lock(session, raw.tenant_id, Scope.THREADING)
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
    except GateAbandoned:
        raise  # the daemon is gone: the mail stays pending for the next start
    except Exception as exc:  # any bug or bad mail: keep the mail, show the error, move on
        error = f"{type(exc).__name__}: {exc}"
        log.error("processing_failed", error=error[:500])
        try:
            with gate.background(), sessions.begin() as session:
                request_id = record_failure(session, raw_id, error, clock)
            log.info("failure_recorded", request_id=request_id)
        except Exception as inner:  # store trouble: the raw copy stays pending for the next start
            log.error("failure_not_recorded", error=f"{type(inner).__name__}: {inner}"[:500])
        return None
    finally:
        structlog.contextvars.unbind_contextvars("raw_id")


def pending_ids(sessions: sessionmaker[Session], received_before: dt.datetime | None = None) -> list[int]:
    """Raw messages still pending (`received_before`: only those older than that, which on a
    shared database are the ones an instance that died acknowledged and never processed)."""
    query = select(RawMessage.id).where(RawMessage.state == "pending")
    if received_before is not None:
        query = query.where(RawMessage.received_at < received_before)
    with make_reader(sessions.kw["bind"])() as session:
        return list(session.scalars(query.order_by(RawMessage.id)))
