"""The sellers' view of requests: lists with filters, counts, read state and attention.

Shared by the JSON API (`edges/http/api/requests.py`) and the web pages, so both list and open
requests the same way. Every function takes the caller's `Actor`; the tenant comes from it.

    list_requests(session, actor, InboxFilter, cursor, limit) -> InboxPage
        newest first (updated_at, id), keyset cursor (stable under new mail: a page never
        repeats or skips a row that did not move), `unread` per row for a user actor
    status_counts(session, actor) -> {"received": n, ..., "unread": n, "needs_attention": n}
    open_request(session, actor, request_id, clock) -> the CLI's `request show --json`, plus
        `unread` and `attachments`; opening marks it read for a user (needs a write session)
    open_request_deferred(session, actor, request_id) -> (the same, ReadMark or None): a read
        session shows the page; `record_read` writes the mark later, off the page's critical path
    mark_unread / clear_attention      what a seller does by hand

Read state is data (`request_reads`): a row means "opened since the last inbound mail";
`services/conversation.py` deletes the rows when mail comes in (`domain/attention.py`).
Token actors (integrations) have no read state: `unread` is None for them.
The caller owns the transaction.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, delete, exists, func, insert, literal, or_, select
from sqlalchemy.orm import Session

from quotemaild.clock import Clock
from quotemaild.domain.status import Status
from quotemaild.errors import InvalidInput
from quotemaild.services.identity import Actor
from quotemaild.services.requests import get_request
from quotemaild.services.timeline import record
from quotemaild.store import search
from quotemaild.store.models import Message, QuoteRequest, ReadCount, RequestCount, RequestRead
from quotemaild.store.queries import request_detail, request_query, request_summary

MAX_LIMIT = 200


@dataclass(frozen=True)
class InboxFilter:
    status: str | None = None
    assignee: str | None = None  # an e-mail, "me" (the user actor) or "none" (unassigned)
    q: str | None = None  # text in subject, requester, contact name, mail text; or a request number
    since: dt.datetime | None = None  # updated at or after
    until: dt.datetime | None = None  # updated before
    unread: bool | None = None
    needs_attention: bool | None = None


@dataclass
class InboxPage:
    items: list[dict[str, Any]]
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        return {"items": self.items, "next_cursor": self.next_cursor, "counts": self.counts}


def encode_cursor(updated_at: dt.datetime, request_id: int) -> str:
    return base64.urlsafe_b64encode(f"{updated_at.isoformat()}|{request_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when, _, rid = raw.partition("|")
        at = dt.datetime.fromisoformat(when)
        if at.tzinfo is None:
            raise ValueError("naive")
        return at.astimezone(dt.UTC), int(rid)
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidInput("cursor", "not a cursor this API gave out") from exc


def _read_clause(actor: Actor) -> Any:
    return exists().where(RequestRead.request_id == QuoteRequest.id, RequestRead.user_id == actor.user_id)


def list_requests(
    session: Session, actor: Actor, flt: InboxFilter, cursor: str | None = None, limit: int = 50
) -> InboxPage:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit", f"use 1 to {MAX_LIMIT}")
    if flt.status is not None and flt.status not in {s.value for s in Status}:
        raise InvalidInput("status", f"unknown status {flt.status!r}")
    assignee = flt.assignee.strip().lower() if flt.assignee else None
    if assignee == "me":
        if actor.email is None:
            raise InvalidInput("assignee", "'me' needs a user (log in), not a token")
        assignee = actor.email
    q = request_query(actor.tenant_slug, flt.status, flt.q or None,
                      assignee if assignee not in (None, "none") else None)
    q = q.where(QuoteRequest.tenant_id == actor.tenant_id)
    if flt.q:
        # The LIKE above defines the result; the trigram index only says which requests to test.
        q = search.narrow(session, q, actor.tenant_id, flt.q)
    if assignee == "none":
        q = q.where(QuoteRequest.assignee_user_id.is_(None))
    if flt.since is not None:
        q = q.where(QuoteRequest.updated_at >= flt.since)
    if flt.until is not None:
        q = q.where(QuoteRequest.updated_at < flt.until)
    if flt.needs_attention is not None:
        q = q.where(QuoteRequest.needs_attention.is_(flt.needs_attention))
    if flt.unread is not None:
        if actor.user_id is None:
            raise InvalidInput("unread", "read state is per user: log in, or leave the filter out")
        q = q.where(~_read_clause(actor) if flt.unread else _read_clause(actor))
    if cursor:
        at, rid = decode_cursor(cursor)
        q = q.where(or_(QuoteRequest.updated_at < at, and_(QuoteRequest.updated_at == at, QuoteRequest.id < rid)))
    rows = session.execute(q.limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    read = _read_ids(session, actor, [r[0].id for r in rows])
    items = []
    for req, slug, language, assignee_email in rows:
        item = request_summary(req, slug, language, assignee_email)
        item["unread"] = None if read is None else req.id not in read
        items.append(item)
    nxt = encode_cursor(rows[-1][0].updated_at, rows[-1][0].id) if more and rows else None
    return InboxPage(items, nxt, status_counts(session, actor))


def _read_ids(session: Session, actor: Actor, ids: list[int]) -> set[int] | None:
    if actor.user_id is None:
        return None
    if not ids:
        return set()
    return set(session.scalars(select(RequestRead.request_id)
                               .where(RequestRead.user_id == actor.user_id, RequestRead.request_id.in_(ids))))


def count_statements(actor: Actor) -> dict[str, Any]:
    """The statements behind `status_counts` (named, so the bench can EXPLAIN them)."""
    base = select(func.count()).select_from(QuoteRequest).where(QuoteRequest.tenant_id == actor.tenant_id)
    out = {
        "status": select(QuoteRequest.status, func.count()).where(QuoteRequest.tenant_id == actor.tenant_id)
        .group_by(QuoteRequest.status),
        "needs_attention": base.where(QuoteRequest.needs_attention.is_(True)),
    }
    if actor.user_id is not None:
        out["unread"] = base.where(~_read_clause(actor))
    return out


def status_counts(session: Session, actor: Actor) -> dict[str, int]:
    """Requests per status of the actor's tenant, plus needs_attention and (for users) unread.

    On SQLite the counts come from the rows the triggers keep (`store/models/counts.py`): a few
    primary-key reads instead of three scans of the tenant's requests on every inbox page."""
    counts = {s.value: 0 for s in Status}
    if session.get_bind().dialect.name == "sqlite":
        attention = total = 0
        for status, flagged, n in session.execute(
                select(RequestCount.status, RequestCount.needs_attention, RequestCount.n)
                .where(RequestCount.tenant_id == actor.tenant_id, RequestCount.n != 0)):
            counts[status] = counts.get(status, 0) + int(n)
            attention += int(n) if flagged else 0
            total += int(n)
        counts["needs_attention"] = attention
        if actor.user_id is not None:
            # A user only ever reads requests of their own tenant (routes check the owner).
            read = session.scalar(select(ReadCount.n).where(ReadCount.user_id == actor.user_id)) or 0
            counts["unread"] = total - int(read)
        return counts
    stmts = count_statements(actor)
    for status, n in session.execute(stmts["status"]):
        counts[status] = int(n)
    counts["needs_attention"] = int(session.scalar(stmts["needs_attention"]) or 0)
    if "unread" in stmts:
        counts["unread"] = int(session.scalar(stmts["unread"]) or 0)
    return counts


