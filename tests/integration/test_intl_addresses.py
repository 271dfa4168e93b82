"""International addresses end to end on real sockets: SMTPUTF8 ingestion, requester detection,
acknowledgement through a smarthost that offers SMTPUTF8 and one that does not, a reply, and
matching the requester to a contact typed in another spelling.

The daemon runs in-process on loopback; each smarthost is a real aiosmtpd server on the same loop.
"""

from __future__ import annotations

import asyncio
import time

import aiosmtplib
import pytest
from aiosmtpd.smtp import SMTP
from sqlalchemy import select

from quotemaild import daemon as daemon_mod
from quotemaild.clock import SystemClock
from quotemaild.config import config_from_dict
from quotemaild.edges.outbound import LACKS_SMTPUTF8
from quotemaild.mail.addresses import address_key
from quotemaild.mail.parse import parse_message
from quotemaild.mail.tokens import Signer
from quotemaild.services.contacts import add_contact, contacts_with_address
from quotemaild.services.reply import reply_to_request
from quotemaild.services.send import SendSettings
from quotemaild.store.models import OutboxMessage, QuoteRequest, Tenant
from tests.conftest import DOMAIN, config_dict, start_daemon

pytestmark = pytest.mark.asyncio
SECRET = "test-secret-0123456789abcdef"

# (what the customer's client writes, the stored requester, a contact card's spelling, UTF-8 local)
CUSTOMERS = [
    ("jürgen@exämple.de", "jürgen@exämple.de", "JÜRGEN@xn--exmple-cua.de", True),
    ("François.Dupré@Société.fr", "François.Dupré@société.fr", "françois.dupré@xn--socit-esab.fr", True),
    ("пример@пример.рф", "пример@пример.рф", "ПРИМЕР@xn--e1afmkfd.xn--p1ai", True),
    ("用户@例子.广告", "用户@例子.广告", "用户@xn--fsqu00a.xn--4rr70v", True),
    ("info@exämple.de", "info@exämple.de", "INFO@XN--EXMPLE-CUA.DE", False),
    ("info@xn--mller-kva.de", "info@müller.de", "info@Müller.de", False),  # punycode already applied
    ("Jan.Peeters@Example.BE", "Jan.Peeters@example.be", "jan.peeters@example.be", False),
]


class Smarthost:
    """A capturing smarthost; `utf8` decides whether it offers SMTPUTF8 in its EHLO reply."""

    def __init__(self, utf8: bool) -> None:
        self.utf8 = utf8
        self.received: list[tuple[str, list[str], bytes, list[str]]] = []
        self.server: asyncio.base_events.Server | None = None
        self.port = 0

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content,
                              list(envelope.mail_options)))
        return "250 2.0.0 Ok: queued as 4XkQ2"

    async def start(self) -> Smarthost:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: SMTP(self, decode_data=False, enable_SMTPUTF8=self.utf8), "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def _daemon(tmp_path, host: Smarthost):
    cfg = config_from_dict(config_dict(
        tmp_path,
        outbound={"smarthost": f"127.0.0.1:{host.port}", "retry_initial": 60, "retry_max": 120,
                  "poll_interval": 0.1, "give_up_after": 3600},
    ))
    return await start_daemon(cfg)


def _mail(sender: str, mid: str) -> bytes:
    return (f"From: Klant Ü <{sender}>\r\nTo: acme@{DOMAIN}\r\nSubject: Offerte für Fenster\r\n"
            f"Date: Mon, 05 Jan 2026 10:00:00 +0100\r\nMessage-ID: {mid}\r\n\r\nGraag een prijs.\r\n").encode()


async def _send(d, sender: str, mid: str) -> None:
    options = [] if sender.isascii() else ["SMTPUTF8"]
    async with aiosmtplib.SMTP(hostname=d.host, port=d.port) as client:
        await client.sendmail(sender, [f"acme@{DOMAIN}"], _mail(sender, mid), mail_options=options)


