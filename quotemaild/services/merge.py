"""Merge two contacts, irreversibly (`domain/merge.py` has the rules; this applies the plan).

Requests (with their notes and timeline), quotes, attachments and invoices move to the target;
the source card is deleted; the target's fields are not filled from the source; an audit record
keeps what the source held. Document tables are listed in `DOCUMENT_OWNERS`: rows are re-owned by
changing their contact id only, so rendered documents (a sent quote's PDF, its copied contact
data) stay exactly as they were. The caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from quotemaild.clock import Clock
from quotemaild.domain.merge import DocumentKind, DocumentRef, MergePlan, plan_merge
from quotemaild.services.contact_rows import to_domain
from quotemaild.services.contacts import get_contact, revenue
from quotemaild.services.timeline import audit, record
from quotemaild.store.models import ContactAttachment, ContactInvoice, Quote, QuoteRequest


@dataclass(frozen=True)
class DocumentOwner:
    kind: DocumentKind
    id_column: InstrumentedAttribute[int]
    contact_column: InstrumentedAttribute[Any]


DOCUMENT_OWNERS: list[DocumentOwner] = [
    DocumentOwner(DocumentKind.REQUEST, QuoteRequest.id, QuoteRequest.contact_id),
    DocumentOwner(DocumentKind.ATTACHMENT, ContactAttachment.id, ContactAttachment.contact_id),
    DocumentOwner(DocumentKind.INVOICE, ContactInvoice.id, ContactInvoice.contact_id),
    DocumentOwner(DocumentKind.QUOTE, Quote.id, Quote.contact_id),  # only the owner changes, never the PDF
]


def _documents(session: Session, contact_id: int) -> list[DocumentRef]:
    refs = []
    for owner in DOCUMENT_OWNERS:
        ids = session.scalars(select(owner.id_column).where(owner.contact_column == contact_id))
        refs.extend(DocumentRef(owner.kind, i) for i in ids)
    return refs


def preview_merge(session: Session, source_id: int, target_id: int) -> MergePlan:
    source = get_contact(session, source_id)
    target = get_contact(session, target_id)
    return plan_merge(
        to_domain(source, revenue(session, source.id)),
        to_domain(target, revenue(session, target.id)),
        _documents(session, source.id),
    )


def merge_contacts(session: Session, source_id: int, target_id: int, actor: str, clock: Clock) -> MergePlan:
    """Apply the merge; returns the plan (its audit detail is what remains of the source)."""
    plan = preview_merge(session, source_id, target_id)
    now = clock.now()
    for owner in DOCUMENT_OWNERS:
        ids = [ref.id for ref in plan.moves if ref.kind is owner.kind]
        if ids:
            table = owner.id_column.class_
            session.execute(update(table).where(owner.id_column.in_(ids)).values({owner.contact_column.key: plan.target_id}))
    moved_requests = [ref.id for ref in plan.moves if ref.kind is DocumentKind.REQUEST]
    for request in session.scalars(select(QuoteRequest).where(QuoteRequest.id.in_(moved_requests))):
        record(session, request, "contact_merged", actor, now, source_id=plan.source_id, target_id=plan.target_id)
    session.delete(get_contact(session, plan.source_id))
    target = get_contact(session, plan.target_id)
    target.updated_at = now
    audit(session, plan.tenant_id, "contact.merge", actor, now, plan.audit_detail())
    session.flush()
    return plan
