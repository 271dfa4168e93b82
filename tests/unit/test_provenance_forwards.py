"""understand() on forwards: chains, banners, mailto-only senders, rewritten From, staff signatures."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import default as default_policy

import pytest

from quotemaild.mail.forward import reveal_mailto, strip_banner
from quotemaild.mail.parse import parse_message
from quotemaild.mail.provenance import understand
from tests.mailfixtures.common import PROPOSALS, TENANT

STAFF = "Jan Peeters <jan@firma.be>"
SIGNATURE = "Groeten,\nJan Peeters\nFirma BV | jan@firma.be | jan.peeters.privé@gmail.com | +32 3 123 45 67\n"


def mail(body: str, subject: str = "FW: Offerte", sender: str = STAFF, html: str | None = None, **headers: str) -> bytes:
    msg = EmailMessage(policy=default_policy)
    msg["From"] = sender
    msg["To"] = headers.pop("To", PROPOSALS)
    msg["Subject"] = subject
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    if body:
        msg.set_content(body)
        if html:
            msg.add_alternative(html, subtype="html")
    else:
        msg.set_content(html or "", subtype="html")
    return msg.as_bytes()


def requester(data: bytes) -> str | None:
    u = understand(parse_message(data), "jan@firma.be", TENANT)
    return u.requester.email if u.requester else None


def test_customers_colleague_forwarding_hands_over_to_the_innermost_customer():
    """Architect forwards the customer's mail to us ("Fwd:" in that block), staff forwards it on."""
    body = (
        f"{SIGNATURE}\n________________________________\nVan: Architect <info@architect.be>\n"
        "Verzonden: maandag 3 maart 2025 09:12\nAan: Jan Peeters <jan@firma.be>\nOnderwerp: Fwd: Offerte\n\n"
        "Zie hieronder.\n\n---------- Forwarded message ---------\nFrom: Piet Klant <piet@klant.be>\n"
        "Date: Mon, 3 Mar 2025 at 08:00\nSubject: Offerte\nTo: <info@architect.be>\n\nGraag een offerte.\n"
    )
    assert requester(mail(body)) == "piet@klant.be"


def test_a_reply_chain_inside_the_customers_mail_is_not_followed():
    """The customer's own mail quotes a third party ("Op ... schreef"): the customer stays the requester."""
    body = (
        "---------- Doorgestuurd bericht ---------\nVan: Piet Klant <piet@klant.be>\nDate: ma 3 mrt 2025 om 09:12\n"
        "Subject: Offerte\nTo: <jan@firma.be>\n\nZie hieronder, graag een prijs.\n\n"
        "Op vr 28 feb 2025 om 15:00 schreef Architect <info@architect.be>:\n> Plannen in bijlage.\n"
    )
    assert requester(mail(body, subject="Fwd: Offerte")) == "piet@klant.be"


def test_a_staff_signature_address_is_never_the_requester():
    """A block naming the sender by name only, with no address anywhere: no requester rather than a guess."""
    body = (
        f"Graag opvolgen.\n\n{SIGNATURE}\n________________________________\nVan: Piet Klant\n"
        "Verzonden: maandag 3 maart 2025 09:12\nAan: Jan Peeters\nOnderwerp: Offerte\n\nGraag een offerte.\n"
    )
    assert requester(mail(body)) is None


def test_outlook_banner_names_the_address_of_a_name_only_sender_and_is_not_shown():
    body = (
        "________________________________\nFrom: Piet Klant\nSent: Monday, March 3, 2025 9:12 AM\nTo: Jan Peeters\n"
        "Subject: Offerte\n\nYou don't often get email from piet@klant.be. Learn why this is important"
        "<https://aka.ms/LearnAboutSenderIdentification>\n\nGraag een offerte.\n"
    )
    u = understand(parse_message(mail(body)), "jan@firma.be", TENANT)
    assert u.requester is not None and (u.requester.email, u.requester.name) == ("piet@klant.be", "Piet Klant")
    assert "often get email" not in u.display_text and "Graag een offerte." in u.display_text


def test_html_only_forward_with_the_address_in_a_mailto_link():
    html = (
        '<div>Graag opvolgen</div><hr><div id="divRplyFwdMsg"><b>Van:</b> <a href="mailto:piet@klant.be">Piet Klant</a><br>'
        "<b>Verzonden:</b> maandag 3 maart 2025 09:12<br><b>Aan:</b> <a href=\"mailto:jan@firma.be\">Jan</a><br>"
        "<b>Onderwerp:</b> Offerte</div><p>Graag een offerte.</p>"
    )
    u = understand(parse_message(mail("", html=html)), "jan@firma.be", TENANT)
    assert u.requester is not None and (u.requester.email, u.requester.name) == ("piet@klant.be", "Piet Klant")
    assert u.original_subject == "Offerte"


def test_text_part_without_address_falls_back_to_the_html_links():
    text = "Graag opvolgen\n\nVan: Piet Klant\nVerzonden: maandag 3 maart 2025 09:12\nAan: Jan\nOnderwerp: Offerte\n\nGraag.\n"
    html = (
        '<hr><b>Van:</b> <a href="mailto:piet@klant.be">Piet Klant</a><br><b>Verzonden:</b> maandag 3 maart 2025 09:12<br>'
        "<b>Aan:</b> Jan<br><b>Onderwerp:</b> Offerte<p>Graag.</p>"
    )
    assert requester(mail(text, html=html)) == "piet@klant.be"


