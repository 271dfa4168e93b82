"""A quote made from the contact card, without a mail request (seeds 000/004: a quote can be made
for a customer or prospect who phoned or walked in).

A quote hangs off a request: sending it "via the request", the statuses, the timeline and the
customer's answer looping back all work through one. So the card's quote gets a request made by
hand for the contact (`request_contacts.create_manual`, channel `manual`, its first message saying
it was made from the card) and then the ordinary `create_quote` on it. Nothing of the model
changes, and the quote is sent, accepted and listed like any other. The caller owns the
transaction: a refused line leaves neither request nor quote behind.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.domain.parsing import clean_text
from quotemaild.services.contacts import get_contact
from quotemaild.services.quotes import create_quote
from quotemaild.services.request_contacts import create_manual
from quotemaild.store.models import Quote, Tenant

# Stored on the request made for the quote (internal: the customer never sees the first message).
MADE_FROM_CARD = "Quote made from the contact card."


def quote_for_contact(session: Session, tenant: Tenant, contact_id: int, line_specs: Sequence[str], actor: str,
                      clock: Clock, domain: str, subject: str = "", note: str = "") -> Quote:
    """A draft quote for the tenant's contact `contact_id`, on a request made by hand for it.

    `subject` names the request (default: the contact's name); `note` is what the customer asked
    (kept as the request's first message)."""
    contact = get_contact(session, contact_id, tenant.id)  # NotFound across tenants
    subject = clean_text(subject, "subject", 998) or contact.name
    text = clean_text(note, "note", 100_000, multiline=True) or MADE_FROM_CARD
    request = create_manual(session, tenant, subject=subject, body=text, contact_id=contact.id, customer_name=None,
                            actor=actor, clock=clock, domain=domain)
    return create_quote(session, request.id, line_specs, actor, clock)
