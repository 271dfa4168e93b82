"""The LMTP edge (RFC 2033): the SMTP ingest path, with one reply per recipient after DATA.

Postfix `lmtp:` and Dovecot-style setups deliver over a unix or TCP socket. RCPT checks, limits,
durability (reply only after the commit) and the 451-on-trouble rule are those of the SMTP edge:
the handler is the same `IngestHandler`, with channel "lmtp". After DATA, LMTP wants one reply
line per accepted recipient in RCPT order; aiosmtpd sends whatever the handler returns, so the
handler returns those lines joined with CRLF. aiosmtpd's own single-line DATA errors (too big,
line too long) are repeated per recipient too, so a client never waits for replies that never come
(that protocol class, `QuotemailLMTP`, lives with the other aiosmtpd overrides).
"""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path

from aiosmtpd.smtp import SMTP, Envelope, Session

from quotemaild.edges import smtp_codes as codes
from quotemaild.edges.aiosmtpd_overrides import QuotemailLMTP, QuotemailSMTP
from quotemaild.edges.smtp import IngestHandler, SmtpLimits, smtp_factory
from quotemaild.edges.smtp_session import bind as _bind
from quotemaild.edges.smtp_session import peer as _peer
from quotemaild.errors import StoreUnavailable
from quotemaild.logs import get_logger

log = get_logger(__name__)
__all__ = ["LmtpHandler", "QuotemailLMTP", "lmtp_factory", "prepare_unix_socket"]


class LmtpHandler(IngestHandler):
    channel = "lmtp"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        _bind(session)
        by_tenant: dict[int, list[str]] = envelope.__dict__.get("tenants", {})
        if not by_tenant:
            return codes.NO_VALID_RECIPIENTS
        data = envelope.original_content or b""
        if isinstance(data, str):  # only with decode_data=True, which we never set
            data = data.encode("utf-8", "surrogateescape")
        rcpt_tenant = {addr: tenant_id for tenant_id, addrs in by_tenant.items() for addr in addrs}
        try:
            stored = await self.commit(
                data,
                mail_from=envelope.mail_from or "",
                by_tenant=by_tenant,
                peer=_peer(session),
                helo=session.host_name or "",
            )
        except StoreUnavailable:
            return "\r\n".join(codes.LMTP_STORE_TROUBLE.format(address=a) for a in envelope.rcpt_tos)
        except Exception as exc:  # never leave the client without its per-recipient replies
            log.error("lmtp_handler_error", error=type(exc).__name__, detail=str(exc)[:300])
            self.stats.reject("451")
            return "\r\n".join(codes.LMTP_STORE_TROUBLE.format(address=a) for a in envelope.rcpt_tos)
        return "\r\n".join(
            codes.LMTP_DELIVERED.format(address=a, raw_id=stored[rcpt_tenant[a]]) for a in envelope.rcpt_tos
        )


def lmtp_factory(
    handler: LmtpHandler, hostname: str, limits: SmtpLimits, timeout: float, max_commands: int
) -> Callable[[], QuotemailSMTP]:
    return smtp_factory(handler, hostname, limits, timeout, max_commands, QuotemailLMTP, "quotemaild LMTP")


def prepare_unix_socket(path: str) -> None:
    """Create the socket's directory; remove a stale socket left by an earlier run (never a file)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = os.lstat(p).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise FileExistsError(f"{path} exists and is not a socket")
    with socket.socket(socket.AF_UNIX) as probe:
        try:
            probe.connect(path)
        except OSError:
            p.unlink()  # nobody listens: left over from a crash
            return
    raise OSError(f"{path} is in use by another process")
