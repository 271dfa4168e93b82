"""One repairing decode path for every piece of mail text: bodies, raw 8-bit headers, RFC 2047
encoded words and RFC 2231 parameters. Never raises a codec error.

The order (Zammad #6221): a valid declared charset is trusted; when it is missing, unknown,
not a text charset, or the bytes do not decode with it, UTF-8 is tried, then charset-normalizer's
best guess, then the declared charset (or UTF-8) with replacement characters.

Why this module exists: the stdlib decodes RFC 2231 parameters (`filename*=iso-2022-jp''...`)
with `surrogateescape`, which cannot stand in for ASCII bytes, so an invalid ISO-2022-JP escape
sequence raised `UnicodeDecodeError` out of the parser itself. `repair_header_value` rewrites
such parameters and encoded words to UTF-8 before the stdlib parses the header.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
import urllib.parse
from dataclasses import dataclass

from charset_normalizer import from_bytes

# Codecs that are "text encodings" to Python but no mail charset: they decode escapes or
# domain labels, never a message's text. A declaration naming one is treated as absent.
_NOT_CHARSETS = frozenset(
    {"idna", "punycode", "unicode_escape", "raw_unicode_escape", "undefined", "mbcs", "oem", "uu_codec"}
)


@dataclass(frozen=True)
class Decoded:
    text: str
    how: str  # "declared" | "utf-8" | "detected" | "replaced"

    @property
    def repaired(self) -> bool:
        return self.how in ("detected", "replaced")


def usable_charset(name: str | None) -> str | None:
    """The Python codec name for a declared charset, or None when it is no usable text charset."""
    if not name:
        return None
    try:
        info = codecs.lookup(name.strip().strip('"').lower())
    except (LookupError, ValueError, TypeError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name.replace("-", "_") in _NOT_CHARSETS:
        return None
    return info.name


def decode_bytes(data: bytes, declared: str | None = None) -> Decoded:
    """Decode `data`: the declared charset when valid and the bytes fit, else repair. Never raises."""
    charset = usable_charset(declared)
    if charset is not None:
        try:
            return Decoded(data.decode(charset), "declared")
        except Exception:  # noqa: BLE001 - some codecs raise other errors than UnicodeDecodeError
            pass
    try:
        return Decoded(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    try:
        best = from_bytes(data).best()
    except Exception:  # noqa: BLE001 - detection is best effort
        best = None
    if best is not None:
        try:
            return Decoded(str(best), "detected")
        except Exception:  # noqa: BLE001
            pass
    if charset is not None:
        try:
            return Decoded(data.decode(charset, "replace"), "replaced")
        except Exception:  # noqa: BLE001
            pass
    return Decoded(data.decode("utf-8", "replace"), "replaced")


def decode_text(data: bytes, declared: str | None = None) -> str:
    return decode_bytes(data, declared).text


# RFC 2047 encoded word: =?charset[*lang]?B|Q?text?=
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
# RFC 2231 extended parameter: name*=..., name*0*=..., name*1=... (value quoted or token)
_EXT_PARAM = re.compile(r'(?P<name>[A-Za-z0-9!#$&+.^_`|~-]+)\*(?:(?P<sect>\d+)(?P<ext>\*)?)?=(?P<value>"[^"]*"|[^;\s]*)')


def repair_header_value(value: str, parameters: bool = False) -> str:
    """The header value with every encoded word, and with `parameters` (Content-Type,
    Content-Disposition) every RFC 2231 parameter, whose bytes do not decode under their
    declared charset rewritten to UTF-8. Values that need nothing come back unchanged."""
    if "=?" in value:
        value = _ENCODED_WORD.sub(_repair_encoded_word, value)
    if parameters and ("*=" in value or "*0" in value):
        value = _repair_rfc2231(value)
    return value


def _ew_bytes(encoding: str, text: str) -> bytes | None:
    try:
        if encoding in "bB":
            return base64.b64decode(text + "=" * (-len(text) % 4))
        return _q_decode(text)
    except (binascii.Error, ValueError):
        return None


def _q_decode(text: str) -> bytes:
    out = bytearray()
    raw = text.replace("_", " ").encode("ascii", "surrogateescape")
    i = 0
    while i < len(raw):
        if raw[i] == 0x3D and _is_hex(raw[i + 1 : i + 3]):
            out.append(int(raw[i + 1 : i + 3], 16))
            i += 3
        else:
            out.append(raw[i])
            i += 1
    return bytes(out)


def _is_hex(b: bytes) -> bool:
    return len(b) == 2 and all(c in b"0123456789abcdefABCDEF" for c in b)


def _strict_ok(data: bytes, charset: str | None) -> bool:
    if charset is None:
        return False
    try:
        data.decode(charset)
        return True
    except Exception:  # noqa: BLE001
        return False


def _repair_encoded_word(m: re.Match[str]) -> str:
    charset, _lang, encoding, text = m.groups()
    data = _ew_bytes(encoding, text)
    if data is None:
        return m.group(0)  # the stdlib reports the defect and keeps the text
    if _strict_ok(data, usable_charset(charset)):
        return m.group(0)
    fixed = decode_bytes(data, charset).text
    return "=?utf-8?b?" + base64.b64encode(fixed.encode("utf-8", "replace")).decode("ascii") + "?="


def _repair_rfc2231(value: str) -> str:
    matches = list(_EXT_PARAM.finditer(value))
    if not matches:
        return value
    groups: dict[str, list[re.Match[str]]] = {}
    for m in matches:
        groups.setdefault(m.group("name").lower(), []).append(m)
    replacements: dict[int, tuple[int, str]] = {}  # start -> (end, new text)
    for name, ms in groups.items():
        ms.sort(key=lambda m: int(m.group("sect") or 0))
        first = ms[0]
        first_value = first.group("value").strip('"')
        extended = first.group("sect") is None or first.group("ext") is not None
        if not extended or first_value.count("'") < 2:
            continue
        charset, _lang, rest = first_value.split("'", 2)
        chunks = [_pct_bytes(rest)]
        for m in ms[1:]:
            part = m.group("value").strip('"')
            is_ext = m.group("ext") is not None
            chunks.append(_pct_bytes(part) if is_ext else part.encode("ascii", "replace"))
        data = b"".join(chunks)
        if _strict_ok(data, usable_charset(charset)):
            continue  # the stdlib decodes it as declared
        fixed = decode_bytes(data, charset).text
        new = f"{first.group('name')}*=utf-8''" + urllib.parse.quote(fixed.encode("utf-8", "replace"), safe="")
        replacements[first.start()] = (first.end(), new)
        for m in ms[1:]:
            replacements[m.start()] = (m.end(), "")
    if not replacements:
        return value
    out, pos = [], 0
    for start in sorted(replacements):
        end, new = replacements[start]
        out.append(value[pos:start])
        out.append(new)
        pos = end
    out.append(value[pos:])
    # dropped continuation segments leave "; ;" behind: tidy them
    return re.sub(r";\s*(?=;|$)", "", "".join(out))


def _pct_bytes(text: str) -> bytes:
    return urllib.parse.unquote_to_bytes(text)


def strip_encoded_parts(value: str) -> str:
    """Last resort for a header the stdlib still cannot parse: encoded words and RFC 2231
    parameter values replaced by `?`, so the header's structure (type, boundary) survives."""
    value = _ENCODED_WORD.sub("?", value)
    return _EXT_PARAM.sub(lambda m: f'{m.group("name")}="?"', value)
