"""score_answer(): robot answers from headers, subject wordings, body wordings and context, with reasons."""

from __future__ import annotations

import pytest

from quotemaild.mail.parse import parse_message
from quotemaild.mail.robot import AnswerContext, fingerprint, parse_auto_submitted, score_answer


def msg(subject: str, body: str = ".", headers: tuple[tuple[str, str], ...] = ()):
    head = [("From", "Klant <klant@voorbeeld.be>"), ("To", "firma-1@proposals.example.com"), ("Subject", subject), *headers]
    raw = "\r\n".join(f"{k}: {v}" for k, v in head) + "\r\n\r\n" + body.replace("\n", "\r\n")
    return parse_message(raw.encode("utf-8"))


def score(subject: str, body: str = ".", headers: tuple[tuple[str, str], ...] = (), context: AnswerContext | None = None):
    return score_answer(msg(subject, body, headers), body, context)


@pytest.mark.parametrize(
    ("value", "keyword"),
    [
        ("auto-replied", "auto-replied"),
        ("Auto-Replied", "auto-replied"),
        ("auto-replied (vacation)", "auto-replied"),
        ("(sieve vacation) auto-replied", "auto-replied"),
        ("auto-replied (nested (comment)) ; owner-email=\"x@y.be\"", "auto-replied"),
        ("AUTO-GENERATED", "auto-generated"),
        ("auto-notified; owner-email=\"p@q\"", "auto-notified"),
        ("no", "no"),
        ("No (a person wrote this)", "no"),
        ("  ", None),
        (None, None),
        ("(only a comment)", None),
    ],
)
def test_auto_submitted_is_parsed_per_rfc_3834(value, keyword):
    """Comments, parameters and case are not part of the keyword."""
    assert parse_auto_submitted(value) == keyword


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ((("Auto-Submitted", "auto-replied (vacation)"),), "auto_reply"),
        ((("Auto-Submitted", "Auto-Generated"),), "auto_reply"),
        ((("X-Autoreply", "yes"),), "auto_reply"),
        ((("X-Autorespond", "x"),), "auto_reply"),
        ((("Precedence", "auto_reply"),), "auto_reply"),
        ((("X-Auto-Response-Suppress", "All"),), "auto_reply"),
    ],
)
def test_header_cues_decide_alone(headers, kind):
    """Headers that say 'robot' decide whatever the text says."""
    result = score("Re: Offerte", "Graag een offerte?", headers)
    assert result.robot and result.decided_by_header and result.kind == kind


def test_auto_submitted_no_is_not_a_robot_cue():
    assert not score("Re: Offerte", "Prima.", (("Auto-Submitted", "no (by hand)"),)).robot


# Every subject wording that decides alone, with a body that says nothing (".").
STRONG_SUBJECTS = [
    # nl: Outlook, Exchange, KPN/Ziggo/Telenet/Proximus webmail, users' own
    "Automatisch antwoord: Ontvangen: Offerte dak", "Automatisch bericht: Offerte", "Afwezig", "Afwezig: Offerte dak",
    "Afwezig tot 14 augustus", "Afwezigheid", "Afwezigheidsbericht", "Afwezigheidsmelding: Offerte", "Niet aanwezig",
    "Niet op kantoor: Ontvangen: Offerte", "Niet op kantoor", "Buiten kantoor", "Afwezigheidsassistent",
    "Autom. antwoord: Offerte",
    # fr: Outlook, Exchange 2007, Orange/Free/SFR webmail, Zimbra
    "Réponse automatique : Bien reçu : Demande de devis", "Reponse automatique: devis", "Absent", "Absente",
    "Absent(e) : Demande de devis", "Absent du bureau : Bien reçu", "Absence du bureau", "Hors du bureau",
    "Message d'absence", "Message d’absence : devis", "Notification d'absence", "Absent jusqu'au 25 août",
    "Répondeur automatique", "Message automatique : Bien reçu",
    # en: Outlook, Exchange 2007, Sieve, Notes, mailbox providers
    "Automatic reply: Received: Quote", "Auto reply: Quote", "Auto-Reply: Quote", "AutoReply", "Auto Response",
    "Autoresponse", "Auto: Received: Quote", "Out of Office: Received: Quote", "Out of Office AutoReply: Quote",
    "Out of the office", "OOO", "OOO until Monday", "Away from the office", "Vacation reply", "Out of office notification",
    "Bob Buyer is out of the office.", "[EXT] Automatic reply: Quote",
    # de: Outlook, GMX/Web.de, T-Online
    "Automatische Antwort: Received: Angebot", "Abwesenheitsnotiz", "Abwesenheitsnotiz: Angebot", "Abwesend",
    "Abwesend bis 18.08.", "Abwesenheit", "Automatische Abwesenheitsnotiz", "Nicht im Büro: Angebot", "Außer Haus",
    "Ausser Haus", "Automatische Nachricht: Angebot", "Hans Müller ist abwesend",
]


