"""The outbox: every outgoing mail is a row first, written with the change that caused it.

The delivery worker (edges/outbound.py) claims due rows (`claim_due`), confirms each claim just
before its attempt (`confirm_claim`) and reports back through `record_sent` and `record_failure`;
nothing here talks to a socket. The caller owns the transaction.

Claims are leases written into `next_attempt_at`: a claimed row stays `queued` but is not due
again until its lease ends, so several instances (or a restarted one) never pick the same row
while its holder lives, and a row whose holder died is picked up again when the lease runs out.
The claim query skips rows another instance is claiming at the same moment (`FOR UPDATE SKIP
LOCKED` on PostgreSQL; SQLite's write lock keeps claims apart). `confirm_claim` compares the
lease it wrote, so a holder that stalled past its lease does not send a row someone else took.
The lease is kept in `claimed_until` too (cleared when the attempt is recorded): `retry` refuses
a row whose lease is current, since making it due again would let a second sender take it while
the first is still talking to the smarthost.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from quotemaild.domain.retry import RetryPolicy, next_attempt
from quotemaild.errors import InvalidInput, NotFound, OutboxBusy
from quotemaild.services import timeline
from quotemaild.services.conversation import LOCAL_ALIAS_PREFIX
from quotemaild.store.cluster import skip_locked
from quotemaild.store.models import MessageRef, OutboxMessage, QuoteRequest
from quotemaild.store.queries import iso

SYSTEM_ACTOR = "quotemaild"
# Set in `session.info` when a row is queued (or re-queued): after the commit the edge that owns
# the session wakes the delivery worker (edges/wake.py) instead of leaving it to the next poll.
OUTBOX_QUEUED = "quotemaild.outbox_queued"
# The queue id a smarthost names in its 250 reply ("250 2.0.0 Ok: queued as 4Xk2", "250 Ok 0100018c...")
# is what providers like Amazon SES turn into the Message-ID the customer sees.
_QUEUE_ID = re.compile(r"(?:queued as|Ok|id=)\s*<?([A-Za-z0-9][A-Za-z0-9._-]{5,})>?", re.IGNORECASE)


@dataclass(frozen=True)
class Delivery:
    """What the worker needs for one attempt."""

    id: int
    envelope_from: str
    rcpt_to: tuple[str, ...]
    data: bytes


def new_outbox_row(
    session: Session,
    tenant_id: int,
    request_id: int | None,
    kind: str,
    rcpt_to: list[str],
    now: dt.datetime,
) -> OutboxMessage:
    """A queued row with empty data: the caller fills `data`/`envelope_from` once ids are known."""
    row = OutboxMessage(
        tenant_id=tenant_id,
        request_id=request_id,
        kind=kind,
        envelope_from="",
        rcpt_to=rcpt_to,
        data=b"",
        state="queued",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    session.info[OUTBOX_QUEUED] = True
    return row


def due(session: Session, now: dt.datetime, limit: int = 50) -> list[Delivery]:
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.state == "queued", OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    return [Delivery(r.id, r.envelope_from, tuple(r.rcpt_to), r.data) for r in rows]


@dataclass(frozen=True)
class Claim:
    """Rows claimed together, and the lease end written into each of them."""

    deliveries: list[Delivery]
    until: dt.datetime


def claim_due(session: Session, now: dt.datetime, lease: dt.timedelta, limit: int = 50) -> Claim:
    """Claim up to `limit` due rows until `now + lease` (commit to make the claim visible)."""
    until = now + lease
    rows = session.scalars(
        skip_locked(
            select(OutboxMessage)
            .where(OutboxMessage.state == "queued", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
        )
    ).all()
    for row in rows:
        row.next_attempt_at = until
        row.claimed_until = until
    return Claim([Delivery(r.id, r.envelope_from, tuple(r.rcpt_to), r.data) for r in rows], until)


def confirm_claim(session: Session, outbox_id: int, held_until: dt.datetime, now: dt.datetime, lease: dt.timedelta) -> bool:
    """Just before an attempt: still ours (our lease, still queued)? Then renew the lease from now.

    False when the lease ran out and another holder took the row, or it was sent meanwhile."""
    done = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id, OutboxMessage.state == "queued",
               OutboxMessage.next_attempt_at == held_until)
        .values(next_attempt_at=now + lease, claimed_until=now + lease)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return bool(getattr(done, "rowcount", 0) == 1)


def record_sent(session: Session, outbox_id: int, reply: str, now: dt.datetime) -> None:
    row = session.get_one(OutboxMessage, outbox_id)
    row.state = "sent"
    row.claimed_until = None
    row.sent_at = now
    row.attempts += 1
    row.first_attempt_at = row.first_attempt_at or now
    row.smtp_reply = reply[:1000]
    row.last_error = None
    queue_id = provider_queue_id(reply)
    if queue_id and row.message_pk is not None:
        value = LOCAL_ALIAS_PREFIX + queue_id
        exists = session.scalar(
            select(MessageRef.id).where(MessageRef.tenant_id == row.tenant_id, MessageRef.value == value)
        )
        if exists is None:
            session.add(MessageRef(tenant_id=row.tenant_id, value=value, message_pk=row.message_pk))


def record_failure(
    session: Session, outbox_id: int, temporary: bool, error: str, now: dt.datetime, policy: RetryPolicy
) -> str:
    """Schedule a retry, or fail for good and flag the request. Returns the new state."""
    row = session.get_one(OutboxMessage, outbox_id)
    row.claimed_until = None
    row.attempts += 1
    row.first_attempt_at = row.first_attempt_at or now
    row.last_error = error[:1000]
    at = next_attempt(row.attempts, row.first_attempt_at, now, policy) if temporary else None
    if at is not None:
        row.state = "queued"
        row.next_attempt_at = at
        return "queued"
    row.state = "failed"
    flag_request(session, row, "gave up after retries" if temporary else "refused", error, now)
    return "failed"


def flag_request(session: Session, row: OutboxMessage, why: str, error: str, now: dt.datetime) -> None:
    """A mail that will not arrive: an internal note and a needs-attention flag on its request."""
    if row.request_id is None:
        return
    request = session.get(QuoteRequest, row.request_id)
    if request is None:
        return
    request.needs_attention = True
    timeline.record(
        session,
        request,
        "delivery_failed",
        SYSTEM_ACTOR,
        now,
        outbox=row.id,
        mail=row.kind,
        to=row.rcpt_to,
        why=why,
        error=error[:500],
        note=f"The {row.kind} to {', '.join(row.rcpt_to)} could not be delivered ({why}): {error[:200]}",
    )


def retry(session: Session, outbox_id: int, now: dt.datetime) -> OutboxMessage:
    """Queue a failed or waiting mail for an attempt now, with a fresh give-up window.

    Refused (`OutboxBusy`) while a sender's claim on the row is current. The row is read FOR
    UPDATE: on PostgreSQL a claim at the same moment either skips it (SKIP LOCKED) or has
    committed its lease before we read it; on SQLite the write lock orders the two."""
    row = session.get(OutboxMessage, outbox_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise NotFound("outbox message", outbox_id)
    if row.state == "sent":
        raise InvalidInput("id", f"outbox message {outbox_id} was already sent", code="outbox_sent")
    if row.state == "queued" and row.claimed_until is not None and row.claimed_until > now:
        raise OutboxBusy(outbox_id, iso(row.claimed_until) or "")
    row.state = "queued"
    row.claimed_until = None
    row.next_attempt_at = now
    row.first_attempt_at = None
    session.info[OUTBOX_QUEUED] = True
    return row


def retry_on_request(session: Session, request_id: int, outbox_id: int, now: dt.datetime) -> OutboxMessage:
    """`retry`, for a mail of this request only (the request page's "Send again")."""
    owner = session.scalar(select(OutboxMessage.request_id).where(OutboxMessage.id == outbox_id))
    if owner != request_id:
        raise NotFound("outbox message", outbox_id)
    return retry(session, outbox_id, now)


def provider_queue_id(reply: str) -> str | None:
    match = _QUEUE_ID.search(reply)
    return match.group(1) if match else None


def outbox_view(row: OutboxMessage) -> dict[str, Any]:
    return {
        "id": row.id,
        "tenant_id": row.tenant_id,
        "request_id": row.request_id,
        "message_id": row.message_pk,
        "kind": row.kind,
        "state": row.state,
        "to": row.rcpt_to,
        "envelope_from": row.envelope_from,
        "attempts": row.attempts,
        "next_attempt_at": iso(row.next_attempt_at) if row.state == "queued" else None,
        "last_error": row.last_error,
        "smtp_reply": row.smtp_reply,
        "created_at": iso(row.created_at),
        "sent_at": iso(row.sent_at),
        "size": len(row.data),
    }


def list_outbox(
    session: Session, state: str | None = None, limit: int = 100, tenant_id: int | None = None
) -> list[dict[str, Any]]:
    q = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if tenant_id is not None:
        q = q.where(OutboxMessage.tenant_id == tenant_id)
    if state:
        q = q.where(OutboxMessage.state == state)
    return [outbox_view(r) for r in session.scalars(q)]


def queue_depth(session: Session, now: dt.datetime) -> tuple[int, float]:
    """How many mails wait, and the age in seconds of the oldest (for health and metrics)."""
    count, oldest = session.execute(
        select(func.count(), func.min(OutboxMessage.created_at)).where(OutboxMessage.state == "queued")
    ).one()
    if not count or oldest is None:
        return 0, 0.0
    if oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=dt.UTC)
    return int(count), max(0.0, (now - oldest).total_seconds())
