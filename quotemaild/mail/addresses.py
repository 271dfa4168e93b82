"""E-mail addresses: the one place that says what an address is and when two are the same.

Every layer (SMTP envelope, From/Reply-To/To/Cc, forward header blocks, contacts, CSV import,
CLI and API input, outgoing mail) goes through here, so an address typed by a seller, found in a
header and given in an envelope compares equal however it was spelled.

Internationalised addresses (RFC 6530-6532) are first-class:
- the local part may hold UTF-8 (`jürgen`, `пример`, `用户`); it is NFC-normalised and keeps its
  case (it is stored and sent as given) but compares case-insensitively, as quotemaild always did
  for ASCII addresses;
- the domain may be an IDN, written in Unicode (`exämple.de`) or already in punycode
  (`xn--exmple-cua.de`). IDNA 2008 (the `idna` package, with the UTS #46 mapping that folds case
  and full-width forms) turns it into the A-label form used for comparison and the U-label form
  stored and shown.

Three forms of one address:
    stored / shown   `normalize_email`  NFC local part as given @ U-label domain, lower-cased
    compared         `address_key`      NFC local part lower-cased @ A-label domain
    sent             `transport_form`   ASCII (A-label domain) when the local part is ASCII, so
                                        the mail needs no SMTPUTF8; else the stored form
Only an address with a non-ASCII local part needs SMTPUTF8 (`needs_smtputf8`): an IDN domain
alone has an exact ASCII spelling.

Addresses from headers are parsed strictly (CVE-2023-27043 class): `getaddresses(strict=True)`
where the Python has it, and a display name with CR/LF/NUL or an `@` (or an encoded word left
undecoded because it hid one of those) is dropped, so it can never be used for routing or as a
requester's identity.
"""

from __future__ import annotations

import email.utils
import functools
import re
import unicodedata
from dataclasses import dataclass

import idna

MAX_LENGTH = 320  # characters of local@domain, what the store's columns hold
MAX_LOCAL_OCTETS = 64  # RFC 5321 4.5.3.1.1, in UTF-8 octets for RFC 6531 addresses
MAX_DOMAIN_OCTETS = 253  # of the A-label form

_ATEXT = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+")
_LDH_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# Unicode categories never allowed in a local part: controls, format characters (bidi overrides),
# surrogates, private use, unassigned, and every kind of space or line separator.
_BAD_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})
# Dots other than U+002E that UTS #46 maps to a label separator (ideographic, full-width, halfwidth).
_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})


class AddressError(ValueError):
    """Not a usable e-mail address; `reason` says which part is wrong, for error messages."""

    def __init__(self, value: str, reason: str) -> None:
        super().__init__(f"{value!r} is not an e-mail address ({reason})")
        self.value = value
        self.reason = reason


@dataclass(frozen=True)
class Address:
    email: str  # the stored form (normalize_email): U-label domain, local part as given
    name: str = ""

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    @property
    def local(self) -> str:
        return self.email.rpartition("@")[0]

    @property
    def key(self) -> str:
        return address_key(self.email)

    def as_dict(self) -> dict[str, str]:
        return {"email": self.email, "name": self.name}


@dataclass(frozen=True)
class Parts:
    """One valid address taken apart: what the three forms are built from."""

    local: str  # NFC, case as given
    domain_ascii: str  # A-labels, lower case
    domain_unicode: str  # U-labels, lower case

    @property
    def stored(self) -> str:
        return f"{self.local}@{self.domain_unicode}"

    @property
    def key(self) -> str:
        return f"{self.local.lower()}@{self.domain_ascii}"

    @property
    def ascii_local(self) -> bool:
        return self.local.isascii()


# The same few addresses (the tenant's, the sender's, the proposals address) are taken apart
# several times for every message, ~20 us each (NFC, IDNA, per-atom checks). Both functions are
# pure functions of the string, so their answers are kept; only values a column can hold (longer
# text is never an address), so the caches stay small (a few MB at most).
_CACHE_SIZE = 8192
_CACHE_MAX_CHARS = 2 * MAX_LENGTH


def split_email(value: str) -> Parts:
    """Check and take apart a bare `local@domain`; AddressError says what is wrong."""
    if type(value) is str and len(value) <= _CACHE_MAX_CHARS:
        return _split_email_cached(value)  # an AddressError is raised again each time, not kept
    return _split_email(value)


def _split_email(value: str) -> Parts:
    if not isinstance(value, str):
        raise AddressError(str(value), "not text")
    text = unicodedata.normalize("NFC", value.strip())
    if not text.isascii() and any("\ud800" <= ch <= "\udfff" for ch in text):
        raise AddressError(value, "undecoded bytes")  # surrogate-escaped 8-bit from a lax decoder
    if not text or len(text) > MAX_LENGTH:
        raise AddressError(value, "empty or too long")
    local, at, domain = text.rpartition("@")
    if not at or not local:
        raise AddressError(value, "no local part and domain")
    _check_local(local, value)
    if domain.translate(_DOTS).endswith("."):  # fine for a DNS name, not in an address
        raise AddressError(value, "domain ends with a dot")
    ascii_domain, unicode_domain = split_domain(domain, value)
    return Parts(local, ascii_domain, unicode_domain)


_split_email_cached = functools.lru_cache(maxsize=_CACHE_SIZE)(_split_email)


