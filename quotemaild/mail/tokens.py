"""Signed tokens that let mail and links find their way back: values in, values out.

Every token carries a truncated HMAC-SHA256 (key = the config secret) over a purpose, the tenant id
and the ids it names, so a token minted for one tenant or one purpose never verifies for another.
The MAC is 16 lowercase base32 characters (80 bits): short, and safe when an MTA lowercases a
local part. Verification folds case, compares in constant time and returns the ids or None.

    reply address    slug+r<request>.<mac>@domain          (Reply-To in `tenant` sender mode)
    Message-ID       <q.<request>.<message>.<mac>@domain>   (our own outbound ids)
    bounce address   bounce+<outbox>.<mac>@domain            (VERP Return-Path; not tenant-bound:
                                                               a bounce arrives at no tenant)
    body marker      [ref:r<request>.<mac>]                  (for clients that drop References)
    quote link path  /q/<quote>/<action>/<mac>               (accept / reject)

The tenant is identified by its numeric id (stable; a slug may be renamed). The slug in a reply
address only routes; the MAC still binds the request to the tenant id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass, field

MAC_LEN = 16
QUOTE_ACTIONS = ("accept", "reject")
BOUNCE_LOCAL = "bounce"

_MAC = r"([a-z2-7]{%d})" % MAC_LEN
_NUM = r"(0|[1-9][0-9]{0,17})"  # no leading zeros: one id has exactly one spelling
_REPLY_LOCAL = re.compile(rf"^([a-z0-9][a-z0-9._-]*)\+r{_NUM}\.{_MAC}$")
_MSGID_LOCAL = re.compile(rf"^q\.{_NUM}\.{_NUM}\.{_MAC}$")
_BOUNCE_LOCAL = re.compile(rf"^{BOUNCE_LOCAL}\+{_NUM}\.{_MAC}$")
_MARKER = re.compile(rf"\[ref:r{_NUM}\.{_MAC}\]", re.IGNORECASE)
_QUOTE_PATH = re.compile(rf"^/q/{_NUM}/({'|'.join(QUOTE_ACTIONS)})/{_MAC}/?$")


@dataclass(frozen=True)
class QuoteAction:
    quote_id: int
    action: str  # "accept" | "reject"


@dataclass(frozen=True)
class Signer:
    """Mints and checks tokens for one installation (secret + proposals domain)."""

    secret: bytes = field(repr=False)
    domain: str

    def __post_init__(self) -> None:
        if len(self.secret) < 16:
            raise ValueError("token secret must be at least 16 bytes")
        object.__setattr__(self, "domain", self.domain.lower().rstrip("."))

    # -- minting ---------------------------------------------------------------------------
    def reply_address(self, tenant_id: int, slug: str, request_id: int) -> str:
        mac = self._mac("reply", tenant_id, request_id)
        return f"{slug.lower()}+r{_id(request_id)}.{mac}@{self.domain}"

    def message_id(self, tenant_id: int, request_id: int, message_id: int) -> str:
        mac = self._mac("msgid", tenant_id, request_id, message_id)
        return f"<q.{_id(request_id)}.{_id(message_id)}.{mac}@{self.domain}>"

    def bounce_address(self, outbox_id: int) -> str:
        mac = self._mac("bounce", outbox_id)
        return f"{BOUNCE_LOCAL}+{_id(outbox_id)}.{mac}@{self.domain}"

    def body_marker(self, tenant_id: int, request_id: int) -> str:
        return f"[ref:r{_id(request_id)}.{self._mac('marker', tenant_id, request_id)}]"

    def quote_action_path(self, tenant_id: int, quote_id: int, action: str) -> str:
        if action not in QUOTE_ACTIONS:
            raise ValueError(f"quote action must be one of {QUOTE_ACTIONS}, got {action!r}")
        mac = self._mac("quote", tenant_id, quote_id, action)
        return f"/q/{_id(quote_id)}/{action}/{mac}"

    # -- verifying (None unless the MAC is right for this tenant and purpose) -----------------
    def verify_reply_address(self, tenant_id: int, slug: str, address: str) -> int | None:
        """The request id of a reply address of this tenant (slug and MAC), else None."""
        local = self._our_local(address)
        m = _REPLY_LOCAL.match(local) if local else None
        if not m or m.group(1) != slug.lower():
            return None
        request_id = int(m.group(2))
        return request_id if self._ok(m.group(3), "reply", tenant_id, request_id) else None

    def verify_message_id(self, tenant_id: int, value: str) -> tuple[int, int] | None:
        """(request id, message id) of one of our Message-IDs for this tenant, else None."""
        local = self._our_local(value.strip().removeprefix("<").removesuffix(">"))
        m = _MSGID_LOCAL.match(local) if local else None
        if not m:
            return None
        request_id, message_id = int(m.group(1)), int(m.group(2))
        if not self._ok(m.group(3), "msgid", tenant_id, request_id, message_id):
            return None
        return request_id, message_id

    def verify_bounce_address(self, address: str) -> int | None:
        """The outbox id a VERP bounce address names, else None."""
        local = self._our_local(address)
        m = _BOUNCE_LOCAL.match(local) if local else None
        if not m:
            return None
        outbox_id = int(m.group(1))
        return outbox_id if self._ok(m.group(2), "bounce", outbox_id) else None

    def find_body_marker(self, tenant_id: int, text: str) -> int | None:
        """The request id of the first valid marker of this tenant in a (quoted) body, else None."""
        for m in _MARKER.finditer(text):
            request_id = int(m.group(1))
            if self._ok(m.group(2).lower(), "marker", tenant_id, request_id):
                return request_id
        return None

    def verify_quote_action(self, tenant_id: int, path: str) -> QuoteAction | None:
        m = _QUOTE_PATH.match(path.lower())
        if not m:
            return None
        quote_id, action = int(m.group(1)), m.group(2)
        if not self._ok(m.group(3), "quote", tenant_id, quote_id, action):
            return None
        return QuoteAction(quote_id, action)

    # -- internals --------------------------------------------------------------------------
    def _mac(self, purpose: str, *parts: int | str) -> str:
        data = "\x1f".join([purpose, *(str(p) for p in parts)]).encode("utf-8")
        digest = hmac.new(self.secret, data, hashlib.sha256).digest()
        return base64.b32encode(digest).decode("ascii").lower()[:MAC_LEN]

    def _ok(self, mac: str, purpose: str, *parts: int | str) -> bool:
        return hmac.compare_digest(mac.encode("ascii"), self._mac(purpose, *parts).encode("ascii"))

    def _our_local(self, address: str) -> str | None:
        """The lowercased local part when the address is on our domain, else None."""
        if len(address) > 320 or not address.isascii():
            return None
        local, sep, domain = address.strip().lower().rpartition("@")
        if not sep or domain.rstrip(".") != self.domain:
            return None
        return local


_MARKER_LINE = re.compile(rf"^[ \t>]*{_MARKER.pattern}[ \t]*(?:\r?\n|$)", re.IGNORECASE | re.MULTILINE)


def without_body_markers(text: str) -> str:
    """The text with every line that holds nothing but a body marker removed: the marker is there
    for customers' mail clients, and only noise to a seller reading the conversation. Not
    verified (display only); a marker inside a sentence stays."""
    return _MARKER_LINE.sub("", text)


def slug_of_address(address: str) -> str | None:
    """The tenant slug a (possibly plus-tagged) local part routes to — UNVERIFIED, for lookup only."""
    local, sep, _ = address.strip().lower().rpartition("@")
    if not sep or not local:
        return None
    base = local.split("+", 1)[0]
    return base or None


def quote_id_of_path(path: str) -> int | None:
    """The quote id in a quote link path — UNVERIFIED, to find the tenant before verifying."""
    m = _QUOTE_PATH.match(path.lower())
    return int(m.group(1)) if m else None


def _id(value: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"token ids are non-negative integers, got {value!r}")
    return str(value)