@pytest.mark.parametrize("subject", STRONG_SUBJECTS)
def test_strong_subject_wordings_make_a_robot(subject):
    result = score(subject)
    assert result.robot, (subject, result)
    assert any("subject" in r for r in result.reasons)


# Wordings that need the body to agree: alone they are not enough.
WEAK_SUBJECTS = ["Vakantie", "Met vakantie", "Verlof", "Congés", "En vacances", "Urlaub", "Im Urlaub", "On holiday",
                 "Away", "Ontvangstbevestiging", "Accusé de réception", "Eingangsbestätigung", "We received your message",
                 "Thank you for contacting us", "Wij zijn verhuisd", "Nous avons déménagé", "We have moved", "Bouwverlof",
                 "Jaarlijkse sluiting", "Fermeture annuelle", "Congé du bâtiment", "Office closed", "Betriebsurlaub",
                 "Ticket reçu - Bien reçu : devis", "Request received"]


@pytest.mark.parametrize("subject", WEAK_SUBJECTS)
def test_weak_subject_wordings_need_the_body(subject):
    assert not score(subject).robot
    backed = score(subject, "Dit is een automatisch bericht.")
    assert backed.robot


# Body-only robot answers (subject "Re: ..."), one per family and language.
ROBOT_BODIES = [
    # absence
    ("nl", "Ik ben afwezig tot en met 14 augustus. Voor dringende zaken kunt u terecht bij mijn collega Els."),
    ("nl", "Bedankt voor uw e-mail. Ik ben momenteel niet bereikbaar. Na mijn terugkeer neem ik contact op."),
    ("nl", "Ik ben van 4 tot 22 augustus met verlof. Mails worden niet doorgestuurd."),
    ("fr", "Je suis absent du bureau jusqu'au 25 août. Pour toute urgence, contactez le 01 23 45 67 89."),
    ("fr", "Merci pour votre message. Je suis actuellement en congés et vous répondrai dès mon retour."),
    ("fr", "Je serai absente du 4 au 22 août, avec un accès limité à mes e-mails."),
    ("en", "I am currently out of the office with limited access to email. I will respond upon my return."),
    ("en", "Thank you for your email. I'm on annual leave until 18 August. For urgent matters please contact Jo."),
    ("en", "I will be out of the office from 1 to 18 August and will reply when I get back."),
    ("de", "Ich bin bis einschließlich 15.08. nicht im Büro. In dringenden Fällen wenden Sie sich bitte an Frau Lange."),
    ("de", "Vielen Dank für Ihre Nachricht. Ich bin derzeit im Urlaub und ab dem 18.08. wieder im Büro."),
    ("de", "Ich bin vom 1. bis 15. August abwesend. Ihre E-Mail wird nicht weitergeleitet."),
    ("nl", "Ik ben met zwangerschapsverlof tot 1 oktober. Voor dringende zaken kunt u terecht bij info@firma.be."),
    ("nl", "Wegens bouwverlof is ons kantoor gesloten van 21 juli tot en met 11 augustus. Vanaf 12 augustus zijn we terug bereikbaar."),
    ("fr", "Nos bureaux sont fermés du 28 juillet au 18 août. Nous traiterons votre message à notre retour."),
    ("en", "I'm OOO until Monday with no access to email."),
    ("en", "Our office is closed for the holidays. We will be back on 2 January."),
    ("de", "Unser Büro ist vom 24.12. bis 02.01. geschlossen. Ab dem 3. Januar sind wir wieder für Sie da."),
    ("de", "Ich befinde mich derzeit auf Geschäftsreise und habe nur eingeschränkten Zugriff auf meine E-Mails."),
    ("nl", "Bedankt voor uw bericht. Momenteel ben ik afwezig. Vanaf 19 augustus ben ik opnieuw bereikbaar.\n"
           "Uw bericht wordt niet automatisch doorgestuurd."),
    ("fr", "Je suis en congé jusqu'au 19 août inclus. En cas d'urgence, vous pouvez joindre le standard."),
    ("de", "Vielen Dank für Ihre E-Mail. Ich bin vom 05.08. bis einschließlich 16.08.2024 nicht im Haus. "
           "Ihre Nachricht wird nicht weitergeleitet."),
    ("en", "I'm currently on annual leave returning Monday 19th August. I will have limited access to emails."),
    ("fr", "Absent(e) jusqu'au 19/08. Je prendrai connaissance de votre message à mon retour."),
    ("en", "Hello, I am out of the office on Friday 16 August and will respond on Monday."),
    ("fr", "Je suis en déplacement jusqu'au 12 septembre avec un accès restreint à mes mails."),
    ("de", "Ich bin bis zum 30. August in Elternzeit. Ihre E-Mail wird nicht weitergeleitet."),
    ("en", "This is an automatic confirmation that we've received your email. We will get back to you within 24 hours."),
    ("nl", "Bedankt voor je bericht! We hebben je vraag goed ontvangen en beantwoorden deze zo snel mogelijk."),
    ("fr", "Votre message a bien été reçu. Nous y répondrons dans les plus brefs délais."),
    ("de", "Guten Tag, Ihre Anfrage ist bei uns eingegangen. Wir melden uns innerhalb von 48 Stunden."),
    # received tickets
    ("nl", "Wij hebben uw e-mail goed ontvangen en antwoorden binnen 2 werkdagen."),
    ("fr", "Nous avons bien reçu votre message. Votre demande sera traitée sous 48 heures."),
    ("en", "We have received your message and will respond within 2 business days. Ticket number: #48213"),
    ("de", "Wir haben Ihre Nachricht erhalten und melden uns innerhalb von 2 Werktagen. Vorgangsnummer: 2025-77"),
    ("en", "##- Please type your reply above this line -##\n\nYour request (48213) has been received and is being reviewed."),
    ("fr", "Votre demande a bien été reçue et l'un de nos conseillers vous répondra sous peu. Votre numéro de ticket est le 9912."),
    # it says so
    ("nl", "Dit is een automatisch gegenereerd bericht."),
    ("fr", "Ceci est un message automatique, merci de ne pas y répondre."),
    ("en", "This is an automated message."),
    ("de", "Dies ist eine automatisch generierte Nachricht."),
    # left the company / address no longer in use
    ("nl", "Piet werkt niet meer bij Janssens Bouw. Gelieve te mailen naar info@janssens.be."),
    ("nl", "Dit e-mailadres is niet meer in gebruik."),
    ("fr", "Mme Girard a quitté la société. Cette adresse e-mail n'est plus consultée."),
    ("en", "I have left the company. This address is no longer in use."),
    ("en", "Please note that John has left the company."),
    ("de", "Herr Koch hat das Unternehmen verlassen. Diese E-Mail-Adresse wird nicht mehr gelesen."),
    ("nl", "Mijn laatste werkdag bij Janssens was 28 februari. Gelieve te mailen naar info@janssens.be."),
    ("fr", "J'ai quitté la société le 28 février."),
    ("de", "Ich bin nicht mehr für die Firma Koch tätig."),
    # we moved
    ("nl", "Wij zijn verhuisd! Ons nieuw adres: Industrieweg 12. Ons nieuw e-mailadres is info@nieuw.be."),
    ("fr", "Nous avons déménagé. Notre nouvelle adresse e-mail : contact@nouveau.fr."),
    ("en", "We have moved. Our new address is 5 High Street; please send your emails to office@new.example."),
    ("de", "Wir sind umgezogen. Unsere neue Adresse: Hauptstraße 5. Bitte schreiben Sie künftig an info@neu.de."),
]


