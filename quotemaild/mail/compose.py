"""Outbound messages: an `Outgoing` value in, a checked `EmailMessage` (and CRLF bytes) out.

Header safety. Every value that may come from inbound mail (subject, display names, addresses,
msg-ids) is checked here, whatever the caller did:
- CR/LF/NUL and other control characters in a subject are folded to spaces; a display name with a
  control character, an `@` or an encoded-word opener (`=?`) is dropped, the address stays;
- `=?` in a subject is broken up (`= ?`): the stdlib decodes encoded-word lookalikes when a header
  is *set*, so `=?utf-8?q?a=0D=0ABcc:_x?=` would otherwise become a real CR/LF (CPython 3.11);
- after serializing, the header names are read back and must be exactly the ones we set.

gh-100991. `policy.default` RFC 2047-encodes a long References/In-Reply-To (it cannot fold a
msg-id), and Outlook/Exchange then ignore it. `OUTBOUND_POLICY` is `policy.default` with `fold`
and `fold_binary` overridden for Message-ID, In-Reply-To and References only: those values are
validated msg-ids (printable ASCII, no `=?`) and are folded by us between ids, one or more per line.

International addresses (RFC 6531/6532). An address whose local part is ASCII goes out in ASCII,
its IDN domain as A-labels: the mail needs nothing the oldest relay lacks, and its bytes are what
they always were. Only a UTF-8 local part cannot be written in ASCII; such a mail is serialised
with `utf8=True` (UTF-8 header values, RFC 6532) and marked `smtputf8`, so the delivery worker
asks the smarthost for SMTPUTF8 and keeps the mail queued when it is not offered: never an
encoded word in an address (RFC 2047 is for display names and subjects only).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address as HeaderAddress
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import EmailPolicy

from quotemaild.errors import InvalidInput
from quotemaild.mail.addresses import Address, AddressError, safe_display_name, split_email

# Mail no human wrote (RFC 3834): its Auto-Submitted value; sent with a null envelope sender.
AUTOMATIC = {"ack": "auto-replied", "reminder": "auto-generated"}
KINDS = ("ack", "reply", "quote", "reminder")  # reminder: to a seller of the tenant, automatic
SENDER_MODES = ("tenant", "own")
LOOP_HEADER = "X-Quotemaild-Loop"
REFERENCES_CAP = 10
MAX_ID_LEN = 250

_ID_HEADERS = frozenset({"message-id", "in-reply-to", "references"})
_MSG_ID = re.compile(r"^<[\x21-\x3b\x3d\x3f-\x7e]+@[\x21-\x3b\x3d\x3f-\x7e]+>$")  # no < > inside
_CTRL = re.compile(r"[\x00-\x1f\x7f]")
_CTYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_REPLY_PREFIX = re.compile(
    r"^\s*(?:re|aw|antw|antwoord|réf|ref|rép|rep|sv|vs)\s*(?:\[\d+\]|\(\d+\))?\s*:\s*", re.IGNORECASE
)
_LOCAL_RE = {"nl": "Re: ", "fr": "Re : ", "en": "Re: "}


class _OutboundPolicy(EmailPolicy):
    """`policy.default`, except msg-id headers are folded between ids and never RFC 2047-encoded."""

    def fold(self, name: str, value: str) -> str:
        if name.lower() in _ID_HEADERS:
            return _fold_ids(name, str(value), self.linesep, self.max_line_length or 78)
        return super().fold(name, value)

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() in _ID_HEADERS:
            return self.fold(name, value).encode("ascii")
        return super().fold_binary(name, value)


# 7bit: non-ASCII bodies go out quoted-printable/base64, so no relay needs 8BITMIME.
OUTBOUND_POLICY = _OutboundPolicy(linesep="\r\n", cte_type="7bit")
# For mail to or from a UTF-8 local part: header values in UTF-8 (RFC 6532), bodies still 7bit.
OUTBOUND_UTF8_POLICY = OUTBOUND_POLICY.clone(utf8=True)


@dataclass(frozen=True)
class OutboundAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Sender:
    """Who the mail is from. `tenant` mode needs `reply_to` (the signed plus address)."""

    mode: str  # "tenant" | "own"
    proposals_address: str  # slug@proposals domain
    display_name: str = ""
    reply_to: str | None = None
    own_address: str | None = None


@dataclass(frozen=True)
class Outgoing:
    kind: str  # "ack" | "reply" | "quote"
    sender: Sender
    to: Sequence[Address]
    subject: str
    message_id: str  # ours, from tokens.Signer.message_id
    date: dt.datetime
    text: str
    loop_domain: str  # our proposals domain, for the loop header
    html: str | None = None
    in_reply_to: str | None = None  # the last inbound id
    references: Sequence[str] = ()  # the chain, oldest first
    attachments: Sequence[OutboundAttachment] = ()
    bounce_address: str | None = None  # VERP envelope sender for non-automatic mail
    references_cap: int = REFERENCES_CAP


@dataclass(frozen=True)
class Composed:
    message: EmailMessage
    envelope_sender: str  # "" (null, MAIL FROM:<>) for acknowledgements, else the VERP address
    loops_back: bool  # False in `own` mode: the customer's answer will not come back to us
    envelope_recipients: tuple[str, ...] = ()  # validated addr-specs for RCPT TO
    warnings: tuple[str, ...] = field(default=())
    smtputf8: bool = False  # an address has a UTF-8 local part: the smarthost must offer SMTPUTF8
    data: bytes = b""  # the bytes `compose` checked; `message` is not to be changed after it

    def as_bytes(self) -> bytes:
        """What goes to the smarthost: the very bytes whose headers were checked (serialising
        again costs as much as composing, ~1 ms for an acknowledgement)."""
        return self.data or self.message.as_bytes(policy=OUTBOUND_UTF8_POLICY if self.smtputf8 else OUTBOUND_POLICY)


def compose(out: Outgoing) -> Composed:
    """Build the message for one outbound mail; InvalidInput names the field that is unusable."""
    if out.kind not in KINDS:
        raise InvalidInput("kind", f"must be one of {', '.join(KINDS)}, got {out.kind!r}")
    if out.date.tzinfo is None:
        raise InvalidInput("date", "must be timezone-aware")
    msg = EmailMessage(policy=OUTBOUND_POLICY)
    warnings: list[str] = []
    from_, reply_to, loops_back = _sender_headers(out.sender, warnings)
    msg["From"] = from_
    if reply_to is not None:
        msg["Reply-To"] = reply_to
    recipients = [_header_address(a, "to") for a in out.to]
    if not recipients:
        raise InvalidInput("to", "at least one recipient is needed")
    msg["To"] = recipients
    _set_checked(msg, "Subject", safe_subject(out.subject))
    msg["Date"] = email.utils.format_datetime(out.date)
    own_id = valid_msg_id(out.message_id)
    if own_id is None:
        raise InvalidInput("message_id", f"not a valid msg-id: {out.message_id!r}")
    msg["Message-ID"] = own_id
    parent = valid_msg_id(out.in_reply_to) if out.in_reply_to else None
    if out.in_reply_to and parent is None:
        warnings.append(f"in_reply_to dropped, not a plain msg-id: {out.in_reply_to[:80]!r}")
    refs = build_references(out.references, parent, cap=out.references_cap)
    if parent:
        msg["In-Reply-To"] = parent
    if refs:
        msg["References"] = " ".join(refs)
    if out.kind in AUTOMATIC:
        msg["Auto-Submitted"] = AUTOMATIC[out.kind]
        msg["X-Auto-Response-Suppress"] = "All"
        msg[LOOP_HEADER] = out.loop_domain.lower()
    msg.set_content(out.text)
    if out.html is not None:
        msg.add_alternative(out.html, subtype="html")
    for att in out.attachments:
        maintype, subtype = _content_type(att.content_type).split("/")
        msg.add_attachment(att.data, maintype=maintype, subtype=subtype, filename=safe_filename(att.filename))
    utf8 = not all(a.username.isascii() for a in (from_, reply_to, *recipients) if a is not None)
    data = _check_headers(msg, OUTBOUND_UTF8_POLICY if utf8 else OUTBOUND_POLICY)
    envelope = "" if out.kind in AUTOMATIC else (out.bounce_address or "")
    rcpts = tuple(dict.fromkeys(r.addr_spec for r in recipients))
    return Composed(msg, envelope, loops_back, rcpts, tuple(warnings), smtputf8=utf8, data=data)


def reply_subject(original: str, language: str = "en") -> str:
    """`Re: <subject>` without stacking (Re: RE: AW: Antw: Réf : ...), prefix per language."""
    subject = safe_subject(original)
    while True:
        stripped = _REPLY_PREFIX.sub("", subject, count=1)
        if stripped == subject:
            break
        subject = stripped
    return (_LOCAL_RE.get(language, "Re: ") + subject).strip()


def safe_subject(value: str) -> str:
    """One line, no control characters, encoded-word openers broken up."""
    value = _CTRL.sub(" ", value)
    value = " ".join(value.split())
    return value.replace("=?", "= ?")


def safe_name(name: str) -> str:
    """A display name fit for a header, or "" when it carries anything suspicious.

    Stricter than addresses.safe_display_name: any control character or encoded-word opener
    also drops the name.
    """
    if _CTRL.search(name) or "=?" in name:
        return ""
    return safe_display_name(name)[:200]


def safe_filename(name: str) -> str:
    """An attachment name that cannot break out of its header. An RFC 2047 encoded word is
    decoded here and the result cleaned: left as it is, the stdlib decodes it while writing the
    Content-Disposition and an encoded CR/LF ended up raw on the wire (a header injection)."""
    if "=?" in name:
        try:
            name = str(make_header(decode_header(name)))
        except Exception:  # noqa: BLE001 - undecodable: keep the text, the opener is broken below
            pass
        name = name.replace("=?", "=_?")  # nothing left for a receiver to decode again
    name = _CTRL.sub("", name).replace("/", "_").replace("\\", "_").strip().lstrip(".")
    return " ".join(name.split())[:200] or "attachment"


def valid_msg_id(value: str | None) -> str | None:
    """`<left@right>` of printable ASCII without `=?`, else None (never sent, never folded)."""
    if not value:
        return None
    value = value.strip()
    if not value.startswith("<"):
        value = f"<{value}>"
    if len(value) > MAX_ID_LEN or "=?" in value or not _MSG_ID.match(value):
        return None
    return value


def build_references(chain: Sequence[str], parent: str | None, cap: int = REFERENCES_CAP) -> list[str]:
    """Valid ids of the chain (oldest first) ending with the parent: first + newest, at most `cap`."""
    ids: dict[str, None] = {}
    for item in chain:
        valid = valid_msg_id(item)
        if valid and valid != parent:
            ids.setdefault(valid, None)
    if parent:
        ids[parent] = None
    out = list(ids)
    if len(out) > cap >= 2:
        out = [out[0], *out[len(out) - (cap - 1):]]
    return out


def _sender_headers(sender: Sender, warnings: list[str]) -> tuple[HeaderAddress, HeaderAddress | None, bool]:
    if sender.mode not in SENDER_MODES:
        raise InvalidInput("sender_mode", f"must be tenant or own, got {sender.mode!r}")
    name = safe_name(sender.display_name)
    if sender.mode == "tenant":
        from_ = _make_address(sender.proposals_address, name, "from")
        if not sender.reply_to:
            raise InvalidInput("reply_to", "tenant sender mode needs the signed reply address")
        return from_, _make_address(sender.reply_to, name, "reply_to"), True
    if not sender.own_address:
        raise InvalidInput("own_address", "own sender mode needs the tenant's own address")
    warnings.append("sender mode 'own': answers go to the tenant's own mailbox and will not come back here")
    return _make_address(sender.own_address, name, "from"), None, False


def _header_address(addr: Address, field_name: str) -> HeaderAddress:
    return _make_address(addr.email, safe_name(addr.name), field_name)


def _make_address(addr: str, name: str, field_name: str) -> HeaderAddress:
    """The header form of an address: ASCII with A-labels when the local part is ASCII, else
    UTF-8 throughout (U-labels, as RFC 6532 mail shows them)."""
    try:
        if _CTRL.search(addr):
            raise AddressError(addr, "control character")
        parts = split_email(addr)
    except AddressError as exc:
        raise InvalidInput(field_name, f"not a usable address: {addr!r}") from exc
    username = parts.local
    domain = parts.domain_ascii if parts.ascii_local else parts.domain_unicode
    try:
        return HeaderAddress(display_name=name, username=username, domain=domain)
    except (ValueError, IndexError) as exc:
        raise InvalidInput(field_name, f"not a usable address: {addr!r}") from exc


def _set_checked(msg: EmailMessage, name: str, value: str) -> None:
    msg[name] = value
    if str(msg[name]) != value:  # the stdlib decoded something we did not mean
        raise InvalidInput(name.lower(), f"value does not survive as a header: {value!r}")


def _content_type(value: str) -> str:
    value = value.strip().lower()
    return value if _CTYPE.match(value) else "application/octet-stream"


def _check_headers(msg: EmailMessage, serialize: EmailPolicy) -> bytes:
    """Serialize and read the top-level header names back: nothing may have been smuggled in.
    Returns the serialized bytes, the ones that are sent."""
    expected = [k.lower() for k in msg.keys()]
    data = msg.as_bytes(policy=serialize)
    parsed = BytesHeaderParser().parsebytes(data)
    found = [k.lower() for k in parsed.keys()]
    if found != expected:
        raise InvalidInput("headers", f"header injection detected: {found} != {expected}")
    for key, value in parsed.items():
        if key.lower() in ("in-reply-to", "references") and "=?" in value:
            raise InvalidInput(key.lower(), "msg-ids were encoded")
    return data


def _fold_ids(name: str, value: str, linesep: str, max_len: int) -> str:
    """`Name: <a> <b>` folded between ids; an id longer than a line gets a line of its own."""
    lines: list[str] = []
    current = f"{name}:"
    for item in value.split():
        if len(current) + 1 + len(item) > max_len and current != f"{name}:":
            lines.append(current)
            current = ""
        current = f"{current} {item}"
    lines.append(current)
    return linesep.join(lines) + linesep
