"""Quote PDF rendering: numbers, names, totals and accents come out of the PDF as text."""

from __future__ import annotations

import dataclasses
import re
import datetime as dt
import shutil
import subprocess
from decimal import Decimal as D
from pathlib import Path

import pytest

from quotemaild.mail.quote_pdf import (
    Party,
    QuoteDocument,
    QuoteLine,
    VatTotal,
    format_date,
    format_money,
    format_number,
    format_percent,
    render_quote_pdf,
    UnicodeFont,
    to_cp1252,
)

DOC = QuoteDocument(
    number="OF-2026-0042",
    issue_date=dt.date(2026, 1, 5),
    valid_until=dt.date(2026, 2, 4),
    tenant=Party("Starcomm BV", ("Kerkstraat 1", "9000 Gent"), "BE 0123.456.789"),
    contact=Party("Zoë Desmet-Brûlé", ("Rue de l'Église 12", "1000 Bruxelles"), "BE 0987.654.321"),
    lines=[
        QuoteLine("Raam PVC 120×140 <b>wit</b>", D("2"), "st", D("450"), D("21"), D("900.00")),
        QuoteLine("Plaatsing & afwerking – renovatie (Łódź)", D("1.5"), "u", D("55"), D("6"), D("74.25"), D("10")),
    ],
    vat_totals=[VatTotal(D("21"), D("900.00"), D("189.00")), VatTotal(D("6"), D("74.25"), D("4.46"))],
    total_excl=D("974.25"),
    total_incl=D("1167.71"),
    language="nl",
    reference="Uw mail van 2 januari",
    notes="Levering binnen 4 weken.\nPrijzen geldig 30 dagen.",
)


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: apt-get install -y poppler-utils")
    path = tmp_path / "quote.pdf"
    path.write_bytes(pdf)
    out = subprocess.run([exe, "-layout", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return " ".join(out.stdout.decode("utf-8").split())  # layout spacing is not what we test


def test_pdf_is_a_pdf() -> None:
    """The renderer returns PDF bytes."""
    pdf = render_quote_pdf(DOC)
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("nl", ["Offerte OF-2026-0042", "Offertenummer: OF-2026-0042", "Datum: 05-01-2026",
                "Geldig tot: 04-02-2026", "Totaal excl. btw € 974,25", "Btw 21 % op € 900,00 € 189,00",
                "Btw 6 % op € 74,25 € 4,46", "Totaal incl. btw € 1.167,71", "Btw-nr. BE 0987.654.321"]),
        ("fr", ["Offre de prix OF-2026-0042", "Numéro d'offre : OF-2026-0042", "Date : 05/01/2026",
                "Valable jusqu'au : 04/02/2026", "Total hors TVA 974,25 €", "TVA 21 % sur 900,00 € 189,00 €",
                "Total TVA comprise 1 167,71 €", "N° TVA BE 0987.654.321"]),
        ("en", ["Quote OF-2026-0042", "Date: 5 January 2026", "Valid until: 4 February 2026",
                "Total excl. VAT €974.25", "VAT 21% on €900.00 €189.00", "Total incl. VAT €1,167.71"]),
    ],
)
def test_pdf_text_per_language(lang: str, expected: list[str], tmp_path: Path) -> None:
    """Labels, dates, money and totals come out in the quote's language, € and accents intact."""
    text = pdf_text(render_quote_pdf(dataclasses.replace(DOC, language=lang)), tmp_path)
    for snippet in expected:
        assert snippet in text, snippet


def test_pdf_names_lines_and_accents(tmp_path: Path) -> None:
    """Names with é/ë/û, descriptions with markup-like text and non-cp1252 letters render as text."""
    text = pdf_text(render_quote_pdf(DOC), tmp_path)
    for snippet in ["Starcomm BV", "Kerkstraat 1", "Zoë Desmet-Brûlé", "Rue de l'Église 12",
                    "Raam PVC 120×140 <b>wit</b>", "Plaatsing & afwerking –", "(Lódz)",
                    "€ 450,00", "€ 900,00", "1,5", "10 %", "Uw mail van 2 januari",
                    "Levering binnen 4 weken.", "Prijzen geldig 30 dagen."]:
        assert snippet in text, snippet


