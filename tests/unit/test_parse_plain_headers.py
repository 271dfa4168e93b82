"""Plain unstructured headers skip the stdlib's token tree, with the very same decoded value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quotemaild.mail.header_values import PARSE_POLICY, plain_structured, plain_unstructured


def stdlib(name: str, value: str) -> str:
    return str(PARSE_POLICY.header_fetch_parse(name, value))


@pytest.mark.parametrize(
    ("name", "value", "fast"),
    [
        ("Subject", "Quote request 12", True),
        ("Subject", "Re:  two  spaces\r\n\tand a fold", True),
        ("References", "<a@x>\r\n <b@x>\r\n <c@x>", True),
        ("Received", "from mx.example.org (mx [192.0.2.1])\r\n\tby us; Mon, 5 Jan 2026 10:00:00 +0100", True),
        ("X-Mailer", "", True),
        ("Subject", "=?utf-8?q?Offerte_=C3=A9?=", False),  # an encoded word: the stdlib decodes it
        ("Subject", "Offerte é", False),  # not ASCII
        ("From", "Klant <k@example.org>", False),  # an address header: structured
        ("Date", "Mon, 5 Jan 2026 10:00:00 +0100", False),  # re-formatted by the stdlib
        ("Message-ID", "<m1@example.org>", False),
        ("Content-Type", "text/plain", False),
    ],
)
def test_plain_values_are_the_unfolded_text_and_the_rest_is_left_to_the_stdlib(name, value, fast):
    got = plain_unstructured(name, value)
    assert (got is not None) == fast
    if fast:
        assert got == stdlib(name, value)


@given(
    name=st.sampled_from(["Subject", "References", "In-Reply-To", "Received", "X-Anything", "Comments"]),
    words=st.lists(st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=12), max_size=8),
    gaps=st.lists(st.sampled_from([" ", "  ", "\t", "\r\n ", "\r\n\t", "\n "]), min_size=8, max_size=8),
)
def test_whenever_the_fast_path_answers_it_equals_the_stdlib(name, words, gaps):
    value = "".join(w + g for w, g in zip(words, gaps)).rstrip()
    got = plain_unstructured(name, value)
    if got is not None:
        assert got == stdlib(name, value)


@pytest.mark.parametrize(
    ("name", "value", "fast"),
    [
        ("From", "Customer 0 <customer0@customers.example.org>", True),
        ("To", "<firma-1@proposals.example.com>", True),  # the stdlib drops the brackets
        ("Cc", "jan.peeters@firma.be", True),
        ("Reply-To", "Jan 2 <jan+offerte@firma.be>", True),
        ("Sender", "bounce-1_x%y@lists.example.org", True),
        ("Message-ID", "<g1.run-7@customers.example.org>", True),
        ("From", "Jan  Peeters <j@x.be>", False),  # two spaces: the stdlib collapses them
        ("From", '"Peeters, Jan" <j@x.be>', False),  # a quoted name
        ("From", "Jan <j@x.be> (work)", False),  # a comment
        ("From", "Jan Peeters <j@x.be>, An <a@x.be>", False),  # two addresses
        ("From", "=?utf-8?q?Ren=C3=A9?= <r@x.be>", False),  # an encoded word
        ("From", "René <r@x.be>", False),  # not ASCII
        ("From", "a..b@x.be", False),
        ("From", ".a@x.be", False),
        ("From", "Jan <j@x.be>\r\n", False),
        ("To", "undisclosed-recipients:;", False),
        ("Message-ID", " <m1@example.org>", False),
        ("Message-ID", "<m1@[192.0.2.1]>", False),
        ("Message-ID", "m1@example.org", False),
        ("Subject", "a@b.c", False),  # not an address header: the unstructured path's
        ("Date", "Mon, 5 Jan 2026 10:00:00 +0100", False),
    ],
)
def test_plain_addresses_and_ids_are_what_the_stdlib_returns(name, value, fast):
    """The everyday address and Message-ID shapes skip the stdlib parse, with its very result."""
    got = plain_structured(name, value)
    assert (got is not None) == fast
    if fast:
        assert got == stdlib(name, value)


_ATOM = st.text(st.sampled_from("abcXYZ019._%+-"), min_size=1, max_size=6)


@given(
    name=st.sampled_from(["From", "To", "Cc", "Reply-To", "Sender", "Message-ID"]),
    display=st.lists(st.text(st.sampled_from("aZ0 .,\"'()"), min_size=1, max_size=5), max_size=3),
    local=_ATOM,
    domain=_ATOM,
    shape=st.sampled_from(["{n} <{a}>", "<{a}>", "{a}", " {a}", "{n}<{a}>", "{n} <{a}> ", "<{a}> {n}"]),
)
def test_whenever_the_structured_fast_path_answers_it_equals_the_stdlib(name, display, local, domain, shape):
    value = shape.format(n=" ".join(display), a=f"{local}@{domain}")
    got = plain_structured(name, value)
    if got is not None:
        assert got == stdlib(name, value)
