"""TenantIdentity: own addresses/domains (with subdomains), proposals addresses (with +tags)."""

from __future__ import annotations

import pytest

from quotemaild.mail.tenant import TenantIdentity

TENANT = TenantIdentity(
    proposals_addresses=frozenset({"firma-1@proposals.example.com"}),
    own_addresses=frozenset({"firma@gmail.com"}),
    own_domains=frozenset({"firma.be"}),
    proposals_domain="proposals.example.com",
    known_forwarders=frozenset({"offertes@googlegroups.com"}),
)


@pytest.mark.parametrize(
    ("email", "own", "proposals", "forwarder"),
    [
        ("firma@gmail.com", True, False, False),
        ("Firma@Gmail.com", True, False, False),
        ("other@gmail.com", False, False, False),
        ("jan@firma.be", True, False, False),
        ("jan@mail.firma.be", True, False, False),
        ("jan@notfirma.be", False, False, False),
        ("firma-1@proposals.example.com", False, True, False),
        ("firma-1+r12.abc@proposals.example.com", False, True, False),
        ("other-2@proposals.example.com", False, True, False),
        ("offertes@googlegroups.com", False, False, True),
    ],
)
def test_membership(email, own, proposals, forwarder):
    """Own, proposals and known-forwarder checks are case-insensitive and domain-aware."""
    assert (TENANT.is_own(email), TENANT.is_proposals(email), TENANT.is_forwarder(email)) == (
        own,
        proposals,
        forwarder,
    )
