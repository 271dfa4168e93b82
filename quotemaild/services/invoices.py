""""Invoiced" events fed in from outside: revenue per customer, and prospect -> customer.

Each invoice number counts once per tenant: recording it again for the same contact and amount
changes nothing (idempotent, so a script may retry); for another contact or amount it is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.domain.contacts import apply_invoiced, needs_customer_number
from quotemaild.domain.parsing import cents, clean_text, parse_decimal
from quotemaild.errors import InvalidInput
from quotemaild.services.contact_rows import to_domain
from quotemaild.services.contacts import get_contact, next_customer_number, revenue
from quotemaild.services.timeline import audit
from quotemaild.store.cluster import numbers_unique
from quotemaild.store.models import Contact as ContactRow
from quotemaild.store.models import ContactInvoice, Tenant


@dataclass(frozen=True)
class InvoiceOutcome:
    contact: ContactRow
    invoice_number: str
    amount: Decimal
    recorded: bool  # False: this invoice was already recorded, nothing changed
    converted: bool  # the prospect became a customer because of this invoice
    revenue: Decimal


def record_invoice(
    session: Session, contact_id: int, invoice_number: str, amount: object, actor: str, clock: Clock
) -> InvoiceOutcome:
    row = get_contact(session, contact_id)
    number = clean_text(invoice_number, "invoice_number", 60)
    value = cents(parse_decimal(amount, "amount"))
    existing = session.scalar(
        select(ContactInvoice).where(ContactInvoice.tenant_id == row.tenant_id, ContactInvoice.invoice_number == number)
    )
    if existing is not None:
        if existing.contact_id != row.id:
            raise InvalidInput("invoice_number", f"{number} is already recorded for contact {existing.contact_id}",
                               code="invoice_taken", params={"number": number})
        if existing.amount_cents != int(value * 100):
            raise InvalidInput("amount", f"{number} was recorded with amount {Decimal(existing.amount_cents) / 100}")
        return InvoiceOutcome(row, number, value, False, False, revenue(session, row.id))

    tenant = session.get_one(Tenant, row.tenant_id)
    now = clock.now()
    contact = to_domain(row, revenue(session, row.id))
    new_number = next_customer_number(session, tenant, clock) if needs_customer_number(contact) else None
    result = apply_invoiced(contact, number, value, new_number, now.date())
    if result.contact.number != contact.number or result.converted:
        row.kind, row.number = result.contact.kind.value, result.contact.number
        if result.converted:
            row.converted_on = now.date()
            audit(session, row.tenant_id, "contact.convert", actor, now,
                  {"contact_id": row.id, "number": row.number, "invoice_number": number})
    row.updated_at = now
    session.add(ContactInvoice(tenant_id=row.tenant_id, contact_id=row.id, invoice_number=result.invoice_number,
                               amount_cents=int(result.amount * 100), at=now, actor=actor))
    with numbers_unique(session, "number", row.number or ""):
        pass
    return InvoiceOutcome(row, number, result.amount, True, result.converted, result.contact.revenue)
