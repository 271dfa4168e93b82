"""The SMTP/LMTP edges' cache of tenant slugs, checked at RCPT time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from quotemaild.errors import StoreUnavailable
from quotemaild.logs import get_logger

log = get_logger(__name__)


class DirectoryUnavailable(StoreUnavailable):
    """A slug missing from the cache could not be checked: the store did not answer in time.
    The RCPT gets a 451 (try again later), never a 550 for an address that may exist."""


class TenantDirectory:
    """Slug -> tenant id, cached; a miss reloads at most once per `min_reload` seconds.

    RCPT checks must not wait on the database for every address, yet a tenant added with the
    CLI a moment ago must be accepted without a restart.

    A miss reloads in a worker thread, never on the event loop: during a database outage a
    connect can hang for seconds, and every other session would hang with it. Concurrent misses
    share the one reload in flight; each waits at most `wait` seconds for it. A reload that failed
    (or is still running) makes misses answer `DirectoryUnavailable` until the next reload is
    allowed (`min_reload` after the last attempt), so an outage costs one attempt per interval,
    not one per RCPT; known slugs are answered from the cache throughout.
    """

    def __init__(self, load: Callable[[], dict[str, int]], min_reload: float = 1.0, wait: float = 2.0) -> None:
        self._load = load
        self._min_reload = min_reload
        self._wait = wait
        self._slugs: dict[str, int] = {}
        self._tried_at = float("-inf")  # the last reload attempt, successful or not
        self._healthy = True  # the last attempt succeeded
        self._inflight: asyncio.Future[None] | None = None

    def reload(self) -> None:
        """Read the directory now (blocking: start-up, SIGHUP in a thread, or the lookup's thread)."""
        self._tried_at = time.monotonic()
        try:
            slugs = self._load()
        except Exception:
            self._healthy = False
            raise
        self._slugs = slugs
        self._healthy = True

    def __len__(self) -> int:
        return len(self._slugs)

    async def lookup(self, slug: str) -> int | None:
        """The tenant id of `slug`, None if there is no such tenant; `DirectoryUnavailable` when a
        miss cannot be checked against the store now."""
        tenant_id = self._slugs.get(slug)
        if tenant_id is not None:
            return tenant_id
        if self._inflight is None and time.monotonic() - self._tried_at >= self._min_reload:
            self._inflight = asyncio.ensure_future(asyncio.to_thread(self.reload))
            self._inflight.add_done_callback(self._reload_done)
        if self._inflight is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._inflight), self._wait)
            except Exception as exc:  # a failed reload, or one still waiting on the database
                raise DirectoryUnavailable(f"tenant directory: {type(exc).__name__}: {exc}"[:300]) from exc
        elif not self._healthy:
            raise DirectoryUnavailable("tenant directory: the last reload failed")
        return self._slugs.get(slug)

    def _reload_done(self, done: asyncio.Future[None]) -> None:
        self._inflight = None
        if not done.cancelled() and done.exception() is not None:
            log.warning("tenant_reload_failed", error=f"{type(done.exception()).__name__}: {done.exception()}"[:300])