@pytest.mark.parametrize(("lang", "body"), ROBOT_BODIES)
def test_body_wordings_make_a_robot_with_a_plain_re_subject(lang, body):
    result = score("Re: Ontvangen: Offerte dak", body)
    assert result.robot, (lang, body, result.reasons)
    assert all(r.startswith("+") for r in result.reasons)


# People who merely mention a holiday, an absence, a move, a return or a colleague.
HUMAN_BODIES = [
    ("nl", "Bedankt! Ik ben volgende week met vakantie, dus graag de offerte voor vrijdag."),
    ("nl", "Ik ben afwezig tot 14 augustus, maar mijn vrouw kan de offerte ontvangen. Kan u ze naar haar mailen?"),
    ("nl", "Wij zijn verhuisd, het nieuwe adres voor de werken is Kerkstraat 5. Kan u daar rekening mee houden?"),
    ("nl", "Ik ben met vakantie tot 20 augustus. Kunnen we daarna afspreken voor de opmeting?"),
    ("nl", "Prima, ik ben terug op kantoor op maandag, bel me dan maar."),
    ("nl", "Mijn collega is afwezig, dus ik neem het over. Wanneer kan u langskomen?"),
    ("nl", "Vakantie is net voorbij, dus nu heb ik tijd. Is de prijs inclusief btw?"),
    ("fr", "Merci. Je serai absente du 4 au 22 août, pourriez-vous m'envoyer le devis avant ?"),
    ("fr", "Je suis en vacances jusqu'au 20 août, je vous recontacte à mon retour pour fixer un rendez-vous."),
    ("fr", "Merci pour votre message. Je suis absent cette semaine mais mon mari peut vous recevoir jeudi."),
    ("fr", "Nous avons déménagé entre-temps : les travaux seront au 8 rue Victor Hugo. Cela change-t-il le devis ?"),
    ("fr", "Bonjour, je rentre de congés. Avez-vous pu préparer le devis ?"),
    ("en", "Thanks for the quick reply. I'm away on holiday next week, so please send the quote before Friday."),
    ("en", "I am out of the office until Monday but wanted to confirm the measurements: 12 x 10 m."),
    ("en", "Thank you for your email. I'm back from holiday on the 18th; can we meet that week?"),
    ("en", "My husband is away until the 20th, could you come after that?"),
    ("en", "We received your quote, thanks. The price looks fine."),
    ("de", "Danke. Ich bin nächste Woche im Urlaub, bitte schicken Sie das Angebot bis Freitag."),
    ("de", "Ich bin bis 15.08. nicht im Büro. Können wir danach einen Termin vereinbaren?"),
    ("de", "Hallo, ich war im Urlaub und melde mich erst jetzt. Ist das Angebot schon fertig?"),
    ("de", "Vielen Dank für Ihre Nachricht. Wir sind umgezogen, das Dach ist jetzt in der Gartenstraße 7."),
    ("nl", "Ons kantoor is gesloten tijdens het bouwverlof, kunnen jullie de werken daarna plannen?"),
    ("fr", "Nos bureaux sont fermés en août, pourriez-vous passer en septembre pour le devis ?"),
    ("en", "I'm on parental leave until May, so please call my husband about the quote."),
    ("de", "Betriebsurlaub haben wir im August, könnten Sie das Angebot vorher schicken?"),
    ("nl", "Ik ben tot vrijdag op reis, maar u mag de offerte altijd doorsturen."),
    ("nl", "Bedankt voor uw mail. Ik ben momenteel met vakantie, maar ik kijk ernaar na mijn terugkeer. Mag de offerte per post?"),
    ("nl", "Sorry voor mijn late antwoord, ik was met vakantie. Wanneer kunnen jullie starten?"),
    ("fr", "Merci, nous avons bien reçu votre accusé de réception. À bientôt."),
    ("en", "We received your message, thanks! When can you come by for the measurements?"),
    ("en", "Thanks for your email. I am currently on holiday but my colleague Tom can show you the roof on Tuesday."),
    ("de", "Wir sind vom 1. bis 15. August weg, können Sie die Arbeiten danach einplanen?"),
]


