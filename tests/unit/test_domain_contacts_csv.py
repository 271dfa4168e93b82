"""Contact import (dry run with per-row errors) and export to CSV and XLSX."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from quotemaild.domain.contacts import (
    Address,
    Contact,
    ContactKind,
    ContactType,
    CustomFieldDef,
    CustomFieldKind,
    DocumentType,
    Language,
    Moment,
    MomentKind,
)
from quotemaild.domain.contacts_csv import (
    RowError,
    decode,
    export_contacts_csv,
    export_contacts_xlsx,
    read_contacts_csv,
)
from quotemaild.domain.vat import VatRegime, VatWarningCode
from quotemaild.errors import InvalidInput

NL_FILE = (
    "Naam;E-mail;BTW-nummer;Straat;Postcode;Gemeente;Soort;Taal;Omzet;Werf\r\n"
    "Jansen BV;info@jansen.be;0477472701;Kerkstraat 1;9000;Gent;klant;Frans;12;Gent-Zuid\r\n"
    ";;;;;;;;;\r\n"
    "Peeters;nope;;Markt 2;12;Brugge;;;;\r\n"
    "Willems;w@x.be;BE 0477.472.701;;;;prospect;nl;;\r\n"
)
SITE = CustomFieldDef("site", "Werf")


def test_nl_file_with_errors_per_row():
    """A Dutch Excel file is read; bad rows give (row, field, problem, column); blank rows skipped."""
    result = read_contacts_csv(NL_FILE.encode("cp1252"), custom_fields=(SITE,))
    assert not result.ok
    assert [r.row for r in result.rows] == [2, 5]
    jansen = result.rows[0].contact
    assert (jansen.name, jansen.kind, jansen.type, jansen.language) == (
        "Jansen BV", ContactKind.CUSTOMER, ContactType.COMPANY, Language.FR)
    assert jansen.address == Address("Kerkstraat 1", "9000", "Gent")
    assert jansen.custom == (("site", "Gent-Zuid"),)
    assert result.errors == (
        RowError(4, "emails", "'nope' is not an e-mail address", "E-mail", "not_an_email"),
        RowError(4, "address.postal_code", "a Belgian postal code has four digits", "Postcode", "be_postal_code"),
    )
    assert result.ignored_columns == ()


def test_duplicate_vat_in_file_and_store_warns():
    """A VAT number used earlier in the file, or by a stored contact, is a warning on the row."""
    result = read_contacts_csv(NL_FILE, custom_fields=(SITE,))
    (warning,) = result.rows[1].warnings
    assert (warning.code, warning.used_by) == (VatWarningCode.ALREADY_USED, "row 2")
    stored = read_contacts_csv(NL_FILE, custom_fields=(SITE,), vat_in_use={"BE0477472701": 7})
    assert [w.used_by for w in stored.rows[0].warnings] == [7]


@pytest.mark.parametrize(
    ("header", "field"),
    [("Nom", "name"), ("NAME", "name"), ("Raison sociale", "name"), ("N° TVA", "vat_number"),
     ("btw nr.", "vat_number"), ("VAT", "vat_number"), ("Téléphone", "phone"), ("GSM", "phone"),
     ("Courriel", "emails"), ("Code postal", "postal_code"), ("Localité", "city"), ("Adres via", "lead_source"),
     ("Délai de paiement", "payment_term_days"), ("Korting", "discount_percent"), ("Groepen", "groups"),
     ("Interne nota", "internal_note"), ("E-mail factures", "invoice_email"), ("Rendez-vous", "appointment")],
)
def test_headers_in_three_languages(header, field):
    """Headers in nl, fr and en are recognised, ignoring case, accents and punctuation."""
    text = f"name;{header}\nX;\n" if field != "name" else f"{header}\nX\n"
    assert (header, field) in read_contacts_csv(text).columns


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_delimiter_detected(delimiter):
    """; , and tab separated files are read."""
    text = delimiter.join(["Name", "Email"]) + "\n" + delimiter.join(["A B", "a@b.be"]) + "\n"
    (row,) = read_contacts_csv(text).rows
    assert row.contact.emails == ("a@b.be",)


def test_unknown_columns_are_reported():
    """Unknown columns are listed, not fatal; revenue and id are known and skipped silently."""
    result = read_contacts_csv("Name;Shoe size;Omzet;id\nX;42;10;3\n")
    assert result.ok and result.ignored_columns == ("Shoe size",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", [RowError(1, "file", "is empty", code="csv_empty")]),
        ("Email\na@b.be\n", [RowError(1, "name", "no name column (naam, nom, name)", code="csv_no_name")]),
        ("Naam;Nom\nx;y\n", [RowError(1, "name", "columns 'Naam' and 'Nom' are the same field", "Nom",
                                      "csv_same_field", {"first": "Naam", "second": "Nom"})]),
        ("Name\nA;extra\n", [RowError(2, "row", "2 cells for 1 columns", code="csv_cells",
                                      params={"cells": 2, "columns": 1})]),
        ("Name;Kind\nA;lead\n", [RowError(2, "kind", "'lead' is not one of prospect, customer", "Kind",
                                          "not_one_of", {"choices": "prospect, customer"})]),
    ],
)
def test_file_and_row_errors(text, expected):
    """Structural problems are errors with a row number, never an exception."""
    assert list(read_contacts_csv(text).errors) == expected


@pytest.mark.parametrize(
    ("column", "cell", "attribute", "expected"),
    [
        ("Soort", "Klant", "kind", ContactKind.CUSTOMER),
        ("Type", "Particulier", "type", ContactType.PERSON),
        ("Type", "Entreprise", "type", ContactType.COMPANY),
        ("Langue", "Néerlandais", "language", Language.NL),
        ("BTW-stelsel", "Medecontractant", "vat_regime", VatRegime.CO_CONTRACTOR),
        ("Régime TVA", "6", "vat_regime", VatRegime.RENOVATION_6),
        ("VAT regime", "intra_eu", "vat_regime", VatRegime.INTRA_EU),
        ("Telefoon", "'+32 9 123 45 67", "phone", "+32 9 123 45 67"),
        ("Groepen", "Hout, PVC", "groups", ("Hout", "PVC")),
    ],
)
def test_cell_words(column, cell, attribute, expected):
    """Cell words in nl/fr/en map to codes; an export's formula escape is removed."""
    (row,) = read_contacts_csv(f"Name;{column}\nX;{cell}\n").rows
    assert getattr(row.contact, attribute) == expected


