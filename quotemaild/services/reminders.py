"""Reminders of a card's appointment and call-back, mailed to its seller at the set time, once.

- `sync_reminders` keeps a card's reminders in step with its moments when the card is saved
  (the rules: `domain/reminders.py`).
- `send_due` queues the mail of every reminder whose time has come and marks it sent in the same
  transaction as the outbox row: a reminder is sent once, and one that fell due while the daemon
  was stopped goes out once after it starts, however often it restarts. The seller is the card's
  own (`contact assign`), else the assignee of its newest request; without one the reminder is
  marked skipped with the reason. Either way a `reminder` event goes to the API's event stream.
The caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.domain.reminders import (
    PENDING,
    SENT,
    SKIPPED,
    Stored,
    plan,
    reminder_mail,
    wanted,
    zone,
)
from quotemaild.errors import NotFound
from quotemaild.mail.addresses import Address
from quotemaild.mail.compose import Outgoing, Sender, compose
from quotemaild.mail.dkim_sign import dkim_sign
from quotemaild.services.outbox import new_outbox_row
from quotemaild.services.send import SendSettings
from quotemaild.services.users import find_user
from quotemaild.store.models import ChangeEvent, Contact, ContactReminder, QuoteRequest, Tenant, User

BATCH = 50


def sync_reminders(session: Session, contact: Contact) -> None:
    """Create, reset, update or delete the card's reminders to match its moments."""
    tenant = session.get_one(Tenant, contact.tenant_id)
    tz = zone((tenant.profile or {}).get("timezone"))
    rows = {r.kind: r for r in session.scalars(select(ContactReminder).where(ContactReminder.contact_id == contact.id))}
    stored = {k: Stored(r.due_at, r.note, r.state) for k, r in rows.items()}
    for step in plan(stored, wanted(contact.moments or {}, tz)):
        row = rows.get(step.kind)
        if step.action == "delete" and row is not None:
            session.delete(row)
        elif step.action == "create" and step.wanted is not None:
            session.add(ContactReminder(tenant_id=contact.tenant_id, contact_id=contact.id, kind=step.kind,
                                        due_at=step.wanted.due_at, note=step.wanted.note, state=PENDING,
                                        recipient="", detail=""))
        elif row is not None and step.wanted is not None:
            row.note = step.wanted.note
            if step.action == "reset":
                row.due_at, row.state, row.done_at, row.outbox_id, row.detail = (
                    step.wanted.due_at, PENDING, None, None, "")
    session.flush()


def assign_seller(session: Session, contact_id: int, email: str | None) -> Contact:
    """The user (of the card's tenant) who gets the card's reminders; None: the request's assignee."""
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("contact", contact_id)
    contact.seller_user_id = find_user(session, contact.tenant_id, email).id if email else None
    session.flush()
    return contact


def seller_of(session: Session, contact: Contact) -> User | None:
    """The card's own seller, else the assignee of its newest assigned request."""
    if contact.seller_user_id is not None:
        return session.get(User, contact.seller_user_id)
    user_id = session.scalar(
        select(QuoteRequest.assignee_user_id)
        .where(QuoteRequest.contact_id == contact.id, QuoteRequest.assignee_user_id.is_not(None))
        .order_by(QuoteRequest.created_at.desc(), QuoteRequest.id.desc()).limit(1))
    return session.get(User, user_id) if user_id is not None else None


def send_due(session: Session, settings: SendSettings, clock: Clock, limit: int = BATCH) -> list[ContactReminder]:
    """Queue the mail of each reminder due now (at most `limit`), marking it sent or skipped."""
    now = clock.now()
    rows = list(session.scalars(
        select(ContactReminder).where(ContactReminder.state == PENDING, ContactReminder.due_at <= now)
        .order_by(ContactReminder.due_at, ContactReminder.id).limit(limit).with_for_update(skip_locked=True)))
    for row in rows:
        contact = session.get_one(Contact, row.contact_id)
        seller = seller_of(session, contact)
        row.done_at = now
        if seller is None:
            row.state, row.detail = SKIPPED, "no seller: assign the card (contact assign) or one of its requests"
        else:
            row.outbox_id = _queue(session, settings, row, contact, seller, now)
            row.state, row.recipient = SENT, seller.email
        _announce(session, row, contact, now)
    session.flush()
    return rows


