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
from dataclasses import dataclass, field
from email import policy
from email.feedparser import BytesFeedParser
from email.message import EmailMessage, Message

import mailparser
from quotemaild.mail import bigruns
from quotemaild.mail.addresses import Address, parse_address_list
from quotemaild.mail.charsets import decode_bytes
from quotemaild.mail.header_values import PARSE_POLICY, header_items
from quotemaild.mail.ids import extract_ids, first_id

OUR_HEADER_PREFIX = "x-quotemaild-"


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
    for key, value in header_items(msg, defects):
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
