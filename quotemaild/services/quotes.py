"""Quotes made from a request: create (contact data copied), show, and the customer's decision.

Lines and totals are the pure rules of `domain/quotes.py`; numbers come from the tenant's
`quote_number_format` (`domain/numbering.py`), per tenant, restarting each year. Sending and the
PDF are in `services/quote_send.py`. Every change goes through `requests.apply_event` and leaves a
timeline entry on the request. The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.domain.numbering import parse_format
from quotemaild.domain.parsing import clean_text
from quotemaild.domain.quotes import (
    QuoteLine,
    address_lines,
    compute_totals,
    decide,
    parse_line_spec,
    validity_date,
)
from quotemaild.domain.quote_states import quote_label
from quotemaild.domain.status import Event
from quotemaild.domain.vat import regime_rate
from quotemaild.errors import InvalidInput, InvalidTransition, NotFound
from quotemaild.mail.addresses import address_key
from quotemaild.mail.templates import pick_language
from quotemaild.services.requests import apply_event, get_request
from quotemaild.services.timeline import record
from quotemaild.store.cluster import Scope, numbers_unique, tenant_lock
from quotemaild.store.models import Contact, ContactPersonRow, Quote, QuoteLineRow, QuoteRequest, Tenant

MAX_LINES = 500


def get_quote(session: Session, quote_id: int) -> Quote:
    quote = session.get(Quote, quote_id)
    if quote is None:
        raise NotFound("quote", quote_id)
    return quote


def quote_lines(session: Session, quote_id: int) -> list[QuoteLineRow]:
    return list(session.scalars(select(QuoteLineRow).where(QuoteLineRow.quote_id == quote_id)
                                .order_by(QuoteLineRow.position)))


def domain_lines(rows: Sequence[QuoteLineRow]) -> list[QuoteLine]:
    return [QuoteLine(r.description, Decimal(r.quantity), Decimal(r.unit_price), Decimal(r.vat_rate), r.unit,
                      Decimal(r.discount_percent)) for r in rows]


def _requesting_person(session: Session, contact: Contact | None, request: QuoteRequest) -> ContactPersonRow | None:
    """The contact person of the card who asked (the requester's address among a person's)."""
    if contact is None or not request.requester_email:
        return None
    wanted = address_key(request.requester_email)  # any spelling of an IDN domain, any case
    persons = session.scalars(select(ContactPersonRow).where(ContactPersonRow.contact_id == contact.id)
                              .order_by(ContactPersonRow.position))
    return next((p for p in persons if wanted in (address_key(e) for e in p.emails)), None)


def _contact_email(contact: Contact | None, request: QuoteRequest, person: ContactPersonRow | None = None) -> str:
    """Where the quote goes: the card's alternative address for quotes, else the person who asked,
    else the card's first address, else the requester."""
    if contact is not None:
        if contact.document_emails.get("quote"):
            return contact.document_emails["quote"]
        if person is not None and person.emails:
            return person.emails[0]
        if contact.emails:
            return contact.emails[0]
    return request.requester_email or ""


def write_lines(session: Session, quote: Quote, lines: Sequence[QuoteLine]) -> None:
    """Store `lines` as the quote's lines (positions 1..n, replacing any) and its totals."""
    if not lines:
        raise InvalidInput("line", "a quote needs at least one line", code="no_lines")
    if len(lines) > MAX_LINES:
        raise InvalidInput("line", f"at most {MAX_LINES} lines", code="too_many_lines", params={"max": MAX_LINES})
    session.execute(delete(QuoteLineRow).where(QuoteLineRow.quote_id == quote.id))
    for position, line in enumerate(lines, start=1):
        session.add(QuoteLineRow(
            quote_id=quote.id, position=position, description=line.description, quantity=str(line.quantity),
            unit=line.unit, unit_price=str(line.unit_price), vat_rate=str(line.vat_rate),
            discount_percent=str(line.discount_percent), line_total=str(line.net),
        ))
    totals = compute_totals(lines)
    quote.total_excl, quote.total_vat, quote.total_incl = str(totals.net), str(totals.vat), str(totals.total)
    session.flush()


def next_quote_number(session: Session, tenant: Tenant, today: dt.date) -> str:
    """The next number in the tenant's format for `today`'s period (versions `-2` are not counted).

    Holds the tenant's number lock until the caller's transaction ends, so instances that number
    at the same moment take turns (no duplicate, no gap)."""
    fmt = parse_format(tenant.quote_number_format, "quote_number_format")
    tenant_lock(session, tenant.id, Scope.NUMBERS)
    existing = session.scalars(select(Quote.number).where(Quote.tenant_id == tenant.id))
    return fmt.next_number(existing, today.year, today.month)


