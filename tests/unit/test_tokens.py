"""Signed reply addresses, Message-IDs, VERP addresses, body markers and quote links."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quotemaild.mail.tokens import (
    MAC_LEN,
    QuoteAction,
    Signer,
    quote_id_of_path,
    slug_of_address,
    without_body_markers,
)

S = Signer(secret=b"s3cret-s3cret-s3cret", domain="Proposals.Example.com")
OTHER_KEY = Signer(secret=b"another-secret-entirely", domain="proposals.example.com")
T, U = 7, 8  # two tenants


def test_reply_address_shape() -> None:
    """A reply address is slug+r<request>.<16 lowercase base32>@our domain."""
    addr = S.reply_address(T, "starcomm-524", 42)
    local, _, domain = addr.partition("@")
    assert domain == "proposals.example.com"
    assert local.startswith("starcomm-524+r42.")
    mac = local.rsplit(".", 1)[1]
    assert len(mac) == MAC_LEN and mac == mac.lower() and set(mac) <= set("abcdefghijklmnopqrstuvwxyz234567")


def test_reply_address_roundtrip_and_case_folding() -> None:
    """A reply address verifies as given and after an MTA upper- or lower-cases it."""
    addr = S.reply_address(T, "starcomm-524", 42)
    for variant in (addr, addr.upper(), addr.lower(), f"  {addr} "):
        assert S.verify_reply_address(T, "starcomm-524", variant) == 42
    assert S.verify_reply_address(T, "STARCOMM-524", addr) == 42


def _flip_last_mac_char(addr: str) -> str:
    at = addr.index("@")
    last = addr[at - 1]
    return addr[: at - 1] + ("a" if last != "a" else "b") + addr[at:]


@pytest.mark.parametrize(
    ("minted_for", "mutate"),
    [
        pytest.param(U, lambda a: a, id="foreign-tenant"),
        pytest.param(T, lambda a: a.replace("+r42.", "+r43."), id="other-request"),
        pytest.param(T, _flip_last_mac_char, id="bad-mac"),
        pytest.param(T, lambda a: a.replace("proposals.example.com", "evil.example"), id="foreign-domain"),
        pytest.param(T, lambda a: a.replace("starcomm-524", "other-1"), id="other-slug"),
        pytest.param(T, lambda a: a.replace("+r42.", "+r042."), id="leading-zero"),
        pytest.param(T, lambda a: a.split("@")[0], id="no-domain"),
    ],
)
def test_reply_address_forgeries_never_verify(minted_for: int, mutate) -> None:  # type: ignore[no-untyped-def]
    """A tampered, foreign-tenant or foreign-domain reply address verifies to None for tenant T."""
    addr = mutate(S.reply_address(minted_for, "starcomm-524", 42))
    assert S.verify_reply_address(T, "starcomm-524", addr) is None


def test_reply_address_from_other_tenant_fails() -> None:
    """A reply token minted for tenant U never verifies for tenant T (even with the same slug)."""
    addr = S.reply_address(U, "starcomm-524", 42)
    assert S.verify_reply_address(T, "starcomm-524", addr) is None
    assert S.verify_reply_address(U, "starcomm-524", addr) == 42


def test_other_secret_fails() -> None:
    """Tokens minted with another installation's secret never verify."""
    assert S.verify_reply_address(T, "a", OTHER_KEY.reply_address(T, "a", 1)) is None
    assert S.verify_message_id(T, OTHER_KEY.message_id(T, 1, 2)) is None


@pytest.mark.parametrize(
    "garbage",
    ["", "@", "x", "<>", "a+r1.@proposals.example.com", "a+r.abcdefghijklmnop@proposals.example.com",
     "a+r1.abcdefghijklmnop@proposals.example.com", "a+r1.ABCDEFGHIJKLMNOP0@proposals.example.com",
     "é+r1.abcdefghijklmnop@proposals.example.com", "a+r" + "9" * 40 + ".abcdefghijklmnop@proposals.example.com",
     "a\r\n+r1.abcdefghijklmnop@proposals.example.com", "x" * 5000],
)
def test_garbage_never_verifies(garbage: str) -> None:
    """Garbage in any verifier returns None, never raises."""
    assert S.verify_reply_address(T, "a", garbage) is None
    assert S.verify_message_id(T, garbage) is None
    assert S.verify_bounce_address(garbage) is None
    assert S.find_body_marker(T, garbage) is None
    assert S.verify_quote_action(T, garbage) is None


def test_message_id_roundtrip() -> None:
    """Our Message-ID is <q.<request>.<message>.<mac>@domain> and verifies with or without brackets."""
    mid = S.message_id(T, 42, 1001)
    assert mid.startswith("<q.42.1001.") and mid.endswith("@proposals.example.com>")
    assert S.verify_message_id(T, mid) == (42, 1001)
    assert S.verify_message_id(T, mid.strip("<>")) == (42, 1001)
    assert S.verify_message_id(T, mid.upper()) == (42, 1001)


