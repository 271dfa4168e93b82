"""From a durably stored raw message to a threaded message on a quote request.

This runs after the 250, from the stored copy, and can be re-run (`quotemaild reprocess`).
The caller owns the transaction: `process_raw` only adds and flushes. When processing fails the
caller rolls back and calls `record_failure` in a fresh transaction, so the mail stays visible as
a request with the .eml attached and the error shown — never dropped.

Order of work: parse -> understand (kind, provenance, who really asked) -> thread -> store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from quotemaild.clock import Clock
from quotemaild.domain.raw_state import RawState
from quotemaild.mail.parse import ParsedMessage, generated_message_id, parse_message
from quotemaild.mail.provenance import Understanding, as_reply, understand
from quotemaild.mail.tenant import TenantIdentity
from quotemaild.mail.threading import ThreadDecision, candidate_ids, decide_thread
from quotemaild.mail.tokens import Signer
from quotemaild.services import kinds, robot_answers
from quotemaild.services.conversation import (
    LOCAL_ALIAS_PREFIX,
    SYSTEM_ACTOR,
    OpenedRequest,
    add_attachment,
    add_inbound_message,
    new_request,
    opened_request,
    remove_derived,
    request_created,
    timeline,
)
from quotemaild.store import batch_writes
from quotemaild.store.blobs import read_big
from quotemaild.store.models import Message, MessageRef, QuoteRequest, RawData, RawMessage, Tenant



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
    understanding: Understanding | None = None
    opened: OpenedRequest | None = None  # the message opened request `request_id`


def tenant_identity(tenant: Tenant, domain: str) -> TenantIdentity:
    return TenantIdentity(
        proposals_addresses=frozenset({f"{tenant.slug}@{domain}"}),  # TenantIdentity compares keys
        own_addresses=frozenset(tenant.own_addresses),
        own_domains=frozenset(tenant.own_domains),
        proposals_domain=domain,
    )


@dataclass(frozen=True)
class Prepared:
    """The pure, CPU-heavy part of processing, done before any write lock is taken."""

    parsed: ParsedMessage
    message_id: str
    understanding: Understanding


def prepare(data: bytes, mail_from: str, identity: TenantIdentity, settings: IngestSettings) -> Prepared:
    parsed = parse_message(data, settings.max_header_bytes)
    message_id = parsed.message_id or generated_message_id(data, settings.domain)
    return Prepared(parsed, message_id, understand(parsed, mail_from, identity))


def process_raw(
    session: Session,
    raw: RawMessage,
    settings: IngestSettings,
    clock: Clock,
    prepared: Prepared | None = None,
) -> IngestResult:
    """Thread and store one raw message. Pass `prepared` (from `prepare`, computed outside the
    transaction) to keep the write transaction short; without it the work is done here."""
    tenant = session.get_one(Tenant, raw.tenant_id)
    if prepared is None:
        prepared = prepare(raw.data, raw.mail_from, tenant_identity(tenant, settings.domain), settings)
    parsed, message_id, u = prepared.parsed, prepared.message_id, prepared.understanding

    duplicate_of = _known_message(session, tenant.id, message_id)
    candidates = candidate_ids(parsed.in_reply_to, parsed.references)
    known = _requests_for_ids(session, tenant.id, candidates) if candidates else {}
    token_request, marker_request = _signed_requests(session, tenant.id, raw, parsed, settings)
    decision = decide_thread(
        message_id, parsed.in_reply_to, parsed.references, duplicate_of, known, token_request, marker_request
    )

    now = clock.now()
    if decision.verdict == "join" and decision.request_id is not None:
        # an answer to one of our mails: timing and the sender's earlier robot answers count too
        u = robot_answers.with_context(session, tenant.id, decision.request_id, parsed, u, now)
    elif decision.verdict != "duplicate":
        u = robot_answers.unthreaded(u)

    def result(message_pk: int | None, request_id: int | None, opened: OpenedRequest | None = None) -> IngestResult:
        return IngestResult(raw.id, decision, message_pk, request_id, tenant.id, raw.mail_from, parsed, u, opened)

    if decision.verdict == "duplicate":
        _mark_processed(session, raw, f"duplicate: {decision.reason}", now)
        return result(duplicate_of, None)

    info = _info(u)
    if u.kind in kinds.NOT_HUMAN:
        return _not_human(session, settings, tenant, raw, parsed, message_id, u, decision, info, now, result)

    opened: OpenedRequest | None = None
    if decision.verdict == "join":
        assert decision.request_id is not None
        request_id = decision.request_id
        u = as_reply(u)
    else:
        subject = u.original_subject or parsed.subject
        request_id = new_request(session, tenant.id, subject, u.requester, now, 1, created_event=False)
        opened = opened_request(subject, u.requester)
    message = add_inbound_message(
        session,
        tenant.id,
        request_id,
        raw,
        parsed,
        message_id,
        now,
        text=u.display_text,
        kind=u.kind,
        provenance=u.provenance,
        forwarded_by=u.forwarded_by,
        requester_confidence=u.requester_confidence,
        info=info,
        counted=decision.verdict != "join",
    )
    if decision.verdict != "join":
        request_created(session, request_id, now)
    timeline(
        session, request_id, now, "message_received", message.from_email or SYSTEM_ACTOR,
        message=message.id, thread=decision.reason, provenance=u.provenance,
    )
    if u.preamble and u.preamble.strip():
        # the forwarder's own words above the forward read like an internal note
        timeline(session, request_id, now, "note", u.forwarded_by or SYSTEM_ACTOR, body=u.preamble.strip(), internal=True, source="forward")
    _mark_processed(session, raw, None, now)
    session.flush()
    return result(message.id, request_id, opened)


def _not_human(session, settings, tenant, raw, parsed, message_id, u, decision, info, now, result):  # type: ignore[no-untyped-def]
    """Bounces, auto-replies and set-up mail: attach to what they answer, never open a request."""
    batch_writes.flush(session)  # its look-ups below read the store: a batch's held-back rows first
    request: QuoteRequest | None = None
    outbox = None
    if u.kind == "bounce":
        outbox = kinds.verp_outbox(session, raw, settings.signer) or kinds.bounced_outbox(session, tenant.id, u.bounce)
        if outbox is not None and outbox.request_id is not None:
            request = session.get(QuoteRequest, outbox.request_id)
    if request is None and decision.verdict == "join" and u.kind != "system":
        request = session.get(QuoteRequest, decision.request_id)
    if request is None and u.kind in robot_answers.ROBOT_KINDS:
        # no threading headers (ticket desks, some gateways): the request we last wrote to this sender
        request = robot_answers.request_answered(session, tenant.id, parsed.sender, now)
    message = add_inbound_message(
        session, tenant.id, request.id if request else None, raw, parsed, message_id, now,
        text=u.display_text, kind=u.kind, provenance="system" if u.kind == "system" else u.provenance, info=info,
    )
    if outbox is not None:
        kinds.apply_bounce(session, outbox, u.bounce, message, now)
    elif request is not None:
        kinds.note_auto_reply(session, request, message, u.kind, now, u.kind_reasons)
    _mark(raw, RawState.PROCESSED, None, now)
    session.flush()
    return result(message.id, request.id if request else None)


def _info(u: Understanding) -> dict[str, object]:
    info: dict[str, object] = {"kind_reasons": list(u.kind_reasons), "provenance_reasons": list(u.provenance_reasons)}
    robot = robot_answers.robot_info(u)
    if robot is not None and (robot["score"] or u.kind in robot_answers.ROBOT_KINDS):  # type: ignore[operator]
        info["robot"] = robot
    if u.quoted_text:
        info["quoted_text"] = u.quoted_text[:20000]
    if u.preamble:
        info["preamble"] = u.preamble[:5000]
    if u.original_date:
        info["original_date"] = u.original_date.isoformat()
    if u.bounce is not None:
        info["bounce"] = {
            "recipients": list(u.bounce.recipients),
            "status": u.bounce.status,
            "reply_code": u.bounce.reply_code,
            "original_message_id": u.bounce.original_message_id,
            "permanent": u.bounce.permanent,
        }
    if u.system is not None:
        info["system"] = {"kind": u.system.kind, "code": u.system.code, "link": u.system.link, "hint": u.system.hint}
    return info


def record_failure(session: Session, raw_id: int, error: str, clock: Clock) -> int:
    """Keep a message we could not process visible: a request holding the .eml and the error."""
    raw = session.get_one(RawMessage, raw_id)
    now = clock.now()
    remove_derived(session, raw.id)
    data = read_big(session, RawData.data, raw.id) or b""
    subject = (_best_effort_subject(data) or "(message could not be processed)")[:998]
    request_id = new_request(session, raw.tenant_id, subject, None, now, message_count=1)
    message = Message(
        tenant_id=raw.tenant_id,
        request_id=request_id,
        raw_id=raw.id,
        direction="in",
        message_id=f"<failed-{raw.sha256}@quotemaild.invalid>",
        references=[],
        subject=subject,
        to=[],
        cc=[],
        reply_to=[],
        text="",
        provenance="direct",
        kind="unprocessed",
        defects=[error[:2000]],
        info={},
        created_at=now,
    )
    session.add(message)
    session.flush()
    add_attachment(session, message.id, f"message-{raw.id}.eml", "message/rfc822", data, raw.sha256)
    timeline(session, request_id, now, "processing_failed", SYSTEM_ACTOR, raw=raw.id, error=error[:2000])
    raw.attempts += 1
    _mark(raw, RawState.FAILED, error[:2000], now)
    session.flush()
    return request_id


def reset_for_reprocess(session: Session, raw_id: int) -> RawMessage:
    """Forget what earlier processing derived from this raw message, so it can run again."""
    raw = session.get_one(RawMessage, raw_id)
    remove_derived(session, raw.id)
    raw.state = RawState.PENDING
    raw.error = None
    session.flush()
    return raw


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


# Threading's look-ups, built once, on the tables (Core): each runs once or twice per message, and
# through the ORM's execution path a select of one column costs several times the query.
_REFS = MessageRef.__table__
_MESSAGES = Message.__table__
_REQUESTS = QuoteRequest.__table__
_OWN_REQUEST = select(_REQUESTS.c.id).where(
    _REQUESTS.c.id == bindparam("request_id"), _REQUESTS.c.tenant_id == bindparam("tenant_id")
)
_KNOWN_MESSAGE = select(_REFS.c.message_pk).where(
    _REFS.c.tenant_id == bindparam("tenant_id"), _REFS.c.value == bindparam("value")
).limit(1)
_REQUESTS_FOR_IDS = (
    select(_REFS.c.value, _MESSAGES.c.request_id)
    .join(_MESSAGES, _MESSAGES.c.id == _REFS.c.message_pk)
    .where(_REFS.c.tenant_id == bindparam("tenant_id"), _REFS.c.value.in_(bindparam("values", expanding=True)))
)


def _own_request(session: Session, tenant_id: int, request_id: int | None) -> int | None:
    if request_id is None:
        return None
    return session.connection().execute(_OWN_REQUEST, {"request_id": request_id, "tenant_id": tenant_id}).scalar()


def _known_message(session: Session, tenant_id: int, message_id: str) -> int | None:
    cached = batch_writes.known_refs(session, tenant_id, [message_id])
    if cached is not None:
        return cached[0][1] if cached else None
    return session.connection().execute(_KNOWN_MESSAGE, {"tenant_id": tenant_id, "value": message_id}).scalar()


def _aliases(ids: list[str]) -> dict[str, str]:
    """The refs a provider's rewritten id is kept under: its local part (services/outbox.record_sent)."""
    return {LOCAL_ALIAS_PREFIX + i.strip("<>").rpartition("@")[0]: i for i in ids if "@" in i}