def create_quote(
    session: Session, request_id: int, line_specs: Sequence[str], actor: str, clock: Clock
) -> Quote:
    """A draft quote on the request: the contact's name, address, VAT number and language copied
    onto it (later edits of the card do not change it), numbered, valid N days, status moved."""
    request = get_request(session, request_id)
    if not line_specs:
        raise InvalidInput("line", "a quote needs at least one line", code="no_lines")
    if len(line_specs) > MAX_LINES:
        raise InvalidInput("line", f"at most {MAX_LINES} lines", code="too_many_lines", params={"max": MAX_LINES})
    tenant = session.get_one(Tenant, request.tenant_id)
    contact = session.get(Contact, request.contact_id) if request.contact_id else None
    default_rate = regime_rate(contact.vat_regime) if contact is not None else None
    lines = [parse_line_spec(spec, i, default_rate) for i, spec in enumerate(line_specs, start=1)]
    totals = compute_totals(lines)
    now = clock.now()
    today = now.date()
    number = next_quote_number(session, tenant, today)
    person = _requesting_person(session, contact, request)
    if contact is not None:
        name, lang = contact.name, contact.language
        address = address_lines(contact.street, contact.postal_code, contact.city, contact.country)
        if person is not None and (person.street or person.city):
            # The contact person's own address overrides the company's on documents (seed 004).
            address = address_lines(person.street, person.postal_code, person.city, person.country)
        vat, currency = contact.vat_number, contact.currency or "EUR"
    else:
        name = request.requester_name or request.requester_email or ""
        lang, address, vat, currency = tenant.language, [], "", "EUR"
    if not name:
        raise InvalidInput("request", f"request {request.id} has no contact or requester to make a quote for",
                           code="no_customer")
    quote = Quote(
        tenant_id=tenant.id, request_id=request.id, contact_id=contact.id if contact else None, number=number,
        status="draft", language=pick_language(lang, tenant.language), currency=currency, issue_date=today,
        valid_until=validity_date(today, tenant.quote_validity_days), contact_name=name, contact_address=address,
        contact_vat=vat, contact_email=_contact_email(contact, request, person), total_excl=str(totals.net),
        contact_person=person.name if person is not None else "",
        total_vat=str(totals.vat), total_incl=str(totals.total), pdf=None, created_by=actor, created_at=now,
    )
    with numbers_unique(session, "number", number):
        session.add(quote)
    write_lines(session, quote, lines)
    record(session, request, "quote_created", actor, now, quote_id=quote.id, number=number,
           total_incl=quote.total_incl)
    apply_event(session, request, Event.QUOTE_CREATED, actor, clock)
    session.flush()
    return quote


def quote_view(session: Session, quote: Quote) -> dict[str, Any]:
    rows = quote_lines(session, quote.id)
    totals = compute_totals(domain_lines(rows))
    return {
        "id": quote.id, "number": quote.number, "status": quote.status, "tenant_id": quote.tenant_id,
        "request_id": quote.request_id, "contact_id": quote.contact_id, "language": quote.language,
        "currency": quote.currency, "issue_date": quote.issue_date.isoformat(),
        "valid_until": quote.valid_until.isoformat(),
        "contact": {"name": quote.contact_name, "address": list(quote.contact_address), "vat": quote.contact_vat,
                    "email": quote.contact_email},
        "lines": [{"position": r.position, "description": r.description, "quantity": r.quantity, "unit": r.unit,
                   "unit_price": r.unit_price, "vat_rate": r.vat_rate, "discount_percent": r.discount_percent,
                   "line_total": r.line_total} for r in rows],
        "totals": {
            "by_rate": [{"rate": str(t.rate), "base": str(t.base), "vat": str(t.vat), "total": str(t.total)}
                        for t in totals.by_rate],
            "excl": quote.total_excl, "vat": quote.total_vat, "incl": quote.total_incl,
        },
        "version": quote.version, "previous_id": quote.previous_id, "notes": quote.notes,
        "contact_person": quote.contact_person,
        "status_label": quote_label(quote.status, quote.language),
        "decided_by": quote.decided_by or None, "decided_from": quote.decided_from or None,
        "has_pdf": quote.pdf is not None,
        "created_by": quote.created_by, "created_at": quote.created_at.isoformat(),
        "sent_at": quote.sent_at.isoformat() if quote.sent_at else None,
        "decided_at": quote.decided_at.isoformat() if quote.decided_at else None,
    }


def quote_summary(quote: Quote, tenant_slug: str) -> dict[str, Any]:
    """One row of `quote list`: no lines, the totals and where the quote belongs."""
    return {
        "id": quote.id, "tenant": tenant_slug, "number": quote.number, "status": quote.status,
        "status_label": quote_label(quote.status, quote.language), "version": quote.version,
        "request_id": quote.request_id, "contact_id": quote.contact_id, "contact_name": quote.contact_name,
        "issue_date": quote.issue_date.isoformat(), "valid_until": quote.valid_until.isoformat(),
        "total_incl": quote.total_incl, "currency": quote.currency,
    }


@dataclass(frozen=True)
class Decision:
    quote: Quote
    changed: bool  # False when the quote already had this decision (a link followed twice)


def decide_quote(session: Session, quote_id: int, action: str, actor: str, clock: Clock,
                 tenant_id: int | None = None, *, decided_by: str = "", decided_from: str = "") -> Decision:
    """The customer accepts or rejects (link or CLI): quote status, request status, timeline.

    Idempotent for the same action; InvalidInput when the quote was decided the other way. When
    the request's status does not allow the decision (e.g. cancelled), the quote still records it
    and the timeline says the request status was left as it was. `decided_by` (the name the
    customer typed) and `decided_from` (the network address) are kept on the quote and the timeline.
    """
    quote = get_quote(session, quote_id)
    if tenant_id is not None and quote.tenant_id != tenant_id:
        raise NotFound("quote", quote_id)
    new_status = decide(quote.status, action)
    if new_status is None:
        return Decision(quote, changed=False)
    now = clock.now()
    quote.status = new_status
    quote.decided_at = now
    quote.decided_by = clean_text(decided_by, "name", 200)
    quote.decided_from = clean_text(decided_from, "address", 100)
    request = session.get(QuoteRequest, quote.request_id) if quote.request_id else None
    if request is not None:
        detail: dict[str, Any] = {"quote_id": quote.id, "number": quote.number}
        if quote.decided_by:
            detail["name"] = quote.decided_by
        if quote.decided_from:
            detail["address"] = quote.decided_from
        try:
            apply_event(session, request, Event.ACCEPT if action == "accept" else Event.REJECT, actor, clock)
        except InvalidTransition as exc:
            detail["status_unchanged"] = exc.problem
        record(session, request, f"quote_{new_status}", actor, now, **detail)
    session.flush()
    return Decision(quote, changed=True)
