"""Strict address parsing for addresses taken from headers (CVE-2023-27043 class).

`email.utils.getaddresses(..., strict=True)` refuses the ambiguous forms that let a crafted
display name smuggle a second address. A display name with CR/LF/NUL or an `@` (or an encoded
word left undecoded because it hid one of those) is dropped, so it can never be used for routing
or as a requester's identity.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass

_ADDR = re.compile(r"^[^@\s<>()\[\]\\,;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Address:
    email: str  # lower-cased domain, local part as given
    name: str = ""

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    @property
    def local(self) -> str:
        return self.email.rpartition("@")[0]

    def as_dict(self) -> dict[str, str]:
        return {"email": self.email, "name": self.name}


def clean_email(value: str) -> str | None:
    """A syntactically plain address with a lower-cased domain, or None."""
    value = value.strip()
    if not _ADDR.match(value) or ".." in value:
        return None
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def safe_display_name(name: str) -> str:
    if any(c in name for c in "\r\n\x00") or "@" in name:
        return ""
    if "=?" in name and "?=" in name:
        # An encoded word the stdlib refused to decode (it hid CR/LF/NUL): never pass it on.
        return ""
    return " ".join(name.split())


def parse_address_list(value: str) -> list[Address]:
    if not value or not value.strip():
        return []
    try:
        pairs = email.utils.getaddresses([value], strict=True)
    except TypeError:  # Python without the strict flag (pre 3.11.10): use the default parser
        pairs = email.utils.getaddresses([value])
    out: list[Address] = []
    for name, addr in pairs:
        cleaned = clean_email(addr)
        if cleaned is None:
            continue
        out.append(Address(email=cleaned, name=safe_display_name(name)))
    return out
