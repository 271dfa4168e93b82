"""The SMTP edge: aiosmtpd served on the daemon's own event loop.

Recipients are checked at RCPT time (unknown 550 5.1.1, other domains 550 5.7.1: never a relay).
After DATA the raw bytes go to the group-commit writer, one copy per tenant addressed; the 250
is sent only when that commit has returned. Anything unexpected answers 451 4.3.0 so the sending
MTA retries: we never acknowledge mail we have not stored.

Only aiosmtpd's public handler API is used here; the protocol class, which overrides aiosmtpd's
private methods, lives in `aiosmtpd_overrides.py`.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from quotemaild.clock import Clock
from quotemaild.edges import smtp_codes as codes
from quotemaild.edges.aiosmtpd_overrides import PLAIN_PATH, QuotemailSMTP
from quotemaild.edges.smtp_session import bind as _bind
from quotemaild.edges.smtp_session import peer as _peer
from quotemaild.edges.tenant_directory import DirectoryUnavailable, TenantDirectory
from quotemaild.edges.writer import CommitWriter, RawInput
from quotemaild.errors import StoreUnavailable
from quotemaild.logs import get_logger
from quotemaild.mail.recipients import route_recipient
from quotemaild.mail.tokens import BOUNCE_LOCAL

log = get_logger(__name__)
_PLAIN_PATH = PLAIN_PATH  # the MAIL FROM / RCPT TO fast path lives with the other aiosmtpd overrides
__all__ = ["IngestHandler", "QuotemailSMTP", "SmtpLimits", "SmtpStats", "smtp_factory"]


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
