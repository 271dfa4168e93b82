"""Writing conversations: new requests, inbound messages with attachments, and undoing them.

Shared by ingestion (mail) and by reprocessing; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from quotemaild.domain.attention import on_inbound
from quotemaild.mail.addresses import Address
from quotemaild.mail.parse import ParsedMessage
from quotemaild.services.timeline import event as timeline_event
from quotemaild.store import batch_writes, changes
from quotemaild.store.blobs import BIG_BYTES, write_big
from quotemaild.store.driver_statements import DriverStatement
from quotemaild.store.models import (
    Attachment,
    Message,
    MessageRef,
    OutboxMessage,
    QuoteRequest,
    RawMessage,
    RequestRead,
    TimelineEvent,
)

SYSTEM_ACTOR = "quotemaild"
LOCAL_ALIAS_PREFIX = "local:"  # MessageRef values that hold a provider queue id, not a msg-id


# The hot rows of processing (a request, its message, the Message-ID, timeline events) go in as
# Core statements built once: through the ORM's unit of work each cost flushes, identity-map
# bookkeeping and a compiled statement per row, a quarter of processing time.
_REQUESTS = QuoteRequest.__table__
_MESSAGES = Message.__table__
# Their ids: SQLite's lastrowid (a RETURNING result costs more to set up), a RETURNING SQLAlchemy
# adds itself on PostgreSQL. On SQLite they run on the driver's cursor (`store/driver_statements`).
_INSERT_REQUEST = DriverStatement(insert(_REQUESTS), keys=(
    "tenant_id", "status", "subject", "requester_email", "requester_name", "message_count", "created_at", "updated_at",
))  # fmt: skip
_INSERT_MESSAGE = DriverStatement(insert(_MESSAGES), keys=(
    "tenant_id", "request_id", "raw_id", "direction", "message_id", "in_reply_to", "references", "subject",
    "from_name", "from_email", "to", "cc", "reply_to", "date", "text", "html", "provenance", "forwarded_by",
    "requester_confidence", "kind", "defects", "info", "created_at",
))  # fmt: skip
_INSERT_REF = insert(MessageRef.__table__)
# Counting a reply in also reads what its effect depends on (one statement, not two): the
# request's state, and its count before this message (the returned one less one).
_COUNT_MESSAGE = DriverStatement(
    update(_REQUESTS)
    .where(_REQUESTS.c.id == bindparam("request_id"))
    .values(message_count=_REQUESTS.c.message_count + 1, updated_at=bindparam("now", type_=_REQUESTS.c.updated_at.type))
    .returning(_REQUESTS.c.status, _REQUESTS.c.needs_attention, _REQUESTS.c.message_count)
)


@dataclass(frozen=True)
class OpenedRequest:
    """What a request opened for a message was written with (the acknowledgement decides on it
    without reading the row back)."""

    subject: str
    requester_email: str | None
    requester_name: str | None


def opened_request(subject: str, requester: Address | None) -> OpenedRequest:
    return OpenedRequest(subject[:998], requester.email if requester else None,
                         (requester.name or None) if requester else None)  # fmt: skip


@dataclass(frozen=True)
class StoredMessage:
    """What callers read back of a stored inbound message."""

    id: int
    subject: str
    from_email: str | None


def new_request(
    session: Session,
    tenant_id: int,
    subject: str,
    requester: Address | None,
    now: dt.datetime,
    message_count: int = 0,
    created_event: bool = True,
) -> int:
    """A new request in status `received` (and its `request_created` event, unless the caller
    adds it with `request_created` after the request's first message: the change feed then
    says request, message, timeline, as readers of the event stream expect); its id."""
    _flush_new(session)
    opened = opened_request(subject, requester)
    request_id = _INSERT_REQUEST.insert(session.connection(), dict(
        tenant_id=tenant_id, status="received", subject=opened.subject, requester_email=opened.requester_email,
        requester_name=opened.requester_name, message_count=message_count, created_at=now, updated_at=now,
    ))  # fmt: skip
    changes.written(session, tenant_id, now, "request", request_id, status="received")
    if created_event:
        request_created(session, request_id, now)
    return request_id


def request_created(session: Session, request_id: int, now: dt.datetime) -> None:
    timeline_event(session, request_id, now, "request_created", SYSTEM_ACTOR, status="received")


def add_inbound_message(
    session: Session,
    tenant_id: int,
    request_id: int | None,
    raw: RawMessage,
    parsed: ParsedMessage,
    message_id: str,
    now: dt.datetime,
    *,
    text: str,
    kind: str = "human",
    provenance: str = "direct",
    forwarded_by: str | None = None,
    requester_confidence: float | None = None,
    info: dict[str, Any] | None = None,
    counted: bool = False,
) -> StoredMessage:
    """Store the message (on request `request_id`, or unattached when None) and its Message-ID.
    `counted`: the request's message count already includes it (a request opened for it)."""
    _flush_new(session)
    sender = parsed.sender
    from_email = sender.email if sender else None
    conn = session.connection()  # Core statements: the session's execution path costs more than they do
    pk = _INSERT_MESSAGE.insert(conn, dict(
        tenant_id=tenant_id, request_id=request_id, raw_id=raw.id, direction="in", message_id=message_id,
        in_reply_to=parsed.in_reply_to, references=list(parsed.references), subject=parsed.subject,
        from_name=(sender.name or None) if sender else None, from_email=from_email,
        to=[a.as_dict() for a in parsed.to], cc=[a.as_dict() for a in parsed.cc],
        reply_to=[a.as_dict() for a in parsed.reply_to], date=parsed.date, text=text, html=parsed.html,
        provenance=provenance, forwarded_by=forwarded_by, requester_confidence=requester_confidence, kind=kind,
        defects=list(parsed.defects), info=info or {}, created_at=now,
    ))  # fmt: skip
    if not batch_writes.add_ref(session, tenant_id, message_id, pk, request_id):
        conn.execute(_INSERT_REF, dict(tenant_id=tenant_id, value=message_id, message_pk=pk))
    if request_id is not None:
        changes.written(session, tenant_id, now, "message", request_id, message_id=pk, direction="in", kind=kind)
    for att in parsed.attachments:
        add_attachment(session, pk, att.filename, att.content_type, att.data, att.sha256, att.content_id)
    if request_id is not None and not counted:
        state = _COUNT_MESSAGE.one(conn, dict(request_id=request_id, now=now))
        _apply_inbound_effect(session, request_id, pk, kind, now, state.status, state.needs_attention,
                              state.message_count - 1)  # fmt: skip
    return StoredMessage(pk, parsed.subject, from_email)


