"""bigruns: long base64 runs kept out of the parser give exactly the parse of the whole message."""

import base64
import email
from email import policy

import pytest

from quotemaild.mail import bigruns
from quotemaild.mail.parse import parse_message

PAYLOAD = bytes(range(256)) * 40  # 10 KiB, every byte value


def b64_lines(data: bytes, eol: bytes = b"\r\n") -> bytes:
    return eol.join(base64.encodebytes(data).splitlines()) + eol


def mime(*parts: bytes, eol: bytes = b"\r\n", preamble: bytes = b"", epilogue: bytes = b"") -> bytes:
    head = eol.join([b"From: Klant <k@example.org>", b"To: acme@proposals.example.com", b"Subject: Offerte",
                     b"Message-ID: <m1@example.org>", b"MIME-Version: 1.0",
                     b"Content-Type: multipart/mixed; boundary=b1", b""]) + eol  # fmt: skip
    body = preamble
    for part in parts:
        body += b"--b1" + eol + part
    return head + body + b"--b1--" + eol + epilogue


def part(ctype: bytes, body: bytes, cte: bytes = b"base64", eol: bytes = b"\r\n", name: bytes = b"plan.pdf") -> bytes:
    headers = [b"Content-Type: " + ctype + b"; name=" + name, b"Content-Transfer-Encoding: " + cte]
    return eol.join(headers) + eol + eol + body


def comparable(m):
    return (m.message_id, m.subject, m.text, m.html, m.headers, m.defects,
            [(a.filename, a.content_type, a.data, a.content_id) for a in m.attachments])  # fmt: skip


TEXT = part(b"text/plain; charset=utf-8", b"Graag een prijs voor 4 ramen.\r\n", cte=b"8bit")
CASES = {
    "attachment last": mime(TEXT, part(b"application/pdf", b64_lines(PAYLOAD))),
    "attachment first": mime(part(b"application/pdf", b64_lines(PAYLOAD)), TEXT),
    "two attachments": mime(part(b"image/png", b64_lines(PAYLOAD[:5000])), part(b"application/pdf", b64_lines(PAYLOAD))),
    "LF line endings": mime(part(b"application/pdf", b64_lines(PAYLOAD, b"\n"), eol=b"\n"), eol=b"\n"),
    "text part in base64 is restored": mime(part(b"text/plain; charset=latin-1", b64_lines("é".encode("latin-1") * 4000))),
    "run with text after it": mime(part(b"application/pdf", b64_lines(PAYLOAD) + b"-- not base64 --\r\nmore\r\n")),
    "unpadded base64 goes to the stdlib": mime(part(b"application/pdf", b64_lines(PAYLOAD)[:-3] + b"\r\n")),
    "run in the preamble and epilogue": mime(TEXT, preamble=b64_lines(PAYLOAD), epilogue=b64_lines(PAYLOAD)),
    "forwarded message kept whole": mime(part(b"message/rfc822", b"Subject: inner\r\nContent-Type: application/pdf\r\n"
                                              b"Content-Transfer-Encoding: base64\r\n\r\n" + b64_lines(PAYLOAD), cte=b"7bit")),
    "single part body": b"Subject: x\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    + b64_lines(PAYLOAD),
    "no header separator": b64_lines(PAYLOAD),
    "lone CR line ends are not runs": mime(part(b"application/pdf", b64_lines(PAYLOAD).replace(b"\r\n", b"\r"))),
    "quoted-printable part": mime(part(b"application/octet-stream", b64_lines(PAYLOAD), cte=b"quoted-printable")),
}


@pytest.mark.parametrize("raw", CASES.values(), ids=CASES.keys())
def test_same_parse_with_and_without_runs_cut(raw):
    """Headers, text, html, attachments and defects equal those of the plain stdlib parse."""
    assert bigruns.skeleton(raw, 64) is not None or raw.count(b"\r") > raw.count(b"\n")
    assert comparable(parse_message(raw, min_big_run=64)) == comparable(parse_message(raw, min_big_run=1 << 40))


def test_attachment_decodes_from_the_raw_bytes():
    """A whole base64 body is decoded without the stdlib, and the parser saw only a token."""
    raw = CASES["attachment last"]
    skeleton, runs = bigruns.skeleton(raw, 64)
    assert len(skeleton) < 1000 and runs.token(0) in skeleton
    msg = email.message_from_bytes(skeleton, policy=policy.default)
    runs.restore(msg)
    pdf = msg.get_payload()[1]
    assert runs.decode(pdf) == PAYLOAD
    assert runs.decode(pdf) is None  # once only: it was handed out


def test_token_prefix_never_occurs_in_the_message():
    """A message that contains the token prefix gets a longer one."""
    raw = mime(part(b"text/plain", b"QUOTEMAILDRUN00000000\r\n", cte=b"7bit"), part(b"application/pdf", b64_lines(PAYLOAD)))
    skeleton, runs = bigruns.skeleton(raw, 64)
    assert runs.token(0).startswith(b"QUOTEMAILDRUNX")
    assert comparable(parse_message(raw, min_big_run=64)) == comparable(parse_message(raw, min_big_run=1 << 40))


@pytest.mark.parametrize(
    "raw",
    [b"", b"Subject: x\r\n\r\nshort\r\n", mime(TEXT), b64_lines(PAYLOAD)[:50]],
    ids=["empty", "small", "no runs", "run under the minimum"],
)
def test_nothing_to_cut(raw):
    """No run of the minimum size: the message is parsed as it is."""
    assert bigruns.skeleton(raw, 64) is None
