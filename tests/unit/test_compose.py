"""Outbound message composition: sender modes, threading headers, header safety, gh-100991."""

from __future__ import annotations

import datetime as dt
import email
import re
from email import policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quotemaild.errors import InvalidInput
from quotemaild.mail.addresses import Address
from quotemaild.mail.compose import (
    LOOP_HEADER,
    OUTBOUND_POLICY,
    OUTBOUND_UTF8_POLICY,
    OutboundAttachment,
    Outgoing,
    Sender,
    build_references,
    compose,
    reply_subject,
    safe_filename,
    safe_name,
    safe_subject,
    valid_msg_id,
)

WHEN = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
TENANT = Sender(
    mode="tenant",
    proposals_address="starcomm-524@proposals.example.com",
    display_name="Starcomm BV",
    reply_to="starcomm-524+r42.abcdefghijklmnop@proposals.example.com",
)
OWN = Sender(mode="own", proposals_address="starcomm-524@proposals.example.com",
             display_name="Starcomm BV", own_address="info@starcomm.example")
LONG_IDS = [f"<CAF{i:03d}x{'A' * 60}.{i}@mail.gmail.example.com>" for i in range(20)]


def make(**kw: object) -> Outgoing:
    base: dict[str, object] = dict(
        kind="reply", sender=TENANT, to=[Address("klant@example.org", "Jan Peeters")],
        subject="Offerte ramen", message_id="<q.42.7.abcdefghijklmnop@proposals.example.com>",
        date=WHEN, text="Beste Jan,\n\nIn bijlage.\n", loop_domain="proposals.example.com",
        in_reply_to=LONG_IDS[-1], references=LONG_IDS[:-1],
    )
    base.update(kw)
    return Outgoing(**base)  # type: ignore[arg-type]


def reparse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)  # type: ignore[return-value]


def header_block(raw: bytes) -> str:
    return raw.split(b"\r\n\r\n", 1)[0].decode("ascii")


def test_gh100991_golden_20_long_references() -> None:
    """20 long ids in References serialize as plain folded msg-ids, never `=?` (CPython gh-100991)."""
    raw = compose(make(references=LONG_IDS[:-1], references_cap=20)).as_bytes()
    head = header_block(raw)
    refs_block = re.search(r"^References:.*?(?=^\S)", head + "\r\nX:", re.M | re.S)
    assert refs_block is not None
    assert "=?" not in refs_block.group(0)
    irt = re.search(r"^In-Reply-To:.*$", head, re.M)
    assert irt is not None and "=?" not in irt.group(0)
    for line in head.split("\r\n"):
        assert len(line) <= 998
    back = reparse(raw)
    assert str(back["References"]).split() == LONG_IDS
    assert str(back["In-Reply-To"]).strip() == LONG_IDS[-1]
    # folded: one id per continuation line at most, continuation lines start with a space
    lines = refs_block.group(0).rstrip("\r\n").split("\r\n")
    assert len(lines) == 20 and all(line.startswith(" <") for line in lines[1:])


def test_gh100991_stock_policy_would_encode() -> None:
    """The stock policy does encode such a References header (why OUTBOUND_POLICY exists)."""
    msg = email.message.EmailMessage(policy=policy.default.clone(linesep="\r\n"))
    msg["References"] = " ".join(LONG_IDS)
    raw = msg.as_bytes()
    if b"=?" not in raw:  # a fixed CPython: nothing to prove, but our path must still be plain
        pytest.skip("this CPython already folds msg-ids without encoding")
    assert b"=?" in raw


def test_references_capped_first_plus_newest() -> None:
    """References keep the first id and the newest ones, 10 in all, ending with In-Reply-To."""
    back = reparse(compose(make()).as_bytes())
    refs = str(back["References"]).split()
    assert len(refs) == 10
    assert refs[0] == LONG_IDS[0] and refs[-1] == LONG_IDS[-1]
    assert refs[1:] == LONG_IDS[-9:]


