"""The SMTP edge on a real socket: accept, refuse, thread, dedupe, and 451 when the store fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from quotemaild import daemon
from quotemaild.config import config_from_dict
from quotemaild.store.models import Message, QuoteRequest, RawMessage
from tests.support.store_lock import StoreLocker
from tests.conftest import DOMAIN, RunningDaemon, config_dict, make_mail, start_daemon

pytestmark = pytest.mark.asyncio


@asynccontextmanager
async def daemon_with(tmp_path: Path, **sections: dict[str, Any]) -> AsyncIterator[RunningDaemon]:
    """A daemon on its own store with some config sections changed, stopped afterwards."""
    d = await start_daemon(config_from_dict(config_dict(tmp_path, **sections)))
    try:
        yield d
    finally:
        await daemon.stop(d.daemon, grace=2)


async def send(d, raw: bytes, rcpts: list[str], sender: str = "klant@example.org"):
    async with aiosmtplib.SMTP(hostname=d.host, port=d.port) as client:
        return await client.sendmail(sender, rcpts, raw)


async def test_accepts_mail_for_a_tenant_and_creates_a_request(smtpd):
    """A mail to slug@domain gets 250 after storing and becomes a `received` request."""
    raw = make_mail()
    errors, reply = await send(smtpd, raw, [smtpd.address("acme")])
    assert errors == {}
    assert reply.startswith("2.0.0 Ok: stored as")
    await smtpd.wait_processed(1)
    with smtpd.sessions() as s:
        stored = s.scalars(select(RawMessage).options(selectinload(RawMessage.content))).one()
        request = s.scalars(select(QuoteRequest)).one()
    assert stored.data == raw
    assert stored.mail_from == "klant@example.org"
    assert stored.rcpt_to == [smtpd.address("acme")]
    assert stored.peer.startswith("127.0.0.1:")
    assert (request.status, request.subject, request.requester_email) == ("received", "Offerte aanvraag", "klant@example.org")


@pytest.mark.parametrize(
    ("rcpt", "code", "enhanced"),
    [
        (f"nobody@{DOMAIN}", 550, "5.1.1"),
        ("someone@gmail.com", 550, "5.7.1"),
        (f"acme@sub.{DOMAIN}", 550, "5.7.1"),
    ],
)
async def test_refuses_unknown_and_foreign_recipients_at_rcpt(smtpd, rcpt, code, enhanced):
    """Unknown local parts and other domains are refused at RCPT time: never a relay."""
    async with aiosmtplib.SMTP(hostname=smtpd.host, port=smtpd.port) as client:
        await client.mail("klant@example.org")
        with pytest.raises(aiosmtplib.SMTPRecipientRefused) as err:
            await client.rcpt(rcpt)
    assert err.value.code == code
    assert err.value.message.startswith(enhanced)


async def test_plus_address_reaches_the_tenant(smtpd):
    """slug+anything@domain is accepted for the tenant `slug`."""
    errors, _ = await send(smtpd, make_mail(), [f"acme+r1.x@{DOMAIN}"])
    assert errors == {}


async def test_one_copy_per_tenant_when_a_transaction_names_several(smtpd):
    """Recipients of two tenants in one transaction give one stored copy each, with their own rcpts."""
    await send(smtpd, make_mail(), [smtpd.address("acme"), smtpd.address("other"), f"acme+x@{DOMAIN}"])
    await smtpd.wait_processed(2)
    with smtpd.sessions() as s:
        rows = s.execute(select(RawMessage.tenant_id, RawMessage.rcpt_to).order_by(RawMessage.tenant_id)).all()
        requests = s.scalar(select(func.count()).select_from(QuoteRequest))
    assert [(t, sorted(r)) for t, r in rows] == [
        (smtpd.tenants["acme"], sorted([smtpd.address("acme"), f"acme+x@{DOMAIN}"])),
        (smtpd.tenants["other"], [smtpd.address("other")]),
    ]
    assert requests == 2


async def test_too_big_declared_size_is_refused_at_mail_from(tmp_path):
    """A SIZE= above the limit is refused with 552 5.3.4 before any data is sent."""
    async with daemon_with(tmp_path, mail={"max_message_size": 10_000}) as d:
        async with aiosmtplib.SMTP(hostname=d.host, port=d.port) as client:
            await client.ehlo()
            assert client.supports_extension("size")
            with pytest.raises(aiosmtplib.SMTPSenderRefused) as err:
                await client.mail("klant@example.org", options=["SIZE=20000"])
        assert (err.value.code, err.value.message[:5]) == (552, "5.3.4")


async def test_too_big_data_is_refused_and_not_stored(tmp_path):
    """Data over the limit (no SIZE declared) gets 552 5.3.4 and nothing is stored."""
    async with daemon_with(tmp_path, mail={"max_message_size": 10_000}) as d:
        async with aiosmtplib.SMTP(hostname=d.host, port=d.port) as client:
            await client.mail("klant@example.org")
            await client.rcpt(d.address("acme"))
            with pytest.raises(aiosmtplib.SMTPDataError) as err:
                await client.data(make_mail(body="x" * 80 + "\n" * 0 + ("y" * 70 + "\n") * 200))
        assert (err.value.code, err.value.message[:5]) == (552, "5.3.4")
        with d.sessions() as s:
            assert s.scalar(select(func.count()).select_from(RawMessage)) == 0


async def test_lines_starting_with_a_dot_are_stored_as_written(smtpd):
    """The sender's dot-stuffing (RFC 5321 4.5.2) is undone: the stored copy is the message itself."""
    raw = make_mail(body=".signature line\n..two dots\n.\nend\n")
    errors, _ = await send(smtpd, raw, [smtpd.address("acme")])
    assert errors == {}
    with smtpd.sessions() as s:
        stored = s.scalars(select(RawMessage).options(selectinload(RawMessage.content))).one()
    assert stored.data == raw


