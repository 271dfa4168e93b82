"""Typed read queries and their JSON-ready views. They never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from quotemaild.domain.status import label
from quotemaild.errors import InvalidInput, NotFound
from quotemaild.mail.addresses import folded_email
from quotemaild.store.blobs import read_big
from quotemaild.store.models import (
    Contact,
    Message,
    Quote,
    QuoteRequest,
    RawData,
    RawMessage,
    Tenant,
    TimelineEvent,
    User,
)
from quotemaild.store.search import narrow, request_number


def iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def tenant_view(tenant: Tenant, domain: str) -> dict[str, Any]:
    return {
        "id": tenant.id,
        "slug": tenant.slug,
        "name": tenant.name,
        "address": f"{tenant.slug}@{domain}",
        "language": tenant.language,
        "auto_reply": tenant.auto_reply,
        "sender_mode": tenant.sender_mode,
        "own_addresses": list(tenant.own_addresses),
        "own_domains": list(tenant.own_domains),
        "customer_number_format": tenant.customer_number_format,
        "quote_number_format": tenant.quote_number_format,
        "quote_validity_days": tenant.quote_validity_days,
        "created_at": iso(tenant.created_at),
    }


def request_query(
    tenant_slug: str | None = None,
    status: str | None = None,
    search: str | None = None,
    assignee: str | None = None,
) -> Select[tuple[QuoteRequest, str, str, str | None]]:
    """Newest first; the (tenant, status, updated_at) indexes serve these filters.

    Rows are (request, tenant slug, tenant language, assignee e-mail or None).
    """
    q = (
        select(QuoteRequest, Tenant.slug, Tenant.language, User.email)
        .join(Tenant, Tenant.id == QuoteRequest.tenant_id)
        .outerjoin(User, User.id == QuoteRequest.assignee_user_id)
    )
    if tenant_slug:
        # By id, looked up once: joined by slug, PostgreSQL cannot tell which tenant's range of
        # the (tenant, updated_at) index to walk, and sorted all the tenant's requests instead.
        tenant_id = select(Tenant.id).where(Tenant.slug == tenant_slug.lower()).scalar_subquery()
        q = q.where(QuoteRequest.tenant_id == tenant_id)
    if status:
        q = q.where(QuoteRequest.status == status)
    if assignee:
        q = q.where(User.email == folded_email(assignee))
    if search:
        q = q.where(search_clause(search))
    return q.order_by(QuoteRequest.updated_at.desc(), QuoteRequest.id.desc())


def search_clause(term: str) -> ColumnElement[bool]:
    """Case-insensitive substring (SQLite folds ASCII only) in the subject, requester, linked
    contact's name or any message text, or the request number. `%` and `_` are plain characters.
    On SQLite `store/search.py` narrows the requests to test first; this stays the definition."""
    number = request_number(term)
    return or_(
        QuoteRequest.subject.icontains(term, autoescape=True),
        QuoteRequest.requester_email.icontains(term, autoescape=True),
        QuoteRequest.requester_name.icontains(term, autoescape=True),
        exists().where(Contact.id == QuoteRequest.contact_id, Contact.name.icontains(term, autoescape=True)),
        exists().where(Message.request_id == QuoteRequest.id, Message.text.icontains(term, autoescape=True)),
        *([QuoteRequest.id == number] if number is not None else []),
    )


def matching_requests(
    session: Session,
    tenant_slug: str | None = None,
    status: str | None = None,
    search: str | None = None,
    assignee: str | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """`request_query`'s rows as summaries; a search within one tenant asks the text index
    which requests to test first (store/search.py), as the inbox does."""
    query = request_query(tenant_slug, status, search, assignee)
    if search and tenant_slug:
        tenant_id = session.scalar(select(Tenant.id).where(Tenant.slug == tenant_slug.lower()))
        if tenant_id is not None:
            query = narrow(session, query, tenant_id, search)
    return list_requests(session, query, limit)


def list_requests(
    session: Session, query: Select[tuple[QuoteRequest, str, str, str | None]], limit: int = 50
) -> list[dict[str, Any]]:
    return [
        request_summary(req, slug, language, assignee)
        for req, slug, language, assignee in session.execute(query.limit(limit))
    ]


def request_summary(
    req: QuoteRequest, tenant_slug: str, language: str = "en", assignee_email: str | None = None
) -> dict[str, Any]:
    """`status_label` is in the tenant's language."""
    return {
        "id": req.id,
        "tenant": tenant_slug,
        "status": req.status,
        "status_label": status_label(req.status, language),
        "assignee": assignee_email,
        "contact_id": req.contact_id,
        "needs_attention": req.needs_attention,
        "subject": req.subject,
        "requester_email": req.requester_email,
        "requester_name": req.requester_name,
        "message_count": req.message_count,
        "created_at": iso(req.created_at),
        "updated_at": iso(req.updated_at),
    }


