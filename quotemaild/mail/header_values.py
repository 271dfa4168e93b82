"""Header values as processing reads them: parsed once, and the everyday plain ones not at all.

`PARSE_POLICY` is `policy.default` with a cache of parsed header objects. `header_items` gives a
message's headers decoded, each value what `str(msg[name])` gives, but plain ASCII unstructured,
address and Message-ID headers are taken as they are instead of building the stdlib's token tree
for them, raw 8-bit bytes are decoded by detection, and a header the stdlib cannot parse becomes a
defect instead of an exception.
"""

from __future__ import annotations

import functools
import re
from email import policy
from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.message import Message
from typing import Any

from quotemaild.mail.charsets import decode_bytes, repair_header_value, strip_encoded_parts


class _CachedHeaders(HeaderRegistry):
    """`policy.default` parses a header again on every access (`msg["Content-Type"]` inside
    `get_content_type`, called a dozen times per message), a quarter of processing time. Parsed
    header objects are immutable values, so short ones are shared: same name and value, same
    object. Long values (rare, bounded by the header cap) are parsed each time."""

    def __call__(self, name: str, value: str) -> Any:
        # Encoded words and RFC 2231 parameters whose bytes do not fit their charset are
        # rewritten to UTF-8 first: the stdlib would raise UnicodeDecodeError on some of them.
        value = repair_header_value(value, parameters=name.lower() in _PARAMETER_HEADERS)
        try:
            if len(value) > _CACHE_MAX_VALUE:
                return super().__call__(name, value)
            return _cached_header(self, name, value)
        except UnicodeError:  # a codec shape the repair does not know: drop the encoded parts
            return super().__call__(name, strip_encoded_parts(value))


_CACHE_MAX_VALUE = 512
# Headers with MIME parameters, where RFC 2231 `name*=charset''...` values live.
_PARAMETER_HEADERS = frozenset({"content-type", "content-disposition"})


@functools.lru_cache(maxsize=4096)
def _cached_header(registry: HeaderRegistry, name: str, value: str) -> Any:
    return HeaderRegistry.__call__(registry, name, value)


# policy.default with the header cache; everything else (parsing, folding, defects) is the same.
PARSE_POLICY = policy.default.clone(header_factory=_CachedHeaders())


def header_items(msg: Message, defects: list[str]) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for key, raw_value in msg.raw_items():
        if isinstance(raw_value, str) and has_surrogates(raw_value):
            raw_value = _decode_8bit_header(raw_value)
            defects.append(f"header {key}: 8-bit bytes decoded by detection")
        if isinstance(raw_value, str) and (plain := plain_unstructured(key, raw_value)) is not None:
            items.append((key, plain))
            continue
        if isinstance(raw_value, str) and (plain := plain_structured(key, raw_value)) is not None:
            items.append((key, plain))
            continue
        try:
            # header_fetch_parse unfolds first (as msg[key] does): adjacent encoded words across
            # a fold join without a space, and addresses never see a CR/LF.
            value = str(msg.policy.header_fetch_parse(key, raw_value))  # type: ignore[attr-defined]
        except Exception as exc:  # the stdlib header parser has many failure shapes
            defects.append(f"header {key}: {type(exc).__name__}")
            value = str(raw_value)
        items.append((key, value))
    return items


def plain_unstructured(name: str, value: str) -> str | None:
    """The decoded value of an unstructured header (Subject, References, Received, X-...) that
    is plain ASCII without encoded words: the unfolded text itself, which is what the stdlib's
    header parse returns for it (checked on every such header of the corpus, and by property),
    without building its token tree. Unique values (References, Received) miss the header cache,
    and building those trees was a fifth of parsing. None: let the stdlib parse it."""
    unfolded = value.replace("\r", "").replace("\n", "")
    if "=?" in unfolded or not unfolded.isascii() or not _is_unstructured(name):
        return None
    return unfolded


# The everyday shapes of address and Message-ID headers, plain ASCII: `Jan Peeters <jan@firma.be>`,
# `<jan@firma.be>`, `jan@firma.be`, `<id@host>`. For these the stdlib's parse (a token tree per
# header, and From, To and Message-ID are unique per message, so the header cache never hits)
# returns a string that is known in advance; `addresses.py` then reads the addresses from it.
_DOT_ATOM = r"[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*"
_PLAIN_ADDR = re.compile(
    rf"(?:(?P<name>[A-Za-z0-9]+(?: [A-Za-z0-9]+)*) <(?P<a1>{_DOT_ATOM}@{_DOT_ATOM})>"
    rf"|<(?P<a2>{_DOT_ATOM}@{_DOT_ATOM})>|(?P<a3>{_DOT_ATOM}@{_DOT_ATOM}))"
)
_PLAIN_ID = re.compile(rf"<{_DOT_ATOM}@{_DOT_ATOM}>")
_ADDRESS_HEADERS = frozenset({"from", "to", "cc", "reply-to", "sender"})


def plain_structured(name: str, value: str) -> str | None:
    """What `str(policy.header_fetch_parse(name, value))` gives for a plain address or Message-ID
    header (checked on every such header of the corpus, and on a table of near misses), without
    the parse; None for anything else, which the stdlib then parses."""
    lname = name.lower()
    if lname == "message-id":
        return value if _PLAIN_ID.fullmatch(value) else None
    if lname not in _ADDRESS_HEADERS:
        return None
    match = _PLAIN_ADDR.fullmatch(value)
    if match is None:
        return None
    if match["name"]:
        return f"{match['name']} <{match['a1']}>"
    return match["a2"] or match["a3"]


@functools.lru_cache(maxsize=1024)
def _is_unstructured(name: str) -> bool:
    return issubclass(PARSE_POLICY.header_factory[name], UnstructuredHeader)


def has_surrogates(value: str) -> bool:
    if value.isascii():  # O(1) for a str: most header values, no per-character walk
        return False
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _decode_8bit_header(value: str) -> str:
    """Raw 8-bit header bytes (non-RFC 2047): UTF-8 if valid, else the detected charset."""
    return decode_bytes(value.encode("ascii", "surrogateescape")).text
