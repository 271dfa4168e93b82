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

from sqlalchemy import bindparam, insert, select, update
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
from quotemaild.services.conversation import add_attachment
from quotemaild.services.outbox import OUTBOX_QUEUED
from quotemaild.store import batch_writes, changes
from quotemaild.store.core_reads import read
from quotemaild.store.models import (
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


_CONVERSATION_IDS = (
    select(Message.__table__.c.direction, Message.__table__.c.message_id)
    .where(Message.__table__.c.request_id == bindparam("request_id"))
    .order_by(Message.__table__.c.id)
)
_OVERRIDE = select(TenantTemplate.__table__.c.text).where(
    TenantTemplate.__table__.c.tenant_id == bindparam("tenant_id"),
    TenantTemplate.__table__.c.kind == bindparam("kind"),
    TenantTemplate.__table__.c.language == bindparam("language"),
)


def conversation_ids(session: Session, request_id: int) -> tuple[str | None, list[str]]:
    """(last inbound Message-ID, every Message-ID of the conversation oldest first)."""
    rows = read(session, _CONVERSATION_IDS, request_id=request_id).all()
    chain = [mid for _, mid in rows if mid and not mid.startswith("<failed-")]
    inbound = [mid for direction, mid in rows if direction == "in" and not mid.startswith("<failed-")]
    return (inbound[-1] if inbound else None), chain


def template_override(session: Session, tenant_id: int, kind: str, language: str) -> str | None:
    """The tenant's own text for `kind` in `language`, if it set one (read for every mail sent)."""
    return read(session, _OVERRIDE, tenant_id=tenant_id, kind=kind, language=language).scalar()


def render_for(session: Session, tenant: Tenant, kind: str, language: str, context: dict[str, object]) -> RenderedMail:
    """The tenant's text (or the default) for `kind` in `language`; `signature` is the tenant's
    e-mail signature in that language (its profile), unless the caller gives one."""
    signature = context.get("signature") or text_in(tenant.profile or {}, "signature", language, tenant.language)
    return render_mail(kind, language, {**context, "signature": signature},
                       template_override(session, tenant.id, kind, language))


# queue_mail's rows, written with Core statements on the session's connection: through the ORM
# (four flushes, each with its unit-of-work bookkeeping) an acknowledgement cost ~3 ms of the
# ~1 ms a new request costs to process otherwise.
_MESSAGES = Message.__table__
_OUTBOX = OutboxMessage.__table__
_REQUESTS = QuoteRequest.__table__
_INSERT_MESSAGE = insert(_MESSAGES)
_INSERT_OUTBOX = insert(_OUTBOX)
_INSERT_REF = insert(MessageRef.__table__)
_SET_MESSAGE_ID = update(_MESSAGES).where(_MESSAGES.c.id == bindparam("pk")).values(message_id=bindparam("own_id"))
_COUNT_OUTGOING = (
    update(_REQUESTS)
    .where(_REQUESTS.c.id == bindparam("request_id"))
    .values(message_count=_REQUESTS.c.message_count + 1, updated_at=bindparam("now", type_=_REQUESTS.c.updated_at.type))
)


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
    in_reply_to, chain = conversation_ids(session, request.id)  # flushes what the caller changed first
    conn = session.connection()
    message_pk: int = conn.execute(_INSERT_MESSAGE, dict(
        tenant_id=tenant.id, request_id=request.id, direction="out",
        message_id=f"<pending-{uuid.uuid4().hex}@{settings.domain}>", in_reply_to=in_reply_to,
        references=chain[-10:], subject=subject, from_name=tenant.name,
        from_email=f"{tenant.slug}@{settings.domain}", to=[a.as_dict() for a in to], cc=[], reply_to=[],
        text=text, provenance="outbound", kind=kind, defects=[], created_at=now,
    )).inserted_primary_key[0]  # fmt: skip
    changes.written(session, tenant.id, now, "message", request.id, message_id=message_pk, direction="out", kind=kind)
    outbox_id: int = conn.execute(_INSERT_OUTBOX, dict(
        tenant_id=tenant.id, request_id=request.id, kind=kind, envelope_from="", rcpt_to=[a.email for a in to],
        data=b"", state="queued", attempts=0, next_attempt_at=now, created_at=now,
    )).inserted_primary_key[0]  # fmt: skip
    session.info[OUTBOX_QUEUED] = True
    own_id = settings.signer.message_id(tenant.id, request.id, message_pk)
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
            bounce_address=None if kind == "ack" else settings.signer.bounce_address(outbox_id),
        )
    )
    conn.execute(_SET_MESSAGE_ID, {"pk": message_pk, "own_id": own_id})
    data = composed.as_bytes()
    filled: dict[str, object] = dict(
        message_pk=message_pk, data=dkim_sign(data, settings.dkim) if settings.dkim is not None else data,
        envelope_from=composed.envelope_sender, rcpt_to=list(composed.envelope_recipients),
    )  # fmt: skip
    held = None if settings.can_send else NOT_SENT
    if held is not None and on_sent:
        filled["on_sent"] = {**on_sent, "actor": actor}
    conn.execute(update(_OUTBOX).where(_OUTBOX.c.id == outbox_id).values(**filled))
    if not batch_writes.add_ref(session, tenant.id, own_id, message_pk, request.id):
        conn.execute(_INSERT_REF, dict(tenant_id=tenant.id, value=own_id, message_pk=message_pk))
    for att in attachments:
        add_attachment(session, message_pk, att.filename, att.content_type, att.data,
                       hashlib.sha256(att.data).hexdigest())  # fmt: skip
    detail: dict[str, object] = {"message": message_pk, "outbox": outbox_id, "to": [a.email for a in to]}
    if not composed.loops_back:
        detail["warning"] = "sent from the tenant's own address: answers will not come back to this request"
    if held is not None:
        detail["not_sent"] = held
    timeline.event(session, request.id, now, f"{kind}_queued", actor, **detail)
    conn.execute(_COUNT_OUTGOING, {"request_id": request.id, "now": now})
    session.expire(request, ["message_count", "updated_at"])  # read again when next asked
    return Queued(message_pk, outbox_id, composed.loops_back, composed.warnings, held)
