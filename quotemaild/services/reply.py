"""A human reply on a request: quoted history, signed marker, outbox, status `answered`."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.domain.status import Event
from quotemaild.errors import InvalidInput
from quotemaild.mail.addresses import Address
from quotemaild.mail.compose import OutboundAttachment, reply_subject
from quotemaild.mail.quoting import reply_with_history
from quotemaild.services.requests import apply_event, get_request
from quotemaild.services.send import Queued, SendSettings, queue_mail
from quotemaild.store.models import Message, Tenant


def reply_to_request(
    session: Session,
    settings: SendSettings,
    request_id: int,
    body: str,
    attachments: Sequence[OutboundAttachment],
    actor: str,
    clock: Clock,
) -> Queued:
    now = clock.now()
    request = get_request(session, request_id)
    if not body.strip():
        raise InvalidInput("body", "the reply is empty", code="required")
    if not request.requester_email:
        raise InvalidInput("request", f"request {request_id} has no requester e-mail address to reply to",
                           code="no_requester_email")
    tenant = session.get_one(Tenant, request.tenant_id)
    language = tenant.language
    last = session.scalars(
        select(Message)
        .where(Message.request_id == request.id, Message.direction == "in")
        .order_by(Message.id.desc())
        .limit(1)
    ).first()
    text = reply_with_history(
        body,
        history=last.text if last else None,
        when=last.date or last.created_at if last else None,
        name=(last.from_name or last.from_email or "") if last else "",
        language=language,
        marker=settings.signer.body_marker(tenant.id, request.id),
    )
    queued = queue_mail(
        session,
        settings,
        tenant,
        request,
        "reply",
        [Address(request.requester_email, request.requester_name or "")],
        reply_subject(request.subject, language),
        text,
        now,
        actor,
        attachments,
        on_sent={"event": Event.REPLY_SENT.value},
    )
    if queued.held is None:  # else the move waits for the mail to leave (record_sent)
        apply_event(session, request, Event.REPLY_SENT, actor, clock)
    return queued
