"""The fast path for MAIL FROM / RCPT TO paths gives exactly what aiosmtpd's own parser gives."""

from __future__ import annotations

import pytest
from aiosmtpd.smtp import SMTP
from hypothesis import given
from hypothesis import strategies as st

from quotemaild.edges.aiosmtpd_overrides import PLAIN_PATH as _PLAIN_PATH
from quotemaild.edges.aiosmtpd_overrides import QuotemailSMTP


def _bare(cls: type[SMTP], limit: int = 0) -> SMTP:
    server = cls.__new__(cls)  # _getaddr needs no connection state
    server.local_part_limit = limit
    return server


OURS, THEIRS = _bare(QuotemailSMTP), _bare(SMTP)

CASES = [
    "<>",
    "<a@b.c>",
    "<a@b.c> SIZE=100 BODY=8BITMIME",
    "<a@b.c>  SIZE=100  ",
    " <a.b+c@x-y.z>",
    "a@b.c",
    '<"q x"@b.c>',
    "<a..b@c.d>",
    "<.a@b.c>",
    "<a.@b.c>",
    "<a@[1.2.3.4]>",
    "<a@b.c",
    "<@r:a@b.c>",
    "<A@B.C>x",
    "<a@b.c>\tSMTPUTF8",
    "<é@b.c>",
    "<bounce+12.abcdef@proposals.example.com>",
    "<a@b.c> <d@e.f>",
    "<a@b..c>",
    "<a@-b.c>",
    "<a@b.c> (comment) SIZE=1",
    "<a@b.c>(c)",
    "<a@b.c> X  Y ",
]


def _outcome(server: SMTP, arg: str) -> object:
    try:
        return server._getaddr(arg)
    except Exception as exc:  # the email parser has its own bugs (IndexError on "1@"): same ones
        return type(exc)


@pytest.mark.parametrize("arg", CASES)
def test_same_as_aiosmtpd(arg: str) -> None:
    assert _outcome(OURS, arg) == _outcome(THEIRS, arg)


def test_plain_paths_take_the_fast_path() -> None:
    assert _PLAIN_PATH.fullmatch("<klant@example.org> SIZE=2048") is not None
    assert _PLAIN_PATH.fullmatch('<"q x"@b.c>') is None  # quoted: aiosmtpd's parser decides


def test_local_part_limit_still_applies() -> None:
    limited, theirs = _bare(QuotemailSMTP, limit=3), _bare(SMTP, limit=3)
    for arg in ("<abcd@b.c>", "<abc@b.c>"):
        assert limited._getaddr(arg) == theirs._getaddr(arg)


_text = st.text(alphabet="ab.+-_@<>\" \t=:[]()é1", max_size=30)


@given(_text)
def test_any_argument_same_as_aiosmtpd(arg: str) -> None:
    assert _outcome(OURS, arg) == _outcome(THEIRS, arg)


@given(st.from_regex(r"<[a-z0-9.+_-]{1,12}@[a-z0-9.-]{1,12}>( [A-Z]{1,5}=[0-9]{1,4})?", fullmatch=True))
def test_address_like_arguments_same_as_aiosmtpd(arg: str) -> None:
    assert _outcome(OURS, arg) == _outcome(THEIRS, arg)