@pytest.mark.parametrize(
    ("chain", "parent", "expected"),
    [
        ([], None, []),
        (["<a@x>"], "<b@x>", ["<a@x>", "<b@x>"]),
        (["<a@x>", "<b@x>", "<a@x>"], "<b@x>", ["<a@x>", "<b@x>"]),
        (["a@x", "<bad id@x>", "<=?utf-8?q?x?=@x>", "<c@x>"], None, ["<a@x>", "<c@x>"]),
        ([f"<{i}@x>" for i in range(15)], "<p@x>",
         ["<0@x>", *[f"<{i}@x>" for i in range(7, 15)], "<p@x>"]),
    ],
)
def test_build_references(chain: list[str], parent: str | None, expected: list[str]) -> None:
    """Invalid ids are dropped, duplicates removed, the parent is last, the cap keeps first + newest."""
    assert build_references(chain, parent) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("<a@b>", "<a@b>"), ("a@b", "<a@b>"), ("<a b@c>", None), ("<a@b>\r\nBcc: x", None),
     ("<=?x?=@b>", None), ("<é@b>", None), ("", None), ("<" + "a" * 300 + "@b>", None)],
)
def test_valid_msg_id(value: str, expected: str | None) -> None:
    """Only plain printable-ASCII msg-ids are sent."""
    assert valid_msg_id(value) == expected


def test_tenant_mode_headers() -> None:
    """Tenant mode: From = proposals address with display name, Reply-To = signed plus address."""
    composed = compose(make())
    back = reparse(composed.as_bytes())
    assert back["From"].addresses[0].addr_spec == "starcomm-524@proposals.example.com"
    assert back["From"].addresses[0].display_name == "Starcomm BV"
    assert back["Reply-To"].addresses[0].addr_spec == TENANT.reply_to
    assert back["To"].addresses[0].addr_spec == "klant@example.org"
    assert back["Message-ID"] == "<q.42.7.abcdefghijklmnop@proposals.example.com>"
    assert back["Date"].datetime == WHEN
    assert composed.loops_back and composed.warnings == ()
    assert composed.envelope_recipients == ("klant@example.org",)


def test_own_mode_flags_no_loop_back() -> None:
    """Own mode: From = the tenant's own address, no Reply-To, flagged as not looping back."""
    composed = compose(make(sender=OWN))
    back = reparse(composed.as_bytes())
    assert back["From"].addresses[0].addr_spec == "info@starcomm.example"
    assert back["Reply-To"] is None
    assert not composed.loops_back and composed.warnings


@pytest.mark.parametrize(
    ("sender", "field"),
    [
        (Sender(mode="tenant", proposals_address="a@proposals.example.com"), "reply_to"),
        (Sender(mode="own", proposals_address="a@proposals.example.com"), "own_address"),
        (Sender(mode="weird", proposals_address="a@proposals.example.com"), "sender_mode"),
    ],
)
def test_sender_mode_requirements(sender: Sender, field: str) -> None:
    """Each sender mode refuses to build without the address it needs."""
    with pytest.raises(InvalidInput) as err:
        compose(make(sender=sender))
    assert err.value.field == field


@pytest.mark.parametrize(
    ("kind", "automatic"),
    [("ack", True), ("reply", False), ("quote", False)],
)
def test_auto_submitted_only_on_acknowledgements(kind: str, automatic: bool) -> None:
    """Acks carry Auto-Submitted, X-Auto-Response-Suppress and our loop header; replies and quotes never."""
    composed = compose(make(kind=kind, bounce_address="bounce+9.abcdefghijklmnop@proposals.example.com"))
    back = reparse(composed.as_bytes())
    assert (back["Auto-Submitted"] == "auto-replied") is automatic
    assert (back["X-Auto-Response-Suppress"] == "All") is automatic
    assert (back[LOOP_HEADER] == "proposals.example.com") is automatic
    assert composed.envelope_sender == ("" if automatic else "bounce+9.abcdefghijklmnop@proposals.example.com")


def test_bytes_are_crlf() -> None:
    """Serialized bytes use CRLF line ends only."""
    raw = compose(make(html="<p>Hallo</p>")).as_bytes()
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")


