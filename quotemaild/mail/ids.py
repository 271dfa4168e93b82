"""Message-ID handling: extraction from header values and normalisation for lookups."""

from __future__ import annotations

import re

# A msg-id is `<left@right>`; real mail also carries ids without brackets or with spaces inside,
# so we take anything between angle brackets, and fall back to bare tokens with an @.
_BRACKETED = re.compile(r"<([^<>\s]+)>")
_BARE = re.compile(r"[^\s<>,;\"]+@[^\s<>,;\"]+")
MAX_REFERENCES = 32  # threading looks at the newest 32 references only (DESIGN.md)


def normalize_id(value: str) -> str:
    """`<Abc@Example.COM>` and `abc@example.com` compare equal only where RFCs allow: the domain.

    The local part of a msg-id is case-sensitive in principle, and ids are echoed back verbatim
    by clients, so we keep it and only fold the domain part.
    """
    inner = value.strip().strip("<>").strip()
    left, sep, right = inner.rpartition("@")
    if not sep:
        return f"<{inner}>"
    return f"<{left}@{right.lower()}>"


def extract_ids(value: str) -> list[str]:
    """All msg-ids in a header value, normalised, in order, without repeats."""
    found = _BRACKETED.findall(value)
    if not found:
        found = _BARE.findall(value)
    seen: dict[str, None] = {}
    for item in found:
        if "@" in item or item:
            seen.setdefault(normalize_id(item), None)
    return list(seen)


def first_id(value: str) -> str | None:
    ids = extract_ids(value)
    return ids[0] if ids else None
