"""Contacts to and from CSV / XLSX: bytes or text in, values out (seed 004: import CSV, export CSV
or Excel).

Import is a dry run by nature: `read_contacts_csv` returns the clean contact values *and* every
problem per row (row number as a spreadsheet shows it, header = row 1; field; problem); the caller
stores nothing unless `errors` is empty (or stores only the good rows, its choice).
Column headers are recognised in nl, fr and en, case, accents and punctuation ignored
(`Naam`, `Nom`, `name`, `BTW-nummer`, `N° TVA`, `VAT`...); unknown columns are reported, not fatal.
Files from Belgian Excel are `;`-separated and often cp1252: both are detected.

Export writes codes for kinds, languages and VAT regimes (so a file re-imports unchanged) under
headers in the user's language. Cells that a spreadsheet would run as a formula (`=`, `@`, or `+`/`-`
not followed by a plain number) get a leading `'` (OWASP CSV injection); import removes it again.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from dataclasses import field as dc_field
from decimal import Decimal

from quotemaild.domain.contact_input import check_contact_input
from quotemaild.domain.contacts import Contact, CustomFieldDef, DocumentType, MomentKind
from quotemaild.domain.contacts_columns import (
    COLUMNS,
    IGNORED,
    VALUE_ALIASES,
    header_label,
    normalize_header,
)
from quotemaild.domain.vat import VatIndex, VatWarning, vat_key
from quotemaild.errors import InvalidInput


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    field: str
    problem: str
    column: str = ""  # the header as written in the file, when the field came from one column
    code: str = ""  # for the web app's nl/fr/en text (edges/http/web/error_text.py)
    params: Mapping[str, object] = dc_field(default_factory=dict)


@dataclass(frozen=True)
class ImportRow:
    row: int
    contact: Contact
    warnings: tuple[VatWarning, ...] = ()


@dataclass(frozen=True)
class ImportResult:
    rows: tuple[ImportRow, ...]  # the rows without errors
    errors: tuple[RowError, ...]
    columns: tuple[tuple[str, str], ...]  # (header in the file, field it was read as)
    ignored_columns: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.errors


def decode(data: bytes | str) -> str:
    """Text from a file: UTF-8 (with or without BOM), else Windows-1252 as Belgian Excel writes."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    first = text.split("\n", 1)[0]
    return max(";,\t", key=first.count)


def _unescape(value: str) -> str:
    value = value.strip()
    if len(value) > 1 and value[0] == "'" and value[1] in "=+-@":
        return value[1:]
    return value


def _map_headers(
    headers: Sequence[str], custom_fields: Sequence[CustomFieldDef]
) -> tuple[dict[int, str], list[tuple[str, str]], list[str], list[RowError]]:
    custom = {}
    for d in custom_fields:
        custom[normalize_header(d.key)] = f"custom.{d.key}"
        custom[normalize_header(d.label)] = f"custom.{d.key}"
    by_index: dict[int, str] = {}
    columns, ignored, errors = [], [], []
    seen: dict[str, str] = {}
    for i, header in enumerate(headers):
        key = normalize_header(header)
        field = custom.get(key) or COLUMNS.get(key)
        if not key:
            continue
        if field is None:
            if key not in IGNORED:
                ignored.append(header)
            continue
        if field in seen:
            errors.append(RowError(1, field, f"columns {seen[field]!r} and {header!r} are the same field", header,
                                      "csv_same_field", {"first": seen[field], "second": header}))
            continue
        seen[field] = header
        by_index[i] = field
        columns.append((header, field))
    if "name" not in seen:
        errors.append(RowError(1, "name", "no name column (naam, nom, name)", code="csv_no_name"))
    return by_index, columns, ignored, errors


def _row_input(values: Mapping[str, str]) -> dict[str, object]:
    data: dict[str, object] = {}
    custom: dict[str, str] = {}
    for field, value in values.items():
        if not value:
            continue
        if field.startswith("custom."):
            custom[field.removeprefix("custom.")] = value
            continue
        aliases = VALUE_ALIASES.get(field)
        if aliases is not None:
            value = aliases.get(normalize_header(value), value)
        data[field] = value
    if custom:
        data["custom"] = custom
    return data


