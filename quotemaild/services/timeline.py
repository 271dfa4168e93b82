"""Timeline entries and audit records: every workflow change leaves one, with actor and time."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from quotemaild.store.models import AuditRecord, QuoteRequest, TimelineEvent


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
