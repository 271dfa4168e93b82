"""Answers to our acknowledgement, robot and human, in nl/fr/en/de: `.eml` bytes and the verdict.

Robot answers follow what the senders really produce: Outlook/Exchange automatic replies
(subject prefixes, no RFC 3834 header when relayed through some gateways), Lotus Notes, Sieve
and Gmail vacation (RFC 3834 headers with comments), provider webmail absence notices (GMX,
Orange, Telenet, KPN), ticket desks' receipts, "left the company" and "we moved" notices — most
of them *without* any header, which is the hard case. Human answers mention holidays, absence,
a move or a return date while talking about the request; they must stay the customer's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default as default_policy

from tests.mailfixtures.common import PROPOSALS, REQUEST, customer

ACK_ID = "<ack-1042@proposals.example.com>"
ACK_SUBJECT = {
    "nl": "Ontvangen: " + REQUEST["nl"][0],
    "fr": "Bien reçu : " + REQUEST["fr"][0],
    "en": "Received: " + REQUEST["en"][0],
    "de": "Received: " + REQUEST["de"][0],
}
_QUOTE_HEAD = {
    "nl": "Op ma 3 mrt 2025 om 10:05 schreef Firma <firma-524@proposals.example.com>:",
    "fr": "Le lun. 3 mars 2025 à 10:05, Firma <firma-524@proposals.example.com> a écrit :",
    "en": "On Mon, 3 Mar 2025 at 10:05, Firma <firma-524@proposals.example.com> wrote:",
    "de": "Am Mo., 3. März 2025 um 10:05 Uhr schrieb Firma <firma-524@proposals.example.com>:",
}
_ACK_TEXT = {
    "nl": "Bedankt voor uw aanvraag. We bekijken ze en komen zo snel mogelijk bij u terug.",
    "fr": "Merci pour votre demande. Nous l'examinons et revenons vers vous au plus vite.",
    "en": "Thank you for your request. We are looking into it and will get back to you soon.",
    "de": "Thank you for your request. We are looking into it and will get back to you soon.",
}


@dataclass(frozen=True)
class Answer:
    name: str
    client: str
    lang: str
    data: bytes
    robot: bool


def _subject(kind: str, lang: str) -> str:
    ack = ACK_SUBJECT[lang]
    re_prefix = {"nl": "Re:", "fr": "RE:", "en": "Re:", "de": "AW:"}[lang]
    return {"re": f"{re_prefix} {ack}", "none": ack}.get(kind, kind.replace("{ack}", ack))


def _build(name: str, lang: str, index: int, subject: str, body: str, headers: dict[str, str], quote: bool) -> bytes:
    c = customer(lang, 60 + index)
    msg = EmailMessage(policy=default_policy)
    msg["From"] = c.header
    msg["To"] = f"Firma <{PROPOSALS}>"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 03 Mar 2025 10:05:41 +0100"
    msg["Message-ID"] = f"<ans-{hashlib.sha256(name.encode()).hexdigest()[:12]}@{c.email.split('@')[1]}>"
    msg["In-Reply-To"] = ACK_ID
    msg["References"] = ACK_ID
    for key, value in headers.items():
        msg[key] = value
    text = body.format(name=c.name)
    if quote:
        ack = "\n".join("> " + line for line in _ACK_TEXT[lang].split("\n"))
        text += f"\n\n{_QUOTE_HEAD[lang]}\n\n{ack}\n"
    msg.set_content(text)
    return msg.as_bytes()


# (client, lang, subject kind, body, headers, quotes our mail)
ROBOTS: list[tuple[str, str, str, str, dict[str, str], bool]] = [
    # --- nl ---
    ("outlook", "nl", "Automatisch antwoord: {ack}",
     "Beste,\n\nIk ben afwezig tot en met 14 augustus. Uw e-mail wordt niet doorgestuurd.\nVoor dringende zaken kunt u "
     "contact opnemen met mijn collega Els (els@voorbeeld.be).\n\nMet vriendelijke groet,\n{name}", {}, False),
    ("exchange-gateway", "nl", "Niet op kantoor: {ack}",
     "Ik ben momenteel niet op kantoor en lees mijn mail niet. Vanaf maandag 18 augustus ben ik terug.", {}, False),
    ("kpn-webmail", "nl", "Afwezigheidsmelding",
     "Bedankt voor uw bericht. Ik ben met vakantie van 1 tot en met 15 augustus en heb beperkt toegang tot mijn e-mail.",
     {}, False),
    ("outlook-re-subject", "nl", "re",
     "Bedankt voor uw bericht.\n\nIk ben momenteel met vakantie en vanaf maandag 18 augustus weer op kantoor.\n"
     "In dringende gevallen kunt u bellen naar 03 123 45 67.\n\n{name}", {}, False),
    ("telenet-webmail", "nl", "Afwezigheidsbericht",
     "Ik ben afwezig van 4 tot 22 augustus. Na mijn terugkeer beantwoord ik uw bericht zo snel mogelijk.", {}, False),
    ("gmail-vacation-subject", "nl", "Vakantie",
     "Hallo,\n\nIk ben met vakantie tot en met 15 augustus. Uw mail wordt na mijn terugkeer behandeld.\n\n{name}", {}, False),
    ("left-company", "nl", "re",
     "Geachte,\n\n{name} is niet meer in dienst bij ons bedrijf. Dit e-mailadres wordt niet meer gelezen.\n"
     "Gelieve uw mails voortaan te sturen naar info@janssens-bouwwerken.be.", {}, False),
    ("moved-notice", "nl", "re",
     "Beste klant,\n\nWij zijn verhuisd! Vanaf 1 maart vindt u ons op ons nieuw adres: Industrieweg 12, 2000 Antwerpen.\n"
     "Ons nieuw e-mailadres is info@nieuw-bedrijf.be.", {}, False),
    ("ticket-desk", "nl", "Ontvangstbevestiging [#4711]",
     "Beste,\n\nWij hebben uw e-mail goed ontvangen. We antwoorden binnen 2 werkdagen.\nUw ticketnummer: 4711.\n\n"
     "Dit is een automatisch gegenereerd bericht.", {}, False),
    ("sieve-comment", "nl", "Auto: {ack}", "Ik ben er even niet.",
     {"Auto-Submitted": "auto-replied (vacation)"}, False),
    # --- fr ---
    ("outlook", "fr", "Réponse automatique : {ack}",
     "Bonjour,\n\nJe suis absente du bureau jusqu'au 25 août inclus.\n\nCordialement,\n{name}", {}, False),
    ("orange-webmail", "fr", "Message d'absence",
     "Bonjour,\nJe suis actuellement en congés. Je vous répondrai dès mon retour le 25 août.", {}, False),
    ("outlook-re-subject", "fr", "re",
     "Bonjour,\n\nJe suis absente du bureau jusqu'au 25 août, avec un accès limité à mes e-mails.\nPour toute urgence, "
     "merci de contacter mon collègue au 01 23 45 67 89.\nJe vous répondrai dès mon retour.\n\n{name}", {}, False),
    ("free-webmail", "fr", "Congés",
     "Je suis en congés du 4 au 22 août. Votre message ne sera pas transféré. Je le traiterai à mon retour.", {}, False),
    ("left-company", "fr", "re",
     "Bonjour,\n\nM. {name} ne fait plus partie de la société. Cette adresse e-mail n'est plus consultée.\n"
     "Merci d'écrire désormais à contact@renard-sa.be.", {}, False),
    ("moved-notice", "fr", "re",
     "Bonjour,\n\nNous avons déménagé ! Notre nouvelle adresse : 12 rue des Lilas, 75011 Paris.\n"
     "Merci de noter notre nouvelle adresse e-mail : contact@nouveau.fr.", {}, False),
    ("ticket-desk", "fr", "Accusé de réception",
     "Bonjour,\n\nNous avons bien reçu votre message et nous vous répondrons dans les meilleurs délais.", {}, False),
    ("helpdesk-re-subject", "fr", "re",
     "Bonjour,\nNous avons bien reçu votre demande. Elle sera traitée dans les 48 heures. Numéro de dossier : 2025-0042.\n"
     "Ceci est un message automatique, merci de ne pas y répondre.", {}, False),
    ("exchange-header", "fr", "Réponse automatique : {ack}", "Je suis absent.",
     {"X-Auto-Response-Suppress": "All", "Auto-Submitted": "Auto-Replied"}, False),
    ("exchange-2007", "fr", "Absent du bureau : {ack}", "Je serai absent jusqu'au 3 septembre.", {}, False),
    # --- en ---
    ("outlook", "en", "Automatic reply: {ack}",
     "Hello,\n\nI am out of the office until 18 August with limited access to email.\n\n{name}", {}, False),
    ("exchange-2007", "en", "Out of Office AutoReply: {ack}",
     "I'm away from the office. I will reply when I get back.", {}, False),
    ("lotus-notes", "en", "{name} is out of the office.",
     "I will be out of the office starting 01/08/2025 and will not return until 18/08/2025.\n\n"
     "I will respond to your message when I return.", {}, False),
    ("gmail-vacation", "en", "re", "Hi, I'm on holiday, back on the 18th.",
     {"Auto-Submitted": "auto-replied", "Precedence": "bulk"}, False),
    ("sieve-comment", "en", "Auto: {ack}", "Away.", {"Auto-Submitted": "auto-replied (vacation; sieve)"}, False),
    ("left-company", "en", "re",
     "Please note that {name} has left the company. This mailbox is no longer monitored.\n"
     "Please send your emails to office@hallandsons.com.", {}, False),
    ("ticket-desk", "en", "Thank you for contacting us [Case 48213]",
     "Hello,\n\nWe have received your email and will respond within 2 business days. Your ticket number is #48213.",
     {}, False),
    ("helpdesk-re-subject", "en", "re",
     "This is an automated response. Your message has been received and a member of our team will be in touch.", {}, False),
    ("out-of-office-re", "en", "re",
     "Thank you for your email. I am currently out of the office, returning on Monday 18 August.\n"
     "For urgent matters please contact my colleague on 020 7946 0001.", {}, False),
    ("moved-notice", "en", "We have moved",
     "Dear customer,\n\nWe have moved to a new office. Our new address is 5 High Street, Leeds.", {}, False),
    # --- de ---
    ("outlook", "de", "Automatische Antwort: {ack}",
     "Guten Tag,\n\nich bin bis einschließlich 15.08. nicht im Büro.\n\nMit freundlichen Grüßen\n{name}", {}, False),
    ("gmx-webmail", "de", "Abwesenheitsnotiz",
     "Vielen Dank für Ihre Nachricht. Ich bin derzeit im Urlaub und ab dem 18.08. wieder im Büro.", {}, False),
    ("webde-subject-until", "de", "Abwesend bis 18.08.",
     "Ich bin im Urlaub. Ihre E-Mail wird nicht weitergeleitet.", {}, False),
    ("outlook-re-subject", "de", "re",
     "Vielen Dank für Ihre Nachricht.\n\nIch bin bis einschließlich 15.08. nicht im Büro und habe keinen Zugriff auf "
     "meine E-Mails. In dringenden Fällen wenden Sie sich bitte an meine Vertretung, Frau Lange.\n\n{name}", {}, False),
    ("left-company", "de", "re",
     "Sehr geehrte Damen und Herren,\n\n{name} ist nicht mehr im Unternehmen tätig. Diese E-Mail-Adresse wird nicht mehr "
     "gelesen. Bitte wenden Sie sich an info@hoffmann-gmbh.de.", {}, False),
    ("ticket-desk", "de", "Eingangsbestätigung",
     "Guten Tag,\n\nwir haben Ihre Nachricht erhalten und melden uns innerhalb von 2 Werktagen.", {}, False),
    ("moved-notice", "de", "re",
     "Liebe Kundin, lieber Kunde,\n\nwir sind umgezogen. Unsere neue Adresse: Hauptstraße 5, 10115 Berlin.\n"
     "Bitte schreiben Sie künftig an info@neu-gmbh.de.", {}, False),
    ("auto-generated", "de", "{ack}", "Ihre Anfrage ist eingegangen.",
     {"Auto-Submitted": "Auto-Generated"}, False),
    ("x-autoreply", "de", "AW: {ack}", "Bin nicht da.", {"X-Autoreply": "yes"}, False),
    ("precedence", "de", "AW: {ack}", "Abwesend.", {"Precedence": "auto_reply"}, False),
]

HUMANS: list[tuple[str, str, str, str, dict[str, str], bool]] = [
    # --- nl ---
    ("gmail", "nl", "re", "Bedankt! Ik ben volgende week met vakantie, dus graag de offerte voor vrijdag.\n\nGroeten,\n{name}",
     {}, True),
    ("outlook", "nl", "re", "Ik ben afwezig tot 14 augustus, maar mijn vrouw kan de offerte ontvangen. Kan u ze naar haar mailen?",
     {}, True),
    ("apple-mail", "nl", "re", "Dank u. Wij zijn verhuisd, het nieuwe adres voor de werken is Kerkstraat 5. "
     "Kan u daar rekening mee houden?", {}, True),
    ("outlook-auto-submitted-no", "nl", "re", "Prima, ik ben terug op kantoor op maandag, bel me dan maar.",
     {"Auto-Submitted": "no (sent by a person)"}, False),
    ("samsung", "nl", "Vakantie", "Ik ben met vakantie tot 20 augustus. Kunnen we daarna afspreken voor de opmeting?", {}, False),
    ("gmail", "nl", "re", "Wij zijn vanaf 1 juli afwezig wegens vakantie. Kunnen de werken daarvoor of daarna gebeuren?", {}, True),
    # --- fr ---
    ("outlook", "fr", "re", "Merci. Je serai absente du 4 au 22 août, pourriez-vous m'envoyer le devis avant ?", {}, True),
    ("gmail", "fr", "re", "Je suis en vacances jusqu'au 20 août, je vous recontacte à mon retour pour fixer un rendez-vous.",
     {}, True),
    ("apple-mail", "fr", "re", "Bonjour, nous avons déménagé entre-temps : les travaux seront au 8 rue Victor Hugo. "
     "Cela change-t-il le devis ?", {}, False),
    ("orange", "fr", "re", "Merci pour votre message. Je suis absent cette semaine mais mon mari peut vous recevoir jeudi.",
     {}, True),
    # --- en ---
    ("gmail", "en", "re", "Thanks for the quick reply. I'm away on holiday next week, so please send the quote before Friday.",
     {}, True),
    ("outlook", "en", "re", "I am out of the office until Monday but wanted to confirm the measurements: 12 x 10 m.", {}, True),
    ("iphone", "en", "re", "Great, thanks! We have moved house since, the new address for the job is 3 Mill Lane.", {}, True),
    ("outlook", "en", "re", "Thank you for your email. I'm back from holiday on the 18th; can we meet that week?", {}, False),
    # --- de ---
    ("gmx", "de", "re", "Danke. Ich bin nächste Woche im Urlaub, bitte schicken Sie das Angebot bis Freitag.", {}, True),
    ("outlook", "de", "re", "Ich bin bis 15.08. nicht im Büro. Können wir danach einen Termin vereinbaren?", {}, True),
    ("webde", "de", "re", "Vielen Dank für Ihre Nachricht. Wir sind umgezogen, das Dach ist jetzt in der Gartenstraße 7.",
     {}, True),
    ("thunderbird", "de", "re", "Hallo, ich war im Urlaub und melde mich erst jetzt. Ist das Angebot schon fertig?", {}, True),
]


def _answers(table: list[tuple[str, str, str, str, dict[str, str], bool]], robot: bool) -> Iterator[Answer]:
    for index, (client, lang, subject_kind, body, headers, quote) in enumerate(table):
        name = f"{'robot' if robot else 'human'}-{client}-{lang}-{index}"
        who = customer(lang, 60 + index).name
        subject = _subject(subject_kind, lang).replace("{name}", who)
        data = _build(name, lang, index, subject, body, headers, quote)
        yield Answer(name, client, lang, data, robot)


def all_answers() -> list[Answer]:
    return [*_answers(ROBOTS, True), *_answers(HUMANS, False)]
