"""Manual forward blocks: separators and header blocks of Gmail, Outlook, Apple Mail, Thunderbird in nl/fr/en/de."""

from __future__ import annotations

import datetime as dt

import pytest

from quotemaild.mail.forward import has_forward_prefix, parse_forward, strip_subject_prefixes

BODY = "Graag een offerte voor 20 m² dakwerken.\nMet vriendelijke groet"

FORWARDS = [
    (  # Gmail nl
        "nl-gmail",
        "Doorst.: Offerte dak",
        "Kan jij dit oppakken?\n\n---------- Doorgestuurd bericht ---------\n"
        "Van: Piet Klant <piet@klant.be>\nDate: ma 3 mrt 2025 om 09:12\n"
        "Subject: Offerte dak\nTo: <jan@firma.be>\n\n" + BODY,
        "piet@klant.be",
        "Piet Klant",
        "Offerte dak",
        "Kan jij dit oppakken?",
    ),
    (  # Outlook desktop nl
        "nl-outlook",
        "Doorgestuurd: Offerteaanvraag",
        "Zie onder.\n\n-----Oorspronkelijk bericht-----\nVan: Piet Klant <piet@klant.be>\n"
        "Verzonden: maandag 3 maart 2025 09:12\nAan: jan@firma.be\nOnderwerp: Offerteaanvraag\n\n" + BODY,
        "piet@klant.be",
        "Piet Klant",
        "Offerteaanvraag",
        "Zie onder.",
    ),
    (  # Outlook web nl: underscore line, no separator words
        "nl-outlook-web",
        "FW: Offerteaanvraag",
        "________________________________\nVan: Piet Klant <piet@klant.be>\n"
        "Verzonden: maandag 3 maart 2025 09:12\nAan: Jan <jan@firma.be>\nOnderwerp: Offerteaanvraag\n\n"
        + BODY,
        "piet@klant.be",
        "Piet Klant",
        "Offerteaanvraag",
        None,
    ),
    (  # Apple Mail nl
        "nl-apple",
        "Fwd: Offerte",
        "Begin doorgestuurd bericht:\n\nVan: Piet Klant <piet@klant.be>\nOnderwerp: Offerte\n"
        "Datum: 3 maart 2025 om 09:12:00 CET\nAan: jan@firma.be\n\n" + BODY,
        "piet@klant.be",
        "Piet Klant",
        "Offerte",
        None,
    ),
    (  # Outlook desktop fr
        "fr-outlook",
        "TR: Demande de devis",
        "Pour toi.\n\n-----Message d'origine-----\nDe : Jean Dupont <jean@client.fr>\n"
        "Envoyé : lundi 3 mars 2025 10:00\nÀ : marie@firma.be\nObjet : Demande de devis\n\n"
        "Bonjour, pouvez-vous me faire un devis ?",
        "jean@client.fr",
        "Jean Dupont",
        "Demande de devis",
        "Pour toi.",
    ),
    (  # Outlook web fr
        "fr-outlook-web",
        "TR: Demande de devis",
        "________________________________\nDe : Jean Dupont <jean@client.fr>\n"
        "Envoyé : lundi 3 mars 2025 10:00\nÀ : marie@firma.be\nObjet : Demande de devis\n\nBonjour.",
        "jean@client.fr",
        "Jean Dupont",
        "Demande de devis",
        None,
    ),
    (  # Apple Mail fr
        "fr-apple",
        "Fwd: Devis",
        "Début du message réexpédié :\n\nDe: Jean Dupont <jean@client.fr>\nObjet: Devis\n"
        "Date: 3 mars 2025 à 10:00:00 UTC+1\nÀ: marie@firma.be\n\nBonjour.",
        "jean@client.fr",
        "Jean Dupont",
        "Devis",
        None,
    ),
    (  # Thunderbird fr
        "fr-thunderbird",
        "Fwd: Devis toiture",
        "-------- Message transféré --------\nSujet : \tDevis toiture\nDate : \tMon, 3 Mar 2025 10:00:00 +0100\n"
        "De : \tJean Dupont <jean@client.fr>\nPour : \tmarie@firma.be\n\nBonjour.",
        "jean@client.fr",
        "Jean Dupont",
        "Devis toiture",
        None,
    ),
    (  # Gmail en
        "en-gmail",
        "Fwd: Quote request",
        "FYI\n\n---------- Forwarded message ---------\nFrom: Bob Buyer <bob@buyer.co.uk>\n"
        "Date: Mon, 3 Mar 2025 at 10:00\nSubject: Quote request\nTo: <sales@firma.be>\n\nPlease quote.",
        "bob@buyer.co.uk",
        "Bob Buyer",
        "Quote request",
        "FYI",
    ),
    (  # Outlook desktop en
        "en-outlook",
        "FW: Quote request",
        "-----Original Message-----\nFrom: Bob Buyer <bob@buyer.co.uk>\nSent: Monday, March 3, 2025 10:00 AM\n"
        "To: sales@firma.be\nSubject: Quote request\n\nPlease quote.",
        "bob@buyer.co.uk",
        "Bob Buyer",
        "Quote request",
        None,
    ),
    (  # Thunderbird de
        "de-thunderbird",
        "WG: Angebotsanfrage",
        "Bitte übernehmen.\n\n-------- Weitergeleitete Nachricht --------\nBetreff: \tAngebotsanfrage\n"
        "Datum: \tMon, 3 Mar 2025 10:00:00 +0100\nVon: \tHans Müller <hans@kunde.de>\nAn: \tverkauf@firma.be\n\n"
        "Bitte um ein Angebot.",
        "hans@kunde.de",
        "Hans Müller",
        "Angebotsanfrage",
        "Bitte übernehmen.",
    ),
    (  # Outlook desktop de
        "de-outlook",
        "WG: Angebotsanfrage",
        "-----Ursprüngliche Nachricht-----\nVon: Hans Müller <hans@kunde.de>\nGesendet: Montag, 3. März 2025 10:00\n"
        "An: verkauf@firma.be\nBetreff: Angebotsanfrage\n\nBitte um ein Angebot.",
        "hans@kunde.de",
        "Hans Müller",
        "Angebotsanfrage",
        None,
    ),
    (  # Apple Mail de
        "de-apple",
        "Fwd: Angebot",
        "Anfang der weitergeleiteten Nachricht:\n\nVon: Hans Müller <hans@kunde.de>\nBetreff: Angebot\n"
        "Datum: 3. März 2025 um 10:00:00 MEZ\nAn: verkauf@firma.be\n\nBitte um ein Angebot.",
        "hans@kunde.de",
        "Hans Müller",
        "Angebot",
        None,
    ),
]


