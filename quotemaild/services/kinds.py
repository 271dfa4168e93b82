"""Mail that is not a customer writing: bounces, auto-replies, provider set-up mail.

None of these ever opens a request. A bounce or an auto-reply that answers one of our mails is
attached to that request as a timeline event (a bounce also fails its outbox row, flags the
request and remembers a hard-bounced address); the rest is kept unattached and visible with
`message list --unattached`, never dropped.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from quotemaild.mail.bounce import BounceInfo
from quotemaild.mail.tokens import Signer
from quotemaild.services.conversation import SYSTEM_ACTOR, timeline
from quotemaild.services.outbox import flag_request
from quotemaild.store.models import BouncedAddress, Message, MessageRef, OutboxMessage, QuoteRequest, RawMessage

NOT_HUMAN = ("bounce", "auto_reply", "out_of_office", "system")


def verp_outbox(session: Session, raw: RawMessage, signer: Signer | None) -> OutboxMessage | None:
    """The outbox row a bounce was addressed back to (`bounce+<id>.<mac>@domain`), if valid."""
    if signer is None:
        return None
    for rcpt in raw.rcpt_to:
        outbox_id = signer.verify_bounce_address(rcpt)
        if outbox_id is not None:
            row = session.get(OutboxMessage, outbox_id)
            if row is not None and row.tenant_id == raw.tenant_id:
                return row
    return None


def bounced_outbox(session: Session, tenant_id: int, info: BounceInfo | None) -> OutboxMessage | None:
    """The outbox row whose message the bounce quotes (by its original Message-ID)."""
    if info is None or not info.original_message_id:
        return None
    message_pk = session.scalar(
        select(MessageRef.message_pk).where(
            MessageRef.tenant_id == tenant_id, MessageRef.value == info.original_message_id
        )
    )
    if message_pk is None:
        return None
    return session.scalar(select(OutboxMessage).where(OutboxMessage.message_pk == message_pk))


def apply_bounce(
    session: Session, row: OutboxMessage, info: BounceInfo | None, message: Message, now: dt.datetime
) -> None:
    """Our mail bounced: the outbox row fails, the request is flagged, hard bounces remembered."""
    detail = "; ".join(
        x for x in ((info.status or "") if info else "", ", ".join(info.recipients) if info else "") if x
    ) or "bounce received"
    row.state = "failed"
    row.last_error = f"bounced: {detail}"[:1000]
    flag_request(session, row, "bounced", detail, now)
    permanent = info is None or info.permanent is not False
    if permanent:
        for address in (info.recipients if info and info.recipients else tuple(row.rcpt_to)):
            exists = session.scalar(
                select(BouncedAddress.id).where(
                    BouncedAddress.tenant_id == row.tenant_id, BouncedAddress.address == address
                )
            )
            if exists is None:
                session.add(BouncedAddress(tenant_id=row.tenant_id, address=address, at=now, detail=detail[:500]))
    if row.request_id is not None:
        timeline(session, row.request_id, now, "bounce_received", SYSTEM_ACTOR, message=message.id, outbox=row.id, detail=detail)


def note_auto_reply(
    session: Session, request: QuoteRequest, message: Message, kind: str, now: dt.datetime, reasons: tuple[str, ...] = ()
) -> None:
    """A robot answer on the request it answers: an event, never the customer's message."""
    timeline(
        session, request.id, now, f"{kind}_received", SYSTEM_ACTOR,
        message=message.id, subject=message.subject, robot=True, reasons=list(reasons)[:10],
    )
