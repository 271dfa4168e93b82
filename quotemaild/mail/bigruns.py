"""Long base64 bodies kept out of the stdlib parser, so a big message is not copied many times.

The stdlib parser keeps every line of a body as its own str until the part ends, then joins them,
and `get_payload(decode=True)` copies the text three more times before decoding: a 47 MiB
attachment took over 400 MiB. Before parsing, each long run of lines made only of base64
characters is replaced by one token line (`skeleton`); the parser then sees a small message.
Afterwards (`BigRuns.restore`) every token is put back as the text it stood for, except where a
whole base64 body of a non-text part is a single token: that attachment is decoded straight from
the raw bytes (`BigRuns.decode`), without a text copy.

Why the parse is the same: a run line holds only `[A-Za-z0-9+/=]` and ends in LF or CRLF, so it
can be neither a header (no colon, no leading space), nor a blank line, nor a MIME boundary (no
`-`); the parser's decisions never depend on it, and the token line is a line of the same kind.
The token's prefix occurs nowhere in the raw bytes, so every occurrence after parsing is ours.
Parts inside a message/* part (forwarded mail kept whole, delivery reports) are always restored,
because they are serialised again as text.
"""

from __future__ import annotations

import binascii
import re
from collections.abc import Iterator
from email.message import Message

# Runs shorter than this stay as they are: the parse is only worth changing for big bodies.
MIN_RUN_BYTES = 256 * 1024

_RUN = re.compile(rb"^(?:[A-Za-z0-9+/=]++\r?\n)++", re.MULTILINE)
_PREFIX = b"QUOTEMAILDRUN"


class BigRuns:
    """The runs left out of one message: token -> (start, end) of the run in the raw bytes."""

    def __init__(self, raw: bytes, prefix: bytes, spans: list[tuple[int, int]]) -> None:
        self._raw = raw
        self._prefix = prefix.decode("ascii")
        self._spans = spans
        self._token = re.compile(re.escape(self._prefix) + r"(\d{8})")
        self._whole: dict[int, tuple[int, int]] = {}  # id(part) -> span of its whole body

    def token(self, index: int) -> bytes:
        return f"{self._prefix}{index:08d}".encode("ascii")

    def restore(self, msg: Message) -> None:
        """Put the original text back everywhere but in whole base64 bodies of non-text parts."""
        for part, inside_message in _parts(msg, inside_message=False):
            for attr in ("preamble", "epilogue"):
                value = getattr(part, attr, None)
                if isinstance(value, str) and self._prefix in value:
                    setattr(part, attr, self._text(value))
            payload = _raw_payload(part)
            if not isinstance(payload, str) or self._prefix not in payload:
                continue
            whole = self._token.fullmatch(payload.strip())
            # Not the top-level part: its decoding defects are the message's own (they are shown).
            if whole is not None and part is not msg and not inside_message and _base64_binary(part):
                self._whole[id(part)] = self._spans[int(whole.group(1))]
            else:
                part.set_payload(self._text(payload))

    def decode(self, part: Message) -> bytes | None:
        """The decoded body of a part left as a token, or None (not one of ours, or the base64
        needs the stdlib's repairs: then its text is put back and the stdlib decodes it)."""
        span = self._whole.pop(id(part), None)
        if span is None:
            return None
        start, end = span
        try:
            return binascii.a2b_base64(memoryview(self._raw)[start:end])
        except binascii.Error:  # bad padding: the stdlib pads it and records a defect
            part.set_payload(self._text(_raw_payload(part)))
            return None

    def _text(self, value: str) -> str:
        return self._token.sub(lambda m: self._run_text(int(m.group(1))), value)

    def _run_text(self, index: int) -> str:
        start, end = self._spans[index]
        return self._raw[start:end].decode("ascii")


def skeleton(raw: bytes, min_run: int = MIN_RUN_BYTES) -> tuple[bytes, BigRuns] | None:
    """`raw` with every run of at least `min_run` bytes replaced by a token line, or None when
    there is no such run. The token line keeps the run's last line ending; the span excludes it,
    so a token restores exactly, whether or not the parser stripped the ending before a boundary."""
    if len(raw) < min_run:
        return None
    prefix = _PREFIX
    while prefix in raw:
        prefix += b"X"
    pieces: list[bytes] = []
    spans: list[tuple[int, int]] = []
    runs = BigRuns(raw, prefix, spans)
    pos = 0
    for match in _RUN.finditer(raw):
        start, end = match.span()
        if end - start < min_run:
            continue
        ending = b"\r\n" if raw[end - 2 : end] == b"\r\n" else b"\n"
        pieces += [raw[pos:start], runs.token(len(spans)), ending]
        spans.append((start, end - len(ending)))
        pos = end
    if not spans:
        return None
    pieces.append(raw[pos:])
    return b"".join(pieces), runs


def _parts(part: Message, inside_message: bool) -> Iterator[tuple[Message, bool]]:
    yield part, inside_message
    payload = part.get_payload()
    if isinstance(payload, list):
        inner = inside_message or part.get_content_maintype() == "message"
        for sub in payload:
            yield from _parts(sub, inner)


def _raw_payload(part: Message) -> object:
    """The payload as the parser left it. `get_payload()` would decode 8-bit bytes (kept as
    surrogates) with the declared charset and replace what does not decode: not reversible."""
    return part._payload  # type: ignore[attr-defined]


def _base64_binary(part: Message) -> bool:
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    return cte == "base64" and part.get_content_maintype() != "text"
