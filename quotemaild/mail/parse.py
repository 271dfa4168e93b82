"""Bytes in, a `ParsedMessage` out. Never raises on bad mail: problems become `defects`.

The stdlib `email` package with `policy.default` does the parsing. Two hazards are handled first:
a huge header block (quadratic cases in the stdlib parser) is cut before parsing, and a part whose
declared charset is unknown or lies is decoded by detection (charset-normalizer) instead of raising.
Headers that claim to be ours (`X-Quotemaild-*`) are dropped: inbound mail cannot vouch for itself.
"""

from __future__ import annotations

import datetime as dt
import email
import email.utils
import functools
import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.feedparser import BytesFeedParser
from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage, Message
from typing import Any

import mailparser
from quotemaild.mail import bigruns
from quotemaild.mail.addresses import Address, parse_address_list
from quotemaild.mail.charsets import decode_bytes, repair_header_value, strip_encoded_parts
from quotemaild.mail.ids import extract_ids, first_id

OUR_HEADER_PREFIX = "x-quotemaild-"


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
# Attachments whose type says "message" are kept as attachments (forwards), not walked into.
_TEXT_TYPES = ("text/plain", "text/html")


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class ParsedMessage:
    """What the rest of quotemaild reads of a message. Header values are already decoded."""

    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    from_: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    date: dt.datetime | None
    text: str
    html: str | None
    attachments: tuple[ParsedAttachment, ...]
    headers: tuple[tuple[str, str], ...]  # every header except ours, in order, decoded
    defects: tuple[str, ...] = ()
    email: EmailMessage | None = field(default=None, compare=False, repr=False)

    def header(self, name: str) -> str | None:
        """The first value of a header, case-insensitively, or None."""
        values = self._headers_by_name.get(name.lower())
        return values[0] if values else None

    def header_all(self, name: str) -> list[str]:
        return list(self._headers_by_name.get(name.lower(), ()))

    @functools.cached_property
    def _headers_by_name(self) -> dict[str, list[str]]:
        """Every value of each header, in order, by lower-cased name. Built on first use: a
        message is asked for ~20 headers, each a walk over all of them before. (cached_property
        writes the instance's __dict__ directly, so it works on a frozen dataclass; it is no
        field, so equality and repr are unchanged.)"""
        index: dict[str, list[str]] = {}
        for key, value in self.headers:
            index.setdefault(key.lower(), []).append(value)
        return index

    @property
    def sender(self) -> Address | None:
        return self.from_[0] if self.from_ else None


def parse_message(
    raw: bytes, max_header_bytes: int = 100 * 1024, min_big_run: int = bigruns.MIN_RUN_BYTES
) -> ParsedMessage:
    defects: list[str] = []
    raw = _cap_header_block(raw, max_header_bytes, defects)
    cut = bigruns.skeleton(raw, min_big_run)
    if cut is None:
        msg, big = _parse_bytes(raw), None
    else:
        msg, big = _parse_bytes(cut[0]), cut[1]
        big.restore(msg)
        del cut

    headers: list[tuple[str, str]] = []
    for key, value in _safe_items(msg, defects):
        if key.lower().startswith(OUR_HEADER_PREFIX):
            defects.append(f"dropped inbound header {key}")
            continue
        headers.append((key, value))

    def hdr(name: str) -> str | None:
        for k, v in headers:
            if k.lower() == name:
                return v
        return None

    text_parts: list[str] = []
    html_parts: list[str] = []
    attachments: list[ParsedAttachment] = []
    try:
        _walk(msg, text_parts, html_parts, attachments, defects, big)
    except Exception as exc:  # a structure the stdlib walk cannot handle: try mail-parser's view
        defects.append(f"mime walk: {type(exc).__name__}; body from mail-parser")
        text_parts, html_parts = _mailparser_bodies(raw, defects)

    for defect in msg.defects:
        defects.append(type(defect).__name__)

    return ParsedMessage(
        message_id=first_id(hdr("message-id") or ""),
        in_reply_to=first_id(hdr("in-reply-to") or ""),
        references=tuple(extract_ids(hdr("references") or "")),
        subject=_one_line(hdr("subject") or ""),
        from_=tuple(parse_address_list(hdr("from") or "")),
        to=tuple(parse_address_list(", ".join(v for k, v in headers if k.lower() == "to"))),
        cc=tuple(parse_address_list(", ".join(v for k, v in headers if k.lower() == "cc"))),
        reply_to=tuple(parse_address_list(hdr("reply-to") or "")),
        date=_parse_date(hdr("date")),
        text="\n\n".join(t for t in text_parts if t.strip()),
        html="\n".join(html_parts) if html_parts else None,
        attachments=tuple(attachments),
        headers=tuple(headers),
        defects=tuple(dict.fromkeys(defects)),
        email=msg,
    )


# Bytes fed to the parser at a time. `message_from_bytes` decodes the whole message to one str and
# reads it back through a StringIO (4 bytes per character): a 47 MiB message took 366 MiB at once.
_FEED_CHUNK = 64 * 1024


def _parse_bytes(raw: bytes) -> EmailMessage:
    """`email.message_from_bytes`, fed in chunks: the same message, without the whole-text copies."""
    parser = BytesFeedParser(policy=PARSE_POLICY)
    view = memoryview(raw)
    for start in range(0, len(view), _FEED_CHUNK):
        parser.feed(bytes(view[start : start + _FEED_CHUNK]))
    msg = parser.close()
    assert isinstance(msg, EmailMessage)
    return msg


