"""understand(): who asked (direct, manual/auto forward, bcc, system) under the DESIGN.md identity rules."""

from __future__ import annotations

import dataclasses
import datetime as dt
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quotemaild.mail.parse import parse_message
from quotemaild.mail.provenance import as_reply, understand
from quotemaild.mail.tenant import TenantIdentity

TENANT = TenantIdentity(
    proposals_addresses=frozenset({"firma-524@proposals.example.com"}),
    own_addresses=frozenset({"info@firma-mail.com"}),
    own_domains=frozenset({"firma.be"}),
    proposals_domain="proposals.example.com",
    known_forwarders=frozenset({"offertes@googlegroups.com"}),
)
PROPOSALS = "firma-524@proposals.example.com"


def raw(headers: list[tuple[str, str]], body: str = "Hallo, graag een offerte.") -> bytes:
    lines = [f"{k}: {v}" for k, v in headers]
    if not any(k.lower() == "to" for k, _ in headers):
        lines.append(f"To: {PROPOSALS}")
    lines += ["Message-ID: <m1@test>", "Date: Mon, 3 Mar 2025 10:00:00 +0100"]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8")


def run(headers, body="Hallo, graag een offerte.", envelope="x@y.z"):
    return understand(parse_message(raw(headers, body)), envelope, TENANT)


MANUAL = [
    (
        "nl",
        "Jan <jan@firma.be>",
        "Doorst.: Offerte dak",
        "Graag opvolgen.\n\n-----Oorspronkelijk bericht-----\nVan: Piet Klant <piet@klant.be>\n"
        "Verzonden: maandag 3 maart 2025 09:12\nAan: jan@firma.be\nOnderwerp: Offerte dak\n\nHet dak lekt.",
        "piet@klant.be",
        "Piet Klant",
        "Offerte dak",
        dt.datetime(2025, 3, 3, 9, 12, tzinfo=dt.UTC),
        "Graag opvolgen.",
    ),
    (
        "fr",
        "Marie <marie@firma.be>",
        "TR: Demande de devis",
        "________________________________\nDe : Jean Dupont <jean@client.fr>\nEnvoyé : lundi 3 mars 2025 10:00\n"
        "À : marie@firma.be\nObjet : Demande de devis\n\nBonjour, un devis svp.",
        "jean@client.fr",
        "Jean Dupont",
        "Demande de devis",
        dt.datetime(2025, 3, 3, 10, 0, tzinfo=dt.UTC),
        None,
    ),
    (
        "en",
        "info@firma-mail.com",
        "Fwd: Quote",
        "---------- Forwarded message ---------\nFrom: Bob Buyer <bob@buyer.co.uk>\n"
        "Date: Mon, 3 Mar 2025 at 10:00\nSubject: Quote\nTo: <info@firma-mail.com>\n\nPlease quote.",
        "bob@buyer.co.uk",
        "Bob Buyer",
        "Quote",
        dt.datetime(2025, 3, 3, 10, 0, tzinfo=dt.UTC),
        None,
    ),
    (
        "de",
        "Verkauf <verkauf@firma.be>",
        "WG: Angebotsanfrage",
        "Bitte übernehmen.\n\n-------- Weitergeleitete Nachricht --------\nBetreff: \tAngebotsanfrage\n"
        "Datum: \tMon, 3 Mar 2025 10:00:00 +0100\nVon: \tHans Müller <hans@kunde.de>\nAn: \tverkauf@firma.be\n\nBitte.",
        "hans@kunde.de",
        "Hans Müller",
        "Angebotsanfrage",
        dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC),
        "Bitte übernehmen.",
    ),
]


@pytest.mark.parametrize(
    ("lang", "sender", "subject", "body", "email", "name", "osubj", "odate", "preamble"),
    MANUAL,
    ids=[m[0] for m in MANUAL],
)
def test_manual_forward_from_tenant_names_original_sender(
    lang, sender, subject, body, email, name, osubj, odate, preamble
):
    """A tenant's forward: requester = original sender, forwarded_by = tenant, original subject/date kept."""
    u = run([("From", sender), ("Subject", subject)], body)
    assert u.provenance == "manual_forward"
    assert u.requester is not None and (u.requester.email, u.requester.name) == (email, name)
    assert u.forwarded_by == parse_message(raw([("From", sender)])).sender.email
    assert u.original_subject == osubj
    assert u.original_date == odate
    assert u.preamble == preamble
    assert u.requester_confidence >= 0.8
    assert u.kind == "human"


def test_forward_block_from_outsider_never_replaces_requester():
    """A body forward block in mail NOT from the tenant is ignored (FreeScout #2813)."""
    body = "---------- Forwarded message ---------\nFrom: Victim <victim@other.com>\nSubject: x\n\nhi"
    u = run([("From", "Mallory <mallory@evil.example>"), ("Subject", "Fwd: x")], body)
    assert u.provenance == "direct"
    assert u.requester.email == "mallory@evil.example"