def test_message_id_foreign_or_tampered() -> None:
    """A Message-ID from another tenant or with swapped ids does not verify."""
    mid = S.message_id(T, 42, 1001)
    assert S.verify_message_id(U, mid) is None
    assert S.verify_message_id(T, mid.replace("q.42.1001", "q.43.1001")) is None
    assert S.verify_message_id(T, mid.replace("q.42.1001", "q.42.1002")) is None


def test_bounce_address_roundtrip() -> None:
    """A VERP bounce address maps back to its outbox row; a changed id does not."""
    addr = S.bounce_address(555)
    assert addr.startswith("bounce+555.")
    assert S.verify_bounce_address(addr) == 555
    assert S.verify_bounce_address(addr.upper()) == 555
    assert S.verify_bounce_address(addr.replace("+555.", "+556.")) is None
    assert OTHER_KEY.verify_bounce_address(addr) is None


def test_body_marker_found_in_quoted_text() -> None:
    """The signed marker is found inside quoted history, even case-folded and after a '>' prefix."""
    marker = S.body_marker(T, 42)
    assert marker.startswith("[ref:r42.") and marker.endswith("]")
    body = f"Thanks!\n\n> On Monday, Shop wrote:\n> Hello\n> {marker}\n"
    assert S.find_body_marker(T, body) == 42
    assert S.find_body_marker(T, body.upper()) == 42
    assert S.find_body_marker(U, body) is None


def test_body_marker_skips_forged_then_finds_valid() -> None:
    """A forged marker before a valid one is skipped; a foreign tenant's marker is ignored."""
    body = f"[ref:r9.aaaaaaaaaaaaaaaa] {S.body_marker(U, 5)} {S.body_marker(T, 42)}"
    assert S.find_body_marker(T, body) == 42


def test_purposes_do_not_cross() -> None:
    """A MAC minted for one purpose (reply) is not accepted for another (marker)."""
    mac = S.reply_address(T, "a", 42).split("@")[0].rsplit(".", 1)[1]
    assert S.find_body_marker(T, f"[ref:r42.{mac}]") is None


@pytest.mark.parametrize("action", ["accept", "reject"])
def test_quote_action_roundtrip(action: str) -> None:
    """A quote link path verifies to (quote, action) for its tenant only."""
    path = S.quote_action_path(T, 99, action)
    assert path.startswith(f"/q/99/{action}/")
    assert S.verify_quote_action(T, path) == QuoteAction(99, action)
    assert S.verify_quote_action(T, path.upper()) == QuoteAction(99, action)
    assert S.verify_quote_action(U, path) is None
    assert quote_id_of_path(path) == 99


def test_quote_action_cannot_be_flipped() -> None:
    """The accept MAC does not work for reject, nor for another quote."""
    path = S.quote_action_path(T, 99, "accept")
    assert S.verify_quote_action(T, path.replace("/accept/", "/reject/")) is None
    assert S.verify_quote_action(T, path.replace("/q/99/", "/q/98/")) is None


def test_quote_action_unknown_refused() -> None:
    """Minting a link for an unknown action is a programming error."""
    with pytest.raises(ValueError):
        S.quote_action_path(T, 1, "delete")


@pytest.mark.parametrize(
    ("address", "slug"),
    [("starcomm-524@proposals.example.com", "starcomm-524"),
     ("Starcomm-524+r1.abc@proposals.example.com", "starcomm-524"),
     ("+x@proposals.example.com", None), ("nodomain", None)],
)
def test_slug_of_address(address: str, slug: str | None) -> None:
    """The routing slug is the local part before '+', lowercased (unverified)."""
    assert slug_of_address(address) == slug


def test_short_secret_refused() -> None:
    """A secret under 16 bytes is refused."""
    with pytest.raises(ValueError):
        Signer(secret=b"short", domain="x.example")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_random_text_never_verifies(text: str) -> None:
    """Arbitrary text never verifies as any token and never raises."""
    assert S.verify_reply_address(T, "a", text) is None
    assert S.verify_message_id(T, text) is None
    assert S.verify_bounce_address(text) is None
    assert S.find_body_marker(T, text) is None
    assert S.verify_quote_action(T, text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Beste Jan,\n\n[ref:r5.vaj4rjeqpvktje3n]\n", "Beste Jan,\n\n"),
        ("Hi\n[REF:r5.VAJ4RJEQPVKTJE3N]  \nbye", "Hi\nbye"),  # case folded, trailing blanks
        ("Hi\n> [ref:r5.vaj4rjeqpvktje3n]\n> old", "Hi\n> old"),  # quoted by the customer's client
        ("see [ref:r5.vaj4rjeqpvktje3n] above", "see [ref:r5.vaj4rjeqpvktje3n] above"),  # in a sentence
        ("[ref:r05.vaj4rjeqpvktje3n]\n", "[ref:r05.vaj4rjeqpvktje3n]\n"),  # not a marker's spelling
        ("[ref:r5.short]\n", "[ref:r5.short]\n"),
        ("", ""),
    ],
)
def test_body_marker_lines_are_hidden_for_display(text: str, expected: str) -> None:
    assert without_body_markers(text) == expected
