"""The pipeline's first hops: read a batch's raw messages, and prepare each one when its turn comes.

Reading is one read transaction for the whole batch (a reader never takes SQLite's write lock).
Preparing (parse and understand, `services.ingest.prepare`) is pure and CPU-bound, and is done
lazily, a message at a time (`Loaded.ready`): while the worker waits for its turn at the write lock
(`gate.background(meanwhile=...)`) it prepares the messages it will write next, instead of
sleeping through the wait and then preparing the whole batch before its first turn.

Memory stays bounded whatever the batch holds: the batch's bytes are read up front up to
LOAD_BYTES (a big message, and what lies beyond, is read when it is prepared), and the wait
prepares ahead only up to AHEAD_BYTES of messages not yet written.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.domain.raw_state import RawState
from quotemaild.errors import describe
from quotemaild.mail.tenant import TenantIdentity
from quotemaild.services.ingest import IngestSettings, Prepared, prepare, tenant_identity
from quotemaild.store.blobs import BIG_BYTES, read_big
from quotemaild.store.db import make_reader
from quotemaild.store.models import RawData, RawMessage, Tenant

# Raw bytes of a batch read up front at most; the rest is read message by message.
LOAD_BYTES: Final = 16 * 1024 * 1024
# Raw bytes of messages prepared ahead of the transaction that writes them, at most.
AHEAD_BYTES: Final = 8 * 1024 * 1024


@dataclass(eq=False)
class Loaded:
    """One raw message of a batch: read, then prepared once (or failed to be)."""

    raw_id: int
    tenant_id: int
    tenant_slug: str
    mail_from: str
    identity: TenantIdentity
    size: int
    data: bytes | None  # None until read (a big one, or beyond LOAD_BYTES), and once prepared
    read: Callable[[int], bytes]  # the raw bytes of a raw id, in a read transaction of its own
    prepared: Prepared | None = field(default=None)
    error: str | None = field(default=None)  # prepare raised: recorded as failed in the write hop
    released: bool = field(default=False)  # written: what it was parsed into is let go

    @property
    def ready(self) -> bool:
        return self.prepared is not None or self.error is not None or self.released

    def release(self) -> None:
        self.prepared, self.data, self.released = None, None, True

    def prepare(self, settings: IngestSettings) -> None:
        if self.ready:
            return
        # Store trouble while reading is not the message's fault: it propagates, and the
        # pipeline treats it as a failed transaction (each message again on its own).
        data = self.data if self.data is not None else self.read(self.raw_id)
        try:
            self.prepared = prepare(data, self.mail_from, self.identity, settings)
        except Exception as exc:  # bad mail or a bug in the pure part: recorded in the write hop
            self.error = describe(exc)
        self.data = None


class Preparing:
    """Prepares the next unprepared message of a batch, one per call: the gate's `meanwhile`.
    `loaded`: the messages not yet written, in order."""

    def __init__(self, loaded: Sequence[Loaded], settings: IngestSettings) -> None:
        self._todo = iter(loaded)
        self._settings = settings
        self._ahead = sum(one.size for one in loaded if one.ready)

    def __call__(self) -> bool:
        """Prepare one more; False when every message is prepared, or enough are ahead."""
        for one in self._todo:
            if one.ready:
                continue
            if self._ahead and self._ahead + one.size > AHEAD_BYTES:
                return False  # prepared when its transaction comes to it
            one.prepare(self._settings)
            self._ahead += one.size
            return True
        return False


def load_batch(sessions: sessionmaker[Session], raw_ids: Sequence[int], settings: IngestSettings) -> list[Loaded]:
    """The raw rows of `raw_ids` still pending, with their bytes and tenants, in id order; none
    prepared yet."""
    if not raw_ids:
        return []
    reader = make_reader(sessions.kw["bind"])

    def read(raw_id: int) -> bytes:
        with reader() as session:
            return read_big(session, RawData.data, raw_id) or b""

    size = func.coalesce(func.length(RawData.data), 0)
    rows: list[tuple[int, int, str, int, bytes | None]] = []
    identities: dict[int, tuple[str, TenantIdentity]] = {}
    with reader() as session:
        found = session.execute(
            select(RawMessage.id, RawMessage.tenant_id, RawMessage.mail_from, size)
            .outerjoin(RawData, RawData.raw_id == RawMessage.id)
            .where(RawMessage.id.in_(list(raw_ids)), RawMessage.state == RawState.PENDING)
            .order_by(RawMessage.id)
        ).all()
        # The bytes of the small ones, up to LOAD_BYTES, in a second query: a big message is read
        # on its own when it is prepared, without the extra copies of a SELECT. (Not one query with
        # a running total: the window's temporary rows would copy every big value.)
        upfront, total = [], 0
        for raw_id, _tenant_id, _mail_from, length in found:
            if length < BIG_BYTES and total + length <= LOAD_BYTES:
                upfront.append(raw_id)
                total += length
        data: dict[int, bytes] = {}
        if upfront:
            query = select(RawData.raw_id, RawData.data).where(RawData.raw_id.in_(upfront))
            data = {raw_id: value for raw_id, value in session.execute(query)}
        for raw_id, tenant_id, mail_from, length in found:
            small = data.get(raw_id)
            rows.append((raw_id, tenant_id, mail_from, length, bytes(small) if small is not None else None))
        for tenant in session.scalars(select(Tenant).where(Tenant.id.in_({r[1] for r in rows}))):
            identities[tenant.id] = (tenant.slug, tenant_identity(tenant, settings.domain))
    loaded = []
    for raw_id, tenant_id, mail_from, length, small in rows:
        slug, identity = identities[tenant_id]
        loaded.append(Loaded(raw_id, tenant_id, slug, mail_from, identity, length, small, read))
    return loaded
