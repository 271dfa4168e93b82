"""display_body(): new text vs quoted history in nl/fr/en/de, HTML to text via nh3, charset repair."""

from __future__ import annotations

import pytest

from quotemaild.mail.body import display_body, html_to_text, repair_text, sanitize_html, split_quoted
from quotemaild.mail.parse import parse_message

REPLIES = [
    (
        "nl-gmail",
        "Akkoord.\n\nOp ma 3 mrt 2025 om 10:00 schreef Jan Peeters <jan@firma.be>:\n> Hierbij de offerte.\n",
    ),
    (
        "nl-apple",
        "Akkoord.\n\nOp 3 mrt 2025 om 10:00 heeft Jan Peeters <jan@firma.be> het volgende geschreven:\n\n> Hierbij de offerte.\n",
    ),
    (
        "nl-outlook",
        "Akkoord.\n\nVan: Jan Peeters <jan@firma.be>\nVerzonden: maandag 3 maart 2025 10:00\nAan: piet@klant.be\nOnderwerp: Offerte\n\nHierbij de offerte.\n",
    ),
    (
        "fr-gmail",
        "Akkoord.\n\nLe lun. 3 mars 2025 à 10:00, Jean Dupont <jean@firma.be> a écrit :\n> Hierbij de offerte.\n",
    ),
    (
        "fr-outlook",
        "Akkoord.\n\nDe : Jean Dupont <jean@firma.be>\nEnvoyé : lundi 3 mars 2025 10:00\nÀ : piet@klant.be\nObjet : Devis\n\nHierbij de offerte.\n",
    ),
    (
        "en-gmail",
        "Akkoord.\n\nOn Mon, 3 Mar 2025 at 10:00, Jan <jan@firma.be> wrote:\n> Hierbij de offerte.\n",
    ),
    (
        "en-outlook",
        "Akkoord.\n\n-----Original Message-----\nFrom: Jan <jan@firma.be>\nSent: Monday\nTo: p@k.be\nSubject: x\n\nHierbij de offerte.\n",
    ),
    (
        "de-gmail",
        "Akkoord.\n\nAm Mo., 3. März 2025 um 10:00 Uhr schrieb Hans <hans@firma.be>:\n> Hierbij de offerte.\n",
    ),
    (
        "de-outlook",
        "Akkoord.\n\nVon: Hans <hans@firma.be>\nGesendet: Montag, 3. März 2025 10:00\nAn: p@k.be\nBetreff: Angebot\n\nHierbij de offerte.\n",
    ),
    ("bare-quote", "Akkoord.\n\n> Hierbij de offerte.\n> Groet\n"),
]


@pytest.mark.parametrize(("case", "text"), REPLIES, ids=[r[0] for r in REPLIES])
def test_split_quoted_history(case, text):
    """The new text is kept; the quoted history (any client, any of nl/fr/en/de) is separated."""
    new, quoted = split_quoted(text)
    assert new == "Akkoord."
    assert "Hierbij de offerte." in quoted


def test_no_history_keeps_everything():
    """A message without a quote is all new text."""
    assert split_quoted("Graag een offerte.\nGroet, Piet") == ("Graag een offerte.\nGroet, Piet", "")


def test_html_only_message_is_made_text_without_scripts():
    """HTML without a text part becomes readable text; scripts and styles vanish."""
    raw = (
        b"From: a@b.be\nContent-Type: text/html; charset=utf-8\n\n"
        b"<html><head><style>p{color:red}</style></head><body><p>Beste,</p><p>Graag een offerte &amp; planning."
        b"<br>Groet</p><script>alert(1)</script></body></html>"
    )
    body = display_body(parse_message(raw))
    assert body.source == "html"
    assert body.text == "Beste,\n\nGraag een offerte & planning.\nGroet"
    assert "script" not in (body.safe_html or "") and "<p>" in (body.safe_html or "")


def test_sanitize_html_drops_dangerous_markup():
    """Kept HTML goes through nh3."""
    cleaned = sanitize_html('<a href="javascript:alert(1)" onclick="x()">k</a><img src=x onerror=y>')
    assert "javascript" not in cleaned and "onclick" not in cleaned and "onerror" not in cleaned


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("CafÃ© rÃ©ponse", "Café réponse"),
        ("PrÃ¼fung fÃ¼r MÃ¼ller", "Prüfung für Müller"),
        ("a\x00b\x07c", "abc"),
        ("Café", "Café"),
        ("plain\x0bascii\x1f", "plainascii"),  # ASCII text: no mojibake test, control characters still go
        ("Ã", "Ã"),  # one lone mark in a long-enough text is not mojibake, in a short one it is tried
    ],
)
def test_repair_text(broken, fixed):
    """UTF-8 read as cp1252 is undone; control characters are dropped; good text is untouched."""
    assert repair_text(broken) == fixed


