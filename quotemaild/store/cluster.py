"""Several instances on one PostgreSQL database: who may do what, at the same moment.

    tenant_lock(session, tenant_id, scope)   until the transaction ends, one writer per tenant
                                             and scope (numbering, threading)
    cluster_job(engine, name)                a periodic job (retention, ...) runs on one instance
                                             at a time; the others skip their round
    skip_locked(select)                      a claim query that passes over rows another
                                             instance has claimed and not yet committed
    claim_pending(session, limit)            pending raw messages for one worker's batch

On PostgreSQL these are advisory locks and `FOR UPDATE SKIP LOCKED`. The server drops a lock
when the session holding it ends, so an instance that dies (kill -9, power) never leaves one
behind. On SQLite there is one daemon per database file (`store.lock`) and every write
transaction already holds the file's write lock (BEGIN IMMEDIATE), so all of them are no-ops
that always succeed.

Advisory lock keys: tenant locks use the two-int form (scope, tenant id); jobs and migrations
the one-bigint form. PostgreSQL keeps the two key spaces apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum
from typing import Any

from sqlalchemy import Engine, Select, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quotemaild.errors import StoreError


class Scope(IntEnum):
    """What a tenant lock serialises (the first key of the two-int advisory lock)."""

    NUMBERS = 0x716D_0001  # quote and customer numbers: read the highest, write the next
    THREADING = 0x716D_0002  # a message and its reply processed by two instances at once


class NumberTaken(StoreError):
    """A per-tenant number was written by someone else between our read and our insert.

    Cannot happen between quotemaild instances (they take `tenant_lock`); it means a writer
    outside quotemaild, or a number typed by hand that another user saved at the same moment."""

    def __init__(self, field: str, number: str) -> None:
        super().__init__(f"{field}: {number} was just taken by another writer; try again")
        self.field = field
        self.number = number


def is_server(bind: Any) -> bool:
    return bind.dialect.name == "postgresql"


def tenant_lock(session: Session, tenant_id: int, scope: Scope) -> None:
    """Wait for, then hold until commit or rollback, the tenant's lock of `scope` (PostgreSQL)."""
    if is_server(session.get_bind()):
        session.execute(text("SELECT pg_advisory_xact_lock(:scope, :tenant)"), {"scope": int(scope), "tenant": tenant_id})


@contextmanager
def numbers_unique(session: Session, field: str, number: str) -> Iterator[None]:
    """Flush the new row; a unique violation on its number becomes `NumberTaken`, not a raw
    IntegrityError (the caller's transaction is rolled back by the exception as usual)."""
    try:
        yield
        session.flush()
    except IntegrityError as exc:
        raise NumberTaken(field, number) from exc


def job_key(name: str) -> int:
    """A stable signed 64-bit advisory lock key for a job name."""
    return int.from_bytes(hashlib.sha256(f"quotemaild-job:{name}".encode()).digest()[:8], "big", signed=True)


@contextmanager
def cluster_job(engine: Engine, name: str) -> Iterator[bool]:
    """Yields True when this instance may run `name` now (it holds the job until the block ends),
    False when another instance is running it. Always True on SQLite."""
    if not is_server(engine):
        yield True
        return
    key = job_key(name)
    with engine.connect() as conn:
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()


def skip_locked(query: Select[Any]) -> Select[Any]:
    """`FOR UPDATE SKIP LOCKED` for a claim query (rendered on PostgreSQL; SQLite ignores it and
    its BEGIN IMMEDIATE already keeps claims apart)."""
    return query.with_for_update(skip_locked=True)


def claim_pending(session: Session, limit: int, received_before: Any = None) -> list[int]:
    """Ids of up to `limit` pending raw messages, locked by this transaction until it ends and
    passed over by every other claimer meanwhile (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite:
    the write transaction's lock). The seam for batch processing with several workers: claim,
    process and mark the batch in one transaction, and no two workers ever hold the same message."""
    from quotemaild.store.models import RawMessage  # models import nothing of this module

    query = select(RawMessage.id).where(RawMessage.state == "pending")
    if received_before is not None:
        query = query.where(RawMessage.received_at < received_before)
    return list(session.scalars(skip_locked(query.order_by(RawMessage.id).limit(limit))))