_SET_ATTENTION = update(_REQUESTS).where(_REQUESTS.c.id == bindparam("request_id")).values(needs_attention=True)
_FORGET_READS = delete(RequestRead.__table__).where(RequestRead.__table__.c.request_id == bindparam("request_id"))


def _apply_inbound_effect(
    session: Session, request_id: int, message_pk: int, kind: str, now: dt.datetime,
    status: str, needs_attention: bool, count_before: int,
) -> None:  # fmt: skip
    """Unread again for every user; on a closed request, needs attention (`domain/attention.py`).
    `status`, `needs_attention`, `count_before`: the request's as this message arrived."""
    if not count_before:  # a new request has no readers and no flag to raise yet
        return
    effect = on_inbound(status, kind, needs_attention)
    conn = session.connection()
    if effect.mark_unread and not batch_writes.add_update(session, _FORGET_READS, {"request_id": request_id}):
        conn.execute(_FORGET_READS, {"request_id": request_id})  # (nothing in a batch reads them back)
    if effect.set_attention:
        conn.execute(_SET_ATTENTION, {"request_id": request_id})
    if effect.timeline:
        timeline(session, request_id, now, effect.timeline, SYSTEM_ACTOR, reason="inbound_on_closed",
                 status=status, message=message_pk)


def add_attachment(
    session: Session,
    message_pk: int,
    filename: str,
    content_type: str,
    data: bytes,
    sha256: str,
    content_id: str | None = None,
) -> Attachment:
    big = len(data) >= BIG_BYTES
    row = Attachment(message_pk=message_pk, filename=filename, content_type=content_type, content_id=content_id,
                     size=len(data), sha256=sha256, data=b"" if big else data)  # fmt: skip
    session.add(row)
    if big:  # written in place: through an INSERT the value would be in memory three times
        session.flush()
        write_big(session, Attachment.data, row.id, data)
        session.expire(row, ["data"])
    return row


def timeline(session: Session, request_id: int, now: dt.datetime, kind: str, actor: str, **detail: Any) -> None:
    timeline_event(session, request_id, now, kind, actor, **detail)


def _flush_new(session: Session) -> None:
    """Core statements do not flush the session: rows added through the ORM go first, so ids and
    the order of events stay what they would have been."""
    if session.new:
        session.flush()


def remove_derived(session: Session, raw_id: int) -> None:
    """Forget the messages earlier processing derived from a raw copy (and requests left empty)."""
    rows = session.execute(select(Message.id, Message.request_id).where(Message.raw_id == raw_id)).all()
    if not rows:
        return
    ids = [r.id for r in rows]
    session.execute(delete(MessageRef).where(MessageRef.message_pk.in_(ids)))
    session.execute(delete(Attachment).where(Attachment.message_pk.in_(ids)))
    session.execute(delete(Message).where(Message.id.in_(ids)))
    for request_id in {r.request_id for r in rows if r.request_id is not None}:
        remaining = session.scalar(select(Message.id).where(Message.request_id == request_id).limit(1))
        if remaining is None:
            session.execute(update(OutboxMessage).where(OutboxMessage.request_id == request_id).values(request_id=None))
            session.execute(delete(TimelineEvent).where(TimelineEvent.request_id == request_id))
            session.execute(delete(QuoteRequest).where(QuoteRequest.id == request_id))
        else:
            session.execute(
                update(QuoteRequest)
                .where(QuoteRequest.id == request_id)
                .values(message_count=QuoteRequest.message_count - 1)
            )
