"""The full contact card as shown by `contact show`: fields, persons, attachments, invoices, requests,
quotes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quotemaild.services.contact_rows import contact_view
from quotemaild.services.contacts import get_contact, revenue
from quotemaild.store.models import ContactAttachment, ContactInvoice, Quote, QuoteRequest
from quotemaild.store.queries import quote_summaries


def contact_detail(session: Session, contact_id: int) -> dict[str, Any]:
    row = get_contact(session, contact_id)
    view = contact_view(row, revenue(session, row.id))
    view["attachments"] = [
        {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size,
         "sha256": a.sha256, "created_at": a.created_at.isoformat(), "actor": a.actor}
        for a in session.execute(
            select(ContactAttachment.id, ContactAttachment.filename, ContactAttachment.content_type,
                   ContactAttachment.size, ContactAttachment.sha256, ContactAttachment.created_at,
                   ContactAttachment.actor)
            .where(ContactAttachment.contact_id == row.id).order_by(ContactAttachment.id)
        )
    ]
    view["invoices"] = [
        {"id": i.id, "invoice_number": i.invoice_number, "amount": f"{i.amount_cents / 100:.2f}",
         "at": i.at.isoformat()}
        for i in session.scalars(
            select(ContactInvoice).where(ContactInvoice.contact_id == row.id).order_by(ContactInvoice.id)
        )
    ]
    view["requests"] = [
        {"id": r.id, "status": r.status, "subject": r.subject, "updated_at": r.updated_at.isoformat()}
        for r in session.scalars(
            select(QuoteRequest).where(QuoteRequest.contact_id == row.id).order_by(QuoteRequest.id)
        )
    ]
    view["quotes"] = quote_summaries(session, Quote.contact_id == row.id)
    return view