def _announce(session: Session, row: ContactReminder, contact: Contact, now: dt.datetime) -> None:
    """The reminder in the API's event stream (`store/changes.py`), in the same transaction: ids,
    time and seller only; the note and the card stay behind the API."""
    request_id = session.scalar(select(QuoteRequest.id).where(QuoteRequest.contact_id == contact.id)
                                .order_by(QuoteRequest.created_at.desc(), QuoteRequest.id.desc()).limit(1))
    session.add(ChangeEvent(tenant_id=row.tenant_id, at=now, kind="reminder", request_id=request_id, data={
        "reminder_id": row.id, "contact_id": contact.id, "reminder": row.kind, "due_at": row.due_at.isoformat(),
        "state": row.state, "seller": row.recipient or None}))


def _queue(session: Session, settings: SendSettings, row: ContactReminder, contact: Contact, seller: User,
           now: dt.datetime) -> int:
    tenant = session.get_one(Tenant, contact.tenant_id)
    local = row.due_at.astimezone(zone((tenant.profile or {}).get("timezone")))
    reach = [v for v in (contact.phone, *(contact.emails or [])[:1]) if v]
    subject, text = reminder_mail(row.kind, tenant.language, contact.name, contact.id, local, row.note, reach)
    proposals = f"{tenant.slug}@{settings.domain}"
    outbox = new_outbox_row(session, tenant.id, None, "reminder", [seller.email], now)
    composed = compose(Outgoing(
        kind="reminder",
        sender=Sender(mode="tenant", proposals_address=proposals, display_name=tenant.name, reply_to=seller.email),
        to=[Address(seller.email, seller.name)], subject=subject,
        message_id=f"<reminder.{row.id}.{uuid.uuid4().hex[:12]}@{settings.domain}>", date=now, text=text,
        loop_domain=settings.domain,
    ))
    data = composed.as_bytes()
    outbox.data = dkim_sign(data, settings.dkim) if settings.dkim is not None else data
    outbox.envelope_from = composed.envelope_sender
    outbox.rcpt_to = list(composed.envelope_recipients)
    return outbox.id


def reminder_view(row: ContactReminder, contact_name: str, tenant_slug: str) -> dict[str, Any]:
    return {"id": row.id, "tenant": tenant_slug, "contact_id": row.contact_id, "contact_name": contact_name,
            "kind": row.kind, "due_at": row.due_at.isoformat(), "note": row.note, "state": row.state,
            "done_at": row.done_at.isoformat() if row.done_at else None, "recipient": row.recipient or None,
            "outbox_id": row.outbox_id, "detail": row.detail or None}


def list_reminders(session: Session, tenant_id: int | None = None, state: str | None = None,
                   limit: int = 200, contact_id: int | None = None) -> list[dict[str, Any]]:
    """Reminders, soonest first, with their contact's name and tenant (of one card with `contact_id`)."""
    query = (select(ContactReminder, Contact.name, Tenant.slug)
             .join(Contact, Contact.id == ContactReminder.contact_id)
             .join(Tenant, Tenant.id == ContactReminder.tenant_id))
    if tenant_id is not None:
        query = query.where(ContactReminder.tenant_id == tenant_id)
    if state is not None:
        query = query.where(ContactReminder.state == state)
    if contact_id is not None:
        query = query.where(ContactReminder.contact_id == contact_id)
    rows = session.execute(query.order_by(ContactReminder.due_at, ContactReminder.id).limit(limit)).all()
    return [reminder_view(r, name, slug) for r, name, slug in rows]
