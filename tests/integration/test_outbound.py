"""Outbound on real sockets: acknowledgements, replies, retries, and answers that loop back.

The daemon runs in-process on loopback; the smarthost is a real aiosmtpd server on the same
loop whose reply can be switched to a temporary or permanent failure.
"""

from __future__ import annotations

import asyncio
import email
import re
import time
from email import policy

import aiosmtplib
import pytest
from aiosmtpd.smtp import SMTP
from sqlalchemy import select

from quotemaild import daemon as daemon_mod
from quotemaild.clock import SystemClock
from quotemaild.config import config_from_dict
from quotemaild.mail.compose import OutboundAttachment
from quotemaild.mail.tokens import Signer
from quotemaild.services.reply import reply_to_request
from quotemaild.services.send import SendSettings
from quotemaild.services.tenants import TenantUpdate, update_tenant
from quotemaild.store.models import BouncedAddress, Message, OutboxMessage, QuoteRequest, TimelineEvent
from tests.conftest import DOMAIN, config_dict, make_mail, start_daemon

pytestmark = pytest.mark.asyncio
SECRET = "test-secret-0123456789abcdef"


class Smarthost:
    """A capturing smarthost; `reply` is what DATA answers (250, 451 or 550 ...)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []
        self.reply = "250 2.0.0 Ok: queued as 4XkQ2"
        self.server: asyncio.base_events.Server | None = None
        self.port = 0

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        if self.reply.startswith("250"):
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return self.reply

    async def start(self, port: int = 0) -> Smarthost:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(lambda: SMTP(self, decode_data=False), "127.0.0.1", port)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None

    async def wait(self, count: int, timeout: float = 10.0) -> list[email.message.EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert len(self.received) >= count, f"{len(self.received)} of {count} mails reached the smarthost"
        return [email.message_from_bytes(data, policy=policy.default) for _, _, data in self.received]


@pytest.fixture
async def smarthost():
    host = await Smarthost().start()
    yield host
    await host.stop()


@pytest.fixture
async def setup(tmp_path, smarthost):
    cfg = config_from_dict(
        config_dict(
            tmp_path,
            outbound={"smarthost": f"127.0.0.1:{smarthost.port}", "retry_initial": 0.3, "retry_max": 0.6,
                      "poll_interval": 0.1, "give_up_after": 60},
        )
    )
    d = await start_daemon(cfg)
    yield d
    await daemon_mod.stop(d.daemon, grace=2)
    d.sessions.kw["bind"].dispose()


async def send(d, raw: bytes, rcpt: str, sender: str = "klant@example.org") -> None:
    async with aiosmtplib.SMTP(hostname=d.host, port=d.port) as client:
        await client.sendmail(sender, [rcpt], raw)


def requests_of(d) -> list[QuoteRequest]:
    with d.sessions() as s:
        return list(s.scalars(select(QuoteRequest).order_by(QuoteRequest.id)))


def timeline_kinds(d, request_id: int) -> list[str]:
    with d.sessions() as s:
        return list(s.scalars(select(TimelineEvent.kind).where(TimelineEvent.request_id == request_id).order_by(TimelineEvent.id)))


async def test_acknowledgement_has_the_right_headers_and_language(setup, smarthost):
    """A new request is acknowledged From the tenant address, null sender, RFC 3834 headers, in Dutch."""
    await send(setup, make_mail(subject="Offerte ramen", message_id="<c1@example.org>"), setup.address("acme"))
    (ack,) = await smarthost.wait(1)
    mail_from, rcpts, _ = smarthost.received[0]
    assert mail_from in ("", "<>") and rcpts == ["klant@example.org"]  # null reverse path
    assert ack["From"].addresses[0].addr_spec == f"acme@{DOMAIN}"
    assert ack["To"].addresses[0].addr_spec == "klant@example.org"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["X-Auto-Response-Suppress"] == "All"
    assert ack["In-Reply-To"] == "<c1@example.org>"
    assert re.fullmatch(rf"acme\+r\d+\.[a-z2-7]+@{re.escape(DOMAIN)}", ack["Reply-To"].addresses[0].addr_spec)
    assert ack["Subject"].startswith("Ontvangen")
    assert "Bedankt voor uw aanvraag" in ack.get_content()
    await _wait_outbox(setup, "sent")


async def test_acknowledgement_in_french_for_a_french_tenant(setup, smarthost):
    """The tenant's language picks the template."""
    with setup.sessions.begin() as s:
        update_tenant(s, "acme", TenantUpdate(language="fr"))
    await send(setup, make_mail(), setup.address("acme"))
    (ack,) = await smarthost.wait(1)
    assert "Merci" in ack.get_content() or "merci" in ack.get_content()