def read_contacts_csv(
    data: bytes | str,
    *,
    custom_fields: Sequence[CustomFieldDef] = (),
    vat_in_use: Mapping[str, object] | Set[str] = frozenset(),
    default_language: str = "nl",
) -> ImportResult:
    """Parse and check every row; nothing is refused silently."""
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        headers = next(reader)
    except StopIteration:
        return ImportResult((), (RowError(1, "file", "is empty", code="csv_empty"),), (), ())
    except csv.Error as exc:
        return ImportResult((), (RowError(1, "file", f"not a CSV file ({exc})", code="csv_unreadable"),), (), ())
    by_index, columns, ignored, errors = _map_headers(headers, custom_fields)
    if errors:
        return ImportResult((), tuple(errors), tuple(columns), tuple(ignored))
    column_of = {field: header for header, field in columns}
    in_use = VatIndex.of(vat_in_use)
    rows: list[ImportRow] = []
    row_number = 1
    while True:
        try:
            record = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(RowError(row_number + 1, "file", f"cannot read the row ({exc})", code="csv_unreadable"))
            break
        row_number += 1
        if not any(cell.strip() for cell in record):
            continue
        if len(record) > len(headers) and any(c.strip() for c in record[len(headers):]):
            errors.append(RowError(row_number, "row", f"{len(record)} cells for {len(headers)} columns",
                                          code="csv_cells", params={"cells": len(record), "columns": len(headers)}))
            continue
        values = {field: _unescape(record[i]) for i, field in by_index.items() if i < len(record)}
        check = check_contact_input(_row_input(values), custom_fields=custom_fields, vat_in_use=in_use,
                                    default_language=default_language)
        for e in check.errors:
            errors.append(RowError(row_number, e.field, e.problem, _column_for(e.field, column_of), e.code, e.params))
        if check.contact is not None:
            rows.append(ImportRow(row_number, check.contact, check.warnings))
            if check.contact.vat_number:
                in_use.setdefault(vat_key(check.contact.vat_number), f"row {row_number}")
    return ImportResult(tuple(rows), tuple(errors), tuple(columns), tuple(ignored))


def _column_for(field: str, column_of: Mapping[str, str]) -> str:
    base = field.removeprefix("address.")
    return column_of.get(field) or column_of.get(base) or column_of.get(field.split("[", 1)[0], "")


_PLAIN_NUMBER = re.compile(r"[+-][\d\s.,()/]*")


def _safe(value: str) -> str:
    if value[:1] in ("=", "@", "\t", "\r") or (value[:1] in "+-" and value and not _PLAIN_NUMBER.fullmatch(value)):
        return "'" + value
    return value


EXPORT_FIELDS = (
    "number", "kind", "type", "name", "emails", "phone", "street", "postal_code", "city", "country",
    "language", "currency", "vat_number", "vat_regime", "payment_term_days", "discount_percent",
    "quote_email", "invoice_email", "groups", "lead_source", "first_contact", "internal_note", "revenue",
)


def _cells(contact: Contact, custom_fields: Sequence[CustomFieldDef]) -> list[object]:
    documents = dict(contact.document_emails)
    first = contact.moment(MomentKind.FIRST_CONTACT)
    values: dict[str, object] = {
        "number": contact.number, "kind": contact.kind.value, "type": contact.type.value,
        "name": contact.name, "emails": ", ".join(contact.emails), "phone": contact.phone,
        "street": contact.address.street, "postal_code": contact.address.postal_code,
        "city": contact.address.city, "country": contact.address.country,
        "language": contact.language.value, "currency": contact.currency,
        "vat_number": contact.vat_number, "vat_regime": contact.vat_regime.value,
        "payment_term_days": contact.payment_term_days, "discount_percent": contact.discount_percent,
        "quote_email": documents.get(DocumentType.QUOTE, ""),
        "invoice_email": documents.get(DocumentType.INVOICE, ""),
        "groups": ", ".join(contact.groups), "lead_source": contact.lead_source,
        "first_contact": first.date if first else None, "internal_note": contact.internal_note,
        "revenue": contact.revenue,
    }
    cells = [values[f] for f in EXPORT_FIELDS]
    cells += [contact.custom_value(d.key) for d in custom_fields]
    return [_safe(c) if isinstance(c, str) else c for c in cells]


def _headers(language: str, custom_fields: Sequence[CustomFieldDef]) -> list[str]:
    return [header_label(f, language) for f in EXPORT_FIELDS] + [d.label for d in custom_fields]


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def export_contacts_csv(
    contacts: Iterable[Contact], *, language: str = "en", custom_fields: Sequence[CustomFieldDef] = (),
    delimiter: str = ";",
) -> str:
    """CSV text (`;`-separated for Belgian Excel; write it with a UTF-8 BOM if Excel must open it)."""
    if delimiter not in (";", ",", "\t"):
        raise InvalidInput("delimiter", "must be ; , or tab", code="csv_delimiter")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(_headers(language, custom_fields))
    for contact in contacts:
        writer.writerow([_text(c) for c in _cells(contact, custom_fields)])
    return out.getvalue()


def export_contacts_xlsx(
    contacts: Iterable[Contact], *, language: str = "en", custom_fields: Sequence[CustomFieldDef] = (),
    created: dt.datetime | None = None,
) -> bytes:
    """An Excel workbook with one sheet; numbers and dates as real cells. `created` sets the
    document property (pass the clock's now; openpyxl would otherwise read the clock)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = {"nl": "Contacten", "fr": "Contacts"}.get(language, "Contacts")
    sheet.append(_headers(language, custom_fields))
    for contact in contacts:
        row = []
        for cell in _cells(contact, custom_fields):
            if isinstance(cell, Decimal):
                cell = float(cell) if cell != cell.to_integral_value() else int(cell)
            row.append(cell)
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    if created is not None:
        workbook.properties.created = created.replace(tzinfo=None)
        workbook.properties.modified = created.replace(tzinfo=None)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