async def _wait_rows(d, count: int, timeout: float = 15.0) -> list[OutboxMessage]:
    """Until `count` outbox rows have had a delivery attempt."""
    deadline = time.monotonic() + timeout
    rows: list[OutboxMessage] = []
    while time.monotonic() < deadline:
        with d.sessions() as s:
            rows = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        if len(rows) >= count and all(r.attempts > 0 for r in rows):
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"outbox: {[(r.state, r.attempts, r.last_error) for r in rows]}")


@pytest.fixture(params=[True, False], ids=["smarthost-smtputf8", "smarthost-ascii-only"])
async def world(request, tmp_path):
    host = await Smarthost(utf8=request.param).start()
    d = await _daemon(tmp_path, host)
    yield d, host
    await daemon_mod.stop(d.daemon, grace=2)
    d.sessions.kw["bind"].dispose()
    await host.stop()


async def test_requester_acknowledgement_reply_and_contact(world):
    """Every customer gets a requester in stored form and an acknowledgement; with a smarthost
    without SMTPUTF8, mail to a UTF-8 local part stays queued with the reason, never mangled."""
    d, host = world
    for i, (written, _, _, _) in enumerate(CUSTOMERS):
        await _send(d, written, f"<intl{i}@example.org>")
    await d.wait_processed(len(CUSTOMERS))
    with d.sessions() as s:
        requests = list(s.scalars(select(QuoteRequest).order_by(QuoteRequest.id)))
    assert [r.requester_email for r in requests] == [stored for _, stored, _, _ in CUSTOMERS]

    rows = await _wait_rows(d, len(CUSTOMERS))
    delivered = {address_key(rcpts[0]): (data, options) for _, rcpts, data, options in host.received}
    for i, ((_, stored, _, utf8), row) in enumerate(zip(CUSTOMERS, rows, strict=True)):
        if utf8 and not host.utf8:
            assert (row.state, row.last_error) == ("queued", LACKS_SMTPUTF8)
            assert address_key(stored) not in delivered
            continue
        assert row.state == "sent", row.last_error
        data, options = delivered[address_key(stored)]
        assert ("SMTPUTF8" in options) is utf8
        assert data.isascii() is not utf8  # ASCII mail stays ASCII: IDN domains as A-labels
        ack = parse_message(data)
        assert [a.email for a in ack.to] == [stored]
        assert ack.header("Auto-Submitted") == "auto-replied" and ack.in_reply_to == f"<intl{i}@example.org>"

    # The reply to the first customer (UTF-8 local part) and contact matching in another spelling.
    settings = SendSettings(DOMAIN, Signer(SECRET.encode(), DOMAIN))
    first = requests[0]
    with d.sessions.begin() as s:
        reply_to_request(s, settings, first.id, "Beste Jürgen,\n\nHierbij de prijs.", [], "jan@acme.be", SystemClock())
        tenant = s.scalar(select(Tenant).where(Tenant.slug == "acme"))
        card = add_contact(s, tenant, {"name": "Müller GmbH", "emails": [CUSTOMERS[0][2]]}, "cli", SystemClock())
        others = [add_contact(s, tenant, {"name": f"Contact {i}", "emails": [spelling]}, "cli", SystemClock()).row.id
                  for i, (_, _, spelling, _) in enumerate(CUSTOMERS[1:])]
    d.daemon.outbox.wake()
    rows = await _wait_rows(d, len(CUSTOMERS) + 1)
    reply = rows[-1]
    with d.sessions() as s:
        assert [c.id for c in contacts_with_address(s, tenant.id, first.requester_email)] == [card.row.id]
        for request, contact_id in zip(requests[1:], others, strict=True):
            assert [c.id for c in contacts_with_address(s, tenant.id, request.requester_email)] == [contact_id]
    if host.utf8:
        assert reply.state == "sent"
        mail_from, rcpts, data, options = host.received[-1]
        assert rcpts == ["jürgen@exämple.de"] and "SMTPUTF8" in options
        assert "To: Klant Ü <jürgen@exämple.de>".encode() in data
    else:
        assert (reply.state, reply.last_error) == ("queued", LACKS_SMTPUTF8)