def test_decode():
    """UTF-8 with BOM and cp1252 files decode to the same text."""
    assert decode("Né".encode("utf-8-sig")) == decode("Né".encode("cp1252")) == decode("\ufeffNé") == "Né"


FULL = Contact(
    name="Jansen BV", kind=ContactKind.CUSTOMER, type=ContactType.COMPANY, number="C20260001",
    emails=("info@jansen.be", "sales@jansen.be"), phone="+32 9 123 45 67",
    address=Address("Kerkstraat 1", "9000", "Gent"), language=Language.FR, vat_number="BE 0477.472.701",
    vat_regime=VatRegime.RENOVATION_6, payment_term_days=30, discount_percent=Decimal("2.5"),
    document_emails=((DocumentType.INVOICE, "boekhouding@jansen.be"),), groups=("Hout", "PVC"),
    lead_source="beurs Brussel", moments=((MomentKind.FIRST_CONTACT, Moment(dt.date(2026, 10, 1))),),
    custom=(("site", "Gent-Zuid"),), internal_note="=HYPERLINK(\"http://evil\")", revenue=Decimal("1210.00"),
)


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_csv_round_trip(language):
    """An export re-imports to the same contact values in every language (revenue is not imported)."""
    text = export_contacts_csv([FULL], language=language, custom_fields=(SITE,))
    result = read_contacts_csv(text, custom_fields=(SITE,))
    assert result.ok, result.errors
    (row,) = result.rows
    assert row.contact == Contact(**{**FULL.__dict__, "revenue": Decimal("0.00")})


def test_csv_escapes_formulas():
    """Cells a spreadsheet would run are prefixed with ', phone numbers are not."""
    text = export_contacts_csv([FULL])
    assert "'=HYPERLINK" in text
    assert ";+32 9 123 45 67;" in text


def test_csv_headers_localised():
    """Export headers follow the user's language."""
    assert export_contacts_csv([], language="nl").startswith("Klantnummer;Soort;Type;Naam;")
    assert export_contacts_csv([], language="fr", delimiter=",").startswith("Numéro client,Sorte,")


def test_xlsx_export():
    """The XLSX export has localised headers, real numbers and dates, and escaped formulas."""
    created = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)
    data = export_contacts_xlsx([FULL], language="nl", custom_fields=(CustomFieldDef("site", "Werf"),),
                                created=created)
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header, values = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert sheet.title == "Contacten" and header[:4] == ("Klantnummer", "Soort", "Type", "Naam")
    assert (values["Naam"], values["Betaaltermijn"], values["Korting"], values["Omzet"]) == ("Jansen BV", 30, 2.5, 1210)
    assert values["Eerste contact"] == dt.datetime(2026, 10, 1)
    assert values["Interne nota"].startswith("'=")
    assert values["Werf"] == "Gent-Zuid"


def test_export_language_checked():
    """An unsupported export language is refused."""
    with pytest.raises(InvalidInput, match="language"):
        export_contacts_csv([FULL], language="de")


def test_custom_number_field_import():
    """Custom fields are read by key or label and typed by their definition."""
    floors = CustomFieldDef("floors", "Verdiepingen", CustomFieldKind.NUMBER)
    (row,) = read_contacts_csv("Naam;Verdiepingen\nX;3\n", custom_fields=(floors,)).rows
    assert row.contact.custom == (("floors", Decimal(3)),)
