"""classify(): human, bounce, auto_reply, out_of_office, bulk, system — each with its reasons."""

from __future__ import annotations

import pytest

from quotemaild.mail.classify import auto_reply_allowed, classify
from quotemaild.mail.parse import parse_message


def msg(headers: list[tuple[str, str]], body: str = "Hallo"):
    head = "\r\n".join(f"{k}: {v}" for k, v in headers)
    return parse_message((head + "\r\nTo: t@proposals.example.com\r\n\r\n" + body).encode())


CASES = [
    # human
    ("plain", [("From", "piet@klant.be"), ("Subject", "Offerte dak")], "human", "no machine-mail signal"),
    (
        "auto-submitted-no",
        [("From", "piet@klant.be"), ("Auto-Submitted", "no"), ("Subject", "Vraag")],
        "human",
        "no machine-mail signal",
    ),
    (
        "absence-in-words",
        [("From", "piet@klant.be"), ("Subject", "Absence de devis")],
        "human",
        "no machine-mail signal",
    ),
    (
        "google-group-relay",
        [
            ("From", "offertes@googlegroups.com"),
            ("List-Id", "<offertes.googlegroups.com>"),
            ("Precedence", "list"),
            ("X-Original-From", "piet@klant.be"),
            ("Subject", "Offerte"),
        ],
        "human",
        "mailing-list relay of a person's message (X-Original-From)",
    ),
    # out of office: nl/fr/en/de subjects and headers
    (
        "nl-afwezig",
        [("From", "piet@klant.be"), ("Subject", "Afwezig: Offerte dak"), ("Auto-Submitted", "auto-replied")],
        "out_of_office",
        "Auto-Submitted: auto-replied",
    ),
    (
        "nl-subject-only",
        [("From", "piet@klant.be"), ("Subject", "Afwezig")],
        "out_of_office",
        "out-of-office subject",
    ),
    (
        "fr-absent",
        [("From", "jean@client.fr"), ("Subject", "Absent(e) : Demande de devis")],
        "out_of_office",
        "out-of-office subject",
    ),
    (
        "en-ooo",
        [("From", "bob@x.co.uk"), ("Subject", "Out of Office: Quote"), ("X-Auto-Response-Suppress", "All")],
        "out_of_office",
        "X-Auto-Response-Suppress: All",
    ),
    (
        "de-abwesenheit",
        [("From", "hans@kunde.de"), ("Subject", "Abwesenheitsnotiz: Angebot")],
        "out_of_office",
        "out-of-office subject",
    ),
    (
        "nl-automatisch-ooo-body",
        [("From", "piet@klant.be"), ("Subject", "Automatisch antwoord: Offerte")],
        "out_of_office",
        "automatic-reply subject",
    ),
    # auto reply (not absence)
    (
        "fr-reponse-auto",
        [("From", "jean@client.fr"), ("Subject", "Réponse automatique : devis"), ("X-Autoreply", "yes")],
        "auto_reply",
        "X-Autoreply header",
    ),
    (
        "en-autorespond",
        [("From", "bob@x.co.uk"), ("Subject", "Thanks"), ("X-Autorespond", "1")],
        "auto_reply",
        "X-Autorespond header",
    ),
    (
        "de-auto-antwort",
        [
            ("From", "hans@kunde.de"),
            ("Subject", "Automatische Antwort: Angebot"),
            ("Auto-Submitted", "auto-generated"),
        ],
        "auto_reply",
        "Auto-Submitted: auto-generated",
    ),
    (
        "precedence-auto",
        [("From", "x@y.be"), ("Subject", "Ticket 42"), ("Precedence", "auto_reply")],
        "auto_reply",
        "Precedence: auto_reply",
    ),
    # bulk
    (
        "list-id",
        [("From", "news@shop.be"), ("Subject", "Promo"), ("List-Id", "<news.shop.be>")],
        "bulk",
        "List-Id header",
    ),
    (
        "list-unsubscribe",
        [("From", "news@shop.be"), ("Subject", "Promo"), ("List-Unsubscribe", "<mailto:u@shop.be>")],
        "bulk",
        "List-Unsubscribe header",
    ),
    (
        "precedence-bulk",
        [("From", "news@shop.be"), ("Subject", "Promo"), ("Precedence", "bulk")],
        "bulk",
        "Precedence: bulk",
    ),
    # bounce
    (
        "x-failed",
        [
            ("From", "Mail Delivery System <MAILER-DAEMON@mx.be>"),
            ("Subject", "Mail delivery failed"),
            ("X-Failed-Recipients", "piet@klant.be"),
        ],
        "bounce",
        "X-Failed-Recipients",
    ),
    (
        "nl-onbestelbaar",
        [("From", "postmaster@firma.be"), ("Subject", "Onbestelbaar: Offerte")],
        "bounce",
        "bounce-like subject",
    ),
    (
        "fr-non-remis",
        [("From", "postmaster@client.fr"), ("Subject", "Non remis : Devis")],
        "bounce",
        "bounce-like subject",
    ),
    (
        "de-unzustellbar",
        [("From", "postmaster@kunde.de"), ("Subject", "Unzustellbar: Angebot")],
        "bounce",
        "bounce-like subject",
    ),
    # system
    (
        "gmail-confirm",
        [
            ("From", "forwarding-noreply@google.com"),
            ("Subject", "(#123) Gmail Forwarding Confirmation - Receive Mail from a@gmail.com"),
        ],
        "system",
        "Gmail forwarding confirmation",
    ),
]


