"""The RCPT-time tenant cache during a database outage: misses reload in a thread, never on the
event loop; a failed or hanging reload answers 'unavailable' (451), known slugs keep working."""

from __future__ import annotations

import asyncio
import threading

import pytest

from quotemaild.edges.tenant_directory import DirectoryUnavailable, TenantDirectory

pytestmark = pytest.mark.asyncio


class Store:
    """A loader over a dict that can be made to fail, or to hang until released."""

    def __init__(self, slugs: dict[str, int]) -> None:
        self.slugs = dict(slugs)
        self.down = False
        self.hang = threading.Event()
        self.hang.set()
        self.entered = threading.Event()
        self.calls = 0

    def load(self) -> dict[str, int]:
        self.calls += 1
        self.entered.set()
        self.hang.wait(30)
        if self.down:
            raise ConnectionError("connection refused")
        return dict(self.slugs)


async def test_a_new_tenant_is_found_after_a_reload_and_an_unknown_slug_is_none():
    store = Store({"acme": 1})
    d = TenantDirectory(store.load, min_reload=0)
    d.reload()
    store.slugs["nieuw"] = 2
    assert await d.lookup("nieuw") == 2
    assert await d.lookup("nobody") is None
    assert await d.lookup("acme") == 1


async def test_a_reload_hanging_on_the_database_does_not_block_the_loop():
    store = Store({"acme": 1})
    d = TenantDirectory(store.load, min_reload=0, wait=0.05)
    d.reload()
    store.hang.clear()  # the next reload waits, like a connect to a server that is gone
    miss = asyncio.ensure_future(d.lookup("nieuw"))
    await asyncio.to_thread(store.entered.wait, 10)
    # The reload sits in its thread: the loop still answers other sessions meanwhile.
    assert await d.lookup("acme") == 1
    with pytest.raises(DirectoryUnavailable):
        await miss
    with pytest.raises(DirectoryUnavailable):  # a second miss joins the reload in flight
        await d.lookup("other")
    assert store.calls == 2
    store.slugs["nieuw"] = 2
    store.hang.set()
    for _ in range(200):  # the reload finishes in its own time, and then the slug is known
        if len(d) == 2:
            break
        await asyncio.sleep(0.01)
    assert await d.lookup("nieuw") == 2


async def test_a_failed_reload_answers_unavailable_and_is_retried_at_most_once_per_interval():
    store = Store({"acme": 1})
    d = TenantDirectory(store.load, min_reload=3600)
    d.reload()
    d._tried_at = float("-inf")  # the interval since start-up has passed
    store.down = True
    with pytest.raises(DirectoryUnavailable):
        await d.lookup("nieuw")
    for slug in ("nieuw", "x", "y"):  # within the interval: no new attempt, still unavailable
        with pytest.raises(DirectoryUnavailable):
            await d.lookup(slug)
    assert store.calls == 2
    assert await d.lookup("acme") == 1  # the cache still serves known tenants