@pytest.mark.parametrize(("lang", "body"), HUMAN_BODIES)
def test_people_mentioning_absence_stay_human(lang, body):
    assert not score("Re: Ontvangen: Offerte dak", body).robot
    # not even when they answer at once and wrote the same before
    fast = AnswerContext(seconds_after_our_mail=10, same_robot_text_before=True)
    assert not score("Re: Ontvangen: Offerte dak", body, context=fast).robot


@pytest.mark.parametrize(
    "subject",
    ["Re: Afwezig volgende week", "Absence de devis", "Out of office next week?", "Vakantieplanning en offerte",
     "Automatisch antwoorden instellen", "Auto van de zaak", "Urlaubsplanung", "Re: Received: Quote",
     "Away game tickets", "Congés et devis"],
)
def test_subjects_that_only_mention_absence_are_no_cue(subject):
    assert not score(subject, "Graag een offerte voor het dak.").robot


def test_context_only_adds_to_content():
    """Timing and history never make a robot alone; they tip an answer whose content leans robot."""
    fast = AnswerContext(seconds_after_our_mail=8, same_robot_text_before=False)
    assert not score("Re: x", "Tot morgen.", context=fast).robot
    leaning = "Ik ben afwezig tot 14 augustus en lees mijn mail niet."  # absence only, no return, no colleague
    assert not score("Re: x", leaning).robot
    assert score("Re: x", leaning, context=AnswerContext(same_robot_text_before=True)).robot
    slow = score("Re: x", leaning, context=AnswerContext(seconds_after_our_mail=3600))
    assert not slow.robot