async def test_line_over_the_limit_is_refused_and_the_session_goes_on(tmp_path):
    """A DATA line over 1 MiB gets 500 5.5.2 after the final dot, nothing is stored, and the same
    connection can send the next message."""
    async with daemon_with(tmp_path, mail={"max_message_size": 4_000_000}) as d:
        async with aiosmtplib.SMTP(hostname=d.host, port=d.port) as client:
            await client.mail("klant@example.org")
            await client.rcpt(d.address("acme"))
            with pytest.raises(aiosmtplib.SMTPDataError) as err:
                await client.data(make_mail(body="x" * (1024 * 1024 + 10) + "\n"))
            assert (err.value.code, err.value.message[:5]) == (500, "5.5.2")
            with d.sessions() as s:
                assert s.scalar(select(func.count()).select_from(RawMessage)) == 0
            errors, reply = await client.sendmail("klant@example.org", [d.address("acme")], make_mail())
        assert errors == {} and reply.startswith("2.0.0 Ok: stored as")


async def test_reply_with_in_reply_to_joins_the_request(smtpd):
    """A reply naming the first message in In-Reply-To lands on the same request."""
    await send(smtpd, make_mail(message_id="<first@example.org>"), [smtpd.address("acme")])
    reply = make_mail(subject="Re: Offerte aanvraag", message_id="<second@example.org>", extra="In-Reply-To: <first@example.org>")
    await send(smtpd, reply, [smtpd.address("acme")])
    await smtpd.wait_processed(2)
    with smtpd.sessions() as s:
        requests = s.scalars(select(QuoteRequest)).all()
        provenances = s.scalars(select(Message.provenance).where(Message.direction == "in").order_by(Message.id)).all()
    assert len(requests) == 1
    assert requests[0].message_count == 3  # the mail, our acknowledgement, the reply
    assert provenances == ["direct", "reply"]


async def test_reply_with_only_references_joins_the_request(smtpd):
    """A client that drops In-Reply-To but keeps References still threads."""
    await send(smtpd, make_mail(message_id="<first@example.org>"), [smtpd.address("acme")])
    reply = make_mail(message_id="<second@example.org>", extra="References: <unknown@x.org> <first@example.org>")
    await send(smtpd, reply, [smtpd.address("acme")])
    await smtpd.wait_processed(2)
    with smtpd.sessions() as s:
        assert s.scalar(select(func.count()).select_from(QuoteRequest)) == 1


async def test_same_subject_without_references_is_a_new_request(smtpd):
    """Subject similarity never joins a thread."""
    await send(smtpd, make_mail(message_id="<a@example.org>"), [smtpd.address("acme")])
    await send(smtpd, make_mail(message_id="<b@example.org>"), [smtpd.address("acme")])
    await smtpd.wait_processed(2)
    with smtpd.sessions() as s:
        assert s.scalar(select(func.count()).select_from(QuoteRequest)) == 2


async def test_reply_never_joins_another_tenants_request(smtpd):
    """In-Reply-To naming a message of another tenant starts a new request."""
    await send(smtpd, make_mail(message_id="<first@example.org>"), [smtpd.address("other")])
    await send(smtpd, make_mail(message_id="<second@example.org>", extra="In-Reply-To: <first@example.org>"), [smtpd.address("acme")])
    await smtpd.wait_processed(2)
    with smtpd.sessions() as s:
        tenants = s.scalars(select(QuoteRequest.tenant_id).order_by(QuoteRequest.id)).all()
    assert tenants == [smtpd.tenants["other"], smtpd.tenants["acme"]]


