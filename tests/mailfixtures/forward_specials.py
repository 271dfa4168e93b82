"""Forwards beyond one client's layout: chains, a forward attached as a message, rewritten senders."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy

from tests.mailfixtures.common import LANGS, PREAMBLE, PROPOSALS, STAFF, Person, customer
from tests.mailfixtures.forwards import (
    FWD,
    Fixture,
    Layout,
    _original,
    build,
    gmail_app,
    outlook_2010,
    outlook_desktop,
    thunderbird,
)


def special_forwards() -> Iterator[Fixture]:
    """Forward of a forward, a forward attached as a message, senders rewritten by forwarding services."""
    for i, lang in enumerate(LANGS):
        c, middle, staff = customer(lang, 30 + i), customer(lang, 40 + i), STAFF[lang]
        # A customer's colleague (another outsider) forwarded the request to us; staff forwards it on.
        inner = gmail_app(lang, c, middle).text or ""
        outer = outlook_desktop(lang, middle, staff)
        fwd_subject = _original(lang, middle)[0]
        text = (outer.text or "").replace(fwd_subject, f"Fwd: {fwd_subject}", 1)
        text = text.replace(_original(lang, middle)[1], _original(lang, middle)[1].split("\n")[0] + "\n" + inner)
        data = build(Layout(outer.prefix, text), lang, c, staff, "quoted-printable")
        yield Fixture(f"forward-of-forward-{lang}", "forward-of-forward", lang, data, c.email)

        # Staff forwarded a colleague's forward of the customer's mail (both staff blocks skipped).
        colleague = STAFF[LANGS[(i + 1) % 4]]
        inner2 = thunderbird(lang, c, colleague).text or ""
        outer2 = outlook_2010(lang, colleague, staff)
        text2 = (outer2.text or "").replace(fwd_subject, f"Fwd: {fwd_subject}", 1)
        text2 = text2.replace(_original(lang, colleague)[1], "FYI\n" + inner2)
        data = build(Layout(outer2.prefix, text2), lang, c, staff, "base64")
        yield Fixture(f"staff-forward-of-staff-forward-{lang}", "forward-of-forward", lang, data, c.email)

        yield Fixture(f"attached-rfc822-{lang}", "attached-message", lang, _attached(lang, c, staff), c.email)
    yield from _rewritten()


def _attached(lang: str, c: Person, staff: Person) -> bytes:
    subject, body = _original(lang, c)
    inner = EmailMessage(policy=default_policy)
    inner["From"] = c.header
    inner["To"] = staff.email
    inner["Subject"] = subject
    inner["Date"] = "Mon, 03 Mar 2025 09:12:00 +0100"
    inner["Message-ID"] = f"<orig-{c.email}>"
    inner.set_content(body)
    outer = EmailMessage(policy=default_policy)
    outer["From"] = staff.header
    outer["To"] = PROPOSALS
    outer["Subject"] = f"{FWD['outlook'][lang]} {subject}"
    outer["Message-ID"] = f"<att-{c.email}>"
    outer.set_content(PREAMBLE[lang].format(name=staff.name, email=staff.email))
    outer.add_attachment(inner)
    return outer.as_bytes()


def _rewritten() -> Iterator[Fixture]:
    """From rewritten to the tenant's own address by a forwarding service; the customer kept elsewhere."""
    cases = (
        ("google-groups", "nl", {"From": "'Piet via Offertes' <info@firma-mail.com>", "X-Original-From": "{c}",
                                 "X-Original-Sender": "{e}", "Reply-To": "{c}", "List-Id": "<offertes.firma-mail.com>"}),
        ("power-automate", "fr", {"From": "Offertes <offertes@firma-groep.eu>", "Reply-To": "{c}"}),
        ("forwarding-service", "en", {"From": "sales@firma.be", "X-Original-From": "{c}"}),
        ("srs-relay", "de", {"From": "Weiterleitung <info@firma-mail.com>", "Reply-To": "{c}",
                              "Return-Path": "<SRS0=abcd=XY=web.de=hans@firma.be>"}),
        ("x-original-sender", "en", {"From": "noreply@firma.be", "X-Original-Sender": "{e}"}),
    )
    for i, (name, lang, headers) in enumerate(cases):
        c = customer(lang, 50 + i)
        subject, body = _original(lang, c)
        msg = EmailMessage(policy=default_policy)
        for key, value in headers.items():
            msg[key] = value.format(c=c.header, e=c.email)
        msg["To"] = PROPOSALS
        msg["Subject"] = subject
        msg["Message-ID"] = f"<rw-{i}@firma.be>"
        msg.set_content(body)
        yield Fixture(f"rewritten-{name}", "rewritten-from", lang, msg.as_bytes(), c.email)