@pytest.mark.parametrize(
    "subject",
    [
        "Offerte\r\nBcc: evil@example.net",
        "Offerte\nBcc: evil@example.net",
        "Offerte\x00\rBcc: evil@example.net",
        "=?utf-8?q?Offerte=0D=0ABcc:_evil@example.net?=",
        "=?utf-8?b?T2ZmZXJ0ZQ0KQmNjOiBldmlsQGV4YW1wbGUubmV0?=",
    ],
)
def test_subject_injection_is_harmless(subject: str) -> None:
    """CR/LF/NUL and encoded-word tricks in a subject never create a header."""
    raw = compose(make(subject=reply_subject(subject, "nl"))).as_bytes()
    back = reparse(raw)
    assert back["Bcc"] is None
    assert "\n" not in str(back["Subject"]) and "\r" not in str(back["Subject"])


@pytest.mark.parametrize(
    "name",
    ["Jan\r\nBcc: evil@example.net", "=?utf-8?q?a=0D=0ABcc:_e@x?= Bob", "boss@bank.example", "A\x00B"],
)
def test_bad_display_names_dropped(name: str) -> None:
    """Display names with CR/LF/NUL, `@` or encoded words are dropped; the address stays."""
    back = reparse(compose(make(to=[Address("klant@example.org", name)])).as_bytes())
    assert back["Bcc"] is None
    to = back["To"].addresses[0]
    assert to.addr_spec == "klant@example.org" and to.display_name == ""


@pytest.mark.parametrize("addr", ["klant@example.org\r\nBcc: x@y", "no-at", "a@b@c", "ké\u202e@example.org", "x@exa_mple.org", ""])
def test_bad_recipient_refused(addr: str) -> None:
    """An unusable recipient address is refused with InvalidInput naming `to`."""
    with pytest.raises(InvalidInput) as err:
        compose(make(to=[Address(addr)]))
    assert err.value.field == "to"


def test_unicode_names_and_subject_roundtrip() -> None:
    """Accented names and subjects are RFC 2047-encoded where allowed and decode back intact."""
    composed = compose(make(to=[Address("zoe@example.org", "Zoë Cañé")], subject="Prijs: 1.250 € – ramen"))
    raw = composed.as_bytes()
    assert raw.isascii()
    back = reparse(raw)
    assert back["To"].addresses[0].display_name == "Zoë Cañé"
    assert str(back["Subject"]) == "Prijs: 1.250 € – ramen"


def test_text_html_and_attachments() -> None:
    """Text with an HTML alternative plus attachments come out as multipart/mixed with the bytes intact."""
    pdf = b"%PDF-1.4\n" + bytes(range(256))
    composed = compose(make(
        kind="quote", html="<p>Zie bijlage</p>",
        attachments=[OutboundAttachment("Offerte 2026-001.pdf", "application/pdf", pdf),
                     OutboundAttachment("../../etc/passwd\r\n", "not a type", b"x")],
    ))
    back = reparse(composed.as_bytes())
    assert back.get_content_type() == "multipart/mixed"
    body = back.get_body(preferencelist=("plain",))
    assert body is not None and "In bijlage." in body.get_content()
    html = back.get_body(preferencelist=("html",))
    assert html is not None and "Zie bijlage" in html.get_content()
    atts = list(back.iter_attachments())
    assert atts[0].get_filename() == "Offerte 2026-001.pdf" and atts[0].get_content() == pdf
    assert atts[1].get_filename() == "_.._etc_passwd" and atts[1].get_content_type() == "application/octet-stream"


@pytest.mark.parametrize(
    ("original", "lang", "expected"),
    [
        ("Offerte ramen", "nl", "Re: Offerte ramen"),
        ("Re: Offerte ramen", "nl", "Re: Offerte ramen"),
        ("RE: Re: re : Offerte", "en", "Re: Offerte"),
        ("AW: Antw: Offerte", "nl", "Re: Offerte"),
        ("Re[2]: Devis", "fr", "Re : Devis"),
        ("Réf. : x", "fr", "Re : Réf. : x"),
        ("Réf : Devis", "fr", "Re : Devis"),
        ("Fwd: Offerte", "en", "Re: Fwd: Offerte"),
        ("Ready to order", "en", "Re: Ready to order"),
        ("", "xx", "Re:"),
    ],
)
def test_reply_subject(original: str, lang: str, expected: str) -> None:
    """Reply prefixes never stack and follow the language (fr: `Re :`)."""
    assert reply_subject(original, lang) == expected


