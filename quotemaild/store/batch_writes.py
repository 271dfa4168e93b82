"""Rows of a processing batch written together, and its Message-ID look-ups answered in memory.

Written one by one, a batch of 64 messages costs some 480 statements, each ~20 us in the
execution path of SQLAlchemy against ~3 us in the database. Inside `deferred(session)` (the
processing write pass without savepoints, `edges/pipeline.py`):

- timeline entries (`services.timeline.event`) are kept and inserted as one INSERT of many rows,
  their ids returned in order and put into their change events' data;
- the `message_refs` row of each stored message likewise, one INSERT of many rows;
- the raw rows' "processed" UPDATE and the read marks a reply clears: one statement each, with many
  parameter sets;
- threading's look-ups of Message-IDs (is it known? which request holds it?) are answered from one
  query for the whole batch (`prefetch_refs`) plus the refs the batch wrote itself, so a reply in
  the batch of its original still finds it.

The pending rows go in before anything else can write or read their tables: when the block ends,
before the session flushes ORM rows (whose timeline entries and refs come after them), before the
deferred change events are written (`store/changes.py`: they name the timeline ids), and before a
look-up the batch cannot answer goes to the store. So the rows and their ids are the same as
written one by one. A ref added through the ORM (an acknowledgement's own Message-ID) is
forgotten by the look-ups, which then ask the store for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import bindparam, event, insert, select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.store.models import Message, MessageRef, TimelineEvent

_KEY: Final = "quotemaild.batch_writes"
# Values per look-up query: well under every engine's limit of bound parameters.
_CHUNK: Final = 500

_EVENTS = TimelineEvent.__table__
_REFS = MessageRef.__table__
_MESSAGES = Message.__table__
# Many rows, ids returned. Not `sort_by_parameter_order`: on SQLite (no sentinel it trusts) that
# means one statement per row again. A single INSERT numbers its rows in order on both engines
# (SQLAlchemy's own ordering on PostgreSQL rests on it too), so the ids sorted are in row order.
_INSERT_EVENTS = insert(_EVENTS).returning(_EVENTS.c.id)
_INSERT_REFS = insert(_REFS)
_PREFETCH = (
    select(_REFS.c.tenant_id, _REFS.c.value, _REFS.c.message_pk, _MESSAGES.c.request_id)
    .join(_MESSAGES, _MESSAGES.c.id == _REFS.c.message_pk)
    .where(_REFS.c.tenant_id == bindparam("tenant_id"), _REFS.c.value.in_(bindparam("values", expanding=True)))
)  # probes of the (tenant_id, value) unique index

RefKey = tuple[int, str]  # (tenant id, Message-ID or alias)


@dataclass
class Pending:
    """What a batch holds back, and what it knows of `message_refs`."""

    events: list[dict[str, Any]] = field(default_factory=list)
    event_data: list[dict[str, Any] | None] = field(default_factory=list)  # the change event's data
    refs: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[Any, dict[str, Any]]] = field(default_factory=list)  # (statement, parameters)
    found: dict[RefKey, tuple[int, int | None]] = field(default_factory=dict)  # -> (message pk, request)
    absent: set[RefKey] = field(default_factory=set)


def track(sessions: sessionmaker[Session]) -> None:
    """Pending rows go in before the session flushes ORM rows (registered before the change
    feed's listener, so the timeline ids are known when its events are written)."""
    event.listen(sessions, "before_flush", _before_flush)


@contextlib.contextmanager
def deferred(session: Session) -> Iterator[Pending]:
    """Hold back the rows above until the block ends (dropped if it raises: the caller rolls
    back). Use inside `changes.deferred`, which writes the timeline entries' change events."""
    pending = Pending()
    session.info[_KEY] = pending
    try:
        yield pending
        flush(session)
    finally:
        session.info.pop(_KEY, None)


def pending(session: Session) -> Pending | None:
    return session.info.get(_KEY)


def flush(session: Session) -> None:
    """Write what is held back, in the order it came: timeline entries, refs, updates."""
    held: Pending | None = session.info.get(_KEY)
    if held is None or not (held.events or held.refs or held.updates):
        return
    conn = session.connection()
    if held.events:
        events, data = held.events, held.event_data
        held.events, held.event_data = [], []
        ids = sorted(conn.execute(_INSERT_EVENTS, events).scalars().all())
        for event_id, change in zip(ids, data, strict=True):
            if change is not None:
                change["timeline_id"] = event_id
    if held.refs:
        refs, held.refs = held.refs, []
        conn.execute(_INSERT_REFS, refs)
    if held.updates:
        updates, held.updates = held.updates, []
        by_statement: dict[int, tuple[Any, list[dict[str, Any]]]] = {}
        for statement, params in updates:  # one execution per statement, each in its order
            by_statement.setdefault(id(statement), (statement, []))[1].append(params)
        for statement, many in by_statement.values():
            conn.execute(statement, many)


def add_event(session: Session, row: dict[str, Any], change_data: dict[str, Any] | None) -> bool:
    """Hold back a timeline entry; its id goes into `change_data["timeline_id"]` once written.
    False outside `deferred` (the caller writes it now)."""
    held: Pending | None = session.info.get(_KEY)
    if held is None:
        return False
    held.events.append(row)
    held.event_data.append(change_data)
    return True


def add_ref(session: Session, tenant_id: int, value: str, message_pk: int, request_id: int | None) -> bool:
    """Hold back the `message_refs` row of a message just stored (on request `request_id`) and
    answer look-ups of `value` with it. False outside `deferred`."""
    held: Pending | None = session.info.get(_KEY)
    if held is None:
        return False
    held.refs.append({"tenant_id": tenant_id, "value": value, "message_pk": message_pk})
    held.found[(tenant_id, value)] = (message_pk, request_id)
    held.absent.discard((tenant_id, value))
    return True


def add_update(session: Session, statement: Any, params: dict[str, Any]) -> bool:
    """Hold back an UPDATE or DELETE nothing in the batch reads back (a raw row marked processed,
    a request's read marks). Held-back statements run one after the other, each with all its
    parameter sets: they must not touch the same rows."""
    held: Pending | None = session.info.get(_KEY)
    if held is None:
        return False
    held.updates.append((statement, params))
    return True


def prefetch_refs(session: Session, wanted: Iterable[RefKey]) -> None:
    """Look up every (tenant, value) the batch will ask about: one query per tenant (per `_CHUNK`
    values), probing the unique index on (tenant_id, value)."""
    held: Pending | None = session.info.get(_KEY)
    if held is None:
        return
    keys = {key for key in wanted if key not in held.found}
    by_tenant: dict[int, list[str]] = {}
    for tenant_id, value in sorted(keys):
        by_tenant.setdefault(tenant_id, []).append(value)
    conn = session.connection()
    for tenant_id, values in by_tenant.items():
        for start in range(0, len(values), _CHUNK):
            chunk = {"tenant_id": tenant_id, "values": values[start : start + _CHUNK]}
            for found_tenant, value, message_pk, request_id in conn.execute(_PREFETCH, chunk):
                held.found[(found_tenant, value)] = (message_pk, request_id)
    held.absent |= {key for key in keys if key not in held.found}


def known_refs(session: Session, tenant_id: int, values: Iterable[str]) -> list[tuple[str, int, int | None]] | None:
    """(value, message pk, request id) of the `values` known to the tenant, in the order of the
    values (as the unique index returns them), from what the batch knows; None when it cannot
    tell for one of them: the caller asks the store (the held-back refs are written first)."""
    held: Pending | None = session.info.get(_KEY)
    if held is None:
        return None
    rows = []
    for value in sorted(set(values)):
        key = (tenant_id, value)
        hit = held.found.get(key)
        if hit is not None:
            rows.append((value, *hit))
        elif key not in held.absent:
            flush(session)
            return None
    return rows


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    held: Pending | None = session.info.get(_KEY)
    if held is None:
        return
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, MessageRef):  # written by the ORM: the store answers for it from now on
            held.found.pop((obj.tenant_id, obj.value), None)
            held.absent.discard((obj.tenant_id, obj.value))
    moved = {obj.id for obj in session.dirty if isinstance(obj, Message)}
    if moved:  # a message's request may have changed: ask the store about its refs
        for key in [key for key, (message_pk, _) in held.found.items() if message_pk in moved]:
            del held.found[key]
    flush(session)
