"""mail/addresses.py: UTF-8 local parts and IDN domains, one stored form, one comparison key.

Real-shaped addresses (German, French, Cyrillic, CJK, IDN domains, punycode already applied,
mixed case) through every function the other layers call, and a property: every address we
store survives a round trip through our own outgoing headers.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quotemaild.domain.contact_input import check_contact_input
from quotemaild.domain.contacts_csv import read_contacts_csv
from quotemaild.domain.parsing import parse_email
from quotemaild.errors import InvalidInput
from quotemaild.mail.addresses import (
    Address,
    AddressError,
    address_key,
    clean_email,
    domain_key,
    needs_smtputf8,
    parse_address_list,
    same_address,
    split_email,
    transport_form,
)
from quotemaild.mail.compose import Outgoing, Sender, compose
from quotemaild.mail.parse import parse_message
from quotemaild.mail.recipients import route_recipient
from quotemaild.mail.tenant import TenantIdentity

# (as written, stored form, comparison key, needs SMTPUTF8)
REAL = [
    ("jürgen@exämple.de", "jürgen@exämple.de", "jürgen@xn--exmple-cua.de", True),
    ("Jürgen.Müller@EXÄMPLE.de", "Jürgen.Müller@exämple.de", "jürgen.müller@xn--exmple-cua.de", True),
    ("françois.dupré@société.fr", "françois.dupré@société.fr", "françois.dupré@xn--socit-esab.fr", True),
    ("пример@пример.рф", "пример@пример.рф", "пример@xn--e1afmkfd.xn--p1ai", True),
    ("Иван.Петров@Почта.РФ", "Иван.Петров@почта.рф", "иван.петров@xn--80a1acny.xn--p1ai", True),
    ("用户@例子.广告", "用户@例子.广告", "用户@xn--fsqu00a.xn--4rr70v", True),
    ("山田@例え.テスト", "山田@例え.テスト", "山田@xn--r8jz45g.xn--zckzah", True),
    ("info@exämple.de", "info@exämple.de", "info@xn--exmple-cua.de", False),
    ("info@xn--exmple-cua.de", "info@exämple.de", "info@xn--exmple-cua.de", False),
    ("INFO@XN--EXMPLE-CUA.DE", "INFO@exämple.de", "info@xn--exmple-cua.de", False),
    ("contact@straße.de", "contact@straße.de", "contact@xn--strae-oqa.de", False),  # IDNA 2008: ß stays
    ("Jan.Peeters@Example.BE", "Jan.Peeters@example.be", "jan.peeters@example.be", False),
    ("x@例子。广告", "x@例子.广告", "x@xn--fsqu00a.xn--4rr70v", False),  # ideographic full stop
    ("o'brien+offerte@example.ie", "o'brien+offerte@example.ie", "o'brien+offerte@example.ie", False),
]

# NFD input (a Mac keyboard, some web forms): stored and compared as NFC.
NFD = unicodedata.normalize("NFD", "jürgen@exämple.de")

BAD = [
    "", "no-at", "a@b@c", "a b@example.org", ".a@example.org", "a.@example.org", "a..b@example.org",
    "a@-example.org", "a@exa_mple.org", "a@example.org.", "a@xn--zz.de", "a@xn--.de",
    "ev\u202eil@example.org", "a\u00a0b@example.org", "tab\t@example.org", "a@ex ample.org",
    "a@[192.0.2.1]", '"quoted"@example.org', "x" * 65 + "@example.org", "ü" * 33 + "@example.org",
    "a@" + "é" * 64 + ".de", "a@☃.net", "j\udcc3\udcbcrgen@example.org",
]


@pytest.mark.parametrize(("written", "stored", "key", "utf8"), REAL)
def test_real_addresses(written: str, stored: str, key: str, utf8: bool) -> None:
    """Stored form keeps the local part's case and shows U-labels; the key is A-labels, lower case."""
    assert clean_email(written) == stored
    assert address_key(written) == key == address_key(stored)
    assert needs_smtputf8(written) is utf8
    sent = transport_form(written)
    assert sent.isascii() is not utf8
    assert same_address(sent, written)


def test_nfd_input_is_stored_as_nfc() -> None:
    """The same letters typed decomposed are the same address."""
    assert clean_email(NFD) == "jürgen@exämple.de"
    assert same_address(NFD, "JÜRGEN@xn--exmple-cua.de")


