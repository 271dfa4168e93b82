"""Quoted history below a reply: language-aware attribution and the signed body marker."""

from __future__ import annotations

import datetime as dt

import pytest

from quotemaild.mail.quoting import attribution, quote_lines, reply_with_history

WHEN = dt.datetime(2026, 8, 5, 9, 7, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nl", "Op 5 augustus 2026 om 09:07 schreef Jan Peeters:"),
        ("fr", "Le 5 août 2026 à 09:07, Jan Peeters a écrit :"),
        ("en", "On 5 August 2026 at 09:07, Jan Peeters wrote:"),
        ("de", "On 5 August 2026 at 09:07, Jan Peeters wrote:"),
    ],
)
def test_attribution_per_language(lang: str, expected: str) -> None:
    """The attribution line follows nl/fr/en conventions and falls back to en."""
    assert attribution(WHEN, "Jan Peeters", lang) == expected


def test_attribution_name_cannot_break_lines() -> None:
    """Control characters in the name are folded away."""
    assert "\n" not in attribution(WHEN, "Jan\r\nPeeters", "en")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("a\n\nb", "> a\n>\n> b"), ("a\r\nb\r\n", "> a\n> b"), ("> old", "> > old")],
)
def test_quote_lines(text: str, expected: str) -> None:
    """Every line gets `> `; empty lines get `>`; CRLF is normalised."""
    assert quote_lines(text) == expected


def test_reply_with_history_layout() -> None:
    """New text, then the marker on its own line, then attribution and quoted history."""
    body = reply_with_history("Dag Jan,\nHierbij.", history="Mag ik een prijs?", when=WHEN,
                              name="Jan", language="nl", marker="[ref:r1.abcdefghijklmnop]")
    assert body == ("Dag Jan,\nHierbij.\n\n[ref:r1.abcdefghijklmnop]\n\n"
                    "Op 5 augustus 2026 om 09:07 schreef Jan:\n> Mag ik een prijs?\n")


def test_reply_without_history_still_has_marker() -> None:
    """With no history the marker is still there (the customer's quote will carry it)."""
    body = reply_with_history("Hi", history=None, when=None, name="", language="en", marker="[ref:x]")
    assert body == "Hi\n\n[ref:x]\n"
