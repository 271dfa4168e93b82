"""Which tenant does an envelope recipient address? Pure: the caller looks the slug up."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from quotemaild.mail.addresses import AddressError, domain_key, split_email

Outcome = Literal["tenant", "foreign", "invalid"]


@dataclass(frozen=True)
class Route:
    outcome: Outcome
    slug: str | None = None
    tag: str | None = None  # what follows '+': a reply token, checked by threading


def route_recipient(address: str, domain: str) -> Route:
    """`slug@domain` and `slug+tag@domain` (case-insensitive) route to tenant `slug`.

    Any other domain is foreign (we are never a relay); a malformed address is invalid.
    """
    try:
        parts = split_email(address)
    except AddressError:
        return Route("invalid")
    if parts.domain_ascii != domain_key(domain):  # an IDN proposals domain in either spelling
        return Route("foreign")
    slug, plus, tag = parts.local.lower().partition("+")
    if not slug:
        return Route("invalid")
    return Route("tenant", slug, tag if plus else None)