@pytest.mark.parametrize(
    ("headers", "expected", "why"),
    [
        ({"X_Original_From": "Els <els@klant.nl>", "Reply_To": "els@klant.nl"}, "els@klant.nl", "X-Original-From"),
        ({"X_Original_Sender": "els@klant.nl"}, "els@klant.nl", "X-Original-Sender"),
        ({"Reply_To": "Els <els@klant.nl>"}, "els@klant.nl", "Reply-To"),
        ({"Reply_To": "verkoop@firma.be"}, None, "no forward block"),
    ],
)
def test_from_rewritten_to_the_tenant_takes_the_customer_from_headers(headers, expected, why):
    """Google Groups, Power Automate, forwarding services: From is the tenant's own, the customer elsewhere."""
    u = understand(parse_message(mail("Graag een offerte.", subject="Offerte", sender="Offertes <offertes@firma.be>", **headers)),
                   "SRS0=ab=CD=klant.nl=els@firma.be", TENANT)
    assert (u.requester.email if u.requester else None) == expected
    assert any(why in r for r in u.provenance_reasons)


def test_reply_to_does_not_override_a_staff_mail_copied_to_us():
    """Staff writes a customer and copies the proposals address: the customer in To is the requester."""
    data = mail("Hierbij de offerte.", subject="Offerte", To=f"piet@klant.be, {PROPOSALS}", Reply_To="other@else.be")
    assert requester(data) == "piet@klant.be"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ('<a href="mailto:p@k.be">Piet</a>', "Piet &lt;p@k.be&gt;"),
        ("<A HREF='mailto:p@k.be?subject=x'>Piet K</A>", "Piet K &lt;p@k.be&gt;"),
        ('<a href="mailto:p@k.be">p@k.be</a>', "p@k.be"),
        ('<a href="https://x.be">site</a>', '<a href="https://x.be">site</a>'),
    ],
)
def test_reveal_mailto(html, text):
    assert reveal_mailto(html) == text


@pytest.mark.parametrize(
    "line",
    [
        "You don't often get email from a@b.be. Learn why this is important<https://aka.ms/x>",
        "U ontvangt niet vaak e-mail van a@b.be. Ontdek waarom dit belangrijk is",
        "Vous n’obtenez pas souvent d’e-mail à partir de a@b.be. Pourquoi c’est important",
        "Sie erhalten nicht oft eine E-Mail von a@b.be. Erfahren Sie, warum dies wichtig ist",
        "Some people who received this message don't often get email from a@b.be. Learn why this is important",
    ],
)
def test_strip_banner(line):
    assert strip_banner(f"Hallo\n{line}\nTekst") == "Hallo\nTekst"


def test_banner_is_cut_from_a_direct_mail_too():
    """An auto-forwarded or direct mail that passed Exchange carries the banner at the top: not shown."""
    data = mail("You don't often get email from piet@klant.be. Learn why this is important<https://aka.ms/x>\n\n"
                "Graag een offerte.", subject="Offerte", sender="Piet <piet@klant.be>")
    u = understand(parse_message(data), "piet@klant.be", TENANT)
    assert u.display_text == "Graag een offerte."


# HTML-only forwards as Gmail, Apple Mail (address in text or only in the link) and Yahoo write them.
GMAIL_HTML = ('<div dir="ltr">Graag opvolgen<br><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>'
 'From: <strong class="gmail_sendername" dir="auto">Piet Klant</strong> <span dir="auto">&lt;<a href="mailto:piet@klant.be">piet@klant.be</a>&gt;</span><br>'
 'Date: Mon, 3 Mar 2025 at 09:12<br>Subject: Offerte<br>To: &lt;<a href="mailto:jan@firma.be">jan@firma.be</a>&gt;<br></div><br><br><div dir="ltr">Hallo, graag een offerte.</div></div></div>')
APPLE_HTML = ('<html><body><div>Graag opvolgen</div><div><br><blockquote type="cite"><div>Begin doorgestuurd bericht:</div><br class="Apple-interchange-newline">'
 '<div style="margin:0px"><span style="font-family:-webkit-system-font"><b>Van: </b></span><span>Piet Klant &lt;<a href="mailto:piet@klant.be">piet@klant.be</a>&gt;</span></div>'
 '<div style="margin:0px"><span><b>Onderwerp: </b></span><span><b>Offerte</b></span></div>'
 '<div style="margin:0px"><span><b>Datum: </b></span><span>3 maart 2025 om 09:12:31 CET</span></div>'
 '<div style="margin:0px"><span><b>Aan: </b></span><span>jan@firma.be</span></div><br><div>Hallo, graag een offerte.</div></blockquote></div></body></html>')
APPLE_NAME_ONLY_HTML = APPLE_HTML.replace('Piet Klant &lt;<a href="mailto:piet@klant.be">piet@klant.be</a>&gt;', '<a href="mailto:piet@klant.be">Piet Klant</a>')
YAHOO_HTML = ('<html><body><div>Graag opvolgen</div><div id="yahoo_quoted_123" class="yahoo_quoted"><div style="font-family:Helvetica">'
 '----- Doorgestuurd bericht ----- <div><b>Van:</b> Piet Klant &lt;piet@klant.be&gt;</div><div><b>Aan:</b> jan@firma.be</div>'
 '<div><b>Verzonden:</b> maandag 3 maart 2025 09:12:31 CET</div><div><b>Onderwerp:</b> Offerte</div><div><br></div>Hallo</div></div></body></html>')


@pytest.mark.parametrize("html", [GMAIL_HTML, APPLE_HTML, APPLE_NAME_ONLY_HTML, YAHOO_HTML], ids=["gmail", "apple", "apple-link-only", "yahoo"])
@pytest.mark.parametrize("subject", ["Fwd: Offerte", "Offerte"])
def test_html_only_forwards_of_other_clients(html, subject):
    assert requester(mail("", subject=subject, html=html)) == "piet@klant.be"
