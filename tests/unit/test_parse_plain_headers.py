"""Plain unstructured headers skip the stdlib's token tree, with the very same decoded value."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quotemaild.mail.parse import PARSE_POLICY, _plain_unstructured


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
    got = _plain_unstructured(name, value)
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
    got = _plain_unstructured(name, value)
    if got is not None:
        assert got == stdlib(name, value)
