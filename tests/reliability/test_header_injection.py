"""Header injection: CR/LF and RFC 2047 tricks in every field that flows into our outgoing mail
(subject, the customer's name, the tenant's name, template variables, attachment names) never
add a header, a MIME part header or a recipient."""

from __future__ import annotations

import email
from email import policy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quotemaild.errors import InvalidInput
from quotemaild.mail.addresses import Address
from quotemaild.mail.compose import OutboundAttachment, Sender, compose, reply_subject
from quotemaild.mail.templates import render_mail
from tests.unit.test_compose import TENANT, make

TOP = sorted(["from", "reply-to", "to", "subject", "date", "message-id", "in-reply-to", "references",
              "content-type", "mime-version"])
PART_HEADERS = {"content-type", "content-transfer-encoding", "content-disposition", "mime-version"}
RECIPIENT = "klant@example.org"

TRICKS = [
    "Offerte\r\nBcc: victim@evil.example",
    "Offerte\nBcc: victim@evil.example",
    "Offerte\rBcc: victim@evil.example",
    "Offerte\r\n\r\n<html>body takeover",
    "=?utf-8?q?Offerte=0D=0ABcc=3A_victim=40evil.example?=",
    "=?utf-8?b?T2ZmZXJ0ZQ0KQmNjOiB2aWN0aW1AZXZpbC5leGFtcGxl?=",  # base64 of "Offerte\r\nBcc: victim@..."
    "Offerte\x00Bcc: victim@evil.example",
    "Offerte\x0bBcc: victim@evil.example",
    "Offerte\u2028Bcc: victim@evil.example",
    "Offerte\u0085Bcc: victim@evil.example",
    'Jan" <victim@evil.example>, "x',
    "victim@evil.example, other@evil.example",
    "Jan\r\n To: victim@evil.example",
]
NASTY = st.lists(
    st.sampled_from(list("aZé €:;,<>@\"\\=?\r\n\t\x00\x0b\u2028\u0085") +
                    ["=?utf-8?q?", "?=", "=0D=0A", "Bcc: x@evil.example", "\r\nTo: y@evil.example", "=?utf-8?b?DQo=?="]),
    max_size=30,
).map("".join)


def reparse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def check(subject: str, name: str, tenant_name: str, filename: str) -> None:
    sender = Sender(mode="tenant", proposals_address=TENANT.proposals_address, display_name=tenant_name,
                    reply_to=TENANT.reply_to)
    try:
        composed = compose(make(subject=reply_subject(subject), sender=sender, to=[Address(RECIPIENT, name)],
                                attachments=[OutboundAttachment(filename, "application/pdf", b"%PDF-1.4\n")]))
    except InvalidInput:
        return  # refused with a clear error is fine; sent with an extra header is not
    assert composed.envelope_recipients == (RECIPIENT,)
    raw = composed.as_bytes()
    back = reparse(raw)
    assert sorted(k.lower() for k in back.keys()) == TOP
    assert [a.addr_spec for a in back["To"].addresses] == [RECIPIENT]
    assert all(a.addr_spec.endswith("@proposals.example.com") for a in back["From"].addresses)
    assert len(back["From"].addresses) == 1 and len(back["Reply-To"].addresses) == 1
    for key in ("Subject", "To", "From"):
        assert "\r" not in str(back[key]) and "\n" not in str(back[key])
    parts = list(back.walk())
    assert len(parts) == 3  # multipart/mixed, the text, the attachment: no part smuggled in
    for part in parts[1:]:
        assert {k.lower() for k in part.keys()} <= PART_HEADERS, part.keys()


@pytest.mark.parametrize("trick", TRICKS)
@pytest.mark.parametrize("field", ["subject", "name", "tenant_name", "filename"])
def test_trick_in_each_field(field: str, trick: str) -> None:
    """The table: each trick in each field."""
    values = {"subject": "Offerte", "name": "Jan", "tenant_name": "Starcomm BV", "filename": "offerte.pdf"}
    values[field] = trick
    check(**values)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=NASTY, name=NASTY, tenant_name=NASTY, filename=NASTY)
def test_any_mix_of_tricks_in_all_fields(subject: str, name: str, tenant_name: str, filename: str) -> None:
    check(subject, name, tenant_name, filename)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=NASTY | st.sampled_from(TRICKS), kind=st.sampled_from(["ack", "reply", "quote_send"]),
       language=st.sampled_from(["nl", "fr", "en"]))
def test_template_variables_never_add_a_header(value: str, kind: str, language: str) -> None:
    """Template variables (contact name, subject, tenant name, quote number ...) carry the trick
    into the rendered subject and text; the composed mail still has only our headers."""
    context = {k: value for k in ("contact_name", "subject", "tenant_name", "user_name", "quote_number", "body",
                                  "quote_total", "valid_until", "request_ref", "tenant_address")}
    context.update(reply_subject=reply_subject(value), accept_url="https://q.example/a", reject_url="https://q.example/r")
    rendered = render_mail(kind, language, context)
    try:
        composed = compose(make(subject=rendered.subject, text=rendered.text, to=[Address(RECIPIENT, value)]))
    except InvalidInput:
        return
    back = reparse(composed.as_bytes())
    assert {k.lower() for k in back.keys()} <= set(TOP) | {"content-transfer-encoding"}
    assert [a.addr_spec for a in back["To"].addresses] == [RECIPIENT]
    assert composed.envelope_recipients == (RECIPIENT,)
