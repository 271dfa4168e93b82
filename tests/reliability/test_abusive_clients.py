"""Slow and abusive SMTP clients get the documented replies, store nothing extra, and a
well-behaved client on another address keeps being served meanwhile (its rate is measured and
recorded, never asserted)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from quotemaild import daemon as daemon_mod
from quotemaild.config import config_from_dict
from quotemaild.store.models import RawMessage
from tests.conftest import DOMAIN, RunningDaemon, config_dict, make_mail, start_daemon

GOOD_PEER = "127.0.0.2"  # the well-behaved client: another loopback address than the abusers
LIMITS = {"timeout": 2, "max_commands": 20, "max_recipients": 5, "max_connections_per_client": 4,
          "tarpit_after": 2, "tarpit_delay": 0.2, "close_after_unknown": 5}


class Client:
    """A raw SMTP client line by line, so a test can misbehave exactly as it wants."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, d: RunningDaemon, local: str = "127.0.0.1") -> Client:
        reader, writer = await asyncio.open_connection(d.host, d.port, local_addr=(local, 0))
        return cls(reader, writer)

    async def reply(self, timeout: float = 15) -> str:
        """One complete (possibly multi-line) reply; "" when the server closed the connection."""
        lines = []
        while True:
            line = await asyncio.wait_for(self.reader.readline(), timeout)
            if not line:
                return "".join(lines)
            lines.append(line.decode())
            if line[3:4] != b"-":
                return "".join(lines)

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def cmd(self, line: str) -> str:
        await self.send(line.encode() + b"\r\n")
        return await self.reply()

    async def closed(self, timeout: float = 15) -> bool:
        """Whether the server ends the connection (EOF) within `timeout` seconds."""
        try:
            while await asyncio.wait_for(self.reader.read(4096), timeout):
                pass
        except (TimeoutError, ConnectionError):
            return False
        return True

    def close(self) -> None:
        self.writer.close()


@pytest.fixture
async def d(tmp_path) -> AsyncIterator[RunningDaemon]:
    config = config_from_dict(config_dict(tmp_path, smtp=LIMITS))
    running = await start_daemon(config)
    yield running
    await daemon_mod.stop(running.daemon, grace=2)
    running.sessions.kw["bind"].dispose()


def stored(d: RunningDaemon) -> int:
    with d.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(RawMessage)) or 0)


async def good_session(d: RunningDaemon, n: int) -> None:
    c = await Client.open(d, GOOD_PEER)
    assert (await c.reply()).startswith("220")
    assert (await c.cmd("EHLO good.example")).startswith("250")
    assert (await c.cmd("MAIL FROM:<good@example.org>")).startswith("250")
    assert (await c.cmd(f"RCPT TO:<acme@{DOMAIN}>")).startswith("250")
    assert (await c.cmd("DATA")).startswith("354")
    mail = make_mail(subject=f"good {n}", message_id=f"<good-{n}-{time.monotonic_ns()}@example.org>")
    await c.send(mail + b"\r\n.\r\n")
    assert (await c.reply()).startswith("250 2.0.0")
    await c.cmd("QUIT")
    c.close()


@contextlib.asynccontextmanager
async def good_client(d: RunningDaemon, figure, label: str) -> AsyncIterator[list[int]]:
    """A well-behaved sender on GOOD_PEER, one message after the other, while the block runs."""
    done: list[int] = []
    stop = asyncio.Event()

    async def loop() -> None:
        while not stop.is_set():
            await good_session(d, len(done))
            done.append(1)

    task = asyncio.create_task(loop())
    started = time.monotonic()
    try:
        yield done
    finally:
        stop.set()
        await task
        elapsed = time.monotonic() - started
        figure(f"well-behaved client during {label}", round(len(done) / elapsed, 1), "messages/s")
    assert done, "the well-behaved client got nothing through"


async def test_baseline_rate_of_a_well_behaved_client(d, figure):
    """The rate of one well-behaved client alone, to compare the rates under abuse with."""
    async with good_client(d, figure, "no abuse"):
        await asyncio.sleep(3)
    assert stored(d) > 0


