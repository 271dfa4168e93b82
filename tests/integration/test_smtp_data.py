"""DATA read into one buffer (`edges/smtp_data.py`) ends, un-stuffs and refuses exactly as aiosmtpd.

The oracle is stock aiosmtpd on a loopback socket with the same small limits; our reader gets the
same bytes through an `asyncio.StreamReader` with aiosmtpd's buffer limit."""

from __future__ import annotations

import asyncio

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quotemaild.edges.smtp_data import DataOutcome, DataRead, read_data

LINE_LIMIT = 40
SIZE_LIMIT = 300
AFTER = b"NOOP\r\n"  # pipelined after the data: must be left unread


class _Recorder:
    def __init__(self) -> None:
        self.content: bytes | None = None

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.content = envelope.original_content
        return "250 OK"


class _OracleSMTP(SMTP):
    line_length_limit = LINE_LIMIT


async def _oracle(body: bytes) -> DataRead:
    """What stock aiosmtpd makes of `body` sent after DATA."""
    recorder = _Recorder()
    loop = asyncio.get_running_loop()

    def protocol() -> SMTP:
        return _OracleSMTP(recorder, hostname="oracle", data_size_limit=SIZE_LIMIT, decode_data=False)

    server = await loop.create_server(protocol, "127.0.0.1", 0)
    try:
        host, port = server.sockets[0].getsockname()[:2]
        reader, writer = await asyncio.open_connection(host, port)
        await reader.readline()  # greeting
        for command in (b"HELO client\r\n", b"MAIL FROM:<a@example.org>\r\n", b"RCPT TO:<b@example.org>\r\n"):
            writer.write(command)
            assert (await reader.readline()).startswith(b"250")
        writer.write(b"DATA\r\n")
        assert (await reader.readline()).startswith(b"354")
        writer.write(body + AFTER)
        reply = await reader.readline()
        assert (await reader.readline()).startswith(b"250")  # the NOOP: the data ended where it should
        writer.write(b"QUIT\r\n")
        await reader.readline()
        writer.close()
        await writer.wait_closed()
    finally:
        server.close()
        await server.wait_closed()
    if reply.startswith(b"250"):
        assert recorder.content is not None
        return DataRead(DataOutcome.COMPLETE, recorder.content)
    if reply.startswith(b"552"):
        return DataRead(DataOutcome.TOO_MUCH)
    assert reply.startswith(b"500"), reply
    return DataRead(DataOutcome.TOO_LONG)


async def _ours(body: bytes, chunk: int) -> tuple[DataRead, bytes]:
    reader = asyncio.StreamReader(limit=LINE_LIMIT)
    stream = body + AFTER

    async def feed() -> None:  # the pieces a socket might deliver, as the reader waits for them
        for i in range(0, len(stream), chunk):
            reader.feed_data(stream[i : i + chunk])
            await asyncio.sleep(0)
        reader.feed_eof()

    feeding = asyncio.create_task(feed())
    read = await read_data(reader, SIZE_LIMIT, LINE_LIMIT)
    await feeding
    return read, await reader.read()


def _compare(body: bytes, chunk: int = 7) -> DataRead:
    async def both() -> tuple[DataRead, DataRead, bytes]:
        expected = await _oracle(body)
        ours, rest = await _ours(body, chunk)
        return expected, ours, rest

    expected, ours, rest = asyncio.run(both())
    assert ours == expected
    assert rest == AFTER
    return ours


@pytest.mark.parametrize(
    ("body", "outcome", "content"),
    [
        (b"Hello\r\n.\r\n", DataOutcome.COMPLETE, b"Hello\r\n"),
        (b".\r\n", DataOutcome.COMPLETE, b""),
        (b"..leading dot\r\n...two\r\n.\r\n", DataOutcome.COMPLETE, b".leading dot\r\n..two\r\n"),
        # a bare LF or CR around the dot does not end the data (SMTP smuggling)
        (b"a\n.\nb\r\n.\r\n", DataOutcome.COMPLETE, b"a\n.\nb\r\n"),
        (b"a\r\n.\rb\r\n.\r\n", DataOutcome.COMPLETE, b"a\r\n\rb\r\n"),  # a dot line, un-stuffed
        (b"a\n.\r\n.\r\n", DataOutcome.COMPLETE, b"a\n.\r\n"),
        (b"x" * 38 + b"\r\n.\r\n", DataOutcome.COMPLETE, b"x" * 38 + b"\r\n"),  # at the line limit
        (b"x" * 39 + b"\r\n.\r\n", DataOutcome.TOO_LONG, b""),  # one over
        (b"x" * 200 + b"\r\nmore\r\n.\r\n", DataOutcome.TOO_LONG, b""),  # over the reader's buffer limit
        # read in 7-byte pieces, the overlong line is dropped up to its dot: ".\r\n" ends a line, not the data
        (b"x" * 41 + b".\r\nmore\r\n.\r\n", DataOutcome.TOO_LONG, b""),
        ((b"y" * 28 + b"\r\n") * 10 + b".\r\n", DataOutcome.COMPLETE, (b"y" * 28 + b"\r\n") * 10),  # 300 bytes: at the limit
        ((b"y" * 28 + b"\r\n") * 9 + b"y" * 29 + b"\r\n.\r\n", DataOutcome.TOO_MUCH, b""),  # 301: one over
        ((b"y" * 30 + b"\r\n") * 10 + b".\r\n", DataOutcome.TOO_MUCH, b""),
        # the first error found is the one answered
        ((b"y" * 30 + b"\r\n") * 10 + b"z" * 80 + b"\r\n.\r\n", DataOutcome.TOO_MUCH, b""),
        (b"z" * 80 + b"\r\n" + (b"y" * 30 + b"\r\n") * 10 + b".\r\n", DataOutcome.TOO_LONG, b""),
    ],
)
def test_matches_aiosmtpd(body: bytes, outcome: DataOutcome, content: bytes) -> None:
    """Each case: the outcome and content stated here, and the same as stock aiosmtpd's."""
    assert _compare(body) == DataRead(outcome, content)


_PIECES = st.sampled_from([b"a", b"text ", b".", b"..", b"\r", b"\n", b"\r\n", b"\r\n.", b"w" * 25, b"v" * 60])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(_PIECES, max_size=40), chunk=st.integers(min_value=1, max_value=64))
def test_matches_aiosmtpd_on_generated_data(pieces: list[bytes], chunk: int) -> None:
    """Any mix of dots, bare CR/LF, long lines and sizes reads as stock aiosmtpd reads it."""
    data = b"".join(pieces) + b"\r\n.\r\n"
    if (b"\r\n" + data).find(b"\r\n.\r\n") != len(data) - 3:  # the data would end early
        data = data[:-5].replace(b".", b"d") + b"\r\n.\r\n"  # so that the NOOP after it is a command
    _compare(data, chunk)
