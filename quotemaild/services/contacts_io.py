"""Contacts CSV import (dry run first, per-row errors) and CSV / XLSX export of a tenant.

Import is all or nothing: with any row error nothing is stored, so a file can be fixed and run
again without duplicates from a half import. Customers without a number get the next one;
numbers already used (in the store or earlier in the file) are row errors.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from quotemaild.clock import Clock
from quotemaild.domain.contacts import ContactKind
from quotemaild.domain.contacts_csv import RowError, export_contacts_csv, export_contacts_xlsx, read_contacts_csv
from quotemaild.services.contact_rows import apply_to_row, to_domain
from quotemaild.services.contacts import (
    custom_field_defs,
    next_customer_number,
    revenues,
    vat_in_use,
    warnings_view,
)
from quotemaild.services.timeline import audit
from quotemaild.store.models import Contact as ContactRow
from quotemaild.store.models import Tenant


@dataclass(frozen=True)
class ImportReport:
    rows: int  # rows read without errors
    errors: tuple[RowError, ...]
    warnings: tuple[dict[str, Any], ...]
    columns: tuple[tuple[str, str], ...]
    ignored_columns: tuple[str, ...]
    committed: bool
    created_ids: tuple[int, ...] = ()

    def view(self) -> dict[str, Any]:
        return {
            "ok": not self.errors, "committed": self.committed, "rows": self.rows,
            "errors": [{"row": e.row, "field": e.field, "column": e.column, "problem": e.problem, "code": e.code,
                        "params": dict(e.params)} for e in self.errors],
            "warnings": list(self.warnings),
            "columns": [{"header": h, "field": f} for h, f in self.columns],
            "ignored_columns": list(self.ignored_columns),
            "created_ids": list(self.created_ids),
        }


def import_contacts(
    session: Session, tenant: Tenant, data: bytes, *, commit: bool, actor: str, clock: Clock
) -> ImportReport:
    result = read_contacts_csv(data, custom_fields=custom_field_defs(session, tenant.id),
                               vat_in_use=vat_in_use(session, tenant.id), default_language=tenant.language)
    errors = list(result.errors)
    used = set(session.scalars(select(ContactRow.number).where(ContactRow.tenant_id == tenant.id,
                                                               ContactRow.number.is_not(None))))
    for row in result.rows:
        number = row.contact.number
        if number and number in used:
            errors.append(RowError(row.row, "number", f"{number} is already used", code="number_taken",
                                  params={"number": number}))
        used.add(number)
    warnings = tuple({"row": r.row, "code": w["code"], "message": w["message"]}
                     for r in result.rows for w in warnings_view(r.warnings))
    report = ImportReport(len(result.rows), tuple(sorted(errors, key=lambda e: e.row)), warnings,
                          result.columns, result.ignored_columns, committed=False)
    if not commit or errors:
        return report
    now = clock.now()
    created = []
    for row in result.rows:
        contact = row.contact
        if contact.kind is ContactKind.CUSTOMER and not contact.number:
            contact = replace(contact, number=next_customer_number(session, tenant, clock), converted_on=now.date())
        stored = ContactRow(tenant_id=tenant.id, created_at=now, updated_at=now)
        apply_to_row(stored, contact)
        stored.converted_on = contact.converted_on
        session.add(stored)
        session.flush()
        created.append(stored.id)
    audit(session, tenant.id, "contact.import", actor, now, {"rows": len(created), "ids": created})
    return replace(report, committed=True, created_ids=tuple(created))


def export_contacts(session: Session, tenant: Tenant, fmt: str, clock: Clock) -> bytes:
    """The tenant's contacts as CSV (UTF-8 with BOM, `;`, for Belgian Excel) or XLSX bytes."""
    rows = session.scalars(
        select(ContactRow).where(ContactRow.tenant_id == tenant.id)
        .options(selectinload(ContactRow.persons)).order_by(ContactRow.name, ContactRow.id)
    ).all()
    totals = revenues(session, [r.id for r in rows])
    contacts = [to_domain(r, totals[r.id]) for r in rows]
    fields = custom_field_defs(session, tenant.id)
    if fmt == "xlsx":
        return export_contacts_xlsx(contacts, language=tenant.language, custom_fields=fields, created=clock.now())
    return export_contacts_csv(contacts, language=tenant.language, custom_fields=fields).encode("utf-8-sig")
