"""From a durably stored raw message to a threaded message on a quote request.

This runs after the 250, from the stored copy, and can be re-run (`quotemaild reprocess`).
The caller owns the transaction: `process_raw` only adds and flushes. When processing fails the
caller rolls back and calls `record_failure` in a fresh transaction, so the mail stays visible as
a request with the .eml attached and the error shown — never dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.mail.parse import ParsedMessage, generated_message_id, parse_message
from quotemaild.mail.threading import ThreadDecision, candidate_ids, decide_thread
from quotemaild.mail.tokens import Signer
from quotemaild.store.models import (
    Attachment,
    Message,
    MessageRef,
    QuoteRequest,
    RawMessage,
    Tenant,
    TimelineEvent,
)

SYSTEM_ACTOR = "quotemaild"
LOCAL_ALIAS_PREFIX = "local:"  # MessageRef values that hold a provider queue id, not a msg-id


@dataclass(frozen=True)
class IngestSettings:
    domain: str
    max_header_bytes: int = 100 * 1024
    signer: Signer | None = None  # verifies our reply tokens; None: threading by headers only


@dataclass(frozen=True)
class IngestResult:
    raw_id: int
    decision: ThreadDecision
    message_pk: int | None
    request_id: int | None
    tenant_id: int | None = None
    envelope_from: str = ""
    parsed: ParsedMessage | None = None


def process_raw(session: Session, raw: RawMessage, settings: IngestSettings, clock: Clock) -> IngestResult:
    tenant = session.get_one(Tenant, raw.tenant_id)
    parsed = parse_message(raw.data, settings.max_header_bytes)
    message_id = parsed.message_id or generated_message_id(raw.data, settings.domain)

    duplicate_of = _known_message(session, tenant.id, message_id)
    candidates = candidate_ids(parsed.in_reply_to, parsed.references)
    known = _requests_for_ids(session, tenant.id, candidates) if candidates else {}
    token_request, marker_request = _signed_requests(session, tenant.id, raw, parsed, settings)
    decision = decide_thread(
        message_id, parsed.in_reply_to, parsed.references, duplicate_of, known, token_request, marker_request
    )

    now = clock.now()
    if decision.verdict == "duplicate":
        _mark(raw, "processed", f"duplicate: {decision.reason}", now)
        return IngestResult(raw.id, decision, duplicate_of, None, tenant.id, raw.mail_from, parsed)

    if decision.verdict == "join":
        assert decision.request_id is not None
        request = session.get_one(QuoteRequest, decision.request_id)
    else:
        request = _new_request(session, tenant, parsed, now)

    message = _add_message(session, tenant, request, raw, parsed, message_id, now)
    request.message_count += 1
    request.updated_at = now
    session.add(
        TimelineEvent(
            request_id=request.id,
            at=now,
            kind="message_received",
            actor=message.from_email or SYSTEM_ACTOR,
            detail={"message": message.id, "thread": decision.reason},
        )
    )
    _mark(raw, "processed", None, now)
    session.flush()
    return IngestResult(raw.id, decision, message.id, request.id, tenant.id, raw.mail_from, parsed)


def record_failure(session: Session, raw_id: int, error: str, clock: Clock) -> int:
    """Keep a message we could not process visible: a request holding the .eml and the error."""
    raw = session.get_one(RawMessage, raw_id)
    now = clock.now()
    _remove_derived(session, raw.id)
    subject = _best_effort_subject(raw.data)
    request = QuoteRequest(
        tenant_id=raw.tenant_id,
        status="received",
        subject=subject or "(message could not be processed)",
        requester_email=None,
        requester_name=None,
        message_count=1,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    message = Message(
        tenant_id=raw.tenant_id,
        request_id=request.id,
        raw_id=raw.id,
        direction="in",
        message_id=f"<failed-{raw.sha256}@quotemaild.invalid>",
        references=[],
        subject=request.subject,
        to=[],
        cc=[],
        reply_to=[],
        text="",
        provenance="direct",
        kind="unprocessed",
        defects=[error[:2000]],
        created_at=now,
    )
    session.add(message)
    session.flush()
    session.add(
        Attachment(
            message_pk=message.id,
            filename=f"message-{raw.id}.eml",
            content_type="message/rfc822",
            size=len(raw.data),
            sha256=raw.sha256,
            data=raw.data,
        )
    )
    session.add(
        TimelineEvent(
            request_id=request.id,
            at=now,
            kind="processing_failed",
            actor=SYSTEM_ACTOR,
            detail={"raw": raw.id, "error": error[:2000]},
        )
    )
    raw.attempts += 1
    _mark(raw, "failed", error[:2000], now)
    session.flush()
    return request.id


def reset_for_reprocess(session: Session, raw_id: int) -> RawMessage:
    """Forget what earlier processing derived from this raw message, so it can run again."""
    raw = session.get_one(RawMessage, raw_id)
    _remove_derived(session, raw.id)
    raw.state = "pending"
    raw.error = None
    session.flush()
    return raw


def _remove_derived(session: Session, raw_id: int) -> None:
    rows = session.execute(select(Message.id, Message.request_id).where(Message.raw_id == raw_id)).all()
    if not rows:
        return
    session.execute(delete(MessageRef).where(MessageRef.message_pk.in_([r.id for r in rows])))
    session.execute(delete(Attachment).where(Attachment.message_pk.in_([r.id for r in rows])))
    session.execute(delete(Message).where(Message.id.in_([r.id for r in rows])))
    for request_id in {r.request_id for r in rows if r.request_id is not None}:
        remaining = session.scalar(select(Message.id).where(Message.request_id == request_id).limit(1))
        if remaining is None:
            session.execute(delete(TimelineEvent).where(TimelineEvent.request_id == request_id))
            session.execute(delete(QuoteRequest).where(QuoteRequest.id == request_id))
        else:
            session.execute(
                update(QuoteRequest)
                .where(QuoteRequest.id == request_id)
                .values(message_count=QuoteRequest.message_count - 1)
            )


def _signed_requests(
    session: Session, tenant_id: int, raw: RawMessage, parsed: ParsedMessage, settings: IngestSettings
) -> tuple[int | None, int | None]:
    """Requests named by our signed tokens: (plus address or our Message-ID, quoted-body marker).

    A token only counts when its signature is valid for this tenant and the request still exists
    and belongs to it: a forged or foreign token never crosses tenants, it just starts a new thread.
    """
    signer = settings.signer
    if signer is None:
        return None, None
    token: int | None = None
    for rcpt in raw.rcpt_to:
        slug = rcpt.partition("@")[0].partition("+")[0].lower()
        token = signer.verify_reply_address(tenant_id, slug, rcpt)
        if token is not None:
            break
    if token is None:
        for value in [parsed.in_reply_to or "", *reversed(parsed.references)]:
            found = signer.verify_message_id(tenant_id, value) if value else None
            if found is not None:
                token = found[0]
                break
    marker = signer.find_body_marker(tenant_id, parsed.text) if parsed.text else None
    return _own_request(session, tenant_id, token), _own_request(session, tenant_id, marker)


def _own_request(session: Session, tenant_id: int, request_id: int | None) -> int | None:
    if request_id is None:
        return None
    found = session.scalar(
        select(QuoteRequest.id).where(QuoteRequest.id == request_id, QuoteRequest.tenant_id == tenant_id)
    )
    return found


def _known_message(session: Session, tenant_id: int, message_id: str) -> int | None:
    return session.scalar(
        select(MessageRef.message_pk).where(MessageRef.tenant_id == tenant_id, MessageRef.value == message_id)
    )


def _requests_for_ids(session: Session, tenant_id: int, ids: list[str]) -> dict[str, int | None]:
    """Known request per candidate id; also by local part, for providers that rewrote our id
    into one built from the queue id the smarthost gave us (see services/outbox.record_sent)."""
    aliases = {LOCAL_ALIAS_PREFIX + i.strip("<>").rpartition("@")[0]: i for i in ids if "@" in i}
    rows = session.execute(
        select(MessageRef.value, Message.request_id)
        .join(Message, Message.id == MessageRef.message_pk)
        .where(MessageRef.tenant_id == tenant_id, MessageRef.value.in_([*ids, *aliases]))
    ).all()
    found: dict[str, int | None] = {}
    for value, request_id in rows:
        found.setdefault(aliases.get(value, value), request_id)
    return found


def _new_request(session: Session, tenant: Tenant, parsed: ParsedMessage, now: dt.datetime) -> QuoteRequest:
    sender = parsed.sender
    request = QuoteRequest(
        tenant_id=tenant.id,
        status="received",
        subject=parsed.subject[:998],
        requester_email=sender.email if sender else None,
        requester_name=(sender.name or None) if sender else None,
        message_count=0,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    session.add(
        TimelineEvent(
            request_id=request.id,
            at=now,
            kind="request_created",
            actor=SYSTEM_ACTOR,
            detail={"status": "received"},
        )
    )
    return request


def _add_message(
    session: Session,
    tenant: Tenant,
    request: QuoteRequest,
    raw: RawMessage,
    parsed: ParsedMessage,
    message_id: str,
    now: dt.datetime,
) -> Message:
    sender = parsed.sender
    message = Message(
        tenant_id=tenant.id,
        request_id=request.id,
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
        text=parsed.text,
        html=parsed.html,
        provenance="reply" if request.message_count else "direct",
        kind="human",
        defects=list(parsed.defects),
        created_at=now,
    )
    session.add(message)
    session.flush()
    session.add(MessageRef(tenant_id=tenant.id, value=message_id, message_pk=message.id))
    for att in parsed.attachments:
        session.add(
            Attachment(
                message_pk=message.id,
                filename=att.filename,
                content_type=att.content_type,
                content_id=att.content_id,
                size=len(att.data),
                sha256=att.sha256,
                data=att.data,
            )
        )
    return message


def _mark(raw: RawMessage, state: str, error: str | None, now: dt.datetime) -> None:
    raw.state = state
    raw.error = error
    raw.processed_at = now


def _best_effort_subject(data: bytes) -> str:
    try:
        return parse_message(data).subject[:998]
    except Exception:  # this runs because parsing already failed once; anything goes
        return ""


def raw_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
