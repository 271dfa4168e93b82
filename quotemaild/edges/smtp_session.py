"""Per-session helpers shared by the SMTP/LMTP handler and our aiosmtpd protocol classes."""

from __future__ import annotations

import structlog
from aiosmtpd.smtp import Session


def bind(session: Session) -> None:
    """Bind the session id (set when the connection opened) to the log context."""
    sid = session.__dict__.get("sid")
    if sid:
        structlog.contextvars.bind_contextvars(session_id=sid)


def peer(session: Session) -> str:
    """The client as `host:port` (or the unix socket's name), as stored with each raw message."""
    address = session.peer
    if isinstance(address, tuple) and len(address) >= 2:
        return f"{address[0]}:{address[1]}"
    return str(address or "")
