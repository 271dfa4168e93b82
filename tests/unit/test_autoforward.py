"""autoforward.detect(): server-side forward signals name the forwarder, never the requester."""

from __future__ import annotations

import pytest

from quotemaild.mail.autoforward import detect
from quotemaild.mail.parse import parse_message
from quotemaild.mail.tenant import TenantIdentity

TENANT = TenantIdentity(
    proposals_addresses=frozenset({"firma-1@proposals.example.com"}),
    own_addresses=frozenset({"firma@gmail.com"}),
    own_domains=frozenset({"firma.be"}),
    proposals_domain="proposals.example.com",
)


def msg(headers: str):
    return parse_message(f"From: Piet <piet@klant.be>\nSubject: Offerte\n{headers}\n\nHallo".encode())


@pytest.mark.parametrize(
    ("headers", "envelope", "forwarded_by", "reason"),
    [
        (
            "To: firma@gmail.com\nX-Forwarded-For: firma@gmail.com firma-1@proposals.example.com\nX-Forwarded-To: firma-1@proposals.example.com",
            "piet@klant.be",
            "firma@gmail.com",
            "X-Forwarded-For header",
        ),
        ("To: jan@firma.be\nResent-From: jan@firma.be", "jan@firma.be", "jan@firma.be", "Resent-From header"),
        (
            "To: verkoop@firma.be\nX-MS-Exchange-Organization-AutoForwarded: true",
            "",
            "verkoop@firma.be",
            "X-MS-Exchange-Organization-AutoForwarded: true",
        ),
        (
            "To: firma-1@proposals.example.com\nX-MS-Exchange-ForwardingLoop: verkoop@firma.be;abc",
            "",
            "verkoop@firma.be",
            "X-MS-Exchange-ForwardingLoop header",
        ),
        (
            "To: firma-1@proposals.example.com\nDelivered-To: jan@firma.be\nDelivered-To: firma-1@proposals.example.com",
            "",
            "jan@firma.be",
            "Delivered-To is the tenant's mailbox",
        ),
        (
            "To: firma-1@proposals.example.com",
            "SRS0=HhH=AB=klant.be=piet@firma.be",
            None,
            "SRS envelope sender on the tenant's domain",
        ),
        (
            "To: firma-1@proposals.example.com",
            "bounces+123@firma.be",
            "bounces+123@firma.be",
            "envelope sender on the tenant's domain",
        ),
    ],
)
def test_auto_forward_signals(headers, envelope, forwarded_by, reason):
    """Each provider's forwarding trace is recognised and names who forwarded."""
    got_by, reasons = detect(msg(headers), envelope, TENANT)
    assert reason in reasons
    assert got_by == forwarded_by


@pytest.mark.parametrize(
    ("headers", "envelope"),
    [
        ("To: firma-1@proposals.example.com", "piet@klant.be"),
        (
            "To: firma-1@proposals.example.com\nCc: jan@firma.be",
            "bounce-123@esp.example",
        ),  # customer copies the seller
        ("To: firma-1@proposals.example.com\nDelivered-To: firma-1@proposals.example.com", ""),
    ],
)
def test_direct_mail_is_not_auto_forward(headers, envelope):
    """Direct mail, even with a foreign envelope sender or the seller in Cc, is not a forward."""
    assert detect(msg(headers), envelope, TENANT) == (None, [])
