"""Server-side forwards that keep the original From: recognise them and name the forwarder.

Signals (any one makes an auto-forward): Gmail's `X-Forwarded-For` / `X-Forwarded-To`,
`Resent-From` / `Resent-Sender`, Exchange's `X-MS-Exchange-Organization-AutoForwarded`,
`X-MS-Exchange-ForwardingLoop`, `X-MS-Exchange-Inbox-Rules-Loop`, a `Delivered-To` /
`X-Original-To` that is the tenant's own mailbox, To/Cc naming the tenant but not the proposals
address (a redirect), or an (SRS) envelope sender on the tenant's domain while From is not.

These headers only say *who forwarded*. They never become the requester (DESIGN.md: never the SRS
envelope, never Resent-From).
"""

from __future__ import annotations

import re

from quotemaild.mail.addresses import clean_email, parse_address_list, same_address
from quotemaild.mail.parse import ParsedMessage
from quotemaild.mail.tenant import TenantIdentity

_ADDR = re.compile(r"[^\s<>,;\"'()]+@[^\s<>,;\"'()]+")
_SRS = re.compile(r"^srs[01][=+-]", re.IGNORECASE)


def detect(
    msg: ParsedMessage, envelope_from: str | None, tenant: TenantIdentity
) -> tuple[str | None, list[str]]:
    """(forwarded_by, reasons). Empty reasons: not an auto-forward."""
    reasons: list[str] = []
    candidates: list[str] = []

    for name in ("X-Forwarded-For", "X-Forwarded-To"):
        values = msg.header_all(name)
        if values:
            reasons.append(f"{name} header")
            for value in values:
                candidates.extend(_emails(value))
    for name in ("Resent-From", "Resent-Sender"):
        found = [a.email for a in parse_address_list(msg.header(name) or "")]
        if found:
            reasons.append(f"{name} header")
            candidates.extend(found)
    if (msg.header("X-MS-Exchange-Organization-AutoForwarded") or "").strip().lower() == "true":
        reasons.append("X-MS-Exchange-Organization-AutoForwarded: true")
    for name in ("X-MS-Exchange-ForwardingLoop", "X-MS-Exchange-Inbox-Rules-Loop"):
        values = msg.header_all(name)
        if values:
            reasons.append(f"{name} header")
            for value in values:
                candidates.extend(_emails(value))
    for name in ("Delivered-To", "X-Original-To"):
        own = [e for v in msg.header_all(name) for e in _emails(v) if tenant.is_own(e)]
        if own:
            reasons.append(f"{name} is the tenant's mailbox")
            candidates.extend(own)
    recipients = [a.email for a in (*msg.to, *msg.cc)]
    own_rcpt = [e for e in recipients if tenant.is_own(e)]
    if own_rcpt and not any(tenant.is_proposals(e) for e in recipients):
        reasons.append("addressed to the tenant, not to the proposals address (redirect)")
        candidates.extend(own_rcpt)
    envelope = (envelope_from or "").strip().strip("<>")
    sender = msg.sender.email if msg.sender else ""
    if envelope and not same_address(envelope, sender):
        env_domain = envelope.rpartition("@")[2]
        if tenant.is_own("x@" + env_domain) and not tenant.is_own(sender or "x@invalid"):
            reasons.append(
                "SRS envelope sender on the tenant's domain"
                if _SRS.match(envelope)
                else "envelope sender on the tenant's domain"
            )
            if not _SRS.match(envelope):
                cleaned = clean_email(envelope)
                if cleaned:
                    candidates.append(cleaned)

    forwarded_by = next((c for c in candidates if tenant.is_own(c)), None)
    if forwarded_by is None:
        forwarded_by = next((c for c in candidates if not tenant.is_proposals(c)), None)
    return forwarded_by, reasons


def _emails(value: str) -> list[str]:
    out = []
    for token in _ADDR.findall(value):
        cleaned = clean_email(token.strip("."))
        if cleaned:
            out.append(cleaned)
    return out
