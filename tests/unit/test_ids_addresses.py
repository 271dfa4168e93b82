"""Message-ID extraction and strict address parsing."""

import pytest

from quotemaild.mail.addresses import Address, clean_email, parse_address_list, safe_display_name
from quotemaild.mail.ids import extract_ids, first_id, normalize_id


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<a@B.COM>", ["<a@b.com>"]),
        ("<a@x> <b@x>\r\n <c@x>", ["<a@x>", "<b@x>", "<c@x>"]),
        ("<a@x> <a@x>", ["<a@x>"]),
        ("a@x", ["<a@x>"]),
        ("Your message of Mon <a@x>", ["<a@x>"]),
        ("", []),
        ("garbage", []),
    ],
)
def test_extract_ids(value, expected):
    """Ids are found bracketed or bare, normalised (domain folded), in order, without repeats."""
    assert extract_ids(value) == expected


def test_local_part_case_is_kept():
    """The local part of a msg-id stays as given: clients echo it verbatim."""
    assert normalize_id("<AbC@Example.com>") == "<AbC@example.com>"
    assert first_id("") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Jan <jan@Example.COM>", [Address("jan@example.com", "Jan")]),
        ('"Doe, John" <john@acme.com>, mary@acme.com', [Address("john@acme.com", "Doe, John"), Address("mary@acme.com", "")]),
        ('"evil@attacker.com" <victim@bank.com>', [Address("victim@bank.com", "")]),
        ("not an address", []),
        ("", []),
    ],
)
def test_parse_address_list(value, expected):
    """Addresses parse strictly; display names containing '@' are dropped, never used as identity."""
    assert parse_address_list(value) == expected


def test_clean_email_and_names():
    """Bad addresses are None; names with CR/LF/NUL are dropped."""
    assert clean_email("a b@x.com") is None
    assert clean_email("a..b@x.com") is None
    assert clean_email("A@X.com") == "A@x.com"
    assert safe_display_name("Jan\r\nBcc: x") == ""
    assert safe_display_name("  Jan   Peeters ") == "Jan Peeters"
