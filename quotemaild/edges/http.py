"""The daemon's small HTTP listener: /healthz, /metrics, the quote links (the JSON API will grow here).

FastAPI served by uvicorn on the daemon's own event loop, on a socket we bind ourselves before
READY=1 (so port 0 works and the address is known). uvicorn's own signal handling is switched off:
the daemon owns SIGTERM/SIGHUP.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from quotemaild.config import Listen
from quotemaild.edges.metrics import Metrics
from quotemaild.edges.quote_links import QuoteLinks, router
from quotemaild.logs import get_logger

log = get_logger(__name__)

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


async def health(sources: HealthSources) -> tuple[int, dict[str, Any]]:
    store: dict[str, Any] = {"ok": True}
    try:
        await asyncio.wait_for(asyncio.to_thread(sources.store_ping), STORE_PING_TIMEOUT)
    except TimeoutError:
        store = {"ok": False, "error": f"no answer within {STORE_PING_TIMEOUT:g}s"}
    except Exception as exc:  # any driver error means: not reachable
        store = {"ok": False, "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
    workers = sources.workers()
    try:
        queues = await asyncio.wait_for(asyncio.to_thread(sources.queues), STORE_PING_TIMEOUT)
    except Exception as exc:  # the store is in trouble: say so once
        queues = {}
        store = store if not store["ok"] else {"ok": False, "error": f"queues: {type(exc).__name__}: {str(exc)[:200]}"}
    accepting = sources.accepting()
    ok = store["ok"] and accepting and all(workers.values())
    # Degraded is still 200: mail is accepted and kept, a load balancer must not pull us; the
    # status and the reasons tell monitoring that something cannot leave.
    degraded = sources.degraded() if ok else []
    body = {
        "status": ("degraded" if degraded else "ok") if ok else "unavailable",
        "accepting": accepting,
        "store": store,
        "workers": workers,
        "queues": queues,
    }
    if degraded:
        body["degraded"] = degraded
    return (HTTP_OK if ok else HTTP_UNAVAILABLE), body


def create_app(sources: HealthSources, metrics: Metrics, quote_links: QuoteLinks | None = None) -> FastAPI:
    """The app; with `quote_links`, also the accept/reject pages of quote mails (`/q/...`)."""
    app = FastAPI(title="quotemaild", docs_url=None, redoc_url=None, openapi_url=None)
    if quote_links is not None:
        app.include_router(router(quote_links))

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        code, body = await health(sources)
        return JSONResponse(body, status_code=code)

    @app.get("/metrics")
    async def metrics_endpoint() -> Response:
        return Response(await asyncio.to_thread(metrics.render), media_type=CONTENT_TYPE_LATEST)

    return app


class _Server(uvicorn.Server):
    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()  # the daemon handles signals


class HttpServer:
    def __init__(self, app: FastAPI, listen: Listen) -> None:
        self._sock = bind(listen)
        self._unix_path = listen.unix_path
        name = self._sock.getsockname()
        self.address = f"{name[0]}:{name[1]}" if isinstance(name, tuple) else f"unix:{name}"
        self._server = _Server(
            uvicorn.Config(app, log_config=None, access_log=False, lifespan="off", timeout_graceful_shutdown=2)
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self._sock]), name="http")
        while not self._server.started:
            if self._task.done():
                self._task.result()  # raises what made it fail
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(Exception):
            await self._task
        self._sock.close()
        if self._unix_path:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._unix_path)  # a unix socket we bound: leave no stale file behind


def bind(listen: Listen) -> socket.socket:
    if listen.unix_path:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(listen.unix_path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind(listen.unix_path)
        sock.listen(64)
        return sock
    family = socket.AF_INET6 if ":" in listen.host else socket.AF_INET
    return socket.create_server((listen.host, listen.port), family=family, backlog=64)

