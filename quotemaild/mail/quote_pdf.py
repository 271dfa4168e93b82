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
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF

from quotemaild.mail.doc_format import ENCODING, format_date, format_money, format_number, format_percent, to_cp1252

__all__ = ["Party", "QuoteDocument", "QuoteLine", "Seller", "UnicodeFont", "VatTotal", "format_date", "format_money",
           "format_number", "format_percent", "render_quote_pdf", "to_cp1252"]

LABELS: dict[str, dict[str, str]] = {
    "nl": {"title": "Offerte", "customer": "Klant", "vat_number": "Btw-nr.", "number": "Offertenummer",
           "date": "Datum", "valid_until": "Geldig tot", "reference": "Uw referentie",
           "description": "Omschrijving", "quantity": "Aantal", "unit": "Eenheid",
           "unit_price": "Eenheidsprijs", "discount": "Korting", "vat": "Btw", "line_total": "Totaal",
           "total_excl": "Totaal excl. btw", "vat_on": "Btw {rate} op {base}",
           "total_incl": "Totaal incl. btw", "attn": "T.a.v.", "company_number": "Ondernemingsnr.",
           "phone": "Tel.", "payment_terms": "Betalingsvoorwaarden",
           "payment_days": "Betaling binnen {days} dagen na factuurdatum.", "payment_now": "Contante betaling.",
           "terms": "Voorwaarden", "agreement": "Voor akkoord", "sign_here": "Naam, datum en handtekening",
           "page": "Pagina {page} van {pages}"},
    "fr": {"title": "Offre de prix", "customer": "Client", "vat_number": "N° TVA", "number": "Numéro d'offre",
           "date": "Date", "valid_until": "Valable jusqu'au", "reference": "Votre référence",
           "description": "Description", "quantity": "Quantité", "unit": "Unité",
           "unit_price": "Prix unitaire", "discount": "Remise", "vat": "TVA", "line_total": "Total",
           "total_excl": "Total hors TVA", "vat_on": "TVA {rate} sur {base}",
           "total_incl": "Total TVA comprise", "attn": "À l'attention de", "company_number": "N° d'entreprise",
           "phone": "Tél.", "payment_terms": "Conditions de paiement",
           "payment_days": "Paiement à {days} jours date de facture.", "payment_now": "Paiement comptant.",
           "terms": "Conditions", "agreement": "Bon pour accord", "sign_here": "Nom, date et signature",
           "page": "Page {page} sur {pages}"},
    "en": {"title": "Quote", "customer": "Customer", "vat_number": "VAT no.", "number": "Quote number",
           "date": "Date", "valid_until": "Valid until", "reference": "Your reference",
           "description": "Description", "quantity": "Qty", "unit": "Unit",
           "unit_price": "Unit price", "discount": "Discount", "vat": "VAT", "line_total": "Total",
           "total_excl": "Total excl. VAT", "vat_on": "VAT {rate} on {base}",
           "total_incl": "Total incl. VAT", "attn": "Attn.", "company_number": "Company no.",
           "phone": "Tel.", "payment_terms": "Payment terms",
           "payment_days": "Payment within {days} days of the invoice date.", "payment_now": "Payment on receipt.",
           "terms": "Terms and conditions", "agreement": "For agreement", "sign_here": "Name, date and signature",
           "page": "Page {page} of {pages}"},
}
@dataclass(frozen=True)
class Party:
    name: str
    address_lines: Sequence[str] = ()
    vat: str = ""


@dataclass(frozen=True)
class Seller:
    """The seller's company block (the tenant profile); empty fields are left out."""

    name: str
    address_lines: Sequence[str] = ()
    vat: str = ""
    company_number: str = ""
    phone: str = ""
    email: str = ""
    website: str = ""
    iban: str = ""
    bic: str = ""


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
    seller: Seller | None = None  # printed instead of `tenant` when given
    logo: bytes | None = None  # PNG or JPEG, checked when it was stored
    contact_person: str = ""  # the "attn." line under the customer's name
    payment_days: int | None = None  # None: no payment terms line
    terms: str = ""  # the seller's conditions, in the quote's language
    signature_block: bool = True  # "voor akkoord" / "bon pour accord" / "for agreement"


