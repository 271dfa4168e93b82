"""The change feed: every flush that adds a message, a request or a timeline entry (or deletes a
request) also writes a `change_events` row, in the same transaction.

So the event stream (`GET /api/v1/events`) is fed from the very commits that change the data,
whichever process made them (the processing child, the CLI, the API), and a reader that sees an
event can always read what it speaks of. `track(sessions)` is called by `db.make_sessionmaker`.

    source                         event kind         data
    new QuoteRequest               request            status
    new Message on a request       message            message_id, direction, kind
    TimelineEvent status_changed   status             from, to
    TimelineEvent note             note               (the note's id only: bodies stay behind the API)
    any other TimelineEvent        timeline           kind
    deleted QuoteRequest           request_deleted
    a reminder sent or skipped     reminder           reminder_id, contact_id, reminder, due_at, state,
                                                      seller (written by services/reminders.py; the
                                                      request_id is the card's newest request, or null)
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import JSON, String, bindparam, delete, event, insert, literal, select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.store import batch_writes
from quotemaild.store.models import ChangeEvent, Message, QuoteRequest, TimelineEvent
from quotemaild.store.models.base import UtcDateTime
from quotemaild.store.notify import CHANGES_WRITTEN

TIMELINE_KINDS = {"status_changed": "status", "note": "note"}
KEEP = dt.timedelta(days=7)  # a client away longer than this reloads instead of resuming


def prune(session: Session, now: dt.datetime, limit: int = 5000) -> int:
    """Delete up to `limit` change events older than `KEEP`; the caller commits (small batches)."""
    ids = list(session.scalars(select(ChangeEvent.id).where(ChangeEvent.at < now - KEEP)
                               .order_by(ChangeEvent.id).limit(limit)))
    if ids:
        session.execute(delete(ChangeEvent).where(ChangeEvent.id.in_(ids)))
    return len(ids)


def track(sessions: sessionmaker[Session]) -> None:
    event.listen(sessions, "before_flush", _before_flush)
    event.listen(sessions, "after_flush", _after_flush)


# Processing writes three or four change events per message, each one statement. Inside
# `deferred` they are kept in order and written as one INSERT of many rows when it ends (or
# before the session flushes ORM rows, whose events come after them), so the rows and their ids
# are the same as written one by one.
_DEFERRED = "quotemaild.changes.deferred"


@contextlib.contextmanager
def deferred(session: Session) -> Iterator[None]:
    """Change events written inside are inserted together on the way out (dropped if it raises:
    the caller rolls back)."""
    session.info[_DEFERRED] = []
    try:
        yield
        flush_deferred(session)
    finally:
        session.info.pop(_DEFERRED, None)


def flush_deferred(session: Session) -> None:
    """Insert the deferred change events now, in the order they were written (the timeline
    entries held back by `batch_writes` first: their events name their ids)."""
    batch_writes.flush(session)
    rows: list[dict[str, Any]] | None = session.info.get(_DEFERRED)
    if not rows:
        return
    session.info[_DEFERRED] = []
    # A timeline entry's tenant is its request's: known from the request's or message's own
    # event in the same batch, else read (a request that is gone gets no event, as with
    # INSERT ... SELECT one by one).
    tenants = {row["request_id"]: row["tenant_id"] for row in rows if row["tenant_id"] is not None}
    unknown = {row["request_id"] for row in rows if row["tenant_id"] is None} - tenants.keys()
    conn = session.connection()
    if unknown:
        found = conn.execute(select(_REQUESTS.c.id, _REQUESTS.c.tenant_id).where(_REQUESTS.c.id.in_(unknown)))
        tenants.update({request_id: tenant_id for request_id, tenant_id in found})
    complete = []
    for row in rows:
        if row["tenant_id"] is None:
            tenant_id = tenants.get(row["request_id"])
            if tenant_id is None:
                continue
            row = {**row, "tenant_id": tenant_id}
        complete.append(row)
    if complete:
        conn.execute(_INSERT, complete)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    flush_deferred(session)


def _after_flush(session: Session, _context: Any) -> None:
    direct: list[dict[str, Any]] = []
    via_request: list[tuple[int, str, dict[str, Any], dt.datetime]] = []
    for obj in session.new:
        if isinstance(obj, QuoteRequest):
            direct.append(_row(obj.tenant_id, obj.created_at, "request", obj.id, status=obj.status))
        elif isinstance(obj, Message) and obj.request_id is not None:
            direct.append(_row(obj.tenant_id, obj.created_at, "message", obj.request_id,
                               message_id=obj.id, direction=obj.direction, kind=obj.kind))
        elif isinstance(obj, TimelineEvent):
            kind = TIMELINE_KINDS.get(obj.kind, "timeline")
            data: dict[str, Any] = {"timeline_id": obj.id, "entry": obj.kind}
            if kind == "status":
                data.update({"from": obj.detail.get("from"), "to": obj.detail.get("to")})
            via_request.append((obj.request_id, kind, data, obj.at))
    for obj in session.deleted:
        if isinstance(obj, QuoteRequest):
            direct.append(_row(obj.tenant_id, obj.updated_at, "request_deleted", obj.id))
    if not direct and not via_request:
        return
    session.info[CHANGES_WRITTEN] = True  # PostgreSQL: NOTIFY at commit (store/notify.py)
    conn = session.connection()
    table = ChangeEvent.__table__
    if direct:
        conn.execute(insert(table), direct)
    for request_id, kind, data, at in via_request:  # the tenant is the request's
        conn.execute(insert(table).from_select(
            ["tenant_id", "at", "kind", "request_id", "data"],
            select(QuoteRequest.tenant_id, literal(at, UtcDateTime()), literal(kind, String()),
                   QuoteRequest.id, literal(data, JSON())).where(QuoteRequest.id == request_id),
        ))


def _row(tenant_id: int, at: dt.datetime, kind: str, request_id: int, /, **data: Any) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "at": at, "kind": kind, "request_id": request_id, "data": data}


# Rows written with Core statements (processing's hot path: requests, messages, timeline
# entries) never pass through `after_flush`; their writers record the change themselves.
_INSERT = insert(ChangeEvent.__table__)


def written(session: Session, tenant_id: int, at: dt.datetime, kind: str, request_id: int, /, **data: Any) -> None:
    """The change event of a request or message row written with a Core statement."""
    session.info[CHANGES_WRITTEN] = True
    row = _row(tenant_id, at, kind, request_id, **data)
    later: list[dict[str, Any]] | None = session.info.get(_DEFERRED)
    if later is not None:
        later.append(row)
    else:
        session.execute(_INSERT, row)


def timeline_written(session: Session, request_id: int, event_id: int | None, entry: str, at: dt.datetime,
                     detail: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The change event of a timeline entry written with a Core statement (tenant: the request's).
    Returns the event's data; `event_id` None: the entry is held back (`batch_writes`), which puts
    its id into the data before the deferred events are written."""
    kind = TIMELINE_KINDS.get(entry, "timeline")
    data: dict[str, Any] = {"timeline_id": event_id, "entry": entry}
    if kind == "status":
        data.update({"from": detail.get("from"), "to": detail.get("to")})
    session.info[CHANGES_WRITTEN] = True
    later: list[dict[str, Any]] | None = session.info.get(_DEFERRED)
    if later is not None:
        later.append(_row(None, at, kind, request_id, **data))  # type: ignore[arg-type]
        return later[-1]["data"]
    if event_id is None:
        raise RuntimeError("a held-back timeline entry needs deferred change events")
    session.execute(_INSERT_TIMELINE, {"request_id": request_id, "at": at, "kind": kind, "data": data})
    return data


# Built once: a statement made per call is compiled (cache key and all) per call, and this one
# runs once or twice for every processed message.
_REQUESTS = QuoteRequest.__table__
_INSERT_TIMELINE = insert(ChangeEvent.__table__).from_select(
    ["tenant_id", "at", "kind", "request_id", "data"],
    select(_REQUESTS.c.tenant_id, bindparam("at", type_=UtcDateTime()), bindparam("kind", type_=String()),
           _REQUESTS.c.id, bindparam("data", type_=JSON())).where(_REQUESTS.c.id == bindparam("request_id")),
)
