"""DKIM signing of outgoing mail (dkimpy). Pure: bytes and a key in, signed bytes out.

Mail from a tenant's proposals address is on our domain, so a signature with d=<that domain>
aligns with the From for DMARC.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import dkim

from quotemaild.errors import InvalidInput

# Headers worth protecting; the ones a relay may add later (Received, Return-Path) are left out.
SIGNED_HEADERS = (
    b"from", b"to", b"cc", b"subject", b"date", b"message-id", b"reply-to", b"in-reply-to",
    b"references", b"mime-version", b"content-type", b"content-transfer-encoding", b"auto-submitted",
)


@dataclass(frozen=True)
class DkimKey:
    domain: str
    selector: str
    private_key: bytes = field(repr=False)  # PEM


def dkim_sign(message: bytes, key: DkimKey) -> bytes:
    """The message with a DKIM-Signature header in front (relaxed/relaxed, rsa-sha256)."""
    try:
        header = dkim.sign(
            message,
            key.selector.encode(),
            key.domain.encode(),
            key.private_key,
            canonicalize=(b"relaxed", b"relaxed"),
            include_headers=[h for h in SIGNED_HEADERS if _has_header(message, h)],
        )
    except dkim.DKIMException as exc:
        raise InvalidInput("dkim", f"cannot sign: {exc}") from exc
    return header + message


def _has_header(message: bytes, name: bytes) -> bool:
    head = message.split(b"\r\n\r\n", 1)[0].lower()
    return head.startswith(name + b":") or (b"\r\n" + name + b":") in head
