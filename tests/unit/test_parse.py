"""parse_message: decoded fields, body parts, attachments, and no exceptions on broken mail."""

import pytest

from quotemaild.mail.parse import generated_message_id, parse_message

MULTIPART = (
    b"From: =?utf-8?q?Ren=C3=A9e?= <renee@example.be>\r\n"
    b"To: acme@proposals.example.com\r\n"
    b"Subject: =?iso-8859-1?q?Offerte_v=E9randa?=\r\n"
    b"Message-ID: <abc@Example.be>\r\n"
    b"In-Reply-To: <prev@x.org>\r\n"
    b"Date: Tue, 06 Jan 2026 08:30:00 +0100\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
    b"--b1\r\nContent-Type: multipart/alternative; boundary=b2\r\n\r\n"
    b"--b2\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nV=E9randa 4x3m\r\n"
    b"--b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>V\xc3\xa9randa</p>\r\n--b2--\r\n"
    b"--b1\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"plan.pdf\"\r\n"
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n"
)


def test_multipart_fields():
    """Encoded words, charsets, parts and attachments are decoded."""
    m = parse_message(MULTIPART)
    assert m.subject == "Offerte véranda"
    assert (m.sender.email, m.sender.name) == ("renee@example.be", "Renée")
    assert m.message_id == "<abc@example.be>"
    assert m.in_reply_to == "<prev@x.org>"
    assert m.text.strip() == "Véranda 4x3m"
    assert "<p>Véranda</p>" in m.html
    assert [(a.filename, a.content_type, a.data) for a in m.attachments] == [("plan.pdf", "application/pdf", b"%PDF-1.4\n")]
    assert m.date.isoformat() == "2026-01-06T07:30:00+00:00"


@pytest.mark.parametrize(
    ("raw", "expect_text"),
    [
        (b"Subject: x\r\nContent-Type: text/plain; charset=bogus-8\r\n\r\nna\xefef\r\n", "na"),
        (b"Subject: x\r\nContent-Type: text/plain\r\n\r\ncaf\xc3\xa9\r\n", "caf\u00e9"),
        (b"Subject: x\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbroken \xff\xfe utf8 \r\n", "broken"),
        (b"", ""),
        (b"no headers at all, just text", ""),
        (b"Subject: \r\n =?utf-8?b?!!!notbase64?=\r\n\r\nbody\r\n", "body"),
        (b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nunterminated", "unterminated"),
        (b"From: a@b.c\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!! not base64 ####\r\n", ""),
    ],
)
def test_broken_mail_never_raises(raw, expect_text):
    """Bad charsets, encodings and structures become text and defects, never exceptions."""
    m = parse_message(raw)
    assert expect_text in m.text


def test_header_block_is_capped():
    """A header block over the cap is cut before parsing; the body survives."""
    raw = b"Subject: big\r\n" + b"".join(b"X-Junk-%d: %s\r\n" % (i, b"a" * 100) for i in range(2000)) + b"\r\nbody here\r\n"
    m = parse_message(raw, max_header_bytes=10_000)
    assert "body here" in m.text
    assert any("truncated" in d for d in m.defects)


def test_our_headers_are_dropped():
    """X-Quotemaild-* headers never reach the parsed message."""
    m = parse_message(b"X-Quotemaild-Loop: yes\r\nSubject: a\r\n\r\nb")
    assert m.header("x-quotemaild-loop") is None
    assert m.header("subject") == "a"


def test_subject_never_carries_newlines():
    """Folded or encoded CR/LF in a subject come out as one line."""
    m = parse_message(b"Subject: =?utf-8?q?a=0D=0ABcc=3A_x=40y?=\r\n\r\n")
    assert "\n" not in m.subject and "\r" not in m.subject


def test_generated_message_id_is_deterministic():
    """The same bytes give the same generated id."""
    assert generated_message_id(b"x", "d.example") == generated_message_id(b"x", "d.example")
    assert generated_message_id(b"x", "d.example") != generated_message_id(b"y", "d.example")


def test_mailparser_fallback_when_the_mime_walk_fails(monkeypatch):
    """If the stdlib walk raises, the body comes from mail-parser and the defect is recorded."""
    import quotemaild.mail.parse as parse

    def boom(*args, **kwargs):
        raise RuntimeError("walk failed")

    monkeypatch.setattr(parse, "_walk", boom)
    m = parse.parse_message(b"From: a@b.c\r\nSubject: hi\r\n\r\nthe body\r\n")
    assert "the body" in m.text
    assert any("mail-parser" in d for d in m.defects)


@pytest.mark.parametrize(
    ("name", "first", "every"),
    [
        ("Received", "from a by b", ["from a by b", "from c by d"]),  # repeated: the first, then all in order
        ("received", "from a by b", ["from a by b", "from c by d"]),  # any case asks
        ("X-MIXED-case", "one", ["one", "two"]),  # written in two spellings: one header
        ("Subject", "Offerte", ["Offerte"]),
        ("X-Absent", None, []),
    ],
)
def test_header_lookup_by_any_case(name, first, every):
    """header() gives the first value of a name in any case, header_all() every value in order;
    header_all's list is the caller's own (changing it changes nothing of the message)."""
    msg = parse_message(
        b"Received: from a by b\nReceived: from c by d\nX-Mixed-Case: one\nx-mixed-CASE: two\n"
        b"From: a@example.org\nSubject: Offerte\n\nbody\n"
    )
    assert msg.header(name) == first
    assert msg.header_all(name) == every
    msg.header_all(name).append("changed")
    assert msg.header_all(name) == every
    assert msg.header(name) == next((v for k, v in msg.headers if k.lower() == name.lower()), None)


@pytest.mark.parametrize(
    ("value", "has"),
    [("plain ascii", False), ("caf\u00e9", False), ("8-bit \udcc3\udca9", True), ("", False), ("\udc80", True)],
)
def test_has_surrogates(value, has):
    """Undecoded 8-bit header bytes (surrogate escapes) are seen; ASCII and decoded text are not."""
    from quotemaild.mail.header_values import has_surrogates

    assert has_surrogates(value) is has