def _mailparser_bodies(raw: bytes, defects: list[str]) -> tuple[list[str], list[str]]:
    try:
        fallback = mailparser.parse_from_bytes(raw)
        return list(fallback.text_plain), list(fallback.text_html)
    except Exception as exc:  # both parsers failed: the raw copy is still stored and shown
        defects.append(f"mail-parser: {type(exc).__name__}")
        return [], []


def generated_message_id(raw: bytes, domain: str) -> str:
    """A deterministic id for mail that has none: redelivery of the same bytes dedupes."""
    return f"<gen-{hashlib.sha256(raw).hexdigest()}@{domain}>"


def _cap_header_block(raw: bytes, limit: int, defects: list[str]) -> bytes:
    end = _header_end(raw)
    if end is None or end <= limit:
        return raw
    # Keep the headers that fit (cut at a line start) and the whole body.
    cut = raw.rfind(b"\n", 0, limit)
    defects.append(f"header block over {limit} bytes truncated")
    return raw[: cut + 1] + b"\n" + raw[end:].lstrip(b"\r\n")


def _header_end(raw: bytes) -> int | None:
    positions = [p for p in (raw.find(b"\n\n"), raw.find(b"\r\n\r\n")) if p >= 0]
    return min(positions) if positions else len(raw)


def _safe_items(msg: Message, defects: list[str]) -> list[tuple[str, str]]:
    items: list[tuple[str, str]] = []
    for key, raw_value in msg.raw_items():
        if isinstance(raw_value, str) and _has_surrogates(raw_value):
            raw_value = _decode_8bit_header(raw_value)
            defects.append(f"header {key}: 8-bit bytes decoded by detection")
        if isinstance(raw_value, str) and (plain := _plain_unstructured(key, raw_value)) is not None:
            items.append((key, plain))
            continue
        if isinstance(raw_value, str) and (plain := _plain_structured(key, raw_value)) is not None:
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


def _plain_unstructured(name: str, value: str) -> str | None:
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


def _plain_structured(name: str, value: str) -> str | None:
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


def _has_surrogates(value: str) -> bool:
    if value.isascii():  # O(1) for a str: most header values, no per-character walk
        return False
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _decode_8bit_header(value: str) -> str:
    """Raw 8-bit header bytes (non-RFC 2047): UTF-8 if valid, else the detected charset."""
    return decode_bytes(value.encode("ascii", "surrogateescape")).text


def _walk(
    part: Message,
    text_parts: list[str],
    html_parts: list[str],
    attachments: list[ParsedAttachment],
    defects: list[str],
    big: bigruns.BigRuns | None,
) -> None:
    # message/rfc822 reports is_multipart() (its payload is a list): keep it whole as an attachment,
    # as the module docstring promises, instead of reading the forwarded mail as our own body.
    if part.is_multipart() and part.get_content_maintype() != "message":
        for sub in part.iter_parts() if isinstance(part, EmailMessage) else part.get_payload():
            _walk(sub, text_parts, html_parts, attachments, defects, big)
        return
    ctype = part.get_content_type()
    try:
        disposition = part.get_content_disposition()
        filename = part.get_filename()
    except Exception as exc:
        defects.append(f"part headers: {type(exc).__name__}")
        disposition, filename = None, None
    is_body = ctype in _TEXT_TYPES and disposition != "attachment" and not filename
    if is_body:
        text = decode_text_part(part, defects)
        (text_parts if ctype == "text/plain" else html_parts).append(text)
        return
    data = big.decode(part) if big is not None else None
    if data is None:
        data = _payload_bytes(part, defects)
    content_id = part.get("Content-ID")
    attachments.append(
        ParsedAttachment(
            filename=_one_line(filename or ""),
            content_type=ctype,
            data=data,
            content_id=_one_line(str(content_id)) if content_id else None,
        )
    )


def _payload_bytes(part: Message, defects: list[str]) -> bytes:
    try:
        if part.get_content_type() == "message/rfc822" or part.get_content_maintype() == "multipart":
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                return inner[0].as_bytes(policy=policy.default.clone(linesep="\r\n"))
        if part.get_content_maintype() == "message":  # delivery-status etc.: header blocks
            inner = part.get_payload()
            if isinstance(inner, list):
                crlf = policy.default.clone(linesep="\r\n")
                return b"".join(block.as_bytes(policy=crlf) for block in inner)
        data = part.get_payload(decode=True)
        if data is None:
            payload = part.get_payload()
            return payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
        return data
    except Exception as exc:
        defects.append(f"attachment payload: {type(exc).__name__}")
        return b""


def decode_text_part(part: Message, defects: list[str]) -> str:
    """Decode a text part: trust a valid declared charset, detect when missing or invalid."""
    try:
        data = part.get_payload(decode=True) or b""
    except Exception as exc:
        defects.append(f"text payload: {type(exc).__name__}")
        payload = part.get_payload()
        return payload if isinstance(payload, str) else ""
    try:
        declared = part.get_content_charset()
    except Exception:  # noqa: BLE001 - a Content-Type the stdlib cannot read: detect instead
        declared = None
    decoded = decode_bytes(data, declared)
    if declared and decoded.how != "declared":
        defects.append(f"charset {declared} did not decode")
    return decoded.text


def _parse_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        return parsed.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return None


def _one_line(value: str) -> str:
    """Header-derived text never carries CR/LF/NUL onward (no header injection downstream)."""
    return " ".join(value.replace("\x00", " ").split())
