"""Who really asked: provenance and requester of one inbound message (DESIGN.md "Who asked").

Pure: `understand(msg, envelope_from, tenant)` takes values and returns a frozen `Understanding`.

Identity rules (DESIGN.md, lessons from FreeScout #290/#1177/#2813 and Zammad #1278):
- The requester is replaced by an address from the body only when the sender is the tenant (one
  of its own addresses or domains) AND a forward block parses (or a single message/rfc822 is
  attached); the tenant's address is kept as `forwarded_by`. Blocks whose sender is the tenant's
  own are skipped (a colleague forwarding a colleague's forward).
- A tenant mail to a customer that copies the proposals address is `bcc`: requester = first
  external To (then Cc).
- Otherwise: From, unless it is the tenant's own or a known forwarder; then X-Original-From /
  X-Original-Sender (Google Groups); then Reply-To. A From that only takes no replies (web forms,
  no-reply senders) yields to Reply-To. Never the (SRS) envelope sender, never Resent-From.
- Display names with CR/LF/NUL or '@' never reach an `Address` (addresses.py drops them).

`reply` provenance: `understand` cannot know that threading joined an existing request; the
caller marks it with `as_reply(understanding)` after threading.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from quotemaild.mail import autoforward
from quotemaild.mail.addresses import Address, parse_address_list
from quotemaild.mail.body import display_body, html_to_text, split_quoted
from quotemaild.mail.bounce import BounceInfo
from quotemaild.mail.classify import BOUNCE, SYSTEM, classify
from quotemaild.mail.forward import (
    ForwardedBlock,
    ForwardParse,
    parse_forward,
    reveal_mailto,
    strip_banner,
    strip_subject_prefixes,
)
from quotemaild.mail.no_reply import robot_sender
from quotemaild.mail.parse import ParsedMessage, parse_message
from quotemaild.mail.robot import RobotScore
from quotemaild.mail.system_mail import SystemInfo
from quotemaild.mail.tenant import TenantIdentity

class Provenance(StrEnum):
    """How a message reached us (`messages.provenance`); the values are what the store holds."""

    DIRECT = "direct"
    AUTO_FORWARD = "auto_forward"
    MANUAL_FORWARD = "manual_forward"
    BCC = "bcc"
    REPLY = "reply"
    SYSTEM = "system"


DIRECT, AUTO_FORWARD, MANUAL_FORWARD, BCC, REPLY, SYSTEM_PROVENANCE = Provenance
PROVENANCES = tuple(Provenance)


@dataclass(frozen=True)
class Understanding:
    kind: str  # human | bounce | auto_reply | out_of_office | bulk | system
    kind_reasons: tuple[str, ...]
    provenance: str  # direct | auto_forward | manual_forward | bcc | reply | system
    provenance_reasons: tuple[str, ...]
    requester: Address | None
    requester_confidence: float  # 0..1; below ~0.5 only suggest, let the user correct
    forwarded_by: str | None
    original_subject: str | None  # the request's subject: the original's for forwards
    original_date: dt.datetime | None
    preamble: str | None  # the forwarder's own comment above the forward
    bounce: BounceInfo | None
    system: SystemInfo | None
    display_text: str  # new text, quoted history removed (the original's text for forwards)
    quoted_text: str
    robot: RobotScore | None = None  # content-only robot score; ingest adds the store's context


def as_reply(understanding: Understanding) -> Understanding:
    """Mark a message that threading joined to an existing request (caller-side knowledge)."""
    return dataclasses.replace(
        understanding,
        provenance=REPLY,
        provenance_reasons=(*understanding.provenance_reasons, "joined an existing request"),
    )


def understand(msg: ParsedMessage, envelope_from: str, tenant: TenantIdentity) -> Understanding:
    """Kind, provenance and requester of one inbound message. Pure; never raises on odd mail."""
    body = display_body(msg)
    verdict = classify(msg, envelope_from, text=body.text)
    base = Understanding(
        kind=verdict.kind,
        kind_reasons=verdict.reasons,
        provenance=DIRECT,
        provenance_reasons=(),
        requester=None,
        requester_confidence=0.0,
        forwarded_by=None,
        original_subject=msg.subject or None,
        original_date=msg.date,
        preamble=None,
        bounce=verdict.bounce,
        system=verdict.system,
        display_text=strip_banner(body.text),  # Exchange's first-contact banner is not the sender's words
        quoted_text=body.quoted,
        robot=verdict.robot,
    )
    if verdict.kind == SYSTEM:
        return dataclasses.replace(
            base, provenance=SYSTEM_PROVENANCE, provenance_reasons=("provider set-up mail",)
        )
    if verdict.kind == BOUNCE:
        return dataclasses.replace(
            base, provenance_reasons=("bounce: the sender is a mail system, no requester",)
        )

    sender = msg.sender
    if sender is not None and tenant.is_own(sender.email):
        return _from_tenant(msg, sender, tenant, base)

    forwarded_by, forward_reasons = autoforward.detect(msg, envelope_from, tenant)
    requester, confidence, reasons = _identity(msg, tenant)
    if forwarded_by is not None or forward_reasons:
        return dataclasses.replace(
            base,
            provenance=AUTO_FORWARD,
            provenance_reasons=(*forward_reasons, *reasons),
            requester=requester,
            requester_confidence=min(confidence, 0.85),
            forwarded_by=forwarded_by,
        )
    return dataclasses.replace(
        base,
        provenance_reasons=tuple(reasons),
        requester=requester,
        requester_confidence=confidence,
    )


def _from_tenant(
    msg: ParsedMessage, sender: Address, tenant: TenantIdentity, base: Understanding
) -> Understanding:
    relayed = _relayed_original(msg, tenant)
    if relayed is not None:
        # A forwarding service rewrote From to the tenant's own address and said who wrote.
        requester, header = relayed
        return dataclasses.replace(
            base,
            provenance=AUTO_FORWARD,
            provenance_reasons=(f"From {sender.email} is the tenant's own; the customer is in {header}",),
            requester=requester,
            requester_confidence=0.8,
            forwarded_by=sender.email,
        )
    forward = _best_forward(msg, tenant)
    attached = _single_attached_message(msg)
    if forward is None and attached is not None:
        return _from_attachment(msg, sender, tenant, base, attached)
    if forward is not None:
        return _from_forward(msg, sender, tenant, base, forward)

    external = [
        a for a in (*msg.to, *msg.cc) if not tenant.is_own(a.email) and not tenant.is_proposals(a.email)
    ]
    if external:
        in_to = any(tenant.is_proposals(a.email) for a in msg.to)
        return dataclasses.replace(
            base,
            provenance=BCC,
            provenance_reasons=(
                "sender is the tenant and the mail goes to an external recipient",
                "proposals address in To" if in_to else "proposals address copied (Cc/Bcc)",
            ),
            requester=external[0],
            requester_confidence=0.6 if in_to else 0.75,
            forwarded_by=sender.email,
        )
    reply_to = next((a for a in msg.reply_to if _usable(a, tenant)), None)
    if reply_to is not None:
        # Power Automate, shared-inbox rules and the like: From rewritten, the customer in Reply-To.
        return dataclasses.replace(
            base,
            provenance=AUTO_FORWARD,
            provenance_reasons=(f"From {sender.email} is the tenant's own; the customer is in Reply-To",),
            requester=reply_to,
            requester_confidence=0.6,
            forwarded_by=sender.email,
        )
    return dataclasses.replace(
        base,
        provenance_reasons=("sender is the tenant; no forward block, no external recipient",),
        forwarded_by=sender.email,
    )


def _relayed_original(msg: ParsedMessage, tenant: TenantIdentity) -> tuple[Address, str] | None:
    for name in ("X-Original-From", "X-Original-Sender"):
        for candidate in parse_address_list(msg.header(name) or ""):
            if _usable(candidate, tenant):
                return candidate, name
    return None


def _best_forward(msg: ParsedMessage, tenant: TenantIdentity) -> ForwardParse | None:
    """The forward in the text part; the HTML (mailto: links revealed) when text gives no address."""
    forward = parse_forward(msg.text, msg.subject) if msg.text.strip() else None
    if forward is not None and _outside_block(forward, tenant) is not None:
        return forward
    if msg.html:
        from_html = parse_forward(html_to_text(reveal_mailto(msg.html)), msg.subject)
        if from_html is not None and (forward is None or _outside_block(from_html, tenant) is not None):
            return from_html
    return forward


def _outside_block(forward: ForwardParse, tenant: TenantIdentity) -> ForwardedBlock | None:
    """The requester's block: the first outside sender's, or deeper while that block forwards another.

    Staff forwarding staff forwarding a customer: the staff blocks are skipped. A customer's
    colleague forwarding the customer's mail ("Fwd:" in that block's subject): the innermost
    outside sender asked. A reply chain quoted inside the customer's mail is not followed.
    """
    outside = [
        b
        for b in forward.blocks
        if b.sender is not None and not tenant.is_own(b.sender.email) and not tenant.is_proposals(b.sender.email)
    ]
    if not outside:
        return None
    chosen = outside[0]
    for block in outside[1:]:
        if not chosen.forwarded:
            break
        chosen = block
    return chosen


def _from_forward(
    msg: ParsedMessage,
    sender: Address,
    tenant: TenantIdentity,
    base: Understanding,
    forward: ForwardParse,
) -> Understanding:
    outer_subject = strip_subject_prefixes(msg.subject) or None
    chosen = _outside_block(forward, tenant)
    reasons = [f"sender is the tenant; manual forward ({forward.marker})"]
    block = chosen or forward.blocks[0]
    new, quoted = split_quoted(strip_banner(block.body))
    if chosen is None:
        reasons.append("no forwarded block names a sender outside the tenant")
        confidence = 0.0
    else:
        confidence = 0.9 if "subject" in forward.marker else 0.8
        if "header block" in forward.marker:
            confidence = 0.6
        if len(forward.blocks) > 1:
            reasons.append(f"{len(forward.blocks)} nested forwards; the customer's block taken")
    return dataclasses.replace(
        base,
        provenance=MANUAL_FORWARD,
        provenance_reasons=tuple(reasons),
        requester=chosen.sender if chosen else None,
        requester_confidence=confidence,
        forwarded_by=sender.email,
        original_subject=block.subject or outer_subject,
        original_date=block.date,
        preamble=forward.preamble,
        display_text=new,
        quoted_text=quoted,
    )


def _from_attachment(
    msg: ParsedMessage,
    sender: Address,
    tenant: TenantIdentity,
    base: Understanding,
    attached: ParsedMessage,
) -> Understanding:
    original = attached.sender
    usable = (
        original is not None and not tenant.is_own(original.email) and not tenant.is_proposals(original.email)
    )
    inner = display_body(attached)
    preamble = base.display_text.strip() or None
    return dataclasses.replace(
        base,
        provenance=MANUAL_FORWARD,
        provenance_reasons=(
            "sender is the tenant; a single message/rfc822 is attached",
            *(() if usable else ("the attached message is from the tenant itself",)),
        ),
        requester=original if usable else None,
        requester_confidence=0.95 if usable else 0.0,
        forwarded_by=sender.email,
        original_subject=strip_subject_prefixes(attached.subject) or attached.subject or None,
        original_date=attached.date,
        preamble=preamble,
        display_text=inner.text,
        quoted_text=inner.quoted,
    )


def _single_attached_message(msg: ParsedMessage) -> ParsedMessage | None:
    rfc822 = [a for a in msg.attachments if a.content_type == "message/rfc822"]
    if len(rfc822) != 1 or not rfc822[0].data:
        return None
    try:
        return parse_message(rfc822[0].data)
    except Exception:  # parse_message does not raise by contract; stay safe anyway
        return None


def _identity(msg: ParsedMessage, tenant: TenantIdentity) -> tuple[Address | None, float, list[str]]:
    """Requester of a non-forward: From, X-Original-From/-Sender, then Reply-To."""
    sender = msg.sender
    reply_to = next((a for a in msg.reply_to if _usable(a, tenant)), None)
    if sender is not None and _usable(sender, tenant) and not tenant.is_forwarder(sender.email):
        if robot_sender(sender.local) is not None and reply_to is not None:
            return reply_to, 0.7, [f"From {sender.email} takes no replies; Reply-To used"]
        return sender, 0.9, ["From"]
    if sender is not None and tenant.is_forwarder(sender.email):
        reason = f"From {sender.email} is a known forwarder"
    elif sender is not None:
        reason = f"From {sender.email} is not usable"
    else:
        reason = "no usable From"
    for name in ("X-Original-From", "X-Original-Sender"):
        for candidate in parse_address_list(msg.header(name) or ""):
            if _usable(candidate, tenant):
                return candidate, 0.8, [reason, name]
    if reply_to is not None:
        return reply_to, 0.6, [reason, "Reply-To"]
    return None, 0.0, [reason, "no other identity header"]


def _usable(address: Address, tenant: TenantIdentity) -> bool:
    return not tenant.is_own(address.email) and not tenant.is_proposals(address.email)
