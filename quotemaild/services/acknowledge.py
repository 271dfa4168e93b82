"""The automatic acknowledgement of a new request: decide (mail/ack_policy.py), render, queue.

Runs in the processing transaction right after a message opened a new request, so the outbox row
commits together with the request. Every skipped acknowledgement leaves its reasons on the
timeline, so "why did my customer get nothing?" has an answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import bindparam, exists, func, insert, select
from sqlalchemy.orm import Session

from quotemaild.errors import InvalidInput
from quotemaild.mail.ack_policy import LOOP_LIMIT, LOOP_NOTE, LOOP_WINDOW, Decision, may_acknowledge
from quotemaild.mail.addresses import Address
from quotemaild.mail.compose import reply_subject
from quotemaild.mail.templates import pick_language, render_mail
from quotemaild.services.ingest import SYSTEM_ACTOR, IngestResult
from quotemaild.services.send import SendSettings, queue_mail, template_override
from quotemaild.services.timeline import event
from quotemaild.store.core_reads import read, read_one
from quotemaild.store.driver_statements import DriverStatement
from quotemaild.store.models import AckLog, BouncedAddress, Message, QuoteRequest, Tenant

ACK_LOOKBACK = dt.timedelta(hours=24)
# Only mail the customer sent to us is acknowledged; a forward by the tenant's own staff or a
# copy (Bcc) of their mail to a customer is not something the customer expects an answer to.
ACK_PROVENANCES = ("direct", "auto_forward")


def acknowledge_new_request(
    session: Session,
    settings: SendSettings,
    result: IngestResult,
    now: dt.datetime,
    language: str | None = None,
) -> Decision | None:
    """Queue the acknowledgement if the policy allows; None when there was nothing to decide."""
    if result.decision.verdict != "new" or result.request_id is None or result.parsed is None:
        return None
    kind = result.understanding.kind if result.understanding else "human"
    provenance = result.understanding.provenance if result.understanding else "direct"
    # The request was just written with Core statements, so the ORM would load it back with a
    # query of its own: what it was opened with comes along in the result (else the few columns
    # the policy needs are read), and the whole row is loaded only for an acknowledgement that
    # goes out (most new requests from a busy sender do not).
    request = result.opened or read(session, _REQUEST, id=result.request_id).one()
    request_id = result.request_id
    tenant = session.get_one(Tenant, result.tenant_id)  # loaded by the processing transaction
    requester = request.requester_email
    if not requester:
        _timeline(session, request_id, now, "acknowledgement_skipped", {"reasons": ["no-requester-address"]})
        return None
    facts = sender_facts(session, tenant.id, requester, now)
    decision = may_acknowledge(
        envelope_sender=result.envelope_from,
        message=result.parsed,
        kind=kind,
        auto_reply_enabled=tenant.auto_reply,
        is_new_request=True,
        hard_bounced=facts.hard_bounced,
        acks_sent_to_sender=[facts.last_ack] if facts.last_ack is not None else [],
        inbound_from_sender_recent=facts.recent_inbound,
        our_domains=[settings.domain],
        now=now,
    )
    reasons = list(decision.reasons)
    if provenance not in ACK_PROVENANCES:
        reasons.append(f"provenance-{provenance}")
    if reasons:
        _timeline(session, request_id, now, "acknowledgement_skipped", {"reasons": reasons})
        if decision.needs_note:
            _timeline(session, request_id, now, "note", {"body": LOOP_NOTE, "internal": True})
        return Decision(False, tuple(reasons))

    lang = pick_language(language, tenant.language)
    context = {
        "tenant_name": tenant.name,
        "tenant_address": f"{tenant.slug}@{settings.domain}",
        "contact_name": request.requester_name or "",
        "subject": request.subject,
        "reply_subject": reply_subject(request.subject, lang),
        "request_ref": f"#{request_id}",
        "user_name": "",
    }
    override = template_override(session, tenant.id, "ack", lang)
    try:
        rendered = render_mail("ack", lang, context, override)
    except InvalidInput as exc:  # a tenant's own text broke at render time: send ours, say so
        rendered = render_mail("ack", lang, context)
        _timeline(session, request_id, now, "template_error", {"kind": "ack", "language": lang, "error": str(exc)})
    marker = settings.signer.body_marker(tenant.id, request_id)
    queue_mail(
        session,
        settings,
        tenant,
        session.get_one(QuoteRequest, request_id),
        "ack",
        [Address(requester, request.requester_name or "")],
        rendered.subject,
        f"{rendered.text.rstrip()}\n\n{marker}\n",
        now,
        SYSTEM_ACTOR,
    )
    session.connection().execute(_LOG_ACK, {"tenant_id": tenant.id, "address": requester, "at": now})
    return decision


# The policy's reads about the sender in one statement, built once and run on the session's
# connection (on SQLite on the driver's cursor, `store/driver_statements`): they run for every new
# request, and through the ORM's execution path (a statement built and compiled per call) they
# cost several times their queries (`store/core_reads.read` flushes first, as autoflush did).
_REQUESTS = QuoteRequest.__table__
_REQUEST = select(
    _REQUESTS.c.requester_email, _REQUESTS.c.requester_name, _REQUESTS.c.subject
).where(_REQUESTS.c.id == bindparam("id"))
_ACK_LOG = AckLog.__table__
_LOG_ACK = insert(_ACK_LOG)  # the rate limit's row, on the connection: an ORM row costs a flush
_MESSAGES = Message.__table__
_BOUNCED = BouncedAddress.__table__
_TENANT, _ADDRESS = bindparam("tenant_id"), bindparam("address")
_SENDER_FACTS = DriverStatement(select(
    exists().where(_BOUNCED.c.tenant_id == _TENANT, _BOUNCED.c.address == _ADDRESS).label("hard_bounced"),
    # The latest acknowledgement in the policy's window is all it asks about (one is enough to
    # say no); later than `now` does not count, as in the policy.
    select(func.max(_ACK_LOG.c.at))
    .where(_ACK_LOG.c.tenant_id == _TENANT, _ACK_LOG.c.address == _ADDRESS,
           _ACK_LOG.c.at > bindparam("ack_since"), _ACK_LOG.c.at <= bindparam("now"))
    .scalar_subquery().label("last_ack"),
    # Counted up to one past LOOP_LIMIT: the policy only asks whether the limit is passed. A
    # sender caught in a loop can send tens of thousands of mails within the window, and a full
    # count visited every one of them again for each new mail.
    select(func.count()).select_from(
        select(_MESSAGES.c.id)
        .where(_MESSAGES.c.tenant_id == _TENANT, _MESSAGES.c.from_email == _ADDRESS,
               _MESSAGES.c.direction == "in", _MESSAGES.c.created_at > bindparam("inbound_since"))
        .limit(LOOP_LIMIT + 1)
        .subquery()
    ).scalar_subquery().label("recent_inbound"),
))  # fmt: skip


@dataclass(frozen=True)
class SenderFacts:
    hard_bounced: bool  # a hard bounce from this address is on record for the tenant
    last_ack: dt.datetime | None  # the latest acknowledgement to it within ACK_LOOKBACK
    recent_inbound: int  # its inbound mails within LOOP_WINDOW, counted up to LOOP_LIMIT + 1


def sender_facts(session: Session, tenant_id: int, address: str, now: dt.datetime) -> SenderFacts:
    row = read_one(session, _SENDER_FACTS, tenant_id=tenant_id, address=address, now=now,
                   ack_since=now - ACK_LOOKBACK, inbound_since=now - LOOP_WINDOW)  # fmt: skip
    return SenderFacts(bool(row.hard_bounced), row.last_ack, int(row.recent_inbound or 0))


def _timeline(session: Session, request_id: int, now: dt.datetime, kind: str, detail: dict[str, object]) -> None:
    event(session, request_id, now, kind, SYSTEM_ACTOR, **detail)
