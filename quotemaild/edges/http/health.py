"""/healthz: is the store reachable, are we accepting mail, are the workers alive, how deep the queues."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

HTTP_OK = 200
HTTP_UNAVAILABLE = 503
STORE_PING_TIMEOUT = 3.0


@dataclass
class HealthSources:
    store_ping: Callable[[], None]  # blocking; raises when the store cannot answer
    accepting: Callable[[], bool]
    workers: Callable[[], dict[str, bool]]  # thread name -> alive
    queues: Callable[[], dict[str, int]]  # may query the store: run in a thread
    # Reasons the daemon runs but cannot do all its work (e.g. no smarthost): status "degraded".
    degraded: Callable[[], list[str]] = lambda: []
    # blocking; the backend and, on PostgreSQL, the server's role and replication lag
    store_role: Callable[[], dict[str, Any]] = lambda: {}
    backpressure: Callable[[], dict[str, Any]] | None = None  # {"active": bool, "backlog", "limit"}


async def health(sources: HealthSources) -> tuple[int, dict[str, Any]]:
    store: dict[str, Any] = {"ok": True}
    try:
        await asyncio.wait_for(asyncio.to_thread(sources.store_ping), STORE_PING_TIMEOUT)
    except TimeoutError:
        store = {"ok": False, "error": f"no answer within {STORE_PING_TIMEOUT:g}s"}
    except Exception as exc:  # any driver error means: not reachable
        store = {"ok": False, "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    if store["ok"]:
        try:
            store.update(await asyncio.wait_for(asyncio.to_thread(sources.store_role), STORE_PING_TIMEOUT))
        except Exception:  # noqa: BLE001 - informative only: the ping above decides health
            pass
    workers = sources.workers()
    try:
        queues = await asyncio.wait_for(asyncio.to_thread(sources.queues), STORE_PING_TIMEOUT)
    except Exception as exc:  # the store is in trouble: say so once
        queues = {}
        store = store if not store["ok"] else {"ok": False, "error": f"queues: {type(exc).__name__}: {str(exc)[:200]}"}
    accepting = sources.accepting()
    pressure = sources.backpressure() if sources.backpressure is not None else None
    refusing = bool(pressure and pressure["active"])  # new mail gets 451 4.3.2 for now
    ok = store["ok"] and accepting and all(workers.values()) and not refusing
    # Degraded is still 200: mail is accepted and kept, a load balancer must not pull us; the
    # status and the reasons tell monitoring that something cannot leave.
    degraded = sources.degraded() if ok else []
    body = {
        "status": ("degraded" if degraded else "ok") if ok else ("backpressure" if refusing else "unavailable"),
        "accepting": accepting,
        "store": store,
        "workers": workers,
        "queues": queues,
        **({"backpressure": pressure} if pressure is not None else {}),
    }
    if degraded:
        body["degraded"] = degraded
    return (HTTP_OK if ok else HTTP_UNAVAILABLE), body