def open_request(session: Session, actor: Actor, request_id: int, clock: Clock | None = None) -> dict[str, Any]:
    """The request as `request show --json`, with `unread` and a flat `attachments` list. With a
    clock and a user actor, opening marks it read (so call it in a write transaction then)."""
    detail = request_detail(session, request_id)
    if actor.user_id is None:
        detail["unread"] = None
    else:
        was_read = bool(session.scalar(select(_read_clause(actor)).where(QuoteRequest.id == request_id)))
        if not was_read and clock is not None:
            session.add(RequestRead(user_id=actor.user_id, request_id=request_id, read_at=clock.now()))
            session.flush()
            was_read = True
        detail["unread"] = not was_read
    detail["attachments"] = [{**a, "message_id": m["id"]} for m in detail["messages"] for a in m["attachments"]]
    return detail


@dataclass(frozen=True)
class ReadMark:
    """Opening a request that was unread for this user, to be recorded after the page is sent."""

    user_id: int
    request_id: int
    newest_message: int  # the newest message id the user was shown (0: none)


def open_request_deferred(session: Session, actor: Actor, request_id: int) -> tuple[dict[str, Any], ReadMark | None]:
    """`open_request` for a read-only session: the view is as after opening (read), and the mark
    to record comes back (None: a token, or read already, so nothing to write)."""
    detail = open_request(session, actor, request_id)
    if actor.user_id is None or not detail["unread"]:
        return detail, None
    detail["unread"] = False
    newest = max((m["id"] for m in detail["messages"]), default=0)
    return detail, ReadMark(actor.user_id, request_id, newest)


def record_read(session: Session, mark: ReadMark, clock: Clock) -> bool:
    """Record a mark taken when the page was shown; True if a row was written. Nothing happens when
    it is read already, the request is gone, or mail came in since the page was shown (the user has
    not seen that mail: the request stays unread)."""
    newer_mail = exists().where(Message.request_id == mark.request_id, Message.direction == "in",
                                Message.id > mark.newest_message)
    read = exists().where(RequestRead.user_id == mark.user_id, RequestRead.request_id == mark.request_id)
    row = select(literal(mark.user_id), literal(mark.request_id), literal(clock.now(), RequestRead.read_at.type))
    row = row.where(exists().where(QuoteRequest.id == mark.request_id), ~read, ~newer_mail)
    # RETURNING, not rowcount: the PostgreSQL driver reports -1 for INSERT ... SELECT.
    done = session.execute(insert(RequestRead).from_select(["user_id", "request_id", "read_at"], row)
                           .returning(RequestRead.user_id))
    return done.first() is not None


def mark_unread(session: Session, actor: Actor, request_id: int) -> None:
    if actor.user_id is None:
        raise InvalidInput("unread", "read state is per user: log in")
    session.execute(delete(RequestRead).where(RequestRead.user_id == actor.user_id,
                                              RequestRead.request_id == request_id))


def clear_attention(session: Session, request_id: int, actor: str, clock: Clock) -> QuoteRequest:
    """A seller has seen to it: the flag goes down, the timeline says who."""
    request = get_request(session, request_id)
    if request.needs_attention:
        request.needs_attention = False
        record(session, request, "attention_cleared", actor, clock.now())
        session.flush()
    return request
