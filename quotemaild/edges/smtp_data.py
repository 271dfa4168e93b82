"""Reading the DATA section of an SMTP/LMTP transaction into one buffer.

aiosmtpd 1.4 keeps every line of DATA as a bytearray of its own in a list and joins them after
the final dot: a message near the size limit costs the daemon four times its size (the list, the
line objects with their headers, then the joined copy). This reader applies aiosmtpd's rules line
for line, so a sender sees the same protocol:

- only CRLF "." CRLF ends the data; a bare LF or CR before or after the dot does not (SMTP
  smuggling, fixed in aiosmtpd 1.4.5 as CVE-2024-27305);
- a leading dot is removed from every line (RFC 5321 4.5.2);
- the size limit counts the bytes as sent, dots and line ends included; over it, or with a line
  longer than the line limit, the rest is read and dropped until the final dot, and only then is
  the error answered (RFC 5321 4.2.5), the first error found being the one reported.

It writes each line into one `io.BytesIO`, whose value is then taken without a copy: the daemon
holds the message once.
"""

from __future__ import annotations

import asyncio
import enum
import io
from dataclasses import dataclass

_END = b".\r\n"
_CRLF = b"\r\n"


class DataOutcome(enum.Enum):
    COMPLETE = "complete"
    TOO_MUCH = "too much"  # over the size limit
    TOO_LONG = "too long"  # a line over the line length limit


@dataclass(frozen=True)
class DataRead:
    outcome: DataOutcome
    content: bytes = b""  # the message when COMPLETE, dots un-stuffed; empty otherwise


async def read_data(reader: asyncio.StreamReader, size_limit: int | None, line_limit: int) -> DataRead:
    """Read up to and including the final CRLF "." CRLF; `size_limit` 0 or None is no limit.

    The reader's own buffer limit should be `line_limit` (aiosmtpd creates it so): a line that
    does not fit raises `LimitOverrunError` inside `readuntil`, which makes it too long."""
    buf = io.BytesIO()
    outcome = DataOutcome.COMPLETE
    size = 0
    line_start = True  # the next read starts a line (not the rest of a line over the limit)
    line_length = 0  # of the line being read, over all its pieces

    def refuse(why: DataOutcome) -> None:
        # The first error found is the one answered; what was read so far is dropped at once.
        nonlocal outcome, buf
        if outcome is DataOutcome.COMPLETE:
            outcome, buf = why, io.BytesIO()

    while True:
        try:
            piece = await reader.readuntil(_CRLF)
        except asyncio.LimitOverrunError as exc:
            piece = await reader.read(exc.consumed)  # the part of the line that is there; drop it
            refuse(DataOutcome.TOO_LONG)
        if line_start and piece == _END:
            break
        size += len(piece)
        if size_limit and size > size_limit:
            refuse(DataOutcome.TOO_MUCH)
        line_length += len(piece)
        line_start = piece.endswith(_CRLF)
        if not line_start:
            continue
        if line_length > line_limit:
            refuse(DataOutcome.TOO_LONG)
        line_length = 0
        if outcome is DataOutcome.COMPLETE:
            buf.write(memoryview(piece)[1:] if piece.startswith(b".") else piece)
    if outcome is not DataOutcome.COMPLETE:
        return DataRead(outcome)
    return DataRead(outcome, buf.getvalue())  # BytesIO hands over its own buffer: no copy