async def test_slowloris_on_commands_is_cut_at_the_timeout(d, figure):
    """A client that never finishes a command line is disconnected after smtp.timeout."""
    async with good_client(d, figure, "slowloris on commands"):
        c = await Client.open(d)
        assert (await c.reply()).startswith("220")
        t0 = time.monotonic()
        cut = False
        for byte in b"EHLO slow.example.org":
            try:
                await c.send(bytes([byte]))
            except ConnectionError:
                cut = True
                break
            if c.reader.at_eof():
                cut = True
                break
            await asyncio.sleep(0.3)
        cut = cut or await c.closed(10)
        figure("slowloris on a command cut after", round(time.monotonic() - t0, 1), "s")
        assert cut
        c.close()


async def test_slowloris_on_data_is_cut_and_stores_nothing(d, figure):
    """A DATA trickled a line at a time past smtp.timeout is cut off without a 250: nothing stored."""
    before = stored(d)
    async with good_client(d, figure, "slowloris on DATA") as good:
        c = await Client.open(d)
        await c.reply()
        await c.cmd("EHLO slow.example.org")
        await c.cmd("MAIL FROM:<slow@example.org>")
        await c.cmd(f"RCPT TO:<acme@{DOMAIN}>")
        assert (await c.cmd("DATA")).startswith("354")
        t0 = time.monotonic()
        answer = ""
        with contextlib.suppress(ConnectionError):
            for i in range(200):
                await c.send(f"X-Slow-{i}: y\r\n".encode())
                await asyncio.sleep(0.25)
                if c.reader.at_eof() or c.reader._buffer:  # type: ignore[attr-defined]
                    answer = await c.reply(1)
                    break
        figure("slowloris on DATA cut after", round(time.monotonic() - t0, 1), "s")
        assert not answer.startswith("250")
        assert await c.closed(10)
        c.close()
    assert stored(d) == before + len(good)


async def test_too_many_commands_and_recipients_get_their_replies(d):
    """NOOP past smtp.max_commands: 421 and close; RCPT past smtp.max_recipients: 452 4.5.3."""
    c = await Client.open(d)
    await c.reply()
    await c.cmd("EHLO many.example.org")
    replies = [await c.cmd("NOOP") for _ in range(LIMITS["max_commands"] + 1)]
    assert all(r.startswith("250") for r in replies[:-1]) and replies[-1].startswith("421 4.7.0")
    assert await c.closed()
    c.close()

    c = await Client.open(d)
    await c.reply()
    await c.cmd("EHLO many.example.org")
    await c.cmd("MAIL FROM:<many@example.org>")
    replies = [await c.cmd(f"RCPT TO:<acme+{i}@{DOMAIN}>") for i in range(LIMITS["max_recipients"] + 1)]
    assert all(r.startswith("250") for r in replies[:-1])
    assert replies[-1].startswith("452 4.5.3")
    c.close()


async def test_too_many_connections_from_one_address(d, figure):
    """Past smtp.max_connections_per_client sessions from one IP: 421 4.7.0 and close; another
    address is still served; once the crowd leaves, that IP is served again."""
    async with good_client(d, figure, "a crowd of idle connections"):
        crowd = [await Client.open(d) for _ in range(LIMITS["max_connections_per_client"])]
        for c in crowd:
            assert (await c.reply()).startswith("220")
        extra = await Client.open(d)
        assert (await extra.reply()).startswith("421 4.7.0 Too many connections")
        assert await extra.closed()
        extra.close()
        for c in crowd:
            c.close()
        await asyncio.sleep(0.2)
        again = await Client.open(d)
        assert (await again.reply()).startswith("220")
        again.close()