async def test_redelivered_message_id_is_not_a_second_message(smtpd):
    """The same Message-ID delivered twice is stored raw twice but is one message."""
    raw = make_mail(message_id="<same@example.org>")
    await send(smtpd, raw, [smtpd.address("acme")])
    await send(smtpd, raw, [smtpd.address("acme")])
    await smtpd.wait_processed(2)
    with smtpd.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Message).where(Message.direction == "in")) == 1
        states = s.scalars(select(RawMessage.error).order_by(RawMessage.id)).all()
    assert states[0] is None and states[1].startswith("duplicate")


async def test_missing_message_id_gets_a_deterministic_one(smtpd):
    """Mail without Message-ID gets <gen-sha256@domain>, so its redelivery dedupes too."""
    raw = make_mail(message_id=None)
    await send(smtpd, raw, [smtpd.address("acme")])
    await send(smtpd, raw, [smtpd.address("acme")])
    await smtpd.wait_processed(2)
    with smtpd.sessions() as s:
        ids = s.scalars(select(Message.message_id).where(Message.direction == "in")).all()
    assert len(ids) == 1 and ids[0].startswith("<gen-") and ids[0].endswith(f"@{DOMAIN}>")


async def test_store_failure_answers_451_and_recovers(tmp_path):
    """While another process holds the database lock, DATA gets 451 4.3.0; afterwards mail is taken."""
    async with daemon_with(tmp_path, store={"busy_timeout": 0.2}) as d:
        locker = StoreLocker(d.daemon.config.store.url)
        try:
            locker.lock()
            async with aiosmtplib.SMTP(hostname=d.host, port=d.port) as client:
                await client.mail("klant@example.org")
                await client.rcpt(d.address("acme"))
                with pytest.raises(aiosmtplib.SMTPDataError) as err:
                    await client.data(make_mail())
            assert (err.value.code, err.value.message[:5]) == (451, "4.3.0")
            locker.release()
            errors, _ = await send(d, make_mail(), [d.address("acme")])
            assert errors == {}
            with d.sessions() as s:
                assert s.scalar(select(func.count()).select_from(RawMessage)) == 1
        finally:
            locker.release()


async def test_inbound_quotemaild_headers_are_not_trusted(smtpd):
    """X-Quotemaild-* headers from outside are dropped before anything reads them."""
    raw = make_mail(extra="X-Quotemaild-Request: 1")
    await send(smtpd, raw, [smtpd.address("acme")])
    await smtpd.wait_processed(1)
    with smtpd.sessions() as s:
        defects = s.scalars(select(Message.defects).where(Message.direction == "in")).one()
    assert "dropped inbound header X-Quotemaild-Request" in defects


async def test_gmail_forwarding_confirmation_is_shown_not_a_request(smtpd):
    """Google's forwarding confirmation opens no request, is never acknowledged, and its code and
    link are listed as a system message of the tenant."""
    link = "https://mail-settings.google.com/mail/vf-%5BANGjdJ8%5D-abc123"
    raw = (
        "From: Gmail Team <forwarding-noreply@google.com>\r\n"
        f"To: acme@{DOMAIN}\r\n"
        "Subject: (#512345678) Gmail Forwarding Confirmation - Receive Mail from jan@gmail.com\r\n"
        "Message-ID: <fwdconf@google.com>\r\n\r\n"
        "jan@gmail.com has requested to automatically forward mail.\r\n"
        f"Confirmation code: 512345678\r\n\r\n{link}\r\n"
    ).encode()
    await send(smtpd, raw, [smtpd.address("acme")], sender="forwarding-noreply@google.com")
    await smtpd.wait_processed(1)
    with smtpd.sessions() as s:
        assert s.scalar(select(func.count()).select_from(QuoteRequest)) == 0
        message = s.scalars(select(Message)).one()
        from quotemaild.store.models import OutboxMessage

        assert s.scalars(select(OutboxMessage)).all() == []
    assert message.kind == "system" and message.request_id is None
    assert message.info["system"]["code"] == "512345678"
    assert message.info["system"]["link"] == link

    from quotemaild.store.queries import list_messages

    with smtpd.sessions() as s:
        listed = list_messages(s, "acme", "system", unattached=True)
    assert [m["info"]["system"]["code"] for m in listed] == ["512345678"]
