"""The inbox of one user: requests of the actor's tenant with filters, read state and paging.

    list_requests(...)   newest activity first; filters status, assignee, mine, unread, text;
                         keyset paging (`cursor` = the last row's updated_at and id), so a page
                         does not shift when new mail arrives while the seller pages
    status_counts(...)   requests per status for the tenant
    mark_read(...)       the user opened the request (a row in request_reads)
    mark_unread(...)     the user wants to see it as new again (the row goes)

Text search covers the subject, the requester, the linked contact's name, the request number
(`123` or `#123`) and the text of the request's messages. The caller owns the transaction.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.domain.status import parse_status
from quotemaild.errors import InvalidInput
from quotemaild.services.identity import Actor
from quotemaild.store.models import Contact, Message, QuoteRequest, RequestRead, Tenant, User
from quotemaild.store.queries import request_summary

MAX_LIMIT = 200


def encode_cursor(updated_at: dt.datetime, request_id: int) -> str:
    return base64.urlsafe_b64encode(f"{updated_at.isoformat()}|{request_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, key = raw.partition("|")
        return dt.datetime.fromisoformat(when), int(key)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor", "not a cursor this server gave out") from exc


def _search(text: str) -> Any:
    like = f"%{text}%"
    number = text.lstrip("#")
    clauses = [
        QuoteRequest.subject.ilike(like),
        QuoteRequest.requester_email.ilike(like),
        QuoteRequest.requester_name.ilike(like),
        exists().where(Contact.id == QuoteRequest.contact_id, Contact.name.ilike(like)),
        exists().where(Message.request_id == QuoteRequest.id, Message.text.ilike(like)),
    ]
    if number.isdigit() and len(number) < 16:
        clauses.append(QuoteRequest.id == int(number))
    return or_(*clauses)


def list_requests(
    session: Session, actor: Actor, *, status: str | None = None, assignee: str | None = None,
    mine: bool = False, unread: bool = False, q: str | None = None, cursor: str | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    limit = max(1, min(limit, MAX_LIMIT))
    is_read = exists().where(RequestRead.request_id == QuoteRequest.id, RequestRead.user_id == actor.user_id)
    query = (
        select(QuoteRequest, Tenant.slug, Tenant.language, User.email, User.name, is_read.label("read"))
        .join(Tenant, Tenant.id == QuoteRequest.tenant_id)
        .outerjoin(User, User.id == QuoteRequest.assignee_user_id)
        .where(QuoteRequest.tenant_id == actor.tenant_id)
    )
    if status:
        query = query.where(QuoteRequest.status == parse_status(status).value)
    if assignee:
        query = query.where(User.email == assignee.strip().lower())
    if mine:
        query = query.where(QuoteRequest.assignee_user_id == actor.user_id)
    if unread:
        query = query.where(~is_read)
    if q:
        query = query.where(_search(q.strip()[:200]))
    if cursor:
        when, key = decode_cursor(cursor)
        query = query.where(or_(QuoteRequest.updated_at < when,
                                and_(QuoteRequest.updated_at == when, QuoteRequest.id < key)))
    rows = session.execute(
        query.order_by(QuoteRequest.updated_at.desc(), QuoteRequest.id.desc()).limit(limit + 1)
    ).all()
    items = []
    for req, slug, language, email, name, read in rows[:limit]:
        item = request_summary(req, slug, language, email)
        item["assignee_name"] = name
        item["unread"] = not read if actor.user_id is not None else False
        items.append(item)
    last = rows[limit - 1][0] if len(rows) > limit else None
    return {"items": items, "next_cursor": encode_cursor(last.updated_at, last.id) if last else None}


def status_counts(session: Session, actor: Actor) -> dict[str, int]:
    rows = session.execute(
        select(QuoteRequest.status, func.count()).where(QuoteRequest.tenant_id == actor.tenant_id)
        .group_by(QuoteRequest.status)
    )
    return {status: count for status, count in rows}


def mark_read(session: Session, actor: Actor, request_id: int, clock: Clock) -> None:
    if actor.user_id is None:
        return  # a token has no inbox
    row = session.get(RequestRead, (actor.user_id, request_id))
    if row is None:
        session.add(RequestRead(user_id=actor.user_id, request_id=request_id, read_at=clock.now()))
        session.flush()


def mark_unread(session: Session, actor: Actor, request_id: int) -> None:
    if actor.user_id is None:
        return
    row = session.get(RequestRead, (actor.user_id, request_id))
    if row is not None:
        session.delete(row)
        session.flush()
