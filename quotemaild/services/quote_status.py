"""Keep a request's status in line with its quotes (the table in `domain/quote_states.py`).

`check_status_agrees` guards a status picked by hand; `follow_quotes` moves the request after a
change on the quote side that no workflow event describes (a draft deleted, a new version, an
expiry). Both leave the pure decision to the domain; the caller owns the transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.domain.quote_states import QuoteState, agrees, status_following_quotes
from quotemaild.domain.status import Status
from quotemaild.errors import StatusConflict
from quotemaild.services.prospects import activate_for
from quotemaild.services.timeline import record
from quotemaild.store.models import Message, Quote, QuoteRequest


def request_quotes(session: Session, request_id: int) -> list[Quote]:
    """The request's quotes, oldest first."""
    return list(session.scalars(select(Quote).where(Quote.request_id == request_id).order_by(Quote.id)))


def _describe(quotes: list[Quote]) -> str:
    live = [q for q in quotes if q.status != QuoteState.SUPERSEDED]
    if len(live) == 1:
        return f"its quote {live[0].number} is {live[0].status}"
    return "its quotes are " + ", ".join(f"{q.number} {q.status}" for q in live)


def check_status_agrees(session: Session, request: QuoteRequest, target: str) -> None:
    """StatusConflict when `target` would contradict the request's quotes."""
    quotes = request_quotes(session, request.id)
    if not agrees(target, [q.status for q in quotes]):
        raise StatusConflict(target, _describe(quotes))


def _has_reply(session: Session, request_id: int) -> bool:
    return session.scalar(select(Message.id).where(Message.request_id == request_id,
                                                   Message.direction == "out").limit(1)) is not None


def follow_quotes(session: Session, request: QuoteRequest, actor: str, clock: Clock, reason: str) -> Status:
    """Move the request to the status its quotes now call for; a status_changed entry when it moves."""
    session.flush()
    states = [q.status for q in request_quotes(session, request.id)]
    before = Status(request.status)
    after = status_following_quotes(before, states, _has_reply(session, request.id))
    if after is not before:
        request.status = after.value
        record(session, request, "status_changed", actor, clock.now(),
               **{"from": before.value, "to": after.value, "event": reason})
        activate_for(session, request, actor, clock)
    return after
