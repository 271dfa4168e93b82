"""A capturing SMTP server (aiosmtpd) on 127.0.0.1, port 0, in its own thread.

Stands in for "the daemon under test" or "the smarthost" in infrastructure tests. aiosmtpd's
``Controller`` cannot bind port 0 (its start-up trigger connects to the configured port), so this
runs ``loop.create_server`` on a private event loop in a thread and reads the real port back.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.net import LOOPBACK


@dataclass(frozen=True)
class CapturedMessage:
    """One message as the capture server received it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes
    peer: tuple


@dataclass
class _Handler:
    messages: list[CapturedMessage] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        msg = CapturedMessage(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            data=bytes(envelope.original_content or envelope.content or b""),
            peer=tuple(session.peer or ()),
        )
        with self.cond:
            self.messages.append(msg)
            self.cond.notify_all()
        return "250 2.0.0 OK captured"


class CaptureServer:
    """Threaded aiosmtpd server that keeps every message; use as a context manager.

    ``lmtp=True`` serves LMTP instead of SMTP (aiosmtpd's LMTP class); ``unix_path`` listens on a
    unix socket (mode 0666) instead of 127.0.0.1:0; ``smtputf8=True`` offers SMTPUTF8.
    """

    def __init__(
        self, host: str = LOOPBACK, *, lmtp: bool = False, unix_path: str | None = None, smtputf8: bool = False
    ) -> None:
        self.host = host
        self._smtputf8 = smtputf8  # offer SMTPUTF8 (RFC 6531), as a modern MTA does
        self.port = 0
        self.unix_path = unix_path
        self._lmtp = lmtp
        self._handler = _Handler()
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.AbstractServer | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="capture-smtp", daemon=True)

    @property
    def messages(self) -> list[CapturedMessage]:
        with self._handler.cond:
            return list(self._handler.messages)

    def wait_for(self, count: int = 1, timeout: float = 10.0) -> list[CapturedMessage]:
        """Block until at least ``count`` messages arrived; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        with self._handler.cond:
            while len(self._handler.messages) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(
                        f"capture server got {len(self._handler.messages)} of {count} messages in {timeout:.1f}s"
                    )
                self._handler.cond.wait(left)
            return list(self._handler.messages)

    def start(self) -> "CaptureServer":
        if self._lmtp:
            from aiosmtpd.lmtp import LMTP as proto
        else:
            proto = SMTP

        def factory():
            return proto(self._handler, hostname="capture.test", enable_SMTPUTF8=self._smtputf8)

        async def _serve() -> asyncio.AbstractServer:
            if self.unix_path:
                server = await self._loop.create_unix_server(factory, self.unix_path)
                os.chmod(self.unix_path, 0o666)  # Postfix's lmtp client runs as user postfix
                return server
            return await self._loop.create_server(factory, self.host, 0)

        self._thread.start()
        self._server = asyncio.run_coroutine_threadsafe(_serve(), self._loop).result(timeout=10)
        if not self.unix_path:
            self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            server = self._server
            self._server = None

            async def _close() -> None:
                server.close()
                await server.wait_closed()

            try:
                asyncio.run_coroutine_threadsafe(_close(), self._loop).result(timeout=10)
            except Exception:  # closing a test server must not mask the test's own failure
                pass
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        if not self._loop.is_closed() and not self._loop.is_running():
            self._loop.close()

    def __enter__(self) -> "CaptureServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture
def capture_factory():
    """Fixture: ``start(lmtp=False, unix_path=None) -> CaptureServer`` on 127.0.0.1:0; all stopped at teardown."""
    with ExitStack() as stack:
        yield lambda **kwargs: stack.enter_context(CaptureServer(**kwargs))
