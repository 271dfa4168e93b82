"""A client that leaves an event stream is not a server error.

FastAPI's `EventSourceResponse` feeds the response from a task group (a producer task and a
keepalive task). When the client disconnects, the request's exit stack closes the stream the
response reads *before* it cancels that task group; the keepalive task, caught handing over the
next event, raises anyio's `BrokenResourceError`, and the task group re-raises it as an
`ExceptionGroup` (FastAPI 0.165; reported upstream in fastapi discussion #15725). Starlette then
logs an ordinary disconnect during a busy stream as an unhandled error with a traceback, twice
(`http_unhandled`, and uvicorn's "Exception in ASGI application"). The soak found it: a seller
closing the inbox while mail arrives is routine, and must not page anyone.

`ClientGone` (ASGI middleware) swallows exactly that case: an exception whose every leaf is
anyio's `BrokenResourceError` or `ClosedResourceError`, raised after the response started (the
client got its headers; there is nobody left to answer). Anything else propagates unchanged.
"""

from __future__ import annotations

from typing import Any

import anyio

from quotemaild.logs import get_logger

log = get_logger(__name__)

_GONE = (anyio.BrokenResourceError, anyio.ClosedResourceError)


def only_closed_streams(exc: BaseException) -> bool:
    """Every leaf of `exc` (an exception or a nested exception group) is a closed anyio stream."""
    if isinstance(exc, BaseExceptionGroup):
        return all(only_closed_streams(e) for e in exc.exceptions)
    return isinstance(exc, _GONE)


class ClientGone:
    """ASGI middleware: a closed-stream error after the response started ends the request quietly."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except BaseException as exc:  # noqa: BLE001 - re-raised unless it is exactly the client leaving
            if not (started and only_closed_streams(exc)):
                raise
            log.debug("http_client_gone", path=str(scope.get("path", ""))[:200])