def test_topic_gives_the_kind():
    assert score("Afwezig").kind == "out_of_office"
    assert score("Re: x", "Dit e-mailadres is niet meer in gebruik. Voor dringende zaken: bel 03 123.").kind == "auto_reply"
    assert score("Re: x", "Wij hebben uw e-mail goed ontvangen. Dit is een automatisch bericht.").kind == "auto_reply"
    assert score("Re: x", "Hoi").kind == "human"


def test_fingerprint_ignores_dates_and_spacing():
    a = "Ik ben afwezig tot 14 augustus.\n\nGroet"
    b = "ik ben afwezig tot 21   augustus. groet"
    assert fingerprint(a) == fingerprint(b) != fingerprint("Iets anders")


def test_mail_that_answers_nothing_of_ours_needs_clearer_cues():
    """Headers, a strong subject or a body score >= 1.5; a bare 1.0 from the body is not enough there."""
    assert score("Afwezig").robot_without_thread
    assert score("Re: x", ".", (("Auto-Submitted", "auto-replied"),)).robot_without_thread
    borderline = score("Re: x", "Ik ben afwezig tot 14 augustus. Voor dringende zaken: bel 03 123 45 67.")
    assert borderline.robot and not borderline.robot_without_thread
    clear = score("Re: x", "Dit is een automatisch bericht. Ik ben afwezig tot 14 augustus.")
    assert clear.robot_without_thread


@pytest.mark.parametrize(
    "text",
    [
        "Ik ben afwezig tot 12 augustus 2025.",
        "Absent jusqu'au 3 mai \u00e0 14h30.",  # non-ASCII: Unicode digits count as digits too
        "Zur\u00fcck am \u0661\u0662.08.",  # Arabic-Indic digits
        "no digits at all",
        "   ",
        "",
    ],
)
def test_fingerprint_is_the_digit_folded_hash(text):
    """The fingerprint hashes the lower-cased, space-collapsed text with every digit run (any
    script's digits) as '#'."""
    import hashlib
    import re

    norm = re.sub(r"\d+", "#", " ".join(text.lower().split()))[:3000]
    assert fingerprint(text) == (hashlib.sha256(norm.encode()).hexdigest()[:16] if norm else "")
