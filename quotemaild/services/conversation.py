"""Writing conversations: new requests, inbound messages with attachments, and undoing them.

Shared by ingestion (mail) and by reprocessing; the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from quotemaild.domain.attention import on_inbound
from quotemaild.mail.addresses import Address
from quotemaild.mail.parse import ParsedMessage
from quotemaild.store.blobs import BIG_BYTES, write_big
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


def new_request(
    session: Session, tenant_id: int, subject: str, requester: Address | None, now: dt.datetime
) -> QuoteRequest:
    request = QuoteRequest(
        tenant_id=tenant_id,
        status="received",
        subject=subject[:998],
        requester_email=requester.email if requester else None,
        requester_name=(requester.name or None) if requester else None,
        message_count=0,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    session.add(
        TimelineEvent(
            request_id=request.id, at=now, kind="request_created", actor=SYSTEM_ACTOR, detail={"status": "received"}
        )
    )
    return request


def add_inbound_message(
    session: Session,
    tenant_id: int,
    request: QuoteRequest | None,
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
) -> Message:
    """Store the message (attached to `request`, or unattached when None) and its Message-ID."""
    sender = parsed.sender
    message = Message(
        tenant_id=tenant_id,
        request_id=request.id if request else None,
        raw_id=raw.id,
        direction="in",
        message_id=message_id,
        in_reply_to=parsed.in_reply_to,
        references=list(parsed.references),
        subject=parsed.subject,
        from_name=(sender.name or None) if sender else None,
        from_email=sender.email if sender else None,
        to=[a.as_dict() for a in parsed.to],
        cc=[a.as_dict() for a in parsed.cc],
        reply_to=[a.as_dict() for a in parsed.reply_to],
        date=parsed.date,
        text=text,
        html=parsed.html,
        provenance=provenance,
        forwarded_by=forwarded_by,
        requester_confidence=requester_confidence,
        kind=kind,
        defects=list(parsed.defects),
        info=info or {},
        created_at=now,
    )
    session.add(message)
    session.flush()
    session.add(MessageRef(tenant_id=tenant_id, value=message_id, message_pk=message.id))
    for att in parsed.attachments:
        add_attachment(session, message.id, att.filename, att.content_type, att.data, att.sha256, att.content_id)
    if request is not None:
        if request.message_count:  # a new request has no readers and no flag to raise yet
            _apply_inbound_effect(session, request, message, now)
        request.message_count += 1
        request.updated_at = now
    return message


def _apply_inbound_effect(session: Session, request: QuoteRequest, message: Message, now: dt.datetime) -> None:
    """Unread again for every user; on a closed request, needs attention (`domain/attention.py`)."""
    effect = on_inbound(request.status, message.kind, request.needs_attention)
    if effect.mark_unread:
        session.execute(delete(RequestRead).where(RequestRead.request_id == request.id))
    if effect.set_attention:
        request.needs_attention = True
    if effect.timeline:
        timeline(session, request.id, now, effect.timeline, SYSTEM_ACTOR, reason="inbound_on_closed",
                 status=request.status, message=message.id)


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
    session.add(TimelineEvent(request_id=request_id, at=now, kind=kind, actor=actor, detail=detail))


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