async def test_unknown_recipient_probing_is_tarpitted_then_closed(d, figure):
    """550 5.1.1 for each unknown address; past tarpit_after each refusal is slowed; at
    close_after_unknown the session ends with 421 4.7.0."""
    async with good_client(d, figure, "recipient probing"):
        c = await Client.open(d)
        await c.reply()
        await c.cmd("EHLO probe.example.org")
        await c.cmd("MAIL FROM:<probe@example.org>")
        replies, delays = [], []
        for i in range(LIMITS["close_after_unknown"]):
            t0 = time.monotonic()
            replies.append(await c.cmd(f"RCPT TO:<guess{i}@{DOMAIN}>"))
            delays.append(time.monotonic() - t0)
        assert all(r.startswith("550 5.1.1") for r in replies[:-1])
        assert replies[-1].startswith("421 4.7.0 Too many unknown recipients")
        assert await c.closed()
        c.close()
        figure("refusal delay before the tarpit (mean)", round(sum(delays[:2]) / 2 * 1000, 1), "ms")
        figure("refusal delay in the tarpit (mean)", round(sum(delays[2:]) / len(delays[2:]) * 1000, 1), "ms")


async def test_pipelined_transactions_store_each_message_once(d):
    """Two whole transactions and QUIT in one write (RFC 2920): two 250s, two messages, no more."""
    before = stored(d)
    c = await Client.open(d)
    await c.reply()
    await c.cmd("EHLO pipe.example.org")
    burst = b""
    for i in range(2):
        burst += f"MAIL FROM:<p@example.org>\r\nRCPT TO:<acme@{DOMAIN}>\r\nDATA\r\n".encode()
        burst += make_mail(subject=f"pipe {i}", message_id=f"<pipe-{i}@example.org>") + b"\r\n.\r\n"
    await c.send(burst + b"QUIT\r\n")
    replies = [await c.reply() for _ in range(9)]
    assert [r[:3] for r in replies] == ["250", "250", "354", "250", "250", "250", "354", "250", "221"]
    c.close()
    assert stored(d) == before + 2


# SMTP smuggling: an end-of-data that a receiver reads differently from its sender.
# CVE-2023-51764 (Postfix), -51765 (Sendmail), -51766 (Exim), CVE-2024-27305 (aiosmtpd).
SMUGGLING = {
    "lf-dot-lf": b"\n.\n",
    "lf-dot-crlf (CVE-2023-51764)": b"\n.\r\n",
    "cr-dot-cr": b"\r.\r",
    "cr-dot-crlf": b"\r.\r\n",
    "crlf-dot-lf (CVE-2023-51766)": b"\r\n.\n",
    "crlf-dot-cr (CVE-2023-51765)": b"\r\n.\r",
    "lf-dot-cr": b"\n.\r",
    "cr-dot-lf (CVE-2024-27305)": b"\r.\n",
}


@pytest.mark.parametrize("name", list(SMUGGLING))
async def test_smuggled_end_of_data_never_makes_a_second_message(d, name):
    """A fake end-of-data followed by a whole second transaction stays inside the first message:
    one 250 and one stored message, with the smuggled text in it."""
    before = stored(d)
    c = await Client.open(d)
    await c.reply()
    await c.cmd("EHLO smuggle.example.org")
    await c.cmd("MAIL FROM:<sender@example.org>")
    await c.cmd(f"RCPT TO:<acme@{DOMAIN}>")
    assert (await c.cmd("DATA")).startswith("354")
    smuggled = (f"MAIL FROM:<admin@{DOMAIN}>\r\nRCPT TO:<other@{DOMAIN}>\r\nDATA\r\n"
                "From: admin\r\nSubject: smuggled\r\n\r\nspoofed\r\n").encode()
    await c.send(make_mail(subject="carrier") + SMUGGLING[name] + smuggled + b"\r\n.\r\n")
    first = await c.reply()
    assert first.startswith("250 2.0.0"), first
    assert (await c.cmd("QUIT")).startswith("221")
    c.close()
    assert stored(d) == before + 1
    with d.sessions() as s:
        raw = s.scalars(select(RawMessage).order_by(RawMessage.id.desc()).limit(1)).one()
        assert raw.tenant_id == d.tenants["acme"]
        assert raw.rcpt_to == [f"acme@{DOMAIN}"]