def split_domain(domain: str, value: str | None = None) -> tuple[str, str]:
    """(A-label form, U-label form) of a domain, both lower-cased; AddressError if not valid."""
    shown = value if value is not None else domain
    text = unicodedata.normalize("NFC", domain.strip()).translate(_DOTS)
    if text.endswith("."):
        text = text[:-1]
    if not text:
        raise AddressError(shown, "empty domain")
    ascii_labels: list[str] = []
    unicode_labels: list[str] = []
    for label in text.split("."):
        a_label, u_label = _label(label, shown)
        ascii_labels.append(a_label)
        unicode_labels.append(u_label)
    ascii_domain = ".".join(ascii_labels)
    if len(ascii_domain) > MAX_DOMAIN_OCTETS:
        raise AddressError(shown, "domain too long")
    return ascii_domain, ".".join(unicode_labels)


def _label(label: str, shown: str) -> tuple[str, str]:
    if label.isascii():
        lowered = label.lower()
        if not _LDH_LABEL.fullmatch(lowered):
            raise AddressError(shown, f"bad domain label {label!r}")
        if lowered.startswith("xn--"):
            try:  # punycode already applied: must decode to a valid IDNA 2008 U-label
                return lowered, idna.decode(lowered)
            except (idna.IDNAError, UnicodeError) as exc:
                raise AddressError(shown, f"bad IDN label {label!r}") from exc
        return lowered, lowered
    try:
        a_label = idna.encode(label, uts46=True).decode("ascii")
        return a_label, idna.decode(a_label)
    except (idna.IDNAError, UnicodeError) as exc:
        raise AddressError(shown, f"domain label {label!r} is not valid IDNA 2008") from exc


def _check_local(local: str, shown: str) -> None:
    if len(local.encode("utf-8")) > MAX_LOCAL_OCTETS:
        raise AddressError(shown, "local part longer than 64 octets")
    for atom in local.split("."):
        if not atom:
            raise AddressError(shown, "empty part between dots in the local part")
        if atom.isascii():
            if not _ATEXT.fullmatch(atom):
                raise AddressError(shown, "character not allowed in the local part")
            continue
        for ch in atom:
            if ch.isascii():
                if not _ATEXT.fullmatch(ch):
                    raise AddressError(shown, "character not allowed in the local part")
            elif unicodedata.category(ch) in _BAD_CATEGORIES:
                raise AddressError(shown, f"character U+{ord(ch):04X} not allowed in the local part")


def normalize_email(value: str) -> str:
    """The stored and shown form; AddressError when not an address."""
    return split_email(value).stored


def clean_email(value: str) -> str | None:
    """The stored form of a plain address, or None when it is not one."""
    try:
        return split_email(value).stored
    except AddressError:
        return None


def address_key(value: str) -> str:
    """The form two addresses are compared in. Not an address: the stripped, lower-cased text,
    so a comparison with garbage is still well-defined (and never equal to a real address)."""
    if type(value) is str and len(value) <= _CACHE_MAX_CHARS:
        return _address_key_cached(value)
    return _address_key(value)


def _address_key(value: str) -> str:
    try:
        return split_email(value).key
    except AddressError:
        return unicodedata.normalize("NFC", str(value).strip()).lower()


_address_key_cached = functools.lru_cache(maxsize=_CACHE_SIZE)(_address_key)


def folded_email(value: str) -> str:
    """The stored form, lower-cased: how tables that keep addresses lower-cased (users) are
    written and searched, so `Jan@XN--EXMPLE-CUA.BE` finds `jan@exämple.be`. Not an address:
    the stripped, lower-cased text (finds nothing)."""
    return (clean_email(value) or str(value).strip()).lower()


@functools.lru_cache(maxsize=_CACHE_SIZE)  # asked for each new request: the sender's and our own
def domain_key(domain: str) -> str:
    """A domain (own domains, the proposals domain) in the form domains are compared in."""
    try:
        return split_domain(domain)[0]
    except AddressError:
        return domain.strip().lower().rstrip(".")


def same_address(a: str, b: str) -> bool:
    return address_key(a) == address_key(b)


def needs_smtputf8(value: str) -> bool:
    """True when the address cannot be written in ASCII: a UTF-8 local part (RFC 6531).
    AddressError when a non-ASCII value is not an address at all."""
    return not value.isascii() and not split_email(value).ascii_local


def transport_form(value: str) -> str:
    """How the address goes out in an envelope or header: ASCII with A-labels when the local
    part is ASCII (no SMTPUTF8 needed), else the stored UTF-8 form. AddressError if invalid."""
    parts = split_email(value)
    return f"{parts.local}@{parts.domain_ascii}" if parts.ascii_local else parts.stored


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
    if type(value) is str and len(value) <= _CACHE_MAX_LIST_CHARS:
        # The same lists come again and again (To: the proposals address, a regular's From):
        # the stdlib's address parser is ~40 us a header. Address is frozen: the tuple is shared.
        return list(_parse_address_list_cached(value))
    return _parse_address_list(value)


_CACHE_MAX_LIST_CHARS = 2000


def _parse_address_list(value: str) -> list[Address]:
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


@functools.lru_cache(maxsize=_CACHE_SIZE // 2)  # values up to 2,000 characters: 8 MB at most
def _parse_address_list_cached(value: str) -> tuple[Address, ...]:
    return tuple(_parse_address_list(value))