@dataclass(frozen=True)
class UnicodeFont:
    """Optional TTF files (e.g. from a config setting) for text beyond cp1252; embedded, subset."""

    regular: Path
    bold: Path


class _QuotePDF(FPDF):
    """FPDF with our footer: "page x of y" in the quote's language and the seller's key numbers."""

    footer_text: str = ""
    page_label: str = "Page {page} of {pages}"
    font_family_name: str = "helvetica"

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(self.font_family_name, "", 7.5)
        self.set_text_color(90, 90, 90)
        if self.footer_text:
            self.cell(self.epw * 0.78, 4, self.footer_text)
        else:
            self.cell(self.epw * 0.78, 4, "")
        # fpdf2 replaces {nb} by the page count when the document is closed.
        self.cell(self.epw * 0.22, 4, self.page_label.format(page=self.page_no(), pages="{nb}"), align="R")
        self.set_text_color(0, 0, 0)


def render_quote_pdf(doc: QuoteDocument, font: UnicodeFont | None = None) -> bytes:
    """The quote as PDF bytes (A4, labels in the quote's language, en fallback).

    Helvetica with cp1252 text by default; with `font`, that TTF is embedded and any Unicode text
    is kept as is.
    """
    lang = doc.language if doc.language in LABELS else "en"
    L = LABELS[lang]

    pdf = _QuotePDF(format="A4")
    pdf.core_fonts_encoding = ENCODING
    family, t = "helvetica", to_cp1252
    if font is not None:
        family, t = "quotefont", str
        pdf.add_font(family, "", str(font.regular))
        pdf.add_font(family, "B", str(font.bold))
    pdf.font_family_name = family
    pdf.page_label = t(L["page"])
    pdf.footer_text = t(_footer_line(doc, L))
    pdf.set_creation_date(dt.datetime.combine(doc.issue_date, dt.time(), tzinfo=dt.UTC))
    pdf.set_title(t(f"{L['title']} {doc.number}"))
    pdf.set_author(t(doc.tenant.name))
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    width = pdf.epw

    def money(v: Decimal) -> str:
        return t(format_money(v, lang, doc.currency))

    if doc.logo:
        # Drawn from the stored bytes: fpdf2 gets no path or URL it could fetch.
        pdf.image(io.BytesIO(doc.logo), x=pdf.l_margin, y=12, h=18, keep_aspect_ratio=True)
        pdf.set_y(33)

    pdf.set_font(family, "B", 18)
    pdf.cell(width, 10, t(f"{L['title']} {doc.number}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    # sender (left) and customer (right)
    top = pdf.get_y()
    half = width / 2
    if doc.seller is not None:
        _seller(pdf, pdf.l_margin, top, half - 4, doc.seller, L, family, t)
    else:
        _party(pdf, pdf.l_margin, top, half - 4, doc.tenant, "", L, family, t)
    left_end = pdf.get_y()
    _party(pdf, pdf.l_margin + half, top, half, doc.contact, L["customer"], L, family, t,
           attn=f"{L['attn']} {doc.contact_person}" if doc.contact_person else "")
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

    if doc.payment_days is not None:
        pdf.ln(4)
        pdf.set_font(family, "B", 9)
        pdf.cell(width, 5, t(L["payment_terms"]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 9)
        text = L["payment_days"].format(days=doc.payment_days) if doc.payment_days else L["payment_now"]
        pdf.multi_cell(width, 4.8, t(text), new_x="LMARGIN", new_y="NEXT")
    if doc.notes.strip():
        pdf.ln(6)
        pdf.set_font(family, "", 9)
        pdf.multi_cell(width, 4.8, t(doc.notes.strip()), new_x="LMARGIN", new_y="NEXT")
    if doc.terms.strip():
        pdf.ln(4)
        pdf.set_font(family, "B", 8.5)
        pdf.cell(width, 4.8, t(L["terms"]), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(family, "", 8)
        pdf.multi_cell(width, 4.2, t(doc.terms.strip()), new_x="LMARGIN", new_y="NEXT")
    if doc.signature_block:
        _signature(pdf, L, family, t)
    return bytes(pdf.output())


def _footer_line(doc: QuoteDocument, labels: Mapping[str, str]) -> str:
    """Legal name, VAT, IBAN/BIC in one line at the foot of every page."""
    seller = doc.seller
    if seller is None:
        return doc.tenant.name
    parts = [seller.name]
    if seller.vat:
        parts.append(f"{labels['vat_number']} {seller.vat}")
    if seller.iban:
        parts.append(f"IBAN {seller.iban}" + (f" BIC {seller.bic}" if seller.bic else ""))
    return " - ".join(parts)


def _signature(pdf: FPDF, labels: Mapping[str, str], family: str, t: Callable[[str], str]) -> None:
    """A box for the customer's "voor akkoord", kept whole on one page."""
    height = 34
    if pdf.get_y() + height + 6 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(6)
    x = pdf.l_margin + pdf.epw / 2
    w = pdf.epw / 2
    pdf.set_x(x)
    pdf.set_font(family, "B", 10)
    pdf.cell(w, 6, t(labels["agreement"]), new_x="LEFT", new_y="NEXT")
    pdf.set_font(family, "", 8)
    pdf.cell(w, 4.5, t(labels["sign_here"]), new_x="LEFT", new_y="NEXT")
    pdf.rect(x, pdf.get_y() + 1, w, height - 12)
    pdf.set_y(pdf.get_y() + height - 10)


def _seller(pdf: FPDF, x: float, y: float, w: float, seller: Seller, labels: Mapping[str, str], family: str,
            t: Callable[[str], str]) -> None:
    lines = [*seller.address_lines]
    if seller.vat:
        lines.append(f"{labels['vat_number']} {seller.vat}")
    if seller.company_number:
        lines.append(f"{labels['company_number']} {seller.company_number}")
    if seller.phone:
        lines.append(f"{labels['phone']} {seller.phone}")
    lines.extend(v for v in (seller.email, seller.website) if v)
    if seller.iban:
        lines.append(f"IBAN {seller.iban}")
    if seller.bic:
        lines.append(f"BIC {seller.bic}")
    pdf.set_xy(x, y)
    pdf.set_font(family, "", 8)
    pdf.multi_cell(w, 4.5, "", new_x="LEFT", new_y="NEXT")
    pdf.set_font(family, "B", 11)
    pdf.multi_cell(w, 5.5, t(seller.name), new_x="LEFT", new_y="NEXT")
    pdf.set_font(family, "", 9)
    for line in lines:
        pdf.multi_cell(w, 4.6, t(line), new_x="LEFT", new_y="NEXT")


def _party(pdf: FPDF, x: float, y: float, w: float, party: Party, heading: str,
           labels: Mapping[str, str], family: str, t: Callable[[str], str], attn: str = "") -> None:
    pdf.set_xy(x, y)
    pdf.set_font(family, "", 8)
    pdf.multi_cell(w, 4.5, t(heading.upper()), new_x="LEFT", new_y="NEXT")
    pdf.set_font(family, "B", 11)
    pdf.multi_cell(w, 5.5, t(party.name), new_x="LEFT", new_y="NEXT")
    pdf.set_font(family, "", 10)
    if attn:
        pdf.multi_cell(w, 5, t(attn), new_x="LEFT", new_y="NEXT")
    lines = [*party.address_lines]
    if party.vat:
        lines.append(f"{labels['vat_number']} {party.vat}")
    for line in lines:
        pdf.multi_cell(w, 5, t(line), new_x="LEFT", new_y="NEXT")
