"""The SMTP edge: aiosmtpd served on the daemon's own event loop.

Recipients are checked at RCPT time (unknown 550 5.1.1, other domains 550 5.7.1: never a relay).
After DATA the raw bytes go to the group-commit writer, one copy per tenant addressed; the 250
is sent only when that commit has returned. Anything unexpected answers 451 4.3.0 so the sending
MTA retries: we never acknowledge mail we have not stored.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from aiosmtpd.smtp import MISSING, SMTP, Envelope, Session

from quotemaild.clock import Clock
from quotemaild.edges import smtp_codes as codes
from quotemaild.edges.smtp_data import DataOutcome, read_data
from quotemaild.edges.tenant_directory import DirectoryUnavailable, TenantDirectory
from quotemaild.edges.writer import CommitWriter, RawInput
from quotemaild.errors import StoreUnavailable
from quotemaild.logs import get_logger
from quotemaild.mail.recipients import route_recipient
from quotemaild.mail.tokens import BOUNCE_LOCAL

log = get_logger(__name__)
_session_ids = itertools.count(1)
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_PLAIN_PATH = re.compile(
    rf"[ \t]*<(?P<local>{_ATEXT}(?:\.{_ATEXT})*)@(?P<domain>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)>[ \t]*(?P<rest>[^(]*)"
)


@dataclass(frozen=True)
class SmtpLimits:
    max_message_size: int
    max_recipients: int = 100
    max_unknown_recipients: int = 3  # refusals of unknown addresses before each one is slowed
    unknown_delay: float = 2.0  # the tarpit: seconds added to each refusal past that
    close_after_unknown: int = 10  # then 421 and close: an address prober
    max_connections_per_client: int = 50  # simultaneous sessions per peer IP address
    min_free_bytes: int = 0  # below this free disk space, 452 at MAIL FROM
    free_space_path: Path | None = None


@dataclass
class SmtpStats:
    accepted: int = 0
    rejected: dict[str, int] = field(default_factory=dict)

    def reject(self, code: str) -> None:
        self.rejected[code] = self.rejected.get(code, 0) + 1


class IngestHandler:
    """aiosmtpd handler hooks; also used by the LMTP edge."""

    channel = "smtp"

    def __init__(
        self,
        domain: str,
        tenants: TenantDirectory,
        writer: CommitWriter,
        limits: SmtpLimits,
        clock: Clock,
        bounce_tenant: Callable[[str], int | None] | None = None,
    ) -> None:
        self.domain = domain
        self.tenants = tenants
        # VERP bounce address (bounce+<outbox>.<mac>@domain) -> tenant id of that outbox row, or
        # None. Such an address names no tenant slug, yet the DSNs sent to it must be accepted.
        self.bounce_tenant = bounce_tenant
        self.writer = writer
        self.limits = limits
        self.clock = clock
        self.stats = SmtpStats()
        self.accepting = True
        self.connections: set[QuotemailSMTP] = set()  # open sessions, for the drain on shutdown
        # True while the processing backlog is over its limit (see edges/backpressure.py).
        self.refusing: Callable[[], bool] = lambda: False
        self.per_client: dict[str, int] = {}  # peer IP -> open sessions
        self._disk_checked_at = float("-inf")
        self._disk_ok = True

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        _bind(session)
        if self.refusing():
            self.stats.reject("451")
            return codes.BACKLOG_FULL
        if not self._disk_has_room():
            self.stats.reject("452")
            log.warning("disk_low", path=str(self.limits.free_space_path))
            return codes.DISK_LOW
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        envelope.__dict__["tenants"] = {}
        return codes.OK_SENDER

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        _bind(session)
        if len(envelope.rcpt_tos) >= self.limits.max_recipients:
            self.stats.reject("452")
            return codes.TOO_MANY_RECIPIENTS
        route = route_recipient(address, self.domain)
        if route.outcome == "invalid":
            return await self._refuse(session, "501", codes.BAD_RECIPIENT_SYNTAX.format(address=address))
        if route.outcome == "foreign":
            return await self._refuse(session, "550", codes.RELAY_DENIED.format(address=address))
        assert route.slug is not None
        tenant_id = None
        if route.slug == BOUNCE_LOCAL and route.tag is not None and self.bounce_tenant is not None:
            tenant_id = await asyncio.to_thread(self.bounce_tenant, address)
        if tenant_id is None:
            try:
                tenant_id = await self.tenants.lookup(route.slug)
            except DirectoryUnavailable as exc:  # the store is down: maybe later, not "no such user"
                self.stats.reject("451")
                log.warning("recipient_unchecked", error=str(exc))
                return codes.RECIPIENT_LOOKUP_TROUBLE
        if tenant_id is None:
            return await self._refuse(session, "550", codes.UNKNOWN_RECIPIENT.format(address=address))
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        envelope.__dict__.setdefault("tenants", {}).setdefault(tenant_id, []).append(address)
        return codes.OK_RECIPIENT

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        _bind(session)
        by_tenant: dict[int, list[str]] = envelope.__dict__.get("tenants", {})
        if not by_tenant:
            return codes.NO_VALID_RECIPIENTS
        data = envelope.original_content or b""
        if isinstance(data, str):  # only with decode_data=True, which we never set
            data = data.encode("utf-8", "surrogateescape")
        return await self.store(
            data,
            mail_from=envelope.mail_from or "",
            by_tenant=by_tenant,
            peer=_peer(session),
            helo=session.host_name or "",
        )

    async def store(
        self, data: bytes, mail_from: str, by_tenant: dict[int, list[str]], peer: str, helo: str
    ) -> str:
        try:
            stored = await self.commit(data, mail_from, by_tenant, peer, helo)
        except StoreUnavailable:
            return codes.STORE_TROUBLE
        return codes.OK_QUEUED.format(ids=",".join(map(str, stored.values())))

    async def commit(
        self, data: bytes, mail_from: str, by_tenant: dict[int, list[str]], peer: str, helo: str
    ) -> dict[int, int]:
        """Store one copy per tenant in one commit; returns tenant id -> raw id, or raises StoreUnavailable."""
        now = self.clock.now()
        items = [
            RawInput(
                tenant_id=tenant_id,
                received_at=now,
                channel=self.channel,
                mail_from=mail_from,
                rcpt_to=tuple(rcpts),
                peer=peer,
                helo=helo,
                data=data,
            )
            for tenant_id, rcpts in by_tenant.items()
        ]
        try:
            ids = await asyncio.wrap_future(self.writer.submit(items))
        except StoreUnavailable as exc:
            self.stats.reject("451")
            log.warning("store_unavailable", error=str(exc))
            raise
        self.stats.accepted += 1
        log.info("message_stored", raw_ids=ids, size=len(data), tenants=len(items), channel=self.channel)
        return dict(zip(by_tenant, ids, strict=True))

    async def handle_exception(self, error: Exception) -> str:
        # aiosmtpd would answer 500 with the exception text; we never leak internals and never
        # tell the sender to give up on mail we failed to handle.
        log.error("smtp_handler_error", error=type(error).__name__, detail=str(error)[:300])
        self.stats.reject("451")
        return codes.INTERNAL_TROUBLE

    async def _refuse(self, session: Session, code: str, reply: str) -> str:
        self.stats.reject(code)
        unknown = session.__dict__.get("unknown_rcpts", 0) + 1
        session.__dict__["unknown_rcpts"] = unknown
        log.info("recipient_refused", code=code)
        if unknown > self.limits.max_unknown_recipients:
            await asyncio.sleep(self.limits.unknown_delay)  # tarpit an address prober
        if unknown >= self.limits.close_after_unknown:
            # aiosmtpd sends a reply starting with 421 and then closes the session itself
            log.warning("address_probing", refused=unknown)
            self.stats.reject("421")
            return codes.TOO_MANY_UNKNOWN
        return reply

    def _disk_has_room(self) -> bool:
        path = self.limits.free_space_path
        if path is None or not self.limits.min_free_bytes:
            return True
        now = time.monotonic()
        if now - self._disk_checked_at > 1.0:
            try:
                self._disk_ok = shutil.disk_usage(path).free >= self.limits.min_free_bytes
            except OSError:
                self._disk_ok = True  # cannot tell: let the commit decide (451 on failure)
            self._disk_checked_at = now
        return self._disk_ok


class QuotemailSMTP(SMTP):
    """aiosmtpd's SMTP with our reply texts, a session id per connection, and a drain switch."""

    # RFC 5321 allows 1000 octets a line, but real mail (and Postfix) carries longer ones; refusing
    # them would bounce real quote requests. The size limit still bounds the whole message.
    line_length_limit = 1024 * 1024

    def __init__(self, handler: IngestHandler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._handler = handler

    in_data = False  # between the DATA command and our reply to it: the drain waits for these

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        # aiosmtpd parses every MAIL FROM and RCPT TO with the email package's RFC 5322 header
        # parser, a fifth of the daemon's CPU under load. A plain `<local@domain>` (dot-atom local
        # part, letters/digits/hyphens domain), as nearly all mail has, gives the same result from
        # a regex; anything else still goes to aiosmtpd's parser.
        plain = _PLAIN_PATH.fullmatch(arg)
        if plain is None or (self.local_part_limit and len(plain["local"]) > self.local_part_limit):
            return super()._getaddr(arg)
        return f"{plain['local']}@{plain['domain']}", plain["rest"]

    _client: str | None = None  # peer IP counted in handler.per_client

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._handler.connections.add(self)
        peer = transport.get_extra_info("peername")
        if isinstance(peer, tuple) and peer:
            self._client = str(peer[0])
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

    async def smtp_DATA(self, arg: str) -> None:
        self.in_data = True
        try:
            await self._data(arg)
        finally:
            self.in_data = False
        if not self._handler.accepting:
            self.close_with_421()  # shutting down: this transaction was answered, end the session

    async def _data(self, arg: str) -> None:
        """aiosmtpd's DATA command, with the data read into one buffer (`smtp_data.read_data`).

        aiosmtpd holds a message four times over while reading it; the checks before the 354 and
        the handler call after the final dot are aiosmtpd's, in its order."""
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
        # decode_data is never set (smtp_factory): the content is the bytes as received.
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
        if self._client is not None and self._handler.per_client.get(self._client, 0) > self._handler.limits.max_connections_per_client:
            self._handler.stats.reject("421")
            log.warning("too_many_connections", peer=self._client)
            await self.push(codes.TOO_MANY_CONNECTIONS)
            self.transport.close()  # type: ignore[union-attr]
            return
        if self.session is not None:
            _bind(self.session)
            log.info("connection_open", peer=_peer(self.session))
        await super()._handle_client()


def smtp_factory(
    handler: IngestHandler,
    hostname: str,
    limits: SmtpLimits,
    timeout: float,
    max_commands: int,
    protocol: type[QuotemailSMTP] | None = None,
    ident: str = "quotemaild ESMTP",
) -> Callable[[], QuotemailSMTP]:
    """Protocol instances for `loop.create_server`; the LMTP edge passes its own protocol class."""
    cls = protocol or QuotemailSMTP

    def make() -> QuotemailSMTP:
        return cls(
            handler,
            hostname=hostname,
            ident=ident,
            data_size_limit=handler.limits.max_message_size,  # SIGHUP may change it
            enable_SMTPUTF8=True,
            decode_data=False,
            timeout=timeout,
            command_call_limit=max_commands,
        )

    return make


def _bind(session: Session) -> None:
    sid = session.__dict__.get("sid")
    if sid:
        structlog.contextvars.bind_contextvars(session_id=sid)


def _peer(session: Session) -> str:
    peer = session.peer
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer or "")
