"""A quote as PDF bytes: a `QuoteDocument` value in, PDF out, labels in nl/fr/en.

Library: fpdf2 (pure Python, no system libraries, already a dependency), drawn with its native
cell/`table()` API rather than `write_html`: fpdf2's HTML renderer refuses nested tags inside <td>
(no <br> in an address cell) and would interpret markup; the table API wraps long descriptions,
repeats the heading row on a new page, aligns numbers right, and treats every value as plain text
(nothing mail-derived can add markup or make fpdf2 fetch an image).

Font: the PDF core font Helvetica with `core_fonts_encoding = "windows-1252"`. fpdf2 declares core
fonts with /WinAnsiEncoding, so é, ë, ç, œ, – and € (0x80) are real characters that copy and
extract correctly; nothing is embedded and no font file is needed at run time (a system font
package is not allowed, and no well-kept PyPI package ships a Unicode TTF we would want to pin).
Characters outside cp1252 are transliterated (NFKD: č -> c, plus a few like ł -> l) or become
`?` — names in Dutch, French, German and English are all inside cp1252. For anything wider the
caller may pass `UnicodeFont` TTF paths (an operator's choice in config); then the font is embedded.

The numbers are not computed here: the domain's quote totals are passed in, so the PDF prints
exactly what was stored.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from fpdf import FPDF

ENCODING = "windows-1252"
_EXTRA = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ı": "i",
                        "ħ": "h", "Ħ": "H", "ŀ": "l", "Ŀ": "L", "\u2212": "-", "\u2009": " ",
                        "\u202f": " ", "\u00a0": " "})

LABELS: dict[str, dict[str, str]] = {
    "nl": {"title": "Offerte", "customer": "Klant", "vat_number": "Btw-nr.", "number": "Offertenummer",
           "date": "Datum", "valid_until": "Geldig tot", "reference": "Uw referentie",
           "description": "Omschrijving", "quantity": "Aantal", "unit": "Eenheid",
           "unit_price": "Eenheidsprijs", "discount": "Korting", "vat": "Btw", "line_total": "Totaal",
           "total_excl": "Totaal excl. btw", "vat_on": "Btw {rate} op {base}",
           "total_incl": "Totaal incl. btw"},
    "fr": {"title": "Offre de prix", "customer": "Client", "vat_number": "N° TVA", "number": "Numéro d'offre",
           "date": "Date", "valid_until": "Valable jusqu'au", "reference": "Votre référence",
           "description": "Description", "quantity": "Quantité", "unit": "Unité",
           "unit_price": "Prix unitaire", "discount": "Remise", "vat": "TVA", "line_total": "Total",
           "total_excl": "Total hors TVA", "vat_on": "TVA {rate} sur {base}",
           "total_incl": "Total TVA comprise"},
    "en": {"title": "Quote", "customer": "Customer", "vat_number": "VAT no.", "number": "Quote number",
           "date": "Date", "valid_until": "Valid until", "reference": "Your reference",
           "description": "Description", "quantity": "Qty", "unit": "Unit",
           "unit_price": "Unit price", "discount": "Discount", "vat": "VAT", "line_total": "Total",
           "total_excl": "Total excl. VAT", "vat_on": "VAT {rate} on {base}",
           "total_incl": "Total incl. VAT"},
}
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
_CURRENCY = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}


@dataclass(frozen=True)
class Party:
    name: str
    address_lines: Sequence[str] = ()
    vat: str = ""


@dataclass(frozen=True)
class QuoteLine:
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    vat_rate: Decimal  # percent, e.g. Decimal("21")
    line_total: Decimal  # excl. VAT, after discount
    discount_pct: Decimal = Decimal(0)


@dataclass(frozen=True)
class VatTotal:
    rate: Decimal
    base: Decimal
    vat: Decimal


@dataclass(frozen=True)
class QuoteDocument:
    number: str
    issue_date: dt.date
    tenant: Party
    contact: Party
    lines: Sequence[QuoteLine]
    vat_totals: Sequence[VatTotal]
    total_excl: Decimal
    total_incl: Decimal
    language: str = "nl"
    valid_until: dt.date | None = None
    currency: str = "EUR"
    reference: str = ""
    notes: str = ""
    meta: dict[str, str] = field(default_factory=dict)  # PDF metadata extras (author, ...)


@dataclass(frozen=True)
class UnicodeFont:
    """Optional TTF files (e.g. from a config setting) for text beyond cp1252; embedded, subset."""

    regular: Path
    bold: Path


def render_quote_pdf(doc: QuoteDocument, font: UnicodeFont | None = None) -> bytes:
    """The quote as PDF bytes (A4, labels in the quote's language, en fallback).

    Helvetica with cp1252 text by default; with `font`, that TTF is embedded and any Unicode text
    is kept as is.
    """
    lang = doc.language if doc.language in LABELS else "en"
    L = LABELS[lang]

    pdf = FPDF(format="A4")
    pdf.core_fonts_encoding = ENCODING
    family, t = "helvetica", to_cp1252
    if font is not None:
        family, t = "quotefont", str
        pdf.add_font(family, "", str(font.regular))
        pdf.add_font(family, "B", str(font.bold))
    pdf.set_creation_date(dt.datetime.combine(doc.issue_date, dt.time(), tzinfo=dt.UTC))
    pdf.set_title(t(f"{L['title']} {doc.number}"))
    pdf.set_author(t(doc.tenant.name))
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    width = pdf.epw

    def money(v: Decimal) -> str:
        return t(format_money(v, lang, doc.currency))

    pdf.set_font(family, "B", 18)
    pdf.cell(width, 10, t(f"{L['title']} {doc.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    # sender (left) and customer (right)
    top = pdf.get_y()
    half = width / 2
    _party(pdf, pdf.l_margin, top, half - 4, doc.tenant, "", L, family, t)
    left_end = pdf.get_y()
    _party(pdf, pdf.l_margin + half, top, half, doc.contact, L["customer"], L, family, t)
    pdf.set_xy(pdf.l_margin, max(left_end, pdf.get_y()) + 4)

    pdf.set_font(family, "", 10)
    facts = [(L["number"], doc.number), (L["date"], format_date(doc.issue_date, lang))]
    if doc.valid_until:
        facts.append((L["valid_until"], format_date(doc.valid_until, lang)))
    if doc.reference:
        facts.append((L["reference"], doc.reference))
    for label, value in facts:
        pdf.cell(40, 5.5, t(label + (" :" if lang == "fr" else ":")))
        pdf.cell(width - 40, 5.5, t(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    pdf.set_font(family, "", 9)
    with pdf.table(
        col_widths=(34, 8, 10, 14, 9, 9, 16),
        text_align=("LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        line_height=5, padding=1.2, first_row_as_headings=True, repeat_headings=1,
    ) as table:
        table.row([t(L[k]) for k in ("description", "quantity", "unit", "unit_price", "discount", "vat",
                                      "line_total")])
        for line in doc.lines:
            table.row([
                t(line.description), t(format_number(line.quantity, lang)), t(line.unit), money(line.unit_price),
                t(format_percent(line.discount_pct, lang)) if line.discount_pct else "",
                t(format_percent(line.vat_rate, lang)), money(line.line_total),
            ])
    pdf.ln(3)

    rows = [(L["total_excl"], money(doc.total_excl), False)]
    for vt in doc.vat_totals:
        label = L["vat_on"].format(rate=format_percent(vt.rate, lang), base=format_money(vt.base, lang, doc.currency))
        rows.append((t(label), money(vt.vat), False))
    rows.append((L["total_incl"], money(doc.total_incl), True))
    for label, value, bold in rows:
        pdf.set_font(family, "B" if bold else "", 11 if bold else 10)
        pdf.cell(width * 0.7, 6, t(label), align="R")
        pdf.cell(width * 0.3, 6, value, align="R", new_x="LMARGIN", new_y="NEXT")

    if doc.notes.strip():
        pdf.ln(6)
        pdf.set_font(family, "", 9)
        pdf.multi_cell(width, 4.8, t(doc.notes.strip()), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _party(pdf: FPDF, x: float, y: float, w: float, party: Party, heading: str,
           labels: Mapping[str, str], family: str, t: Callable[[str], str]) -> None:
    pdf.set_xy(x, y)
    pdf.set_font(family, "", 8)
    pdf.multi_cell(w, 4.5, t(heading.upper()), new_x="LEFT", new_y="NEXT")
    pdf.set_font(family, "B", 11)
    pdf.multi_cell(w, 5.5, t(party.name), new_x="LEFT", new_y="NEXT")
    pdf.set_font(family, "", 10)
    lines = [*party.address_lines]
    if party.vat:
        lines.append(f"{labels['vat_number']} {party.vat}")
    for line in lines:
        pdf.multi_cell(w, 5, t(line), new_x="LEFT", new_y="NEXT")


def format_money(value: Decimal, language: str, currency: str = "EUR") -> str:
    """nl `€ 1.234,50`, fr `1 234,50 €`, en `€1,234.50`."""
    amount = Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    symbol = _CURRENCY.get(currency, currency)
    sign = "-" if amount < 0 else ""
    body = _group(abs(amount), language, decimals=2)
    if language == "fr":
        return f"{sign}{body} {symbol}"
    if language == "nl":
        return f"{symbol} {sign}{body}"
    return f"{sign}{symbol}{body}"


def format_number(value: Decimal, language: str) -> str:
    """A quantity without trailing zeros: 2, 1,5 (nl/fr) or 1.5 (en)."""
    d = Decimal(value).normalize()
    decimals = max(0, -d.as_tuple().exponent)  # type: ignore[operator]
    sign = "-" if d < 0 else ""
    return sign + _group(abs(d), language, decimals=int(decimals))


def format_percent(value: Decimal, language: str) -> str:
    return f"{format_number(value, language)}{'' if language == 'en' else ' '}%"


def format_date(value: dt.date, language: str) -> str:
    if language == "en":
        return f"{value.day} {_MONTHS_EN[value.month - 1]} {value.year}"
    sep = "/" if language == "fr" else "-"
    return f"{value.day:02d}{sep}{value.month:02d}{sep}{value.year}"


def to_cp1252(text: str) -> str:
    """Text the core fonts can show: cp1252 kept, others transliterated or `?`."""
    out: list[str] = []
    for ch in text.translate(_EXTRA):
        if _encodable(ch):
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if base and all(_encodable(c) for c in base) else "?")
    return "".join(out)


def _encodable(ch: str) -> bool:
    if ch in "\n\t" or (ch.isprintable() and ch != "\x7f"):
        try:
            ch.encode(ENCODING)
            return True
        except UnicodeEncodeError:
            return False
    return False


def _group(amount: Decimal, language: str, decimals: int) -> str:
    text = f"{amount:,.{decimals}f}"  # 1,234.50
    if language == "en":
        return text
    thousands = " " if language == "fr" else "."
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", thousands)