def test_nested_forward_skips_tenant_blocks():
    """In a forward of a colleague's forward, the first sender outside the tenant is the requester."""
    body = (
        "---------- Forwarded message ---------\nFrom: Col <col@firma.be>\nSubject: Fwd: Offerte\n\nzie onder\n\n"
        "---------- Forwarded message ---------\nFrom: Piet <piet@klant.be>\nSubject: Offerte\n\nHallo"
    )
    u = run([("From", "jan@firma.be"), ("Subject", "Fwd: Fwd: Offerte")], body)
    assert u.requester.email == "piet@klant.be"
    assert u.forwarded_by == "jan@firma.be"


def test_forward_of_tenant_own_mail_has_no_requester():
    """If every forwarded block is the tenant's own, the requester stays empty (never the tenant)."""
    body = "---------- Forwarded message ---------\nFrom: Col <col@firma.be>\nSubject: Intern\n\nhi"
    u = run([("From", "jan@firma.be"), ("Subject", "Fwd: Intern")], body)
    assert u.provenance == "manual_forward"
    assert u.requester is None and u.requester_confidence == 0.0


def _with_attached(outer_from: str, inner_from: str) -> bytes:
    inner = EmailMessage(policy=default_policy)
    inner["From"] = inner_from
    inner["To"] = "jan@firma.be"
    inner["Subject"] = "Aanvraag offerte ramen"
    inner["Date"] = "Sun, 2 Mar 2025 08:00:00 +0000"
    inner.set_content("Wij willen nieuwe ramen.")
    outer = EmailMessage(policy=default_policy)
    outer["From"] = outer_from
    outer["To"] = PROPOSALS
    outer["Subject"] = "Aanvraag offerte ramen"
    outer.set_content("Zie bijlage.")
    outer.add_attachment(inner)
    return outer.as_bytes()


def test_single_attached_message_is_the_original():
    """A tenant mail with one message/rfc822 attached: the attached message's From is the requester."""
    u = understand(
        parse_message(_with_attached("jan@firma.be", "Els <els@klant.nl>")), "jan@firma.be", TENANT
    )
    assert u.provenance == "manual_forward"
    assert u.requester.email == "els@klant.nl" and u.requester.name == "Els"
    assert u.original_date == dt.datetime(2025, 3, 2, 8, 0, tzinfo=dt.UTC)
    assert u.preamble == "Zie bijlage."
    assert "nieuwe ramen" in u.display_text


def test_attached_message_from_outsider_is_not_a_forward():
    """The attachment rule needs the tenant as sender too."""
    u = understand(
        parse_message(_with_attached("other@else.com", "Els <els@klant.nl>")), "other@else.com", TENANT
    )
    assert u.provenance == "direct" and u.requester.email == "other@else.com"


AUTO = [
    (
        "gmail",
        [("X-Forwarded-For", "jan@firma.be firma-524@proposals.example.com"), ("X-Forwarded-To", PROPOSALS)],
        "jan@firma.be",
    ),
    ("resent", [("Resent-From", "jan@firma.be"), ("To", "jan@firma.be")], "jan@firma.be"),
    (
        "exchange",
        [
            ("X-MS-Exchange-Organization-AutoForwarded", "true"),
            ("X-MS-Exchange-Inbox-Rules-Loop", "verkauf@firma.be"),
        ],
        "verkauf@firma.be",
    ),
    ("delivered-to", [("Delivered-To", "info@firma-mail.com")], "info@firma-mail.com"),
    ("redirect", [("To", "Jan <jan@firma.be>")], "jan@firma.be"),
]


@pytest.mark.parametrize(("case", "extra", "forwarder"), AUTO, ids=[a[0] for a in AUTO])
def test_auto_forward_keeps_original_from(case, extra, forwarder):
    """Server-side forwards: provenance auto_forward, requester = From, forwarder named, never Resent-From."""
    u = run([("From", "Piet Klant <piet@klant.be>"), ("Subject", "Offerte"), *extra])
    assert u.provenance == "auto_forward"
    assert u.requester.email == "piet@klant.be"
    assert u.forwarded_by == forwarder


def test_srs_envelope_on_tenant_domain_is_auto_forward_and_never_requester():
    """An SRS envelope sender on the tenant's domain marks a forward; it is never the requester."""
    u = run(
        [("From", "piet@klant.be"), ("Subject", "Offerte")], envelope="SRS0=abcd=TT=klant.be=piet@firma.be"
    )
    assert u.provenance == "auto_forward"
    assert u.requester.email == "piet@klant.be"