@pytest.mark.parametrize(
    ("sender", "extra"),
    [
        ("", ""),  # null reverse path
        ("klant@example.org", "Auto-Submitted: auto-generated"),
        ("klant@example.org", "Precedence: bulk"),
        ("klant@example.org", "List-Id: <news.example.org>"),
        ("klant@example.org", "X-Autoreply: yes"),
        ("noreply@example.org", ""),
        ("mailer-daemon@example.org", ""),
    ],
)
async def test_no_acknowledgement_for_automatic_mail(setup, smarthost, sender, extra):
    """Mail that must never get an automatic answer queues no acknowledgement; when it opened a
    request (bulk, system senders) the reasons are on its timeline, auto-replies open none."""
    raw = make_mail(sender=sender or "klant@example.org", extra=extra)
    await send(setup, raw, setup.address("acme"), sender=sender)
    await setup.wait_processed(1)
    with setup.sessions() as s:
        assert s.scalars(select(OutboxMessage)).all() == []
        skipped = s.scalars(select(TimelineEvent).where(TimelineEvent.kind == "acknowledgement_skipped")).all()
        kinds = s.scalars(select(Message.kind)).all()
    if kinds == ["auto_reply"]:
        assert requests_of(setup) == []
    else:
        assert len(skipped) == 1 and skipped[0].detail["reasons"]


async def test_one_acknowledgement_per_sender_per_day(setup, smarthost):
    """A second new request from the same sender within 24 h is not acknowledged again."""
    await send(setup, make_mail(message_id="<a@example.org>", subject="Eerste"), setup.address("acme"))
    await send(setup, make_mail(message_id="<b@example.org>", subject="Tweede"), setup.address("acme"))
    await setup.wait_processed(2)
    with setup.sessions() as s:
        assert len(s.scalars(select(OutboxMessage)).all()) == 1


async def test_auto_reply_off(setup, smarthost):
    """A tenant with auto-reply off gets no acknowledgement sent."""
    with setup.sessions.begin() as s:
        update_tenant(s, "acme", TenantUpdate(auto_reply="off"))
    await send(setup, make_mail(), setup.address("acme"))
    await setup.wait_processed(1)
    with setup.sessions() as s:
        assert s.scalars(select(OutboxMessage)).all() == []


async def test_reply_with_attachment_leaves_from_the_tenant_and_answers(setup, smarthost):
    """A human reply goes From the tenant address with its attachment, not Auto-Submitted; status answered."""
    await send(setup, make_mail(), setup.address("acme"))
    await smarthost.wait(1)
    (request,) = requests_of(setup)
    settings = SendSettings(DOMAIN, Signer(SECRET.encode(), DOMAIN))
    pdf = OutboundAttachment("plan.pdf", "application/pdf", b"%PDF-1.4 test")
    with setup.sessions.begin() as s:
        reply_to_request(s, settings, request.id, "Beste klant,\n\nIn bijlage het plan.", [pdf], "jan@acme.be", SystemClock())
    setup.daemon.outbox.wake()
    mails = await smarthost.wait(2)
    reply = mails[1]
    assert smarthost.received[1][0].startswith("bounce+")  # VERP: a bounce maps to this outbox row
    assert reply["From"].addresses[0].addr_spec == f"acme@{DOMAIN}"
    assert reply["Subject"] == "Re: Offerte aanvraag"
    assert reply["Auto-Submitted"] is None
    assert [p.get_filename() for p in reply.iter_attachments()] == ["plan.pdf"]
    assert "[ref:" in reply.get_body(("plain",)).get_content()
    (request,) = requests_of(setup)
    assert request.status == "answered"
    assert "status_changed" in timeline_kinds(setup, request.id)


async def _ack(setup, smarthost, tenant: str = "acme", mid: str = "<first@example.org>"):
    await send(setup, make_mail(message_id=mid), setup.address(tenant))
    mails = await smarthost.wait(len(smarthost.received) + 1)
    return mails[-1]


