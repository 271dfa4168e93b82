"""Compose a mail on a request and put it in the outbox, in the caller's transaction.

The outgoing message is stored like an inbound one (direction `out`) with our signed Message-ID,
so the customer's answer threads back by In-Reply-To/References; the Reply-To plus address and
the body marker catch the clients that drop those headers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from quotemaild.config import Config
from quotemaild.domain.tenant_profile import text_in
from quotemaild.mail.addresses import Address
from quotemaild.mail.compose import (
    Composed,
    OutboundAttachment,
    Outgoing,
    Sender,
    compose,
)
from quotemaild.mail.dkim_sign import DkimKey, dkim_sign
from quotemaild.mail.templates import RenderedMail, render_mail
from quotemaild.mail.tokens import Signer
from quotemaild.services import timeline
from quotemaild.services.outbox import new_outbox_row
from quotemaild.store.models import (
    Attachment,
    Message,
    MessageRef,
    OutboxMessage,
    QuoteRequest,
    Tenant,
    TenantTemplate,
)


@dataclass(frozen=True)
class SendSettings:
    domain: str
    signer: Signer
    public_url: str = ""
    dkim: DkimKey | None = None  # sign outgoing mail when set
    can_send: bool = True  # False: no smarthost configured, mail stays queued (NOT_SENT)


# Said on the CLI and on the timeline when a mail is queued while nothing can leave.
NOT_SENT = "no smarthost configured"


@dataclass(frozen=True)
class Queued:
    message_pk: int
    outbox_id: int
    loops_back: bool
    warnings: tuple[str, ...]
    held: str | None = None  # why the mail cannot leave yet (NOT_SENT), None when it can


def dkim_key(config: Config) -> DkimKey | None:
    """The signing key from `[dkim]`, or None when signing is off."""
    d = config.dkim
    return DkimKey(d.domain, d.selector, d.private_key) if d.selector else None


def sender_of(tenant: Tenant, request: QuoteRequest, settings: SendSettings) -> Sender:
    address = f"{tenant.slug}@{settings.domain}"
    return Sender(
        mode=tenant.sender_mode,
        proposals_address=address,
        display_name=tenant.name,
        reply_to=settings.signer.reply_address(tenant.id, tenant.slug, request.id),
        own_address=tenant.own_addresses[0] if tenant.own_addresses else None,
    )


def conversation_ids(session: Session, request_id: int) -> tuple[str | None, list[str]]:
    """(last inbound Message-ID, every Message-ID of the conversation oldest first)."""
    rows = session.execute(
        select(Message.direction, Message.message_id).where(Message.request_id == request_id).order_by(Message.id)
    ).all()
    chain = [mid for _, mid in rows if mid and not mid.startswith("<failed-")]
    inbound = [mid for direction, mid in rows if direction == "in" and not mid.startswith("<failed-")]
    return (inbound[-1] if inbound else None), chain


def template_override(session: Session, tenant_id: int, kind: str, language: str) -> str | None:
    return session.scalar(
        select(TenantTemplate.text).where(
            TenantTemplate.tenant_id == tenant_id, TenantTemplate.kind == kind, TenantTemplate.language == language
        )
    )


def render_for(session: Session, tenant: Tenant, kind: str, language: str, context: dict[str, object]) -> RenderedMail:
    """The tenant's text (or the default) for `kind` in `language`; `signature` is the tenant's
    e-mail signature in that language (its profile), unless the caller gives one."""
    signature = context.get("signature") or text_in(tenant.profile or {}, "signature", language, tenant.language)
    return render_mail(kind, language, {**context, "signature": signature},
                       template_override(session, tenant.id, kind, language))


def queue_mail(
    session: Session,
    settings: SendSettings,
    tenant: Tenant,
    request: QuoteRequest,
    kind: str,
    to: Sequence[Address],
    subject: str,
    text: str,
    now: dt.datetime,
    actor: str,
    attachments: Sequence[OutboundAttachment] = (),
    on_sent: dict[str, object] | None = None,
) -> Queued:
    """Store the outgoing message, compose it with our ids, and queue it for the worker.

    `on_sent` is the workflow move the caller holds back while nothing can leave
    (`settings.can_send` false); `record_sent` applies it once the smarthost took the mail."""
    in_reply_to, chain = conversation_ids(session, request.id)
    message = Message(
        tenant_id=tenant.id,
        request_id=request.id,
        direction="out",
        message_id=f"<pending-{uuid.uuid4().hex}@{settings.domain}>",
        in_reply_to=in_reply_to,
        references=chain[-10:],
        subject=subject,
        from_name=tenant.name,
        from_email=f"{tenant.slug}@{settings.domain}",
        to=[a.as_dict() for a in to],
        cc=[],
        reply_to=[],
        text=text,
        provenance="outbound",
        kind=kind,
        defects=[],
        created_at=now,
    )
    session.add(message)
    session.flush()
    row: OutboxMessage = new_outbox_row(session, tenant.id, request.id, kind, [a.email for a in to], now)
    own_id = settings.signer.message_id(tenant.id, request.id, message.id)
    composed: Composed = compose(
        Outgoing(
            kind=kind,
            sender=sender_of(tenant, request, settings),
            to=list(to),
            subject=subject,
            message_id=own_id,
            date=now,
            text=text,
            loop_domain=settings.domain,
            in_reply_to=in_reply_to,
            references=chain,
            attachments=list(attachments),
            bounce_address=None if kind == "ack" else settings.signer.bounce_address(row.id),
        )
    )
    message.message_id = own_id
    message.references = list(chain[-10:])
    row.message_pk = message.id
    data = composed.as_bytes()
    row.data = dkim_sign(data, settings.dkim) if settings.dkim is not None else data
    row.envelope_from = composed.envelope_sender
    row.rcpt_to = list(composed.envelope_recipients)
    session.add(MessageRef(tenant_id=tenant.id, value=own_id, message_pk=message.id))
    for att in attachments:
        session.add(
            Attachment(
                message_pk=message.id,
                filename=att.filename,
                content_type=att.content_type,
                size=len(att.data),
                sha256=hashlib.sha256(att.data).hexdigest(),
                data=att.data,
            )
        )
    detail: dict[str, object] = {"message": message.id, "outbox": row.id, "to": [a.email for a in to]}
    if not composed.loops_back:
        detail["warning"] = "sent from the tenant's own address: answers will not come back to this request"
    held = None if settings.can_send else NOT_SENT
    if held is not None:
        detail["not_sent"] = held
        row.on_sent = {**on_sent, "actor": actor} if on_sent else None
    timeline.record(session, request, f"{kind}_queued", actor, now, **detail)
    request.message_count += 1
    session.flush()
    return Queued(message.id, row.id, composed.loops_back, composed.warnings, held)
