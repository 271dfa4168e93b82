"""Charsets: one repairing decode path; no codec error escapes parsing, understanding or display."""

from __future__ import annotations

import base64
import encodings.aliases
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quotemaild.mail.body import display_body
from quotemaild.mail.charsets import decode_bytes, repair_header_value, usable_charset
from quotemaild.mail.parse import parse_message
from quotemaild.mail.provenance import understand
from quotemaild.mail.tenant import TenantIdentity
from quotemaild.mail.threading import candidate_ids

TENANT = TenantIdentity(
    proposals_addresses=frozenset({"acme-1@proposals.example.com"}),
    own_addresses=frozenset(),
    own_domains=frozenset(),
    proposals_domain="proposals.example.com",
)

# Python's codec list (every alias target), legacy CJK and Cyrillic included, plus names that
# are codecs but no charset, and names that are no codec at all.
CODECS = sorted(set(encodings.aliases.aliases.values()))
LEGACY = ["iso-2022-jp", "iso-2022-jp-2", "iso-2022-kr", "shift_jis", "euc-jp", "cp932", "gb2312", "gbk",
          "gb18030", "big5", "hz", "euc-kr", "johab", "koi8-r", "koi8-u", "cp1251", "cp866", "mac-cyrillic",
          "iso-8859-5", "utf-7", "utf-16", "utf-32"]
ODD = ["idna", "punycode", "unicode_escape", "raw_unicode_escape", "rot13", "x-unknown", "", "utf-8*en"]
CHARSETS = CODECS + LEGACY + ODD

# Byte pieces that break decoders: ISO-2022 escapes and shifts, lone lead bytes, UTF-7 and HZ
# shifts, NUL, truncated escapes, odd lengths for UTF-16/32.
PIECES = [b"\x1b$B", b"\x1b(B", b"\x1b$(D", b"\x1b$)C", b"\x0e", b"\x0f", b"\xff", b"\x80", b"\xe3\x81",
          b"+AGE-", b"~{", b"~}", b"\x00", b"0\"", b"\\u12", b"\\N{", b"abc", b" ", b"\xd0\xbf", b"\x82\xa0"]
junk = st.lists(st.sampled_from(PIECES), min_size=1, max_size=10).map(b"".join) | st.binary(max_size=40)

# The reported failure: an invalid ISO-2022-JP sequence in an RFC 2231 file name parameter made
# the stdlib raise UnicodeDecodeError while the parser itself read the Content-Type.
INVALID_ISO2022JP = (
    b"From: a@example.org\r\nTo: acme-1@proposals.example.com\r\nSubject: offerte\r\n"
    b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    b"--b\r\nContent-Type: text/plain; charset=iso-2022-jp\r\n\r\n\x1b$B0\"\x1b$(\x1b(B hello\r\n"
    b"--b\r\nContent-Type: application/pdf; name*=iso-2022-jp''%1B%24B0%22%1B%24%28%1B%28B.pdf\r\n"
    b"Content-Disposition: attachment; filename*=iso-2022-jp''%1B%24B0%22%1B%24%28%1B%28B.pdf\r\n\r\n"
    b"%PDF\r\n--b--\r\n"
)


def everything(raw: bytes) -> None:
    """Parse, understand, thread and display; every text must be storable (UTF-8 encodable)."""
    msg = parse_message(raw)
    u = understand(msg, "sender@example.org", TENANT)
    body = display_body(msg)
    candidate_ids(msg.in_reply_to, msg.references)
    texts = [msg.subject, msg.text, msg.html or "", body.text, body.quoted, u.display_text or ""]
    texts += [a.filename for a in msg.attachments] + [v for _, v in msg.headers]
    texts += [a.name for a in msg.from_ + msg.to + msg.cc + msg.reply_to]
    for text in texts:
        text.encode("utf-8")  # no lone surrogates


def test_invalid_iso2022jp_parameter_no_longer_raises():
    msg = parse_message(INVALID_ISO2022JP)
    assert [a.filename.endswith(".pdf") for a in msg.attachments] == [True]
    assert "hello" in msg.text
    everything(INVALID_ISO2022JP)


@pytest.mark.parametrize(
    "data, declared, text, how",
    [
        ("Grüße".encode("iso-8859-1"), "iso-8859-1", "Grüße", "declared"),
        ("Привет".encode("koi8-r"), "koi8-r", "Привет", "declared"),
        ("見積".encode("iso-2022-jp"), "iso-2022-jp", "見積", "declared"),
        ("Grüße".encode("utf-8"), "us-ascii", "Grüße", "utf-8"),  # a lying declaration
        ("Grüße".encode("utf-8"), "x-unknown", "Grüße", "utf-8"),
        ("Grüße".encode("utf-8"), "rot13", "Grüße", "utf-8"),  # a codec, not a charset
        (b"\\u0041", "unicode_escape", "\\u0041", "utf-8"),  # never interpret escapes
        (b"\x1b$B0\"\x1b$(\x1b(B", "iso-2022-jp", None, None),  # invalid: repaired, never raised
        (b"\xff\xfe\xfd", None, None, None),
    ],
)
def test_decode_bytes_table(data, declared, text, how):
    decoded = decode_bytes(data, declared)
    if text is not None:
        assert decoded.text == text
        assert decoded.how == how
    else:
        assert decoded.how != "declared"
        decoded.text.encode("utf-8")


