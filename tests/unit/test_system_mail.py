"""detect_system_mail(): Gmail forwarding confirmations, Microsoft verification mail, M365 AS(7555) NDR."""

from __future__ import annotations

import pytest

from quotemaild.mail.parse import parse_message
from quotemaild.mail.system_mail import (
    GMAIL_FORWARDING,
    M365_FORWARDING_BLOCKED,
    MICROSOFT_VERIFICATION,
    detect_system_mail,
)


def msg(sender: str, subject: str, body: str):
    return parse_message(
        f"From: {sender}\nTo: firma-524@proposals.example.com\nSubject: {subject}\n\n{body}".encode()
    )


GMAIL_LINK = "https://mail-settings.google.com/mail/vf-%5BANGjdJ8%5D-abc123"
GMAIL = [
    (
        "en",
        "(#512345678) Gmail Forwarding Confirmation - Receive Mail from jan@gmail.com",
        f"jan@gmail.com has requested to automatically forward mail.\nConfirmation code: 512345678\n\n{GMAIL_LINK}\n",
    ),
    (
        "nl",
        "(#512345678) Bevestiging voor doorsturen van Gmail - E-mail ontvangen van jan@gmail.com",
        f"Bevestigingscode: 512345678\nKlik op de link: {GMAIL_LINK}",
    ),
    (
        "fr",
        "(#512345678) Confirmation de transfert Gmail - Recevoir les messages de jan@gmail.com",
        f"Code de confirmation : 512345678\n{GMAIL_LINK}.",
    ),
    (
        "de",
        "(#512345678) Gmail-Weiterleitungsbestätigung - E-Mails von jan@gmail.com empfangen",
        f"Bestätigungscode: 512345678\n{GMAIL_LINK}",
    ),
]


@pytest.mark.parametrize(("lang", "subject", "body"), GMAIL, ids=[g[0] for g in GMAIL])
def test_gmail_forwarding_confirmation_code_and_link(lang, subject, body):
    """The code (from the subject) and the verification link are extracted in every language."""
    info = detect_system_mail(msg("Gmail Team <forwarding-noreply@google.com>", subject, body))
    assert info is not None and info.kind == GMAIL_FORWARDING
    assert info.code == "512345678"
    assert info.link == GMAIL_LINK


def test_microsoft_security_code():
    """Microsoft account verification mails give their code."""
    info = detect_system_mail(
        msg(
            "Microsoft account team <account-security-noreply@accountprotection.microsoft.com>",
            "Microsoft account security code",
            "Please use the following security code: 4821\n",
        )
    )
    assert info is not None and info.kind == MICROSOFT_VERIFICATION and info.code == "4821"


def test_m365_external_forwarding_blocked_hint():
    """The 550 5.7.520 AS(7555) NDR becomes a readable fix-it hint."""
    body = (
        "Your message couldn't be delivered.\nRemote Server returned '550 5.7.520 Access denied, Your "
        "organization does not allow external forwarding. Please contact your administrator for further "
        "assistance. AS(7555)'"
    )
    info = detect_system_mail(msg("postmaster@firma.onmicrosoft.com", "Undeliverable: Offerte", body))
    assert info is not None and info.kind == M365_FORWARDING_BLOCKED
    assert "Anti-spam outbound policy" in info.hint


@pytest.mark.parametrize(
    ("sender", "subject", "body"),
    [
        ("piet@klant.be", "Gmail Forwarding Confirmation", "Confirmation code: 123456"),
        ("jan@gmail.com", "Offerte", "Zie https://mail.google.com/mail/u/0"),
        ("postmaster@x.be", "Undeliverable", "550 5.7.1 relaying denied"),
    ],
)
def test_lookalikes_are_not_system_mail(sender, subject, body):
    """Only the provider's own senders (or the exact NDR) count."""
    assert detect_system_mail(msg(sender, subject, body)) is None