def test_auto_forward_of_web_form_uses_reply_to():
    """A no-reply From yields to Reply-To."""
    u = run(
        [("From", "noreply@website.be"), ("Reply-To", "Klant <klant@mail.be>"), ("X-Forwarded-To", PROPOSALS)]
    )
    assert u.provenance == "auto_forward" and u.requester.email == "klant@mail.be"


BCC = [
    ("bcc", [("From", "Jan <jan@firma.be>"), ("To", "Piet <piet@klant.be>")], 0.75),
    ("cc", [("From", "jan@firma.be"), ("To", "piet@klant.be, col@firma.be"), ("Cc", PROPOSALS)], 0.75),
    ("to-both", [("From", "jan@firma.be"), ("To", f"piet@klant.be, {PROPOSALS}")], 0.6),
]


@pytest.mark.parametrize(("case", "headers", "confidence"), BCC, ids=[b[0] for b in BCC])
def test_seller_copying_proposals_gives_first_external_to(case, headers, confidence):
    """A seller's mail to a customer copied to us: requester = first external To."""
    u = run([*headers, ("Subject", "Uw offerte")])
    assert u.provenance == "bcc"
    assert u.requester.email == "piet@klant.be"
    assert u.forwarded_by == "jan@firma.be"
    assert u.requester_confidence == confidence


IDENTITY = [
    ("from", [("From", "Piet <piet@klant.be>"), ("Reply-To", "other@klant.be")], "piet@klant.be", 0.9),
    (
        "google-group",
        [
            ("From", "offertes@googlegroups.com"),
            ("X-Original-From", "Piet <piet@klant.be>"),
            ("List-Id", "<offertes.googlegroups.com>"),
        ],
        "piet@klant.be",
        0.8,
    ),
    (
        "x-original-sender",
        [("From", "'Piet' via Offertes <offertes@googlegroups.com>"), ("X-Original-Sender", "piet@klant.be")],
        "piet@klant.be",
        0.8,
    ),
    (
        "reply-to-last",
        [("From", "offertes@googlegroups.com"), ("Reply-To", "piet@klant.be")],
        "piet@klant.be",
        0.6,
    ),
    ("no-reply", [("From", "no-reply@webshop.be"), ("Reply-To", "piet@klant.be")], "piet@klant.be", 0.7),
    ("no_reply", [("From", "no_reply@webshop.be"), ("Reply-To", "piet@klant.be")], "piet@klant.be", 0.7),
    ("geen-antwoord", [("From", "geen-antwoord@webshop.be"), ("Reply-To", "piet@klant.be")], "piet@klant.be", 0.7),
    ("web-form", [("From", "wordpress@webshop.be"), ("Reply-To", "piet@klant.be")], "piet@klant.be", 0.7),
    ("tenant-own-from", [("From", "jan@firma.be")], None, 0.0),
    ("proposals-from", [("From", PROPOSALS), ("Reply-To", "piet@klant.be")], "piet@klant.be", 0.6),
]


@pytest.mark.parametrize(("case", "headers", "email", "confidence"), IDENTITY, ids=[i[0] for i in IDENTITY])
def test_identity_order_for_non_forwards(case, headers, email, confidence):
    """From unless own/known forwarder; then X-Original-From/-Sender; then Reply-To."""
    u = run([*headers, ("Subject", "Offerte")])
    assert (u.requester.email if u.requester else None) == email
    assert u.requester_confidence == confidence


@pytest.mark.parametrize(
    ("from_header", "email"),
    [
        ('"evil@x.com" <piet@klant.be>', "piet@klant.be"),
        ('"piet@klant.be" <attacker@evil.example>', "attacker@evil.example"),
        ("=?utf-8?q?Piet=0D=0ABcc=3A_a=40b=2Ec?= <piet@klant.be>", "piet@klant.be"),
        ("=?utf-8?q?Piet=00?= <piet@klant.be>", "piet@klant.be"),
    ],
)
def test_display_names_with_at_or_controls_are_never_identity(from_header, email):
    """Names with '@', CR/LF or NUL are dropped: the requester is the real address, with no name."""
    u = understand(parse_message(raw([("From", from_header), ("Subject", "x")])), "", TENANT)
    assert u.requester is not None
    assert (u.requester.email, u.requester.name) == (email, "")


def test_system_mail_has_system_provenance_and_no_requester():
    """Gmail's forwarding confirmation is system mail: no requester."""
    u = run(
        [
            ("From", "Gmail Team <forwarding-noreply@google.com>"),
            ("Subject", "(#123456789) Gmail Forwarding Confirmation - Receive Mail from jan@firma.be"),
        ],
        "Confirmation code: 123456789\nhttps://mail-settings.google.com/mail/vf-abc",
    )
    assert (u.kind, u.provenance, u.requester) == ("system", "system", None)
    assert u.system.code == "123456789"