@pytest.mark.parametrize("value", BAD)
def test_not_addresses(value: str) -> None:
    """Refused with a reason: spaces, bidi controls, bad dots, bad labels, domain literals, lengths."""
    assert clean_email(value) is None
    with pytest.raises(AddressError):
        split_email(value)


@pytest.mark.parametrize(("domain", "key"), [
    ("Exämple.DE", "xn--exmple-cua.de"), ("xn--exmple-cua.de", "xn--exmple-cua.de"),
    ("proposals.example.com.", "proposals.example.com"),
])
def test_domain_key(domain: str, key: str) -> None:
    assert domain_key(domain) == key


@pytest.mark.parametrize(("written", "stored", "key", "utf8"), REAL)
def test_header_lists(written: str, stored: str, key: str, utf8: bool) -> None:
    """From/To/Reply-To values with raw UTF-8 (RFC 6532) or punycode yield the stored form."""
    (found,) = parse_address_list(f'"Müller, J." <{written}>')
    assert found == Address(stored, "Müller, J.")


@pytest.mark.parametrize(("written", "stored", "key", "utf8"), REAL)
def test_parse_message_from_and_reply_to(written: str, stored: str, key: str, utf8: bool) -> None:
    """An SMTPUTF8 message (raw UTF-8 headers) is parsed to a sender in stored form."""
    raw = (f"From: Klant <{written}>\r\nReply-To: {written}\r\nTo: acme@proposals.example.com\r\n"
           "Subject: Offerte\r\n\r\nHallo\r\n").encode()
    msg = parse_message(raw)
    assert msg.sender == Address(stored, "Klant")
    assert msg.reply_to[0].email == stored


@pytest.mark.parametrize(("written", "stored", "key", "utf8"), REAL)
def test_user_input(written: str, stored: str, key: str, utf8: bool) -> None:
    """CLI/API input goes through parse_email: the same stored form, errors name the field."""
    assert parse_email(written, "email") == stored
    with pytest.raises(InvalidInput) as err:
        parse_email("jürgen@exämple", "persons[0].email")  # no dot: fine in a header, not as input
    assert err.value.field == "persons[0].email"


def test_contact_input_dedupes_by_key() -> None:
    """Two spellings of one address on a card are one address (the first spelling kept)."""
    checked = check_contact_input({"name": "Müller GmbH", "emails": [
        "Jürgen@exämple.de", "jürgen@XN--EXMPLE-CUA.DE", NFD, "info@xn--exmple-cua.de"]})
    assert checked.contact.emails == ("Jürgen@exämple.de", "info@exämple.de")


def test_csv_import_with_international_addresses() -> None:
    """A UTF-8 CSV with IDN and UTF-8 addresses imports them in stored form; a bad one names its row."""
    text = ("Naam;E-mail\r\n"
            "Müller GmbH;Jürgen@EXÄMPLE.de\r\n"
            "Société Dupré;françois@xn--socit-esab.fr\r\n"
            "ООО Пример;пример@пример.рф\r\n"
            "Bad;ev\u202eil@example.org\r\n")
    result = read_contacts_csv(text.encode("utf-8"))
    assert [r.contact.emails for r in result.rows] == [
        ("Jürgen@exämple.de",), ("françois@société.fr",), ("пример@пример.рф",)]
    assert [(e.row, e.field) for e in result.errors] == [(5, "emails")]


TENANT = TenantIdentity(
    proposals_addresses=frozenset({"acme@proposals.example.com"}),
    own_addresses=frozenset({"Verkauf@Exämple.de"}),
    own_domains=frozenset({"xn--mller-kva.de"}),
    proposals_domain="proposals.example.com",
)


@pytest.mark.parametrize(("email", "own"), [
    ("verkauf@xn--exmple-cua.de", True), ("VERKAUF@EXÄMPLE.DE", True), ("jan@müller.de", True),
    ("jan@büro.müller.de", True), ("jan@xn--mller-kva.de", True), ("jürgen@exämple.de", False),
])
def test_tenant_identity_in_any_spelling(email: str, own: bool) -> None:
    """Own addresses and domains match whatever spelling either side used."""
    assert TENANT.is_own(email) is own


