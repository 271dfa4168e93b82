"""What the customer sees and does on the online quote page (the signed link of a quote mail).

`online_view` gathers the seller, the quote's lines and totals per VAT rate in the quote's
language; `decide_online` records the customer's decision with the name they typed and the
network address it came from. An expired quote (validity passed, or marked expired) and a
superseded one can no longer be decided online: the seller may still record a late "yes" by hand.
The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.domain.parsing import clean_text
from quotemaild.domain.quote_edit import is_expired
from quotemaild.errors import InvalidInput, NotFound
from quotemaild.services.quotes import Decision, decide_quote, get_quote, quote_view
from quotemaild.services.tenant_profile import logo_data_uri, seller_block
from quotemaild.store.models import Quote, Tenant


def _own_quote(session: Session, quote_id: int, tenant_id: int) -> Quote:
    quote = get_quote(session, quote_id)
    if quote.tenant_id != tenant_id:
        raise NotFound("quote", quote_id)
    return quote


def closed_reason(quote: Quote, today: dt.date) -> str | None:
    """Why the quote can no longer be decided online ("expired", "superseded"), or None."""
    if quote.status == "superseded":
        return "superseded"
    if quote.status == "expired" or is_expired(quote.status, quote.valid_until, today):
        return "expired"
    return None


def online_view(session: Session, quote_id: int, tenant_id: int, domain: str, today: dt.date) -> dict[str, Any]:
    """The quote as the online page shows it: seller, number, lines, totals per VAT rate, state."""
    quote = _own_quote(session, quote_id, tenant_id)
    tenant = session.get_one(Tenant, quote.tenant_id)
    seller = seller_block(tenant, f"{tenant.slug}@{domain}")
    view = quote_view(session, quote)
    view["seller"] = {"name": seller.name, "address": list(seller.address_lines), "vat": seller.vat,
                      "email": seller.email, "phone": seller.phone, "website": seller.website}
    view["logo"] = logo_data_uri(tenant)
    view["closed"] = closed_reason(quote, today)
    return view


def decide_online(session: Session, quote_id: int, tenant_id: int, action: str, name: str, address: str,
                  actor: str, clock: Clock) -> Decision:
    """Accept or reject from the online page: the accepting person's name is required; an expired
    or superseded quote is refused (InvalidInput on `quote`)."""
    quote = _own_quote(session, quote_id, tenant_id)
    person = " ".join(clean_text(name, "name", 200).split())
    if action == "accept" and not person:
        raise InvalidInput("name", "please give the name of the person who accepts")
    reason = closed_reason(quote, clock.now().date())
    if reason is not None and quote.status not in ("accepted", "rejected"):
        raise InvalidInput("quote", f"{quote.number} is {reason}")
    return decide_quote(session, quote_id, action, actor, clock, tenant_id=tenant_id, decided_by=person,
                        decided_from=address)
