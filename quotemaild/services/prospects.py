"""Prospects become active when their request is worked (the rule: `domain/prospects.py`).

`activate_for` is called wherever a request's status changes (`requests.apply_event`,
`quote_status.follow_quotes`) and when a request is linked to a card. The caller owns the
transaction.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.domain.prospects import activates
from quotemaild.services.timeline import record
from quotemaild.store.models import Contact, QuoteRequest


def activate_for(session: Session, request: QuoteRequest, actor: str, clock: Clock) -> bool:
    """Make the request's prospect active when the request's status calls for it; True when it did."""
    if request.contact_id is None:
        return False
    contact = session.get(Contact, request.contact_id)
    if contact is None or not activates(contact.kind, contact.active, request.status):
        return False
    contact.active = True
    record(session, request, "prospect_activated", actor, clock.now(), contact_id=contact.id, name=contact.name)
    return True
