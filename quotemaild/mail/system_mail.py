"""Set-up mail from mail providers: shown to the tenant at once, never a quote request, never acked.

- Gmail's forwarding confirmation ("(#123456789) Gmail Forwarding Confirmation - Receive Mail from
  x@gmail.com", localized): the confirmation code and the verification link are extracted.
- Microsoft account / Outlook.com verification and security-code mails (same handling).
- Microsoft 365's NDR `550 5.7.520 Access denied, Your organization does not allow external
  forwarding ... AS(7555)`: a readable fix-it hint (outbound spam policy blocks auto-forwarding).

`kind` is a stable key the UI can translate; `hint` is the English text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from quotemaild.mail.parse import ParsedMessage

GMAIL_FORWARDING = "gmail_forwarding_confirmation"
MICROSOFT_VERIFICATION = "microsoft_verification"
M365_FORWARDING_BLOCKED = "m365_external_forwarding_blocked"

_GMAIL_SENDERS = ("forwarding-noreply@google.com",)
_GMAIL_SUBJECT = re.compile(
    r"gmail forwarding confirmation|bevestiging (?:voor|van) (?:het )?doorsturen|"
    r"confirmation de transfert|gmail-weiterleitungsbestätigung|weiterleitungsbestätigung|"
    r"conferma di inoltro|confirmación de reenvío",
    re.IGNORECASE,
)
_SUBJECT_CODE = re.compile(r"\(#\s*(\d{6,12})\)")
_BODY_CODE = re.compile(
    r"(?:confirmation code|bevestigingscode|code de confirmation|bestätigungscode|"
    r"security code|beveiligingscode|code de sécurité|sicherheitscode|verification code|"
    r"verificatiecode|code de vérification|prüfcode)\s*:?\s*(\d{4,12})",
    re.IGNORECASE,
)
_GMAIL_LINK = re.compile(r"https://(?:mail-settings|mail|isolated\.mail)\.google\.com/mail/[^\s<>\"')\]]+")
_MS_SENDER_DOMAINS = ("accountprotection.microsoft.com", "microsoft.com", "microsoftonline.com")
_MS_SUBJECT = re.compile(
    r"verify your (?:email|e-mail) address|security code|beveiligingscode|code de sécurité|"
    r"sicherheitscode|verification code|e-mailadres verifiëren|vérifiez votre adresse|"
    r"e-mail-adresse bestätigen",
    re.IGNORECASE,
)
_MS_LINK = re.compile(r"https://[\w.-]*(?:live|microsoft|outlook|office)\.com/[^\s<>\"')\]]+")
_AS7555 = re.compile(r"5\.7\.520\b.{0,400}?AS\s*\(\s*7555\s*\)", re.IGNORECASE | re.DOTALL)

M365_HINT = (
    "Microsoft 365 refused to forward a message to quotemaild: external forwarding is blocked by "
    "the organisation's outbound spam policy (550 5.7.520, AS(7555)). In the Microsoft 365 "
    "Defender portal, open Policies > Threat policies > Anti-spam > Anti-spam outbound policy, "
    "and set 'Automatic forwarding rules' to 'On - Forwarding is enabled' for the mailbox that "
    "forwards (or use a custom policy for that user), then send a test message again."
)
GMAIL_HINT = (
    "Gmail asks to confirm forwarding to quotemaild. Open the link (or enter the code in Gmail > "
    "Settings > Forwarding and POP/IMAP) to start forwarding."
)
MICROSOFT_HINT = "Microsoft sent a verification mail for this address; use the code or link."


@dataclass(frozen=True)
class SystemInfo:
    kind: str
    code: str | None
    link: str | None
    hint: str
    reasons: tuple[str, ...]


def detect_system_mail(msg: ParsedMessage) -> SystemInfo | None:
    """A provider set-up mail, or None. Looks only at sender, subject and body text."""
    sender = msg.sender.email.lower() if msg.sender else ""
    subject = msg.subject
    text = msg.text or _strip_tags(msg.html or "")
    if sender in _GMAIL_SENDERS or (
        _GMAIL_SUBJECT.search(subject) and sender.endswith(("@google.com", "@gmail.com"))
    ):
        code = _first(_SUBJECT_CODE, subject) or _first(_BODY_CODE, text)
        return SystemInfo(
            kind=GMAIL_FORWARDING,
            code=code,
            link=_first_link(_GMAIL_LINK, text, msg.html),
            hint=GMAIL_HINT,
            reasons=(f"sender {sender}", "Gmail forwarding confirmation"),
        )
    blocked = _AS7555.search(text) or _AS7555.search(msg.html or "")
    if blocked:
        return SystemInfo(
            kind=M365_FORWARDING_BLOCKED,
            code="550 5.7.520",
            link=None,
            hint=M365_HINT,
            reasons=("NDR 550 5.7.520 AS(7555): external forwarding blocked",),
        )
    domain = sender.rpartition("@")[2]
    ms_sender = any(domain == d or domain.endswith("." + d) for d in _MS_SENDER_DOMAINS)
    if ms_sender and _MS_SUBJECT.search(subject):
        return SystemInfo(
            kind=MICROSOFT_VERIFICATION,
            code=_first(_BODY_CODE, text),
            link=_first_link(_MS_LINK, text, msg.html),
            hint=MICROSOFT_HINT,
            reasons=(f"sender {sender}", "Microsoft verification mail"),
        )
    return None


def _first(rx: re.Pattern[str], text: str) -> str | None:
    found = rx.search(text)
    return found.group(1) if found else None


def _first_link(rx: re.Pattern[str], text: str, html: str | None) -> str | None:
    found = rx.search(text) or rx.search(html or "")
    return found.group(0).rstrip(".,;") if found else None


def _strip_tags(html: str) -> str:
    return re.sub(r"<[^>]*>", " ", html)
