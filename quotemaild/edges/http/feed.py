"""The event stream's source: `change_events` rows of one tenant, newest after a given id.

Rows are written by the commits that change data (`store/changes.py`), in any process. A stream
looks for new rows when woken and at least every `poll` seconds. `wake()` is the one seam for
faster news, safe from any thread: the API's own commits call it, the processing worker calls it
when a batch of this instance is committed, and on PostgreSQL the LISTEN/NOTIFY listener calls
it for commits of every process and instance on the database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.store.models import ChangeEvent

BATCH = 200


@dataclass(frozen=True)
class Change:
    id: int
    kind: str
    request_id: int | None
    at: str
    data: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "request_id": self.request_id, "at": self.at, **self.data}


class EventFeed:
    def __init__(self, readers: sessionmaker[Session], poll: float = 0.5) -> None:
        self._readers = readers
        self._poll = poll
        self._loop: asyncio.AbstractEventLoop | None = None
        self._news: asyncio.Event | None = None
        self.streams = 0  # open subscriptions (a stream whose client left must end)
        self._closed = False

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._news = asyncio.Event()

    def close(self) -> None:
        """The listener is stopping: every stream ends now, as a complete response, rather than
        being cut when the graceful-shutdown timeout runs out. Call on the feed's loop."""
        self._closed = True
        self._wake()

    def wake(self) -> None:
        """Something was committed: streams look now. Safe from any thread."""
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is shutting down
                self._loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        if self._news is not None:
            self._news.set()
            self._news = asyncio.Event()  # waiters keep the one that fired

    async def _wait(self) -> None:
        news = self._news
        if news is None:
            await asyncio.sleep(self._poll)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(news.wait(), self._poll)

    def last_id(self, tenant_id: int) -> int:
        with self._readers() as s:
            return int(s.scalar(select(func.max(ChangeEvent.id)).where(ChangeEvent.tenant_id == tenant_id)) or 0)

    def _fetch(self, tenant_id: int, after: int) -> list[Change]:
        with self._readers() as s:
            rows = s.scalars(select(ChangeEvent).where(ChangeEvent.tenant_id == tenant_id, ChangeEvent.id > after)
                             .order_by(ChangeEvent.id).limit(BATCH)).all()
            return [Change(r.id, r.kind, r.request_id, r.at.isoformat(), dict(r.data)) for r in rows]

    async def subscribe(self, tenant_id: int, after: int | None) -> AsyncIterator[Change]:
        """Changes after `after` (None: from now on), as they come, for ever."""
        last = after if after is not None else await asyncio.to_thread(self.last_id, tenant_id)
        self.streams += 1
        try:
            while not self._closed:
                changes = await asyncio.to_thread(self._fetch, tenant_id, last)
                for change in changes:
                    last = change.id
                    yield change
                if len(changes) < BATCH:
                    await self._wait()
        finally:
            self.streams -= 1