@pytest.mark.parametrize(
    ("fn", "value", "expected"),
    [
        (safe_subject, "a\r\n\tb", "a b"),
        (safe_subject, "=?x?q?y?=", "= ?x?q?y?="),
        (safe_name, "  Jan   Peeters ", "Jan Peeters"),
        (safe_name, "Jan\x07", ""),
        (safe_filename, "\x00.hidden", "hidden"),
        (safe_filename, "", "attachment"),
    ],
)
def test_sanitizers(fn, value: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    """Sanitizers fold whitespace and drop what could inject or mislead."""
    assert fn(value) == expected


def test_naive_date_refused() -> None:
    """A naive datetime is refused: Date must carry a zone."""
    with pytest.raises(InvalidInput):
        compose(make(date=dt.datetime(2026, 1, 5, 9, 0)))


def test_non_ascii_body_is_7bit_safe() -> None:
    """A body with accents and € goes out quoted-printable or base64: the bytes are pure ASCII."""
    composed = compose(make(text="Beste Zoë,\n\nDe prijs is 1.250 €.\n", html="<p>Zoë – €</p>"))
    raw = composed.as_bytes()
    assert raw.isascii()
    back = reparse(raw)
    plain = back.get_body(preferencelist=("plain",))
    assert b"Beste Zo=C3=AB," in raw  # quoted-printable on the wire
    assert plain is not None
    assert plain.get_content().replace("\r\n", "\n") == "Beste Zoë,\n\nDe prijs is 1.250 €.\n"


_NASTY = st.lists(
    st.sampled_from(list("aZé €:;<>@\"\\=?\r\n\t\x00\x0b") + ["=?utf-8?q?", "?=", "=0D=0A", "Bcc: x@y"]),
    max_size=30,
).map("".join)


@settings(max_examples=120, deadline=None)
@given(subject=_NASTY, name=_NASTY)
def test_no_input_adds_a_header(subject: str, name: str) -> None:
    """Whatever subject and display name come in, the message has exactly the headers we set."""
    try:
        composed = compose(make(subject=reply_subject(subject), to=[Address("klant@example.org", name)]))
    except InvalidInput:
        return
    back = reparse(composed.as_bytes())
    assert sorted(k.lower() for k in back.keys()) == sorted(
        ["from", "reply-to", "to", "subject", "date", "message-id", "in-reply-to", "references",
         "content-type", "content-transfer-encoding", "mime-version"])
    assert "\n" not in str(back["Subject"]) and "\r" not in str(back["Subject"])


def test_invalid_in_reply_to_is_dropped_with_a_warning() -> None:
    """An inbound id that is not a plain msg-id is not sent, and the caller is told."""
    composed = compose(make(in_reply_to="<broken id@x>", references=[]))
    assert reparse(composed.as_bytes())["In-Reply-To"] is None
    assert any("in_reply_to" in w for w in composed.warnings)


def test_encoded_word_in_attachment_name_never_reaches_the_wire_as_crlf() -> None:
    """An RFC 2047 word hiding CR/LF in an attachment name is decoded and cleaned, not sent raw."""
    name = "=?utf-8?q?Offerte=0D=0ABcc=3A_victim=40evil.example?="
    composed = compose(make(attachments=[OutboundAttachment(name, "application/pdf", b"%PDF")]))
    part = list(reparse(composed.as_bytes()).walk())[-1]
    assert "bcc" not in {k.lower() for k in part.keys()}
    assert part.get_filename() == "OfferteBcc: victim@evil.example"


@pytest.mark.parametrize(
    "out",
    [
        make(),
        make(kind="ack", in_reply_to=None, references=()),
        make(attachments=[OutboundAttachment("offerte.pdf", "application/pdf", b"%PDF-1.4 " * 300)]),
        make(html="<p>Beste Jan</p>", text="Beste Jan"),
        make(to=[Address("jürgen@exämple.de", "Jürgen")]),  # UTF-8 local part: serialised with utf8=True
    ],
)
def test_the_bytes_sent_are_the_bytes_checked(out):
    """`as_bytes` hands out the serialisation whose headers compose read back, and it is what
    serialising the message again gives (multipart boundaries included)."""
    composed = compose(out)
    data = composed.as_bytes()
    assert data and data == composed.data
    again = composed.message.as_bytes(policy=OUTBOUND_UTF8_POLICY if composed.smtputf8 else OUTBOUND_POLICY)
    assert data == again