def test_bounce_has_no_requester():
    """A bounce names no requester; its report is attached."""
    u = run(
        [
            ("From", "MAILER-DAEMON@mx.klant.be"),
            ("Subject", "Undelivered Mail Returned to Sender"),
            ("X-Failed-Recipients", "piet@klant.be"),
        ],
        "550 5.1.1 user unknown",
    )
    assert u.kind == "bounce" and u.requester is None
    assert u.bounce.recipients == ("piet@klant.be",)


def test_display_text_splits_quoted_history():
    """The display text holds the new text; the quote goes to quoted_text."""
    u = run(
        [("From", "piet@klant.be"), ("Subject", "Re: Offerte")],
        "Akkoord.\n\nOp ma 3 mrt 2025 om 10:00 schreef Jan <jan@firma.be>:\n> Hierbij de offerte.\n",
    )
    assert u.display_text == "Akkoord."
    assert "Hierbij de offerte" in u.quoted_text


def test_as_reply_marks_reply_provenance():
    """as_reply is the caller's way to record that threading joined a request."""
    u = as_reply(run([("From", "piet@klant.be"), ("Subject", "Re: x")]))
    assert u.provenance == "reply" and u.requester.email == "piet@klant.be"
    with pytest.raises(dataclasses.FrozenInstanceError):
        u.provenance = "direct"  # type: ignore[misc]


HEADER_NAMES = st.sampled_from(
    [
        "From",
        "To",
        "Cc",
        "Reply-To",
        "Subject",
        "Date",
        "Message-ID",
        "Content-Type",
        "Content-Transfer-Encoding",
        "X-Forwarded-For",
        "X-Forwarded-To",
        "Resent-From",
        "Auto-Submitted",
        "Precedence",
        "List-Id",
        "X-Original-From",
        "X-Failed-Recipients",
        "Delivered-To",
        "X-MS-Exchange-Inbox-Rules-Loop",
        "MIME-Version",
    ]
)
HEADER_VALUES = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "jan@firma.be",
            "Piet <piet@klant.be>",
            '"a@b" <c@d.e>',
            "=?utf-8?b?w6k=?= <x@y.z>",
            "multipart/report; report-type=delivery-status; boundary=x",
            'multipart/mixed; boundary="b"',
            "text/html; charset=bogus",
            "base64",
            "quoted-printable",
            "Fwd: x",
            "<>",
            "",
        ]
    ),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_understand_never_raises_on_arbitrary_bytes(data):
    """parse_message + understand accept any bytes."""
    u = understand(parse_message(data), "", TENANT)
    assert u.kind in ("human", "bounce", "auto_reply", "out_of_office", "bulk", "system")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=12),
    st.text(max_size=400),
    st.sampled_from(["", "x@y.z", "SRS0=a=b=c=d@firma.be", "<>"]),
)
def test_understand_never_raises_on_header_mixes(headers, body, envelope):
    """Any mix of (possibly broken) headers and body text gives an Understanding."""
    lines = []
    for name, value in headers:
        value = value.replace("\r", " ").replace("\n", " ")
        lines.append(f"{name}: {value}")
    data = ("\r\n".join(lines) + "\r\n\r\n" + body).encode("utf-8", "surrogatepass")
    u = understand(parse_message(data), envelope, TENANT)
    assert u.provenance in ("direct", "auto_forward", "manual_forward", "bcc", "system")
    assert 0.0 <= u.requester_confidence <= 1.0


def test_html_only_outlook_forward_from_tenant():
    """Outlook's HTML-only forward (fr, no underscore line) is read after HTML-to-text."""
    html = (
        "<html><body><div>Pour suite.</div><div><br></div>"
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt">'
        "<p><b>De&nbsp;:</b> Jean Dupont &lt;jean@client.fr&gt;<br>"
        "<b>Envoy&eacute;&nbsp;:</b> lundi 3 mars 2025 10:00<br>"
        "<b>&Agrave;&nbsp;:</b> Marie &lt;marie@firma.be&gt;<br>"
        "<b>Objet&nbsp;:</b> Demande de devis</p></div>"
        "<p>Bonjour, un devis pour 3 fen&ecirc;tres svp.</p></body></html>"
    )
    data = (
        "From: Marie <marie@firma.be>\r\nTo: firma-524@proposals.example.com\r\nSubject: TR: Demande de devis\r\n"
        "Content-Type: text/html; charset=utf-8\r\n\r\n" + html
    ).encode()
    u = understand(parse_message(data), "marie@firma.be", TENANT)
    assert u.provenance == "manual_forward"
    assert (u.requester.email, u.requester.name) == ("jean@client.fr", "Jean Dupont")
    assert (u.original_subject, u.preamble) == ("Demande de devis", "Pour suite.")
    assert u.original_date == dt.datetime(2025, 3, 3, 10, 0, tzinfo=dt.UTC)
    assert u.display_text == "Bonjour, un devis pour 3 fenêtres svp."