def test_routing_with_a_utf8_sender_and_idn_proposals_domain() -> None:
    """RCPT routing: our domain in A- or U-labels routes; a UTF-8 local part is not a slug we have."""
    assert route_recipient("acme@xn--prposals-o4a.example", "pröposals.example").slug == "acme"
    assert route_recipient("ACME@PRÖPOSALS.example", "xn--prposals-o4a.example").slug == "acme"
    assert route_recipient("jürgen@example.org", "proposals.example.com").outcome == "foreign"


# ---- the property: stored addresses survive our own outgoing headers ----------------------

_LOCAL_CHARS = st.sampled_from(list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+/=?^_`{|}~-")
                               + list("äöüßéèçñøåÄÖÜÉłžšПримерУТФ用户山田例子テスト"))
_LABEL_CHARS = st.sampled_from(list("abcdefghijklmnopqrstuvwxyz0123456789") + list("äöüéçñøåпримерфя例子山田"))
_atom = st.text(_LOCAL_CHARS, min_size=1, max_size=10)
_local = st.lists(_atom, min_size=1, max_size=3).map(".".join)
_label = st.text(_LABEL_CHARS, min_size=1, max_size=12)
_domain = st.tuples(st.lists(_label, min_size=1, max_size=2), st.sampled_from(["de", "fr", "be", "com", "рф"])).map(
    lambda t: ".".join([*t[0], t[1]]))
_name = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp")), max_size=30)


@st.composite
def stored_addresses(draw: st.DrawFn) -> str:
    value = draw(st.tuples(_local, _domain).map(lambda t: f"{t[0]}@{t[1]}"))
    stored = clean_email(value)
    if stored is None:
        from hypothesis import reject
        reject()
    assert stored is not None
    return stored


def _outgoing(to: Address) -> Outgoing:
    return Outgoing(
        kind="reply",
        sender=Sender("tenant", "acme@proposals.example.com", "Acme", reply_to="acme+r1.abcd@proposals.example.com"),
        to=[to], subject="Offerte", message_id="<q.1.2.abc@proposals.example.com>",
        date=dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC), text="Hallo", loop_domain="proposals.example.com",
        in_reply_to="<m1@example.org>",
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(stored_addresses(), _name)
def test_stored_addresses_survive_our_outgoing_headers(stored: str, name: str) -> None:
    """Compose a mail to a stored address, parse our own bytes back: the same address, and the
    envelope recipient is that address; threading headers never carry an encoded word."""
    composed = compose(_outgoing(Address(stored, name)))
    data = composed.as_bytes()
    assert data.isascii() is not needs_smtputf8(stored)
    back = parse_message(data)
    assert [a.email for a in back.to] == [stored]
    assert [address_key(r) for r in composed.envelope_recipients] == [address_key(stored)]
    head = data.split(b"\r\n\r\n", 1)[0]
    for line in head.split(b"\r\n"):
        if line.lower().startswith((b"in-reply-to", b"references", b"message-id")):
            assert b"=?" not in line


def test_ascii_mail_is_unchanged() -> None:
    """ASCII addresses: ASCII bytes, RFC 2047 only in the display name, no SMTPUTF8."""
    composed = compose(_outgoing(Address("klant@example.org", "Jürgen Müller")))
    data = composed.as_bytes()
    assert not composed.smtputf8 and data.isascii()
    assert b"To: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <klant@example.org>" in data


def test_idn_domain_alone_goes_out_in_ascii() -> None:
    """An ASCII local part at an IDN domain needs no SMTPUTF8: A-labels in header and envelope."""
    composed = compose(_outgoing(Address("info@exämple.de", "Info")))
    assert not composed.smtputf8
    assert composed.envelope_recipients == ("info@xn--exmple-cua.de",)
    assert b"To: Info <info@xn--exmple-cua.de>" in composed.as_bytes()


def test_utf8_local_part_goes_out_as_utf8() -> None:
    """A UTF-8 local part: the message is RFC 6532 (UTF-8 headers), never an encoded word in an address."""
    composed = compose(_outgoing(Address("jürgen@exämple.de", "Jürgen")))
    data = composed.as_bytes()
    assert composed.smtputf8 and composed.envelope_recipients == ("jürgen@exämple.de",)
    assert "To: Jürgen <jürgen@exämple.de>".encode() in data
    assert b"=?" not in data.split(b"\r\n\r\n", 1)[0].split(b"\r\nTo:", 1)[1].split(b"\r\n", 1)[0]


# ---- requester detection: direct mail, Reply-To, forward header blocks --------------------

FIRMA = TenantIdentity(
    proposals_addresses=frozenset({"firma-1@proposals.example.com"}),
    own_addresses=frozenset(),
    own_domains=frozenset({"firmä.be"}),  # an IDN tenant domain, given in Unicode
    proposals_domain="proposals.example.com",
)


def _understand(headers: list[tuple[str, str]], body: str, envelope: str = ""):
    from quotemaild.mail.provenance import understand

    head = "".join(f"{k}: {v}\r\n" for k, v in [*headers, ("To", "firma-1@proposals.example.com")])
    return understand(parse_message((head + "\r\n" + body.replace("\n", "\r\n")).encode()), envelope, FIRMA)


@pytest.mark.parametrize(("written", "stored", "key", "utf8"), REAL)
def test_requester_of_direct_mail(written: str, stored: str, key: str, utf8: bool) -> None:
    """A customer writing from an international address is the requester, in stored form."""
    u = _understand([("From", f"Klant <{written}>"), ("Subject", "Offerte")], "Graag een prijs.", envelope=written)
    assert u.provenance == "direct" and u.requester is not None
    assert u.requester.email == stored


@pytest.mark.parametrize(("written", "stored", "key", "utf8"), REAL)
def test_requester_from_a_forward_block(written: str, stored: str, key: str, utf8: bool) -> None:
    """A seller at the IDN tenant domain (written in punycode) forwards by hand: the original
    international sender becomes the requester, the seller `forwarded_by`."""
    body = (f"---------- Forwarded message ---------\nFrom: Klant <{written}>\n"
            "Date: Mon, 3 Mar 2025 at 10:00\nSubject: Offerte\nTo: <jan@firmä.be>\n\nGraag een prijs.")
    u = _understand([("From", "Jan <jan@xn--firm-ooa.be>"), ("Subject", "Fwd: Offerte")], body)
    assert u.provenance == "manual_forward"
    assert u.requester is not None and u.requester.email == stored
    assert u.forwarded_by is not None and same_address(u.forwarded_by, "JAN@firmä.be")


def test_no_reply_sender_uses_an_international_reply_to() -> None:
    """A web form's no-reply From with the customer's UTF-8 address in Reply-To."""
    u = _understand([("From", "noreply@forms.example"), ("Reply-To", "Jürgen <jürgen@exämple.de>"),
                     ("Subject", "Formulier")], "Naam: Jürgen")
    assert u.requester is not None and u.requester.email == "jürgen@exämple.de"


@pytest.mark.parametrize(
    "value",
    [w for w, *_ in REAL] + BAD + [NFD, "  Jan@Example.BE  ", "a@" + "b" * 700 + ".be", "x" * 2000],
)
def test_kept_answers_are_the_computed_ones(value: str) -> None:
    """split_email and address_key keep their answers per string: asked twice (the second time
    from the cache, or past its length bound uncached), they answer what the uncached code does."""
    from quotemaild.mail import addresses

    try:
        want: object = addresses._split_email(value)
    except AddressError as exc:
        want = ("error", exc.reason)
    for _ in range(2):
        try:
            got: object = split_email(value)
        except AddressError as exc:
            got = ("error", exc.reason)
        assert got == want
        assert address_key(value) == addresses._address_key(value)


@pytest.mark.parametrize(
    "value",
    [
        "Jan <jan@example.be>, piet@example.be",
        '"Peeters, Jan" <Jan@EXÄMPLE.de>',
        "no address here",
        "evil\r\nname <a@example.org>",
        "a@example.org, a@example.org",
        ", ".join(f"u{i}@example.org" for i in range(300)),  # past the cache's length bound
        "",
    ],
)
def test_address_lists_kept_are_the_parsed_ones(value: str) -> None:
    """parse_address_list answers from its cache what the parser gives, as a list of the caller's own."""
    from quotemaild.mail import addresses

    want = addresses._parse_address_list(value) if value.strip() else []
    first = parse_address_list(value)
    assert first == want
    first.append(Address("x@example.org"))
    assert parse_address_list(value) == want