@pytest.mark.parametrize(
    "name, usable",
    [("UTF-8", "utf-8"), ("iso-2022-jp", "iso2022_jp"), ('"koi8-r"', "koi8-r"), ("idna", None),
     ("base64", None), ("rot13", None), ("nope", None), ("", None), (None, None)],
)
def test_usable_charset(name, usable):
    assert usable_charset(name) == usable


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=?utf-8?q?caf=C3=A9?=", "=?utf-8?q?caf=C3=A9?="),  # valid: untouched
        ("attachment; filename*=utf-8''caf%C3%A9.pdf", "attachment; filename*=utf-8''caf%C3%A9.pdf"),
        ("=?iso-2022-jp?b?GyRCMCL/GyhC?=", None),  # invalid: rewritten
        ("attachment; filename*0*=iso-2022-jp''%1B%24B; filename*1*=%FF.pdf", None),
    ],
)
def test_repair_header_value(value, expected):
    repaired = repair_header_value(value, parameters=True)
    if expected is not None:
        assert repaired == expected
    else:
        assert repaired != value and "utf-8" in repaired


def _ew(charset: str, data: bytes, q: bool) -> str:
    if q:
        return f"=?{charset}?q?" + "".join(f"={b:02X}" for b in data) + "?="
    return f"=?{charset}?b?" + base64.b64encode(data).decode() + "?="


PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(st.sampled_from(CHARSETS), junk, st.booleans(), st.sampled_from(["Subject", "From", "To", "Cc", "Reply-To"]))
def test_encoded_words_in_headers_never_raise(charset, data, q, header):
    word = _ew(charset, data, q)
    value = f"{word} <x@example.org>" if header != "Subject" else f"Offerte {word} {word}"
    raw = (f"{header}: {value}\r\n".encode() + b"From: a@example.org\r\nTo: acme-1@proposals.example.com\r\n"
           b"Subject: s\r\n\r\nbody\r\n")
    everything(raw)


@PROPS
@given(st.sampled_from(CHARSETS), junk, st.sampled_from(["7bit", "8bit", "base64", "quoted-printable"]),
       st.sampled_from(["text/plain", "text/html"]))
def test_bodies_in_any_charset_never_raise(charset, data, cte, ctype):
    if cte == "base64":
        payload = base64.encodebytes(data)
    elif cte == "quoted-printable":
        payload = "".join(f"={b:02X}" for b in data).encode()
    else:
        payload = data
    raw = (b"From: a@example.org\r\nTo: acme-1@proposals.example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
           + f'Content-Type: {ctype}; charset="{charset}"\r\nContent-Transfer-Encoding: {cte}\r\n\r\n'.encode()
           + payload + b"\r\n")
    everything(raw)


@PROPS
@given(st.sampled_from(CHARSETS), junk, junk, st.booleans())
def test_rfc2231_parameters_and_raw_8bit_headers_never_raise(charset, data, raw8, continued):
    pct = urllib.parse.quote(data, safe="")
    if continued:
        half = len(pct) // 2
        while half and pct[half - 1] == "%" or (half > 1 and pct[half - 2] == "%"):
            half -= 1
        param = f"filename*0*={charset}''{pct[:half]}; filename*1*={pct[half:]}"
    else:
        param = f"filename*={charset}''{pct}"
    raw = (b"From: a@example.org\r\nTo: acme-1@proposals.example.com\r\nSubject: " + raw8.replace(b"\n", b" ")
           .replace(b"\r", b" ") + b"\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\n"
           + f"Content-Type: application/pdf; name*={charset}''{pct}\r\nContent-Disposition: attachment; {param}\r\n\r\n".encode()
           + b"xx\r\n--b--\r\n")
    everything(raw)


def test_parameter_syntax_in_a_subject_is_left_alone():
    """Only Content-Type/Content-Disposition carry RFC 2231 parameters: a subject is not rewritten."""
    subject = "Prijs*=x'y'z voor 12 ramen"
    assert repair_header_value(subject) == subject
    raw = f"From: a@example.org\r\nTo: acme-1@proposals.example.com\r\nSubject: {subject}\r\n\r\nhi\r\n"
    assert parse_message(raw.encode()).subject == subject
