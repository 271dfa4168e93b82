"""Envelope recipients route to a tenant slug, or are foreign (no relay) or invalid."""

import pytest

from quotemaild.mail.recipients import Route, route_recipient

D = "proposals.example.com"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("starcomm-524@proposals.example.com", Route("tenant", "starcomm-524")),
        ("StarComm-524@Proposals.Example.COM", Route("tenant", "starcomm-524")),
        ("starcomm-524+r12.abc@proposals.example.com", Route("tenant", "starcomm-524", "r12.abc")),
        ("starcomm-524@proposals.example.com.", Route("invalid")),
        ("starcomm-524@example.com", Route("foreign")),
        ("victim@gmail.com", Route("foreign")),
        ("starcomm@sub.proposals.example.com", Route("foreign")),
        ("no-at-sign", Route("invalid")),
        ("+tag@proposals.example.com", Route("invalid")),
        ("a b@proposals.example.com", Route("invalid")),
        ("", Route("invalid")),
    ],
)
def test_route_recipient(address, expected):
    """Each address routes as the table says."""
    assert route_recipient(address, D) == expected
