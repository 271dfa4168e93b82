"""DSNs to our VERP bounce address (bounce+<outbox>.<mac>@domain) are accepted at RCPT for the
tenant of that outbox row; the address names no tenant slug, and before this they got 550 5.1.1,
so bounces of replies and quotes never came back (found by tests/e2e/test_postfix_routing.py)."""

from __future__ import annotations

import datetime as dt

import aiosmtplib
import pytest
from sqlalchemy import select

from quotemaild.mail.tokens import Signer
from quotemaild.services.outbox import new_outbox_row
from quotemaild.store.models import OutboxMessage, RawMessage
from tests.conftest import DOMAIN

pytestmark = pytest.mark.asyncio

SECRET = b"test-secret-0123456789abcdef"  # tests/conftest.py config_dict


def dsn(to: str) -> bytes:
    return (
        "From: MAILER-DAEMON@mx.client.test (Mail Delivery System)\r\n"
        f"To: {to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn-1@mx.client.test>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n\r\n"
        "--b1\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.client.test\r\n\r\n"
        "Final-Recipient: rfc822; kees@client.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 mailbox unavailable\r\n\r\n"
        "--b1--\r\n"
    ).encode()


async def test_dsn_to_a_valid_bounce_address_is_stored_for_the_outbox_tenant(smtpd):
    with smtpd.sessions.begin() as s:
        row = new_outbox_row(s, smtpd.tenants["other"], None, "reply", ["kees@client.test"], dt.datetime.now(dt.UTC))
        row.state = "sent"
        s.flush()
        outbox_id = row.id
    address = Signer(SECRET, DOMAIN).bounce_address(outbox_id)
    async with aiosmtplib.SMTP(hostname=smtpd.host, port=smtpd.port) as client:
        await client.mail("")  # null reverse path, as every DSN has
        await client.rcpt(address)
        response = await client.data(dsn(address))
    assert response.code == 250 and response.message.startswith("2.0.0 Ok: stored as")
    await smtpd.wait_processed(1)
    with smtpd.sessions() as s:
        raw = s.scalars(select(RawMessage)).one()
        assert (raw.tenant_id, raw.rcpt_to) == (smtpd.tenants["other"], [address])
        assert raw.state == "processed"
        row = s.get_one(OutboxMessage, outbox_id)
        assert row.state == "failed" and (row.last_error or "").startswith("bounced")


@pytest.mark.parametrize("case", ["forged-mac", "unknown-outbox", "no-tag"])
async def test_other_bounce_addresses_are_still_unknown(smtpd, case):
    signer = Signer(SECRET, DOMAIN)
    address = {
        "forged-mac": signer.bounce_address(1).replace("bounce+1.", "bounce+2."),
        "unknown-outbox": signer.bounce_address(999),
        "no-tag": f"bounce@{DOMAIN}",
    }[case]
    async with aiosmtplib.SMTP(hostname=smtpd.host, port=smtpd.port) as client:
        await client.mail("")
        with pytest.raises(aiosmtplib.SMTPRecipientRefused) as refused:
            await client.rcpt(address)
    assert refused.value.code == 550 and "5.1.1" in refused.value.message