@pytest.mark.parametrize("variant", ["reply-all", "references-stripped", "marker-only", "provider-rewrote-id"])
async def test_customer_answers_loop_back(setup, smarthost, variant):
    """The customer's answer to our acknowledgement joins the request, however the client mangled it."""
    if variant == "provider-rewrote-id":
        smarthost.reply = "250 Ok 0100018c2f3e4d5a-ab12cd34-0000"
    ack = await _ack(setup, smarthost)
    await _wait_outbox(setup, "sent")
    ours = ack["Message-ID"]
    reply_to = ack["Reply-To"].addresses[0].addr_spec
    quoted = "\n".join("> " + line for line in ack.get_content().splitlines())
    if variant == "reply-all":
        raw = make_mail(message_id="<ans@example.org>", extra=f"In-Reply-To: {ours}\r\nReferences: <first@example.org> {ours}")
        rcpt = reply_to
    elif variant == "references-stripped":
        raw = make_mail(message_id="<ans@example.org>")
        rcpt = reply_to
    elif variant == "marker-only":
        raw = make_mail(message_id="<ans@example.org>", body=f"Ja graag.\n\n{quoted}\n")
        rcpt = setup.address("acme")
    else:
        raw = make_mail(message_id="<ans@example.org>", extra="In-Reply-To: <0100018c2f3e4d5a-ab12cd34-0000@email.amazonses.com>")
        rcpt = setup.address("acme")
    await send(setup, raw, rcpt)
    await setup.wait_processed(2)
    assert len(requests_of(setup)) == 1, variant


async def test_forged_token_starts_a_new_request(setup, smarthost):
    """A plus address with a bad MAC is accepted but never joins a thread."""
    await _ack(setup, smarthost)
    (request,) = requests_of(setup)
    await send(setup, make_mail(message_id="<x@example.org>"), f"acme+r{request.id}.aaaaaaaaaaaaaaaa@{DOMAIN}")
    await setup.wait_processed(2)
    assert len(requests_of(setup)) == 2


async def test_other_tenants_thread_is_never_joined(setup, smarthost):
    """Answering another tenant's acknowledgement at this tenant opens a new request here."""
    ack = await _ack(setup, smarthost, tenant="other")
    raw = make_mail(message_id="<x@example.org>", extra=f"In-Reply-To: {ack['Message-ID']}")
    await send(setup, raw, setup.address("acme"))
    await setup.wait_processed(2)
    tenants = [r.tenant_id for r in requests_of(setup)]
    assert tenants == [setup.tenants["other"], setup.tenants["acme"]]


async def test_smarthost_down_then_back_delivers(tmp_path):
    """Temporary failures are retried with backoff until the smarthost accepts the mail."""
    host = Smarthost()
    host.reply = "451 4.3.0 try later"
    await host.start()
    cfg = config_from_dict(config_dict(tmp_path, outbound={
        "smarthost": f"127.0.0.1:{host.port}", "retry_initial": 0.2, "retry_max": 0.4, "poll_interval": 0.1}))
    d = await start_daemon(cfg)
    try:
        await send(d, make_mail(), d.address("acme"))
        row = await _wait_outbox(d, "queued", attempts=2)
        assert "451" in (row.last_error or "")
        host.reply = "250 2.0.0 Ok"
        await host.wait(1)
        row = await _wait_outbox(d, "sent")
        assert row.attempts >= 3
    finally:
        await daemon_mod.stop(d.daemon, grace=2)
        await host.stop()


async def test_permanent_failure_flags_the_request(setup, smarthost):
    """A 5xx from the smarthost fails the mail at once, flags the request and notes why."""
    smarthost.reply = "550 5.1.1 no such user"
    await send(setup, make_mail(), setup.address("acme"))
    await _wait_outbox(setup, "failed")
    (request,) = requests_of(setup)
    assert request.needs_attention
    assert "delivery_failed" in timeline_kinds(setup, request.id)


