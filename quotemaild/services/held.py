"""Workflow moves held back while a mail cannot leave, applied once it has.

Without a smarthost, a reply or a quote mail waits in the outbox; the request keeps its status
(`received` stays `received`) and the quote shows `queued`. The outbox row carries the held move
(`on_sent`); the delivery worker calls `release` in the transaction that records the smarthost's
250, so the request says `answered` / `quote_sent` only for mail that really left. The caller owns
the transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from quotemaild.clock import FixedClock
from quotemaild.domain.status import Event
from quotemaild.services.outbox import SYSTEM_ACTOR
from quotemaild.services.quote_send import quote_left
from quotemaild.services.requests import apply_event
from quotemaild.store.models import OutboxMessage, Quote, QuoteRequest


def release(session: Session, outbox_id: int, now: dt.datetime) -> str | None:
    """Apply the move held on a sent outbox row; returns the event applied, or None."""
    row = session.get_one(OutboxMessage, outbox_id)
    held = row.on_sent
    if not held or row.state != "sent" or row.request_id is None:
        return None
    row.on_sent = None  # applied once, even if the row is ever recorded again
    request = session.get(QuoteRequest, row.request_id)
    if request is None:  # deleted meanwhile: nothing to move
        return None
    actor = str(held.get("actor") or SYSTEM_ACTOR)
    at = FixedClock(now)  # the move happens when the mail left
    event = str(held.get("event", ""))
    if event == Event.REPLY_SENT.value:
        apply_event(session, request, Event.REPLY_SENT, actor, at)
        return event
    if event == Event.QUOTE_SENT.value:
        quote = session.get(Quote, held.get("quote"))
        if quote is None or quote.status != "queued":  # decided (e.g. by phone) before it left
            return None
        quote_left(session, quote, request, actor, now, at, str(held.get("to", "")), row.message_pk, row.id)
        return event
    return None
