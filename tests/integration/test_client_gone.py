"""A client leaving a busy event stream ends the request quietly; every other error still propagates."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import anyio
import pytest
from fastapi import FastAPI
from fastapi.sse import EventSourceResponse, ServerSentEvent

from quotemaild.edges.http.client_gone import ClientGone, only_closed_streams


@pytest.mark.parametrize(("exc", "gone"), [
    (anyio.BrokenResourceError(), True),
    (anyio.ClosedResourceError(), True),
    (ExceptionGroup("tg", [anyio.BrokenResourceError()]), True),
    (ExceptionGroup("outer", [ExceptionGroup("inner", [anyio.ClosedResourceError()]), anyio.BrokenResourceError()]), True),
    (ExceptionGroup("tg", [anyio.BrokenResourceError(), ValueError("a bug")]), False),
    (ValueError("a bug"), False),
    (OSError("reset"), False),
    (asyncio.CancelledError(), False),
])
def test_only_closed_streams(exc, gone):
    assert only_closed_streams(exc) is gone


def _app(*, middleware: bool, fail_at: int | None = None) -> FastAPI:
    """An event stream that always has the next event ready (a busy tenant), as /api/v1/events."""
    app = FastAPI()

    @app.get("/events", response_class=EventSourceResponse)
    async def events() -> AsyncIterator[ServerSentEvent]:
        n = 0
        while True:
            n += 1
            if n == fail_at:
                raise ValueError("a bug in the stream")
            yield ServerSentEvent(event="message", id=str(n), data={"n": n})

    if middleware:
        app.add_middleware(ClientGone)
    return app


async def _read_then_leave(app: FastAPI, chunks: int = 5) -> list[dict]:
    """GET /events over ASGI; the client disconnects after `chunks` body messages."""
    sent: list[dict] = []
    gone = asyncio.Event()
    asked = False

    async def receive() -> dict:
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and len(sent) > chunks:
            gone.set()
        await asyncio.sleep(0)

    scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
             "method": "GET", "scheme": "http", "path": "/events", "raw_path": b"/events", "query_string": b"",
             "root_path": "", "headers": [(b"host", b"test")], "client": ("127.0.0.1", 1),
             "server": ("127.0.0.1", 80)}
    await asyncio.wait_for(app(scope, receive, send), 10)
    return sent


async def test_without_it_the_framework_raises_on_a_disconnect():
    """The reason ClientGone exists (FastAPI 0.165): when this starts failing, FastAPI fixed it upstream."""
    with pytest.raises(BaseExceptionGroup) as caught:
        for _ in range(20):
            await _read_then_leave(_app(middleware=False))
    assert only_closed_streams(caught.value)


async def test_a_client_leaving_a_busy_stream_is_not_an_error():
    for _ in range(20):
        sent = await _read_then_leave(_app(middleware=True))
        assert sent[0]["type"] == "http.response.start" and sent[0]["status"] == 200
        assert any(b"event: message" in m.get("body", b"") for m in sent[1:])


async def test_a_real_error_in_the_stream_still_propagates():
    with pytest.raises(BaseException) as caught:
        await _read_then_leave(_app(middleware=True, fail_at=3), chunks=50)
    assert not only_closed_streams(caught.value)
