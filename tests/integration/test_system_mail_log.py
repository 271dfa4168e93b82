"""Set-up mail (Gmail forwarding confirmation) is processed into no request, but is not swallowed:
the processor logs a `system_mail` event with the tenant, the code, the link and the hint."""

from __future__ import annotations

from structlog.testing import capture_logs

from quotemaild.clock import SystemClock
from quotemaild.edges.pipeline import process_one
from quotemaild.services.ingest import IngestSettings
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store.models import Message
from tests.conftest import DOMAIN
from tests.support.raws import add_pending_raw

LINK = "https://mail-settings.google.com/mail/vf-%5BANGjdJ-abc%5D-xyz"
GMAIL = (
    "From: Gmail Team <forwarding-noreply@google.com>\r\n"
    f"To: acme@{DOMAIN}\r\n"
    "Subject: (#512345678) Gmail Forwarding Confirmation - Receive Mail from jan@gmail.com\r\n"
    "Message-ID: <confirm-1@google.com>\r\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0100\r\n\r\n"
    f"jan@gmail.com has requested to automatically forward mail to your email address acme@{DOMAIN}.\r\n"
    "Confirmation code: 512345678\r\n\r\n"
    f"To allow jan@gmail.com to automatically forward mail to your address, click:\r\n\r\n{LINK}\r\n"
).encode()


def test_gmail_forwarding_confirmation_is_logged_for_the_tenant(sessions):
    with sessions.begin() as s:
        tenant_id = add_tenant(s, NewTenant(name="Acme", slug="acme"), SystemClock()).id
        raw_id = add_pending_raw(s, tenant_id, GMAIL, mail_from="forwarding-noreply@google.com")
    with capture_logs() as logs:
        result = process_one(sessions, raw_id, IngestSettings(domain=DOMAIN), SystemClock())
    assert result is not None and result.request_id is None  # never a quote request
    events = [e for e in logs if e["event"] == "system_mail"]
    assert len(events) == 1, logs
    event = events[0]
    assert event["log_level"] == "warning"
    assert (event["tenant"], event["kind"], event["code"], event["link"]) == (
        "acme", "gmail_forwarding_confirmation", "512345678", LINK,
    )
    assert "Forwarding and POP/IMAP" in event["hint"]
    with sessions() as s:
        assert s.get(Message, event["message_pk"]).provenance == "system"


def test_ordinary_mail_logs_no_system_event(sessions):
    raw = b"From: k@example.org\r\nTo: acme@" + DOMAIN.encode() + b"\r\nSubject: Offerte\r\nMessage-ID: <o@x>\r\n\r\nPrijs?\r\n"
    with sessions.begin() as s:
        tenant_id = add_tenant(s, NewTenant(name="Acme", slug="acme"), SystemClock()).id
        raw_id = add_pending_raw(s, tenant_id, raw)
    with capture_logs() as logs:
        result = process_one(sessions, raw_id, IngestSettings(domain=DOMAIN), SystemClock())
    assert result is not None and result.request_id is not None
    assert [e for e in logs if e["event"] == "system_mail"] == []
