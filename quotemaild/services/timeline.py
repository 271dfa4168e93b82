"""Timeline entries and audit records: every workflow change leaves one, with actor and time.

`event` is the one way to add an entry by request id (processing's hot path: one Core INSERT);
`record` adds one to a loaded request and marks it updated."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from quotemaild.store import batch_writes, changes
from quotemaild.store.models import AuditRecord, QuoteRequest, TimelineEvent

_EVENTS = TimelineEvent.__table__
_INSERT_EVENT = insert(_EVENTS).returning(_EVENTS.c.id)


def event(session: Session, request_id: int, at: dt.datetime, kind: str, actor: str, /, **detail: Any) -> None:
    """Add a timeline entry to request `request_id` (rows the session holds unflushed go first,
    so the order of events is the order of the calls)."""
    if session.new:
        session.flush()
    row = dict(request_id=request_id, at=at, kind=kind, actor=actor, detail=detail)
    if batch_writes.pending(session) is not None:  # a processing batch: one INSERT at its end
        batch_writes.add_event(session, row, changes.timeline_written(session, request_id, None, kind, at, detail))
        return
    event_id = session.connection().execute(_INSERT_EVENT, row).scalar_one()
    changes.timeline_written(session, request_id, event_id, kind, at, detail)


def record(
    session: Session, request: QuoteRequest, kind: str, actor: str, at: dt.datetime, /, **detail: Any
) -> TimelineEvent:
    """Add a timeline entry to `request` and mark it updated."""
    event = TimelineEvent(request_id=request.id, at=at, kind=kind, actor=actor, detail=detail)
    session.add(event)
    request.updated_at = at
    return event


def audit(
    session: Session, tenant_id: int | None, action: str, actor: str, at: dt.datetime, detail: dict[str, Any]
) -> AuditRecord:
    """An audit record; it outlives what it speaks of (a deleted request, a merged contact)."""
    entry = AuditRecord(tenant_id=tenant_id, at=at, actor=actor, action=action, detail=detail)
    session.add(entry)
    return entry