@pytest.mark.parametrize(
    ("case", "subject", "body", "email", "name", "orig_subject", "preamble"),
    FORWARDS,
    ids=[f[0] for f in FORWARDS],
)
def test_forward_blocks_give_original_sender(case, subject, body, email, name, orig_subject, preamble):
    """Each client's forward block yields the original sender, name, subject and the note above it."""
    parsed = parse_forward(body, subject)
    assert parsed is not None, case
    block = parsed.blocks[0]
    assert block.sender is not None and block.sender.email == email
    assert block.sender.name == name
    assert block.subject == orig_subject
    assert parsed.preamble == preamble


def test_nested_forwards_are_read_outermost_first():
    """A forward of a forward gives one block per level, outermost first."""
    body = (
        "---------- Forwarded message ---------\nFrom: Colleague <col@firma.be>\nSubject: Fwd: Offerte\n\n"
        "zie onder\n\n---------- Forwarded message ---------\nFrom: Piet <piet@klant.be>\nSubject: Offerte\n\nHallo"
    )
    parsed = parse_forward(body, "Fwd: Fwd: Offerte")
    assert parsed is not None
    assert [b.sender.email for b in parsed.blocks if b.sender] == ["col@firma.be", "piet@klant.be"]


def test_original_date_is_parsed_when_rfc5322():
    """An RFC 5322 date in the block becomes an aware UTC datetime."""
    parsed = parse_forward(FORWARDS[7][2], "Fwd: Devis toiture")
    assert parsed is not None
    assert parsed.blocks[0].date == dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        (
            "Re: Offerte",
            "Prima!\n\n________________________________\nVan: Piet <piet@klant.be>\nOnderwerp: Offerte\n\nHallo",
        ),
        ("Re: Quote", 'Thanks\n\nOn Mon, 3 Mar 2025, "Bob" <bob@x.co> wrote:\n> hi'),
        ("Offerte", "Gewoon een vraag, geen forward.\nVan: mij"),
        ("Fwd: Offerte", "Forward without any header block."),
        ("", ""),
    ],
)
def test_no_forward_block_gives_none(subject, body):
    """Replies with quotes, plain mail and forward subjects without a block are not forwards."""
    assert parse_forward(body, subject) is None


@pytest.mark.parametrize(
    ("subject", "stripped"),
    [
        ("Fwd: Offerte", "Offerte"),
        ("FW: RE: Offerte", "Offerte"),
        ("TR: Demande de devis", "Demande de devis"),
        ("WG: AW: Angebot", "Angebot"),
        ("Doorst.: Offerte", "Offerte"),
        ("Doorgestuurd: Offerte", "Offerte"),
        ("Antw: Doorst: Offerte", "Offerte"),
        ("[EXT] Fwd: Offerte", "Offerte"),
        ("Fwd[2]: Offerte", "Offerte"),
        ("Offerte: dak", "Offerte: dak"),
        ("Trap", "Trap"),
    ],
)
def test_strip_subject_prefixes(subject, stripped):
    """Forward and reply prefixes in nl/fr/en/de are stripped, repeatedly; other colons stay."""
    assert strip_subject_prefixes(subject) == stripped


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Fwd: x", True),
        ("FW: x", True),
        ("Fw: x", True),
        ("TR: x", True),
        ("WG: x", True),
        ("Doorst.: x", True),
        ("Doorgestuurd: x", True),
        ("Re: Fwd: x", True),
        ("Re: x", False),
        ("AW: x", False),
        ("Offerte", False),
        ("Trein: x", False),
    ],
)
def test_has_forward_prefix(subject, expected):
    """Only forward prefixes count as a forward marker, also behind a reply prefix."""
    assert has_forward_prefix(subject) is expected