def test_lying_charset_is_repaired_not_raised():
    """A part that declares a charset it is not in still decodes."""
    raw = "From: a@b.be\nContent-Type: text/plain; charset=x-unknown-charset\nContent-Transfer-Encoding: 8bit\n\nDéjà vu, één offerte".encode()
    body = display_body(parse_message(raw))
    assert body.text == "Déjà vu, één offerte"


def test_html_to_text_tables_and_entities():
    """Cells become tabs, entities are decoded, blank runs collapse."""
    assert (
        html_to_text("<table><tr><td>a</td><td>b&nbsp;c</td></tr></table><p></p><p></p><p>d</p>")
        == "a\tb c\n\nd"
    )


def test_lines_full_of_quote_marks_do_not_backtrack():
    """Deeply nested '>' lines followed by text split quickly (a regex here once took minutes)."""
    from quotemaild.mail.body import split_quoted

    text = "new text\n" + ("> " * 30 + "\n") * 3 + "> " * 24 + "\nend"
    new, quoted = split_quoted(text)
    assert new.startswith("new text")
    new, quoted = split_quoted("answer\n\n> line one\n> line two\n\n")
    assert (new, quoted) == ("answer", "> line one\n> line two")


MARKER_TEXTS = [text for _name, text in REPLIES] + [
    "OP 3 mrt 2025 schreef Jan:\n> x",  # the markers are case-sensitive: "OP" is not "Op"
    "-----ORIGINAL MESSAGE-----\nFrom: a",  # this one is not
    "Am 3. M\u00e4rz schrieb Jan:\n> x",
    "Le 3 mars, Jan a \u00e9crit :\n> x",
    "On Mon, Jan wrote:\n",
    "nothing quoted here at all",
    "",
]


@pytest.mark.parametrize("text", MARKER_TEXTS)
def test_marker_filters_answer_like_the_markers(text):
    """Each quote marker, filtered, finds what its regex finds (the filter only skips hopeless texts)."""
    from quotemaild.mail.body import _OWN_MARKERS
    from quotemaild.mail.prefilter import fold

    for rx in _OWN_MARKERS:
        assert rx.literals is not None
        want = rx.pattern.search(text)
        got = rx.search(text, fold(text))
        assert (got and got.span()) == (want and want.span())


QUOTE_HEADER_TEXTS = [text for _name, text in REPLIES] + [
    "Akkoord.\r\n\r\nVan: Jan \r\nVerzonden: maandag\r\nAan: x\r\nOnderwerp: y\r\n\r\noud",  # CRLF, spaces at line ends
    "Tekst\n\n" + "_" * 40 + "\nFrom: a\nSent: b\nTo: c\nSubject: d\n\nold",  # Outlook's underscore line
    "Merci\n\n \u00a0 \nLe 3 mars 2025 \u00e0 10:00, Jan a \u00e9crit :\u00a0\n> x",  # no-break spaces at line ends
    "   indented  \n\tlines\t\n",
    "nothing quoted",
    "",
]


@pytest.mark.parametrize("text", QUOTE_HEADER_TEXTS)
def test_quote_header_test_on_the_raw_text_is_sound(text):
    """Every quote-header string in the library's normalised text is in the text itself, so the
    test on the text never skips the library where the test on the normalised text would not."""
    from mailparser_reply.parser import EmailMessage

    from quotemaild.mail.body import _LIBRARY_HEADERS, _RAW_TEST_SOUND, LANGUAGES
    from quotemaild.mail.prefilter import fold, need_strings

    assert _RAW_TEST_SOUND and _LIBRARY_HEADERS is not None and _LIBRARY_HEADERS.literals is not None
    normalised = EmailMessage(text=text, languages=list(LANGUAGES)).text
    strings = need_strings(_LIBRARY_HEADERS.literals)
    assert {s for s in strings if s in fold(normalised)} <= {s for s in strings if s in fold(text)}
    if _LIBRARY_HEADERS.may_match(fold(normalised)):
        assert _LIBRARY_HEADERS.may_match(fold(text))


@pytest.mark.parametrize("text", QUOTE_HEADER_TEXTS)
def test_split_skips_the_library_only_where_it_finds_one_reply(text):
    """Where the text lacks the quote headers' strings, the split is the text whole."""
    from quotemaild.mail.body import _LIBRARY_HEADERS, _split_with_library
    from quotemaild.mail.prefilter import fold

    if _LIBRARY_HEADERS is not None and not _LIBRARY_HEADERS.may_match(fold(text)):
        assert _split_with_library(text) == (text, "")