@pytest.mark.parametrize(("case", "headers", "kind", "reason"), CASES, ids=[c[0] for c in CASES])
def test_classification_table(case, headers, kind, reason):
    """Each header/subject pattern gives its kind, and the verdict says why."""
    body = "Ik ben afwezig tot maandag." if case == "nl-automatisch-ooo-body" else "Hallo"
    verdict = classify(msg(headers, body))
    assert verdict.kind == kind
    assert reason in verdict.reasons


def test_arf_feedback_report_is_auto_reply():
    """An ARF abuse report is machine mail, never a request."""
    m = msg(
        [
            ("From", "abuse@isp.example"),
            ("Subject", "Abuse report"),
            ("MIME-Version", "1.0"),
            ("Content-Type", 'multipart/report; report-type=feedback-report; boundary="b"'),
        ],
        "--b\r\nContent-Type: text/plain\r\n\r\nreport\r\n--b--\r\n",
    )
    verdict = classify(m)
    assert verdict.kind == "auto_reply"
    assert any("ARF" in r for r in verdict.reasons)


@pytest.mark.parametrize(
    ("headers", "envelope", "allowed"),
    [
        ([("From", "piet@klant.be"), ("Subject", "Offerte")], "piet@klant.be", True),
        ([("From", "piet@klant.be"), ("Subject", "Offerte")], "", False),
        ([("From", "no-reply@shop.be"), ("Subject", "Bestelling")], "x@shop.be", False),
        # the one no-reply rule (mail/no_reply.py), as the acknowledgement policy applies it
        ([("From", "no_reply@shop.be"), ("Subject", "Bestelling")], "x@shop.be", False),
        ([("From", "nepasrepondre@banque.be"), ("Subject", "Relevé")], "x@banque.be", False),
        ([("From", "bounces+123@lists.be"), ("Subject", "Info")], "x@lists.be", False),
        ([("From", "website@shop.be"), ("Subject", "Offerte"), ("Reply-To", "piet@klant.be")], "x@shop.be", True),
        ([("From", "piet@klant.be"), ("Subject", "Promo"), ("List-Id", "<l>")], "piet@klant.be", False),
    ],
)
def test_auto_reply_allowed(headers, envelope, allowed):
    """RFC 3834 header rules: null sender, no-reply senders and non-human kinds get no acknowledgement."""
    m = msg(headers)
    assert auto_reply_allowed(m, classify(m, envelope), envelope)[0] is allowed