async def test_header_injection_in_subject_and_name_is_neutralised(setup, smarthost):
    """CR/LF smuggled in an encoded subject or display name never becomes a header of our mail."""
    raw = (
        "From: =?utf-8?q?Evil=0D=0ABcc=3A_victim=40x.com?= <klant@example.org>\r\n"
        f"To: acme@{DOMAIN}\r\n"
        "Subject: =?utf-8?q?Offerte=0D=0ABcc=3A_victim=40x.com?=\r\n"
        "Message-ID: <inj@example.org>\r\n\r\nbody\r\n"
    ).encode()
    await send(setup, raw, setup.address("acme"))
    (ack,) = await smarthost.wait(1)
    data = smarthost.received[0][2]
    assert ack["Bcc"] is None
    assert not re.search(rb"(?im)^bcc:", data)
    assert smarthost.received[0][1] == ["klant@example.org"]


async def _wait_outbox(d, state: str, attempts: int = 0, timeout: float = 10.0) -> OutboxMessage:
    deadline = time.monotonic() + timeout
    row = None
    while time.monotonic() < deadline:
        with d.sessions() as s:
            row = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
        if row is not None and row.state == state and row.attempts >= attempts:
            return row
        await asyncio.sleep(0.05)
    raise AssertionError(f"outbox never reached {state} (last: {row and (row.state, row.attempts, row.last_error)})")




async def test_bounce_of_our_reply_fails_the_outbox_row_and_flags_the_request(setup, smarthost):
    """A DSN sent to our VERP address is accepted, marks the mail failed, flags the request,
    remembers the address as hard-bounced, and opens no request of its own."""
    await send(setup, make_mail(), setup.address("acme"))
    await smarthost.wait(1)
    (request,) = requests_of(setup)
    settings = SendSettings(DOMAIN, Signer(SECRET.encode(), DOMAIN))
    with setup.sessions.begin() as s:
        reply_to_request(s, settings, request.id, "Hier is de prijs.", [], "jan@acme.be", SystemClock())
    setup.daemon.outbox.wake()
    await smarthost.wait(2)
    verp, _, sent = smarthost.received[1]
    original_id = email.message_from_bytes(sent, policy=policy.default)["Message-ID"]
    dsn = (
        f"From: Mail Delivery System <MAILER-DAEMON@mx.example.org>\r\nTo: {verp}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx.example.org>\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain\r\n\r\nThis is the mail system. Your message could not be delivered.\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n"
        "Final-Recipient: rfc822; klant@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
        f"--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {original_id}\r\n--b--\r\n"
    ).encode()
    await send(setup, dsn, verp, sender="")
    await setup.wait_processed(2)
    with setup.sessions() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reply")).one()
        bounced = s.scalars(select(BouncedAddress.address)).all()
    assert row.state == "failed" and "bounced" in row.last_error
    assert bounced == ["klant@example.org"]
    (request,) = requests_of(setup)
    assert request.needs_attention
    assert "bounce_received" in timeline_kinds(setup, request.id)


async def test_forged_bounce_address_is_refused_at_rcpt(setup):
    """A bounce+ address with a bad signature is an unknown recipient."""
    async with aiosmtplib.SMTP(hostname=setup.host, port=setup.port) as client:
        await client.mail("")
        with pytest.raises(aiosmtplib.SMTPRecipientRefused) as err:
            await client.rcpt(f"bounce+1.aaaaaaaaaaaaaaaa@{DOMAIN}")
    assert err.value.code == 550


async def test_dkim_signed_acknowledgement_verifies(tmp_path, smarthost):
    """With [dkim] configured, the mail reaching the smarthost carries a signature that verifies."""
    import base64
    import shutil
    import subprocess

    import dkim

    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test key")
    private = subprocess.run(["openssl", "genrsa", "2048"], capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "rsa", "-pubout", "-outform", "DER"], input=private, capture_output=True, check=True).stdout
    (tmp_path / "dkim.pem").write_bytes(private)
    cfg = config_from_dict(config_dict(tmp_path, outbound={"smarthost": f"127.0.0.1:{smarthost.port}", "poll_interval": 0.1},
                                       dkim={"selector": "q1", "key_file": str(tmp_path / "dkim.pem")}))
    d = await start_daemon(cfg)
    try:
        await send(d, make_mail(), d.address("acme"))
        await smarthost.wait(1)
        data = smarthost.received[0][2]
        assert data.startswith(b"DKIM-Signature:")
        txt = b"v=DKIM1; k=rsa; p=" + base64.b64encode(der)
        assert dkim.verify(data, dnsfunc=lambda name, timeout=5: txt)
    finally:
        await daemon_mod.stop(d.daemon, grace=2)