def request_detail(session: Session, request_id: int) -> dict[str, Any]:
    row = session.execute(request_query().where(QuoteRequest.id == request_id)).first()
    if row is None:
        raise NotFound("request", request_id)
    req, slug, language, assignee_email = row
    messages = session.scalars(
        select(Message)
        .where(Message.request_id == request_id)
        .order_by(Message.id)
        .options(selectinload(Message.attachments))
    ).all()
    events = session.scalars(
        select(TimelineEvent).where(TimelineEvent.request_id == request_id).order_by(TimelineEvent.id)
    ).all()
    out = request_summary(req, slug, language, assignee_email)
    out["contact"] = _linked_contact(session, req.contact_id)
    out["messages"] = [message_view(m) for m in messages]
    out["timeline"] = [timeline_view(e) for e in events]
    out["quotes"] = quote_summaries(session, Quote.request_id == request_id)
    return out


def quote_summaries(session: Session, where: Any) -> list[dict[str, Any]]:
    """Quotes (without lines or PDF) matching `where`, oldest first: for request and contact views."""
    rows = session.execute(
        select(Quote.id, Quote.number, Quote.status, Quote.total_incl, Quote.currency, Quote.valid_until,
               Quote.request_id).where(where).order_by(Quote.id)
    )
    return [{"id": r.id, "number": r.number, "status": r.status, "total_incl": r.total_incl,
             "currency": r.currency, "valid_until": r.valid_until.isoformat(), "request_id": r.request_id}
            for r in rows]


def _linked_contact(session: Session, contact_id: int | None) -> dict[str, Any] | None:
    if contact_id is None:
        return None
    contact = session.get(Contact, contact_id)
    if contact is None:
        return None
    return {"id": contact.id, "name": contact.name, "kind": contact.kind, "number": contact.number,
            "emails": list(contact.emails)}


def status_label(status: str, language: str) -> str:
    try:
        return label(status, language)
    except InvalidInput:  # a status or language this build does not know: show the code
        return status


def message_view(m: Message) -> dict[str, Any]:
    return {
        "id": m.id,
        "raw_id": m.raw_id,
        "direction": m.direction,
        "message_id": m.message_id,
        "in_reply_to": m.in_reply_to,
        "from": {"email": m.from_email, "name": m.from_name} if m.from_email else None,
        "to": m.to,
        "cc": m.cc,
        "subject": m.subject,
        "date": iso(m.date),
        "created_at": iso(m.created_at),
        "text": m.text,
        "has_html": m.html is not None,
        "kind": m.kind,
        "provenance": m.provenance,
        "forwarded_by": m.forwarded_by,
        "requester_confidence": m.requester_confidence,
        "defects": m.defects,
        "attachments": [
            {"id": a.id, "filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in m.attachments
        ],
    }


def timeline_view(e: TimelineEvent) -> dict[str, Any]:
    return {"id": e.id, "at": iso(e.at), "kind": e.kind, "actor": e.actor, "detail": e.detail}


def raw_bytes(session: Session, message_pk: int) -> bytes:
    """The exact stored bytes behind a message id (`message raw ID`)."""
    raw_id = session.scalar(select(Message.raw_id).where(Message.id == message_pk))
    if raw_id is None:
        raise NotFound("message (with a raw copy)", message_pk)
    purged_at = session.execute(select(RawMessage.purged_at).where(RawMessage.id == raw_id)).first()
    if purged_at is None:
        raise NotFound("raw message", raw_id)
    data = read_big(session, RawData.data, raw_id)
    if purged_at[0] is not None or data is None:
        raise NotFound("raw copy (purged by [retention] raw_days)", raw_id)
    return data


def failed_raw_ids(session: Session) -> Sequence[int]:
    return session.scalars(select(RawMessage.id).where(RawMessage.state == "failed").order_by(RawMessage.id)).all()


def list_messages(
    session: Session,
    tenant_slug: str | None = None,
    kind: str | None = None,
    unattached: bool = False,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Messages newest first; `unattached` = those on no request (system mail, stray bounces)."""
    q = (
        select(Message, Tenant.slug)
        .join(Tenant, Tenant.id == Message.tenant_id)
        .options(selectinload(Message.attachments))
        .order_by(Message.id.desc())
        .limit(limit)
    )
    if tenant_slug:
        q = q.where(Tenant.slug == tenant_slug.lower())
    if kind:
        q = q.where(Message.kind == kind)
    if unattached:
        q = q.where(Message.request_id.is_(None))
    out = []
    for message, slug in session.execute(q):
        view = message_view(message)
        view["tenant"] = slug
        view["request_id"] = message.request_id
        view["info"] = message.info
        out.append(view)
    return out
