"""Retention of raw copies: drop the bytes of mail whose request was closed long enough ago.

`[retention] raw_days = N` (0 = off). A raw message is purged when every message derived from it
belongs to a request in a closed status (accepted, rejected, cancelled) that has not changed for
N days. `quote_requests.updated_at` is the "closed since" time: a closed request is not updated
any more unless someone works on it, and then the clock starts again (later it can be a timeline
query for the status change). The row, size and sha256 stay; the bytes (`RawData`) are deleted
and `purged_at` says when. Raw copies still pending, or not yet linked to a request, are never purged.
The caller owns the transaction and calls this in small batches.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, delete, exists, not_, or_, select, update
from sqlalchemy.orm import Session

from quotemaild.store.models import Message, QuoteRequest, RawData, RawMessage

CLOSED_STATUSES = ("accepted", "rejected", "cancelled")


def purge_cutoff(now: dt.datetime, raw_days: int) -> dt.datetime:
    return now - dt.timedelta(days=raw_days)


def purge_closed_raw(session: Session, cutoff: dt.datetime, now: dt.datetime, limit: int) -> list[int]:
    """Empty up to `limit` raw copies of requests closed before `cutoff`; returns their ids."""
    closed_long_ago = and_(QuoteRequest.status.in_(CLOSED_STATUSES), QuoteRequest.updated_at < cutoff)
    derived = select(Message.id).where(Message.raw_id == RawMessage.id)
    in_closed = derived.join(QuoteRequest, QuoteRequest.id == Message.request_id).where(closed_long_ago)
    in_open = (
        derived.outerjoin(QuoteRequest, QuoteRequest.id == Message.request_id)
        .where(or_(Message.request_id.is_(None), not_(closed_long_ago)))
    )
    ids = list(
        session.scalars(
            select(RawMessage.id)
            .where(
                RawMessage.purged_at.is_(None),
                RawMessage.state != "pending",
                exists(in_closed),
                not_(exists(in_open)),
            )
            .order_by(RawMessage.id)
            .limit(limit)
        )
    )
    if ids:
        session.execute(delete(RawData).where(RawData.raw_id.in_(ids)))
        session.execute(update(RawMessage).where(RawMessage.id.in_(ids)).values(purged_at=now))
    return ids