def _requests_for_ids(session: Session, tenant_id: int, ids: list[str]) -> dict[str, int | None]:
    """Known request per candidate id; also by local part, for providers that rewrote our id
    into one built from the queue id the smarthost gave us (see services/outbox.record_sent)."""
    aliases = _aliases(ids)
    values = [*ids, *aliases]
    cached = batch_writes.known_refs(session, tenant_id, values)
    if cached is not None:
        rows = [(value, request_id) for value, _, request_id in cached]
    else:
        rows = session.connection().execute(_REQUESTS_FOR_IDS, {"tenant_id": tenant_id, "values": values}).all()
    found: dict[str, int | None] = {}
    for value, request_id in rows:
        found.setdefault(aliases.get(value, value), request_id)
    return found


def prefetch_lookups(session: Session, batch: list[tuple[int, Prepared]]) -> None:
    """Inside `batch_writes.deferred`: every Message-ID threading will look up for the batch's
    (tenant id, prepared message) pairs, in one query instead of one or two per message."""
    wanted: set[tuple[int, str]] = set()
    for tenant_id, prepared in batch:
        parsed = prepared.parsed
        candidates = candidate_ids(parsed.in_reply_to, parsed.references)
        wanted.add((tenant_id, prepared.message_id))
        wanted.update((tenant_id, value) for value in (*candidates, *_aliases(candidates)))
    batch_writes.prefetch_refs(session, wanted)


_RAWS = RawMessage.__table__
_MARK_PROCESSED = (
    update(_RAWS)
    .where(_RAWS.c.id == bindparam("raw_id"))
    .values(state=RawState.PROCESSED, error=bindparam("error"),
            processed_at=bindparam("now", type_=_RAWS.c.processed_at.type))
)  # fmt: skip


def _mark_processed(session: Session, raw: RawMessage, error: str | None, now: dt.datetime) -> None:
    """The hot path's UPDATE as one Core statement (in a batch, one for all its messages); the
    loaded row is told, not made dirty."""
    params = {"raw_id": raw.id, "error": error, "now": now}
    if not batch_writes.add_update(session, _MARK_PROCESSED, params):
        session.connection().execute(_MARK_PROCESSED, params)
    for key, value in (("state", RawState.PROCESSED), ("error", error), ("processed_at", now)):
        set_committed_value(raw, key, value)


def _mark(raw: RawMessage, state: str, error: str | None, now: dt.datetime) -> None:
    raw.state = state
    raw.error = error
    raw.processed_at = now


def _best_effort_subject(data: bytes) -> str:
    try:
        return parse_message(data).subject[:998]
    except Exception:  # this runs because processing already failed once; anything goes
        return ""
