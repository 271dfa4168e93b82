"""Our aiosmtpd overrides answer client dialogues as stock aiosmtpd does, except where we mean to differ.

Each test plays the same bytes over loopback to a stock aiosmtpd `SMTP` (or `LMTP`) served with the
daemon's options, and to the real daemon; the replies must match (codes, and texts where we keep
upstream's). The intended differences (edges/aiosmtpd_overrides.py) are asserted as such.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from quotemaild import daemon as daemon_mod
from quotemaild.config import config_from_dict
from quotemaild.edges import smtp_codes as codes
from quotemaild.store.models import RawMessage
from tests.conftest import DOMAIN, RunningDaemon, config_dict, start_daemon

pytestmark = pytest.mark.asyncio

SIZE = 64 * 1024
ACME = f"acme@{DOMAIN}"
OTHER = f"other@{DOMAIN}"

# One step: bytes to send, then how many replies to read.
Step = tuple[bytes, int]


class Keep:
    """Stock handler: accepts every recipient (aiosmtpd's default) and keeps what DATA brought."""

    def __init__(self) -> None:
        self.contents: list[bytes] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.contents.append(envelope.original_content or b"")
        return "250 OK"  # what aiosmtpd answers when a handler has no DATA hook


@dataclasses.dataclass
class Servers:
    stock: tuple[str, int]
    ours: tuple[str, int]
    keep: Keep
    daemon: RunningDaemon


@pytest.fixture
async def servers(tmp_path: Path) -> AsyncIterator[Servers]:
    running = await start_daemon(config_from_dict(config_dict(tmp_path, mail={"max_message_size": SIZE})))
    keep = Keep()
    loop = asyncio.get_running_loop()
    stock = await loop.create_server(
        lambda: SMTP(keep, hostname="localhost", data_size_limit=SIZE, enable_SMTPUTF8=True, decode_data=False),
        "127.0.0.1",
        0,
    )
    try:
        yield Servers(stock.sockets[0].getsockname()[:2], (running.host, running.port), keep, running)
    finally:
        stock.close()
        await stock.wait_closed()
        await daemon_mod.stop(running.daemon, grace=2)
        running.sessions.kw["bind"].dispose()


async def _reply(reader: asyncio.StreamReader) -> str:
    """One (possibly multi-line) SMTP reply, its lines joined with \\n."""
    lines = []
    while True:
        line = (await asyncio.wait_for(reader.readline(), 30)).decode("utf-8", "replace").rstrip("\r\n")
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            return "\n".join(lines)


async def talk(address: tuple[str, int], steps: Sequence[Step]) -> list[str]:
    """The greeting, then the replies to each step, in order."""
    reader, writer = await asyncio.open_connection(*address, limit=2**20)
    try:
        replies = [await _reply(reader)]
        for data, count in steps:
            writer.write(data)
            await writer.drain()
            replies.extend([await _reply(reader) for _ in range(count)])
        return replies
    finally:
        writer.close()


def _codes(replies: list[str]) -> list[str]:
    return [r[:3] for r in replies]


def _line(text: str) -> Step:
    return text.encode() + b"\r\n", 1


def _transaction(body: bytes, rcpts: Sequence[str] = (ACME,)) -> list[Step]:
    return [
        _line("EHLO client.example"),
        _line("MAIL FROM:<klant@example.org>"),
        *[_line(f"RCPT TO:<{r}>") for r in rcpts],
        _line("DATA"),
        (body + b".\r\n", 1),
        _line("QUIT"),
    ]


async def both(servers: Servers, steps: Sequence[Step]) -> tuple[list[str], list[str]]:
    return await talk(servers.stock, steps), await talk(servers.ours, steps)


async def test_transaction_with_dot_stuffing(servers: Servers) -> None:
    """Same replies, and the same un-stuffed content, for a message with dotted lines."""
    body = b"Subject: offerte\r\n\r\n..begins with a dot\r\n. \r\n...\r\nend\r\n"
    stock, ours = await both(servers, _transaction(body))
    assert _codes(stock) == _codes(ours) == ["220", "250", "250", "250", "354", "250", "221"]
    assert stock[1].split("\n")[1:] == ours[1].split("\n")[1:]  # EHLO: the same extensions
    assert ours[5].startswith("250 2.0.0 Ok: stored as ")  # intended: our text names the stored id
    with servers.daemon.sessions() as s:
        raw = s.scalars(select(RawMessage).options(selectinload(RawMessage.content))).one()
    assert servers.keep.contents == [raw.data] == [b"Subject: offerte\r\n\r\n.begins with a dot\r\n \r\n..\r\nend\r\n"]


async def test_pipelined_commands(servers: Servers) -> None:
    """MAIL, RCPT, RCPT and DATA in one write (PIPELINING) get the same replies in the same order."""
    pipelined = f"MAIL FROM:<klant@example.org>\r\nRCPT TO:<{ACME}>\r\nRCPT TO:<{OTHER}>\r\nDATA\r\n".encode()
    steps = [_line("EHLO client.example"), (pipelined, 4), (b"Subject: x\r\n\r\nhi\r\n.\r\n", 1), _line("QUIT")]
    stock, ours = await both(servers, steps)
    assert _codes(stock) == _codes(ours) == ["220", "250", "250", "250", "250", "354", "250", "221"]


async def test_session_commands_keep_upstream_replies(servers: Servers) -> None:
    """RSET, NOOP, HELP, VRFY, unknown commands, bad syntax and QUIT: upstream's very replies."""
    steps = [
        _line("MAIL FROM:<klant@example.org>"),  # before EHLO
        _line("EHLO client.example"),
        _line("NOOP"),
        _line("RSET"),
        _line("RSET now"),
        _line("HELP"),
        _line("HELP DATA"),
        _line("HELP BOGUS"),
        _line("VRFY <someone@example.org>"),
        _line("EXPN list"),
        _line("FOO bar"),
        _line(""),
        _line("DATA"),  # no transaction
        _line("MAIL FROM:<klant@example.org>"),
        _line(f"RCPT TO:<{ACME}>"),
        _line("DATA now"),
        _line("NOOP " + "x" * 600),  # over the command line limit
        _line("RSET"),
        _line("QUIT"),
    ]
    stock, ours = await both(servers, steps)
    # MAIL and RCPT of a transaction are answered by our handler (edges/smtp.py), in our words
    assert _codes(ours[14:16]) == _codes(stock[14:16]) == ["250", "250"]
    assert ours[14:16] == [codes.OK_SENDER, codes.OK_RECIPIENT]
    # everything else as upstream, bar the greeting's host name and ident
    assert ours[1:14] + ours[16:] == stock[1:14] + stock[16:]
    assert [r[:3] for r in ours[-3:]] == ["500", "250", "221"]


async def test_size_limit(servers: Servers) -> None:
    """Over the size limit: 552 at MAIL FROM SIZE= and after DATA, then the session goes on.

    Intended difference: our 552 texts carry the enhanced code (5.3.4)."""
    big = b"Subject: big\r\n\r\n" + (b"y" * 998 + b"\r\n") * (SIZE // 1000 + 1)
    steps = [
        _line("EHLO client.example"),
        _line(f"MAIL FROM:<klant@example.org> SIZE={SIZE + 1}"),
        _line("MAIL FROM:<klant@example.org>"),
        _line(f"RCPT TO:<{ACME}>"),
        _line("DATA"),
        (big + b".\r\n", 1),
        _line("NOOP"),
        _line("QUIT"),
    ]
    stock, ours = await both(servers, steps)
    assert _codes(stock) == _codes(ours) == ["220", "250", "552", "250", "250", "354", "552", "250", "221"]
    assert (stock[2], stock[6]) == (
        "552 Error: message size exceeds fixed maximum message size",
        "552 Error: Too much mail data",
    )
    assert (ours[2], ours[6]) == (codes.MESSAGE_TOO_BIG, codes.MESSAGE_TOO_BIG)


async def test_long_lines_in_data(servers: Servers) -> None:
    """Intended difference: a 2,000-octet line is refused by upstream (RFC 5321's 1000) and kept by us."""
    body = b"Subject: long\r\n\r\n" + b"z" * 2000 + b"\r\n"
    stock, ours = await both(servers, _transaction(body))
    assert stock[5] == "500 Line too long (see RFC5321 4.5.3.1.6)"
    assert ours[5].startswith("250 2.0.0 Ok: stored as ")
    assert _codes(stock[:5]) == _codes(ours[:5]) and stock[6][:3] == ours[6][:3] == "221"


async def test_intended_refusals(servers: Servers) -> None:
    """Where stock aiosmtpd accepts, we refuse: 550 unknown/foreign, 451 backlog, 452 low disk."""
    handler = servers.daemon.daemon.handler
    rcpts = [_line(f"RCPT TO:<nobody@{DOMAIN}>"), _line("RCPT TO:<someone@elsewhere.example>")]
    steps = [_line("EHLO client.example"), _line("MAIL FROM:<klant@example.org>"), *rcpts, _line("QUIT")]
    stock, ours = await both(servers, steps)
    assert _codes(stock) == ["220", "250", "250", "250", "250", "221"]
    assert ours[3] == codes.UNKNOWN_RECIPIENT.format(address=f"nobody@{DOMAIN}")
    assert ours[4] == codes.RELAY_DENIED.format(address="someone@elsewhere.example")

    mail = [_line("EHLO client.example"), _line("MAIL FROM:<klant@example.org>"), _line("QUIT")]
    handler.refusing = lambda: True
    try:
        assert (await talk(servers.ours, mail))[2] == codes.BACKLOG_FULL
    finally:
        handler.refusing = lambda: False
    limits = handler.limits
    handler.limits = dataclasses.replace(limits, min_free_bytes=2**62, free_space_path=Path("/"))
    handler._disk_checked_at = float("-inf")
    try:
        assert (await talk(servers.ours, mail))[2] == codes.DISK_LOW
    finally:
        handler.limits = limits
        handler._disk_checked_at = float("-inf")
    assert _codes(await talk(servers.ours, mail)) == ["220", "250", "250", "221"]


async def test_handler_failure_is_451_not_500(servers: Servers) -> None:
    """Intended difference: where stock aiosmtpd answers 500 with the exception's text, we say 451."""
    tenants = servers.daemon.daemon.handler.tenants
    lookup = tenants.lookup

    def broken(slug: str) -> int | None:
        raise RuntimeError("directory gone")

    steps = [_line("EHLO client.example"), _line("MAIL FROM:<klant@example.org>"), _line(f"RCPT TO:<{ACME}>")]
    tenants.lookup = broken  # type: ignore[method-assign]
    try:
        ours = await talk(servers.ours, [*steps, _line("NOOP"), _line("QUIT")])
    finally:
        tenants.lookup = lookup  # type: ignore[method-assign]
    assert ours[3] == codes.INTERNAL_TROUBLE and "directory gone" not in ours[3]
    assert _codes(ours[4:]) == ["250", "221"]  # the session goes on


async def test_lmtp_one_reply_per_recipient(tmp_path: Path) -> None:
    """LHLO/HELO/EHLO as upstream LMTP; intended difference: one reply per recipient after DATA."""
    running = await start_daemon(config_from_dict(config_dict(tmp_path, lmtp={"listen": "127.0.0.1:0"}, mail={"max_message_size": SIZE})))
    loop = asyncio.get_running_loop()
    stock = await loop.create_server(lambda: LMTP(Keep(), hostname="localhost", data_size_limit=SIZE, enable_SMTPUTF8=True, decode_data=False), "127.0.0.1", 0)
    try:
        assert running.daemon.lmtp_server is not None
        ours_at = running.daemon.lmtp_server.sockets[0].getsockname()[:2]
        greet = [_line("HELO client.example"), _line("EHLO client.example"), _line("LHLO client.example")]
        mail = [_line("MAIL FROM:<klant@example.org>"), _line(f"RCPT TO:<{ACME}>"), _line(f"RCPT TO:<{OTHER}>")]
        data = [_line("DATA"), (b"Subject: x\r\n\r\nhi\r\n.\r\n", 1)]
        theirs = await talk(stock.sockets[0].getsockname()[:2], [*greet, *mail, *data, _line("QUIT")])
        ours = await talk(ours_at, [*greet, *mail, *data[:1], (data[1][0], 2), _line("QUIT")])
        assert theirs[1:3] == ours[1:3] == ['500 Error: command "HELO" not recognized',
                                            '500 Error: command "EHLO" not recognized']  # fmt: skip
        assert theirs[3].split("\n")[1:] == ours[3].split("\n")[1:]
        assert _codes(theirs) == ["220", "500", "500", "250", "250", "250", "250", "354", "250", "221"]
        assert _codes(ours) == ["220", "500", "500", "250", "250", "250", "250", "354", "250", "250", "221"]
        assert ours[8].startswith(f"250 2.0.0 <{ACME}> Ok") and ours[9].startswith(f"250 2.0.0 <{OTHER}> Ok")
    finally:
        stock.close()
        await stock.wait_closed()
        await daemon_mod.stop(running.daemon, grace=2)
        running.sessions.kw["bind"].dispose()
