"""The envelope sender of a mail fetched over IMAP comes from its Return-Path header; without one
it is a null sender, which gets no acknowledgement."""

from __future__ import annotations

import pytest

from quotemaild.edges.imap import envelope_sender


def mail(*headers: str) -> bytes:
    return ("\r\n".join([*headers, "From: Klant <klant@example.org>", "Subject: Offerte", "", "ramen"]) + "\r\n").encode()


@pytest.mark.parametrize(
    ("headers", "sender"),
    [
        (("Return-Path: <klant@example.org>",), "klant@example.org"),
        (("Return-Path: klant@example.org",), "klant@example.org"),  # without brackets, as some servers write it
        (("Return-Path: < bounce+x=y@lists.example >",), "bounce+x=y@lists.example"),
        (("Return-Path: <>",), ""),  # a bounce or an auto-reply: null sender
        ((), ""),  # no Return-Path (a draft, a copy dragged into the folder): null sender
        (("Return-Path: <first@example.org>", "Return-Path: <second@example.org>"), "first@example.org"),
        (("X-Original-Return-Path: <other@example.org>",), ""),
    ],
)
def test_envelope_sender_of_a_fetched_copy(headers, sender):
    assert envelope_sender(mail(*headers)) == sender
