"""Every place we reach into aiosmtpd beyond its public handler API, in one module.

aiosmtpd's documented extension point is the handler (`handle_MAIL`, `handle_RCPT`,
`handle_DATA`, `handle_exception`: see edges/smtp.py). What we need besides that overrides or
calls methods of its `SMTP` class that are not a stable API, so this module is pinned to the
versions we test: aiosmtpd >=1.4.6,<1.5 (pyproject.toml). Everything below was read against, or
copied from, aiosmtpd 1.4.6. tests/unit/test_aiosmtpd_pin.py fails when the installed version
leaves that range or when an upstream method listed in UPSTREAM_SOURCES changes its source;
tests/integration/test_aiosmtpd_parity.py plays the same client dialogues against stock
aiosmtpd and against us over loopback and asserts the same replies, or the difference we intend.

Overridden on `SMTP` (class QuotemailSMTP), each with why:
- `line_length_limit` (class attribute, upstream 1001): 1 MiB. Real mail (and Postfix) carries
  lines over RFC 5321's 1000 octets; refusing them would bounce real quote requests. The size
  limit still bounds the whole message. Intended difference: a 2,000-octet line gets 250, not 500.
- `_getaddr`: a regex fast path for plain `<local@domain>`, which nearly all mail has; upstream
  runs the email package's RFC 5322 parser on every MAIL FROM / RCPT TO (a fifth of our CPU under
  load). Anything else still goes to upstream's parser; same result (tests/unit/test_smtp_paths.py).
- `connection_made` / `connection_lost`: a session id per connection (log context), sessions
  counted per client address, and the set of open sessions the shutdown drain walks.
- `_handle_client`: before upstream's greeting, 421 when draining or when one address holds too
  many sessions (intended difference: upstream has neither).
- `push`: aiosmtpd's own replies without enhanced codes rewritten to ours (smtp_codes
  AIOSMTPD_REWRITES: 552 at MAIL FROM SIZE=); upstream's "500 Error: (Exc) text" becomes 451
  (never leak internals, never tell a sender to give up on mail we failed to handle); after any
  421 the transport is closed (RFC 5321 3.8).
- `smtp_DATA` (copied from 1.4.6 `SMTP.smtp_DATA`, same checks in the same order, same
  `@syntax("DATA")` for HELP): DATA read into one buffer by `smtp_data.read_data` instead of a
  list of lines (upstream holds a message four times over); our texts for too big (552 5.3.4)
  and line too long (500 5.5.2); an `in_data` flag for the drain; 421 after the reply while
  shutting down. Uses upstream's private `_reader`, `_writer`, `_call_handler_hook` and
  `_set_post_data_state`, whose sources are pinned in UPSTREAM_SOURCES too.

Overridden on `LMTP` (class QuotemailLMTP):
- `smtp_DATA` and `push`: upstream LMTP sends one reply after DATA whatever the number of
  recipients; RFC 2033 wants one per accepted recipient. Our handler returns those lines joined;
  aiosmtpd's own single-line DATA errors are repeated per recipient here.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import secrets
from typing import TYPE_CHECKING, Any

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import MISSING, SMTP, syntax

from quotemaild.edges import smtp_codes as codes
from quotemaild.edges.smtp_data import DataOutcome, read_data
from quotemaild.edges.smtp_session import bind, peer
from quotemaild.logs import get_logger

if TYPE_CHECKING:
    from quotemaild.edges.smtp import IngestHandler

log = get_logger(__name__)

# The aiosmtpd versions this module was checked against: from (inclusive) to (exclusive). Keep in
# step with the pin in pyproject.toml (a test compares the two).
TESTED_FROM, TESTED_BEFORE = (1, 4, 6), (1, 5)
# sha256 of `inspect.getsource` of each upstream method we override or whose private behaviour
# we rely on, as in aiosmtpd 1.4.6. A change means: re-read it, port it here, record the new digest.
UPSTREAM_SOURCES: dict[str, str] = {
    "SMTP._getaddr": "0aeb21c56ac1260e784e430a340459c83c23640a85965e7b8de3e1ada74d85f5",
    "SMTP.connection_made": "77a45df5065bba343a040b6f6c88de8907b40c80bc03727e7f18ede20d19f4bf",
    "SMTP.connection_lost": "d3bf6349bc3c25c1da222896000a041fae278d177036ffaea0cabc4cb9bc655b",
    "SMTP._handle_client": "0e4d096403af6c74c87b2fe722c213884e2140a9388e95feb05aec2f39e05556",
    "SMTP.push": "15f4f1de5e30c337e3df529f7b5794d3dd071f6c32ddf53bf21248c6e2277c48",
    "SMTP.handle_exception": "33be80d97d2d75ee2ad40cbf08ee45d49d1ab9f4b2ad1fb3b5c597dc8d735f22",
    "SMTP.smtp_DATA": "3a33f30d3fd6d02f39c7d78a08288bffea9170525b62e2161568041ae7e018df",
    "SMTP._call_handler_hook": "6ff23a6634ea03076444ef30df9fd65b01c4d52e9fda0bd3d99339aacc488d74",
    "SMTP._set_post_data_state": "1dc8a8abca2a81644a605b8ebf427fc7472eeadf5149dd3cf2591fa86b2256e9",
    "SMTP._cb_client_connected": "a73e95bb7f362ab9dbd9f0a4f310c203c525c0c98682dede6f98af4c97d15ad4",
    "LMTP": "0ac5be904f80eeac08416da022ec6983ef061f55e5e23810d50350da8873358e",
}

_session_ids = itertools.count(1)
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
PLAIN_PATH = re.compile(
    rf"[ \t]*<(?P<local>{_ATEXT}(?:\.{_ATEXT})*)@(?P<domain>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>[ \t]*(?P<rest>[^(]*)"
)


class QuotemailSMTP(SMTP):
    """aiosmtpd's SMTP with our reply texts, a session id per connection, and a drain switch."""

    line_length_limit = 1024 * 1024  # see the module docstring

    def __init__(self, handler: IngestHandler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._handler = handler

    in_data = False  # between the DATA command and our reply to it: the drain waits for these
    _client: str | None = None  # peer IP counted in handler.per_client

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        plain = PLAIN_PATH.fullmatch(arg)
        if plain is None or (self.local_part_limit and len(plain["local"]) > self.local_part_limit):
            return super()._getaddr(arg)
        return f"{plain['local']}@{plain['domain']}", plain["rest"]

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._handler.connections.add(self)
        address = transport.get_extra_info("peername")
        if isinstance(address, tuple) and address:
            self._client = str(address[0])
            self._handler.per_client[self._client] = self._handler.per_client.get(self._client, 0) + 1
        if self.session is not None:
            self.session.__dict__["sid"] = f"{os.getpid():x}-{next(_session_ids)}-{secrets.token_hex(2)}"

    def connection_lost(self, error: Exception | None) -> None:
        self._handler.connections.discard(self)
        if self._client is not None:
            left = self._handler.per_client.get(self._client, 1) - 1
            if left > 0:
                self._handler.per_client[self._client] = left
            else:
                self._handler.per_client.pop(self._client, None)
            self._client = None
        super().connection_lost(error)

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        self.in_data = True
        try:
            await self._data(arg)
        finally:
            self.in_data = False
        if not self._handler.accepting:
            self.close_with_421()  # shutting down: this transaction was answered, end the session

    async def _data(self, arg: str) -> None:
        """aiosmtpd 1.4.6's DATA command, with the data read into one buffer (`smtp_data.read_data`).

        The checks before the 354 and the handler call after the final dot are aiosmtpd's, in its
        order (decode_data is never set, see smtp_factory: the content is the bytes as received)."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        try:
            read = await read_data(self._reader, self.data_size_limit, self.line_length_limit)
        except asyncio.CancelledError:  # the connection went during DATA
            self._writer.close()
            raise
        if read.outcome is not DataOutcome.COMPLETE:
            await self.push(codes.MESSAGE_TOO_BIG if read.outcome is DataOutcome.TOO_MUCH else codes.LINE_TOO_LONG)
            self._set_post_data_state()
            return
        self.envelope.content = self.envelope.original_content = read.content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push("250 OK" if status is MISSING else status)

    def close_if_idle(self) -> bool:
        """Shutdown: end the session with 421 unless a DATA is in flight (that one ends itself)."""
        if self.in_data:
            return False
        self.close_with_421()
        return True

    def close_with_421(self) -> None:
        transport = self.transport
        if transport is not None and not transport.is_closing():
            self._handler.stats.reject("421")
            transport.write(codes.SHUTTING_DOWN.encode() + b"\r\n")
            transport.close()  # flushes the reply first

    async def push(self, status: Any) -> None:
        if isinstance(status, str):
            status = codes.AIOSMTPD_REWRITES.get(status, status)
            if status.startswith("500 Error: (") and self._handler is not None:
                status = codes.INTERNAL_TROUBLE
        await super().push(status)
        if isinstance(status, str) and status.startswith("421") and self.transport is not None:
            self.transport.close()  # 421 means we close the session (RFC 5321 3.8): do so

    async def _handle_client(self) -> None:
        if not self._handler.accepting:
            self._handler.stats.reject("421")
            await self.push(codes.SHUTTING_DOWN)
            self.transport.close()  # type: ignore[union-attr]
            return
        if (
            self._client is not None
            and self._handler.per_client.get(self._client, 0) > self._handler.limits.max_connections_per_client
        ):
            self._handler.stats.reject("421")
            log.warning("too_many_connections", peer=self._client)
            await self.push(codes.TOO_MANY_CONNECTIONS)
            self.transport.close()  # type: ignore[union-attr]
            return
        if self.session is not None:
            bind(self.session)
            log.info("connection_open", peer=peer(self.session))
        await super()._handle_client()


class QuotemailLMTP(QuotemailSMTP, LMTP):
    """LHLO instead of EHLO/HELO (from aiosmtpd's LMTP), our replies and drain switch (QuotemailSMTP)."""

    def __init__(self, handler: IngestHandler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._data_replies = 0  # after the 354: how many replies each DATA outcome needs

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        try:
            await super().smtp_DATA(arg)
        finally:
            self._data_replies = 0

    async def push(self, status: Any) -> None:
        if isinstance(status, str):
            if status.startswith("354"):
                self._data_replies = len(self.envelope.rcpt_tos) if self.envelope else 0
            elif self._data_replies > 1 and "\r\n" not in status:
                status = codes.AIOSMTPD_REWRITES.get(status, status)
                status = "\r\n".join([status] * self._data_replies)
        await super().push(status)
