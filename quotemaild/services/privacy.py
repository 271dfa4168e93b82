"""Data protection (GDPR): everything we hold about a contact, and erasing it.

`export_contact` gathers the card, persons, custom fields, invoices, attachments and the requests
of the contact (linked to it, or asked from one of its e-mail addresses) with their messages and
timeline. `forget_contact` erases the same data; only an audit record with counts, ids and
sha256 digests of the addresses stays. Invoices are kept for accounting (see `forget_contact`).
The caller owns the transaction: nothing here commits.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, cast, delete, func, or_, select
from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.services.contact_detail import contact_detail
from quotemaild.services.contacts import get_contact
from quotemaild.services.timeline import audit
from quotemaild.store import search
from quotemaild.store.models import (
    AckLog,
    Attachment,
    AuditRecord,
    BouncedAddress,
    Contact,
    ContactAttachment,
    ContactInvoice,
    ContactPersonRow,
    ContactReminder,
    Message,
    MessageRef,
    OutboxMessage,
    QuoteRequest,
    RawMessage,
    TimelineEvent,
)

ERASED_NAME = "(erased)"


def contact_addresses(row: Contact) -> list[str]:
    """Every e-mail address on the card (card, persons, document addresses), lower-cased."""
    found = [*row.emails, *row.document_emails.values()]
    for person in row.persons:
        found += person.emails
    return sorted({a.strip().lower() for a in found if a and a.strip()})


def _request_ids(session: Session, row: Contact, addresses: list[str]) -> list[int]:
    cond = QuoteRequest.contact_id == row.id
    if addresses:
        cond = or_(cond, func.lower(QuoteRequest.requester_email).in_(addresses))
    return list(session.scalars(
        select(QuoteRequest.id).where(QuoteRequest.tenant_id == row.tenant_id, cond).order_by(QuoteRequest.id)))


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return cleaned[:80] or "file"


@dataclass
class Export:
    view: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)  # file name -> bytes, only when asked


def export_contact(session: Session, contact_id: int, with_files: bool = False) -> Export:
    """All data we hold about a contact as one JSON-ready document; with_files adds the bytes of
    attachments and raw .eml copies, named in the document under "file"."""
    row = get_contact(session, contact_id)
    addresses = contact_addresses(row)
    out = Export({"contact": contact_detail(session, contact_id), "addresses": addresses})
    card_files = session.execute(
        select(ContactAttachment.id, ContactAttachment.filename, ContactAttachment.data)
        .where(ContactAttachment.contact_id == row.id)).all()
    by_id = {a["id"]: a for a in out.view["contact"]["attachments"]}
    for a in card_files:
        if with_files:
            name = f"contact-{row.id}-attachment-{a.id}-{_safe_name(a.filename)}"
            out.files[name] = a.data
            by_id[a.id]["file"] = name
    out.view["requests"] = [_request_view(session, rid, out, with_files)
                            for rid in _request_ids(session, row, addresses)]
    return out


def _request_view(session: Session, request_id: int, out: Export, with_files: bool) -> dict[str, Any]:
    r = session.get_one(QuoteRequest, request_id)
    messages = []
    for m in session.scalars(select(Message).where(Message.request_id == r.id).order_by(Message.id)):
        mv: dict[str, Any] = {
            "id": m.id, "direction": m.direction, "message_id": m.message_id, "in_reply_to": m.in_reply_to,
            "date": m.date.isoformat() if m.date else None, "subject": m.subject, "from_name": m.from_name,
            "from_email": m.from_email, "to": m.to, "cc": m.cc, "reply_to": m.reply_to, "kind": m.kind,
            "text": m.text, "html": m.html, "raw_id": m.raw_id, "created_at": m.created_at.isoformat(),
            "attachments": [],
        }
        for a in session.execute(select(Attachment.id, Attachment.filename, Attachment.content_type,
                                        Attachment.size, Attachment.sha256, Attachment.data)
                                 .where(Attachment.message_pk == m.id).order_by(Attachment.id)):
            av = {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size,
                  "sha256": a.sha256}
            if with_files:
                av["file"] = f"request-{r.id}-attachment-{a.id}-{_safe_name(a.filename)}"
                out.files[av["file"]] = a.data
            mv["attachments"].append(av)
        if with_files and m.raw_id is not None:
            raw = session.get(RawMessage, m.raw_id)
            if raw is not None and raw.data:
                mv["raw_file"] = f"request-{r.id}-raw-{raw.id}.eml"
                out.files[mv["raw_file"]] = raw.data
        messages.append(mv)
    timeline = [{"at": t.at.isoformat(), "kind": t.kind, "actor": t.actor, "detail": t.detail}
                for t in session.scalars(select(TimelineEvent).where(TimelineEvent.request_id == r.id)
                                         .order_by(TimelineEvent.id))]
    return {"id": r.id, "status": r.status, "subject": r.subject, "requester_email": r.requester_email,
            "requester_name": r.requester_name, "contact_id": r.contact_id,
            "created_at": r.created_at.isoformat(), "updated_at": r.updated_at.isoformat(),
            "messages": messages, "timeline": timeline}


def _sha(address: str) -> str:
    return hashlib.sha256(address.encode()).hexdigest()


def _mentions(message: Message, addresses: list[str]) -> bool:
    blob = json.dumps([message.from_email, message.to, message.cc, message.reply_to, message.text,
                       message.info], default=str).lower()
    return any(a in blob for a in addresses)


def forget_contact(session: Session, contact_id: int, actor: str, clock: Clock) -> dict[str, Any]:
    """Erase a contact and the messages of that person; returns the audit detail.

    Deleted: the requests linked to the contact or asked from one of its addresses (messages,
    attachments, raw copies, message refs, timeline), other messages sent from those addresses
    and unattached messages (bounces) naming them, raw copies with such an envelope sender,
    ack-log and bounce-list rows, queued outbox mail of the deleted requests (outbox rows already
    sent or failed are kept with their bytes and recipients emptied), the card's attachments and
    persons. The card is deleted, except when it has invoices: those are kept for accounting
    (number, amount, date) and the card stays as an anonymised stub — name "(erased)", every
    personal field emptied, kind and customer number kept.
    """
    row = get_contact(session, contact_id)
    tenant_id = row.tenant_id
    addresses = contact_addresses(row)
    request_ids = _request_ids(session, row, addresses)
    msg_cond = Message.request_id.in_(request_ids)
    if addresses:
        msg_cond = or_(msg_cond, func.lower(Message.from_email).in_(addresses))
    msg_ids = set(session.scalars(select(Message.id).where(Message.tenant_id == tenant_id, msg_cond)))
    if addresses:
        for m in session.scalars(select(Message).where(Message.tenant_id == tenant_id,
                                                        Message.request_id.is_(None))):
            if _mentions(m, addresses):
                msg_ids.add(m.id)
    ids = sorted(msg_ids)
    raw_ids = set(session.scalars(select(Message.raw_id).where(Message.id.in_(ids), Message.raw_id.is_not(None))))
    if addresses:
        raw_ids |= set(session.scalars(select(RawMessage.id).where(
            RawMessage.tenant_id == tenant_id, func.lower(RawMessage.mail_from).in_(addresses))))
    n = {"requests": len(request_ids), "messages": len(ids)}
    n["attachments"] = session.execute(delete(Attachment).where(Attachment.message_pk.in_(ids))).rowcount
    session.execute(delete(MessageRef).where(MessageRef.message_pk.in_(ids)))
    outbox = OutboxMessage.request_id.in_(request_ids) | OutboxMessage.message_pk.in_(ids)
    n["outbox_deleted"] = session.execute(
        delete(OutboxMessage).where(outbox, OutboxMessage.state == "queued")).rowcount
    kept = list(session.scalars(select(OutboxMessage).where(outbox)))
    for o in kept:
        o.data, o.rcpt_to, o.envelope_from, o.request_id, o.message_pk = b"", [], "", None, None
        o.last_error = o.smtp_reply = None
    n["outbox_emptied"] = len(kept)
    session.flush()
    session.execute(delete(Message).where(Message.id.in_(ids)))
    session.execute(delete(TimelineEvent).where(TimelineEvent.request_id.in_(request_ids)))
    session.execute(delete(QuoteRequest).where(QuoteRequest.id.in_(request_ids)))
    still_used = set(session.scalars(select(Message.raw_id).where(Message.raw_id.in_(raw_ids))))
    raw_gone = sorted(raw_ids - still_used)
    session.execute(delete(RawMessage).where(RawMessage.id.in_(raw_gone)))
    n["raw_messages"] = len(raw_gone)
    for table in (AckLog, BouncedAddress):
        n[table.__tablename__] = session.execute(delete(table).where(
            table.tenant_id == tenant_id, func.lower(table.address).in_(addresses))).rowcount if addresses else 0
    n["contact_attachments"] = session.execute(
        delete(ContactAttachment).where(ContactAttachment.contact_id == row.id)).rowcount
    n["contact_reminders"] = session.execute(  # their notes name the person too
        delete(ContactReminder).where(ContactReminder.contact_id == row.id)).rowcount
    n["persons"] = len(row.persons)
    names = {row.name, *(p.name for p in row.persons)} - {""}
    n["records_redacted"] = _redact_records(session, tenant_id, addresses, names)
    invoices = list(session.scalars(select(ContactInvoice.id).where(ContactInvoice.contact_id == row.id)))
    if invoices:
        _anonymise(row, clock)
        session.execute(delete(ContactPersonRow).where(ContactPersonRow.contact_id == row.id))
        session.expire(row, ["persons"])
    else:
        session.delete(row)
    detail = {
        "contact_id": contact_id, "card": "anonymised" if invoices else "deleted", "invoices_kept": invoices,
        "request_ids": request_ids, "message_ids": ids, "raw_ids": raw_gone, "counts": n,
        "address_sha256": [_sha(a) for a in addresses],
    }
    audit(session, tenant_id, "contact.forget", actor, clock.now(), detail)
    session.flush()
    # The search index only marks deleted text as gone; rewrite it so the text really leaves.
    search.purge_deleted(session)
    return detail


def _redact_records(session: Session, tenant_id: int, addresses: list[str], names: set[str]) -> int:
    """Older audit records and timeline entries of other requests that name an address (a deleted
    request, a merge, a changed requester): every string holding an address or one of the names
    becomes "(erased)"."""
    if not addresses:
        return 0
    changed = 0
    for model, scope in ((AuditRecord, AuditRecord.tenant_id == tenant_id),
                         (TimelineEvent, TimelineEvent.request_id.in_(
                             select(QuoteRequest.id).where(QuoteRequest.tenant_id == tenant_id)))):
        text = cast(model.detail, String)
        for rec in session.scalars(select(model).where(scope, or_(*(text.ilike(f"%{a}%") for a in addresses)))):
            rec.detail = _redact(rec.detail, addresses, names)
            changed += 1
    return changed


def _redact(value: Any, addresses: list[str], names: set[str]) -> Any:
    if isinstance(value, dict):
        return {k: _redact(v, addresses, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v, addresses, names) for v in value]
    if isinstance(value, str) and (value in names or any(a in value.lower() for a in addresses)):
        return ERASED_NAME
    return value


def _anonymise(row: Contact, clock: Clock) -> None:
    row.name = ERASED_NAME
    row.emails, row.document_emails, row.groups, row.moments, row.custom = [], {}, [], {}, {}
    row.phone = row.street = row.postal_code = row.city = row.vat_number = ""
    row.lead_source = row.internal_note = ""
    row.updated_at = clock.now()
