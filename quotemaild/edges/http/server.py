"""The daemon's HTTP listener: the socket and the uvicorn server around the app (`app.py`).

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

import uvicorn
from fastapi import FastAPI

from quotemaild.config import Listen


class _Server(uvicorn.Server):
    def capture_signals(self) -> contextlib.AbstractContextManager[None]:  # type: ignore[override]
        return contextlib.nullcontext()  # the daemon handles signals


class HttpServer:
    def __init__(self, app: FastAPI, listen: Listen, before_stop: Callable[[], None] | None = None) -> None:
        """`before_stop`: what must end long-lived responses (the event feed's `close`)."""
        self.app = app
        self._before_stop = before_stop
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
        if self._before_stop is not None:
            self._before_stop()
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
    # proto=IPPROTO_TCP, not the 0 of socket.create_server: asyncio switches Nagle off
    # (TCP_NODELAY) only on accepted sockets whose proto says TCP. With Nagle on, a response
    # written in two parts (head, body) waited for the client's delayed ACK: ~40 ms per request
    # on a kept-alive connection.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((listen.host, listen.port))
        sock.listen(64)
    except OSError:
        sock.close()
        raise
    return sock