def test_many_lines_flow_onto_more_pages(tmp_path: Path) -> None:
    """A long quote breaks over pages and still ends with the grand total."""
    lines = [QuoteLine(f"Artikel {i} met een omschrijving", D("1"), "st", D("10"), D("21"), D("10.00"))
             for i in range(80)]
    doc = dataclasses.replace(DOC, lines=lines)
    pdf = render_quote_pdf(doc)
    text = pdf_text(pdf, tmp_path)
    assert "Artikel 0 " in text and "Artikel 79 " in text
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf))
    assert pages >= 2
    # totals, notes and the signature block come last, in that order; every page says "x van y"
    assert text.index("Artikel 79 ") < text.index("Totaal incl. btw") < text.index("Prijzen geldig 30 dagen.") \
        < text.index("Voor akkoord")
    assert [f"Pagina {n} van {pages}" in text for n in range(1, pages + 1)] == [True] * pages


def test_unknown_language_uses_english(tmp_path: Path) -> None:
    """A language without labels renders English."""
    text = pdf_text(render_quote_pdf(dataclasses.replace(DOC, language="de")), tmp_path)
    assert "Quote OF-2026-0042" in text


@pytest.mark.parametrize(
    ("value", "lang", "expected"),
    [
        (D("1234.5"), "nl", "€ 1.234,50"),
        (D("1234.5"), "fr", "1 234,50 €"),
        (D("1234.5"), "en", "€1,234.50"),
        (D("0.005"), "nl", "€ 0,01"),
        (D("-12"), "nl", "€ -12,00"),
        (D("-12"), "en", "-€12.00"),
        (D("1000000"), "fr", "1 000 000,00 €"),
    ],
)
def test_format_money(value: D, lang: str, expected: str) -> None:
    """Money is rounded half-up to cents and written the local way."""
    assert format_money(value, lang) == expected


@pytest.mark.parametrize(
    ("fn", "value", "lang", "expected"),
    [
        (format_number, D("2.000"), "nl", "2"),
        (format_number, D("1.50"), "nl", "1,5"),
        (format_number, D("1.50"), "en", "1.5"),
        (format_number, D("1200"), "nl", "1.200"),
        (format_percent, D("21"), "nl", "21 %"),
        (format_percent, D("5.5"), "fr", "5,5 %"),
        (format_percent, D("21"), "en", "21%"),
        (format_date, dt.date(2026, 3, 9), "nl", "09-03-2026"),
        (format_date, dt.date(2026, 3, 9), "fr", "09/03/2026"),
        (format_date, dt.date(2026, 3, 9), "en", "9 March 2026"),
    ],
)
def test_formatters(fn, value, lang: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    """Quantities drop trailing zeros; percents and dates follow the language."""
    assert fn(value, lang) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Zoë €", "Zoë €"), ("Łódź", "Lódz"), ("Dvořák", "Dvorák"), ("Ørsted", "Orsted"),
     ("œuvre – “x”", "œuvre – “x”"), ("日本", "??"), ("a\x00b", "a?b"), ("1\u202f000", "1 000")],
)
def test_to_cp1252(text: str, expected: str) -> None:
    """cp1252 text stays, other Latin letters lose their accents, the rest becomes '?'."""
    assert to_cp1252(text) == expected


_DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


@pytest.mark.skipif(not (_DEJAVU / "DejaVuSans.ttf").exists(), reason="no DejaVu TTF on this machine to test with")
def test_unicode_font_keeps_every_letter(tmp_path: Path) -> None:
    """With a TTF passed in, letters outside cp1252 (ł, ź, ř) stay as they are."""
    font = UnicodeFont(_DEJAVU / "DejaVuSans.ttf", _DEJAVU / "DejaVuSans-Bold.ttf")
    doc = dataclasses.replace(DOC, contact=Party("Łukasz Dvořák", ("ul. Źródlana 3",)))
    text = pdf_text(render_quote_pdf(doc, font=font), tmp_path)
    assert "Łukasz Dvořák" in text and "ul. Źródlana 3" in text and "€ 1.167,71" in text
