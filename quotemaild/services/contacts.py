"""Contacts (prospects and customers) of a tenant: add, edit, find, convert, invoices, attachments.

The rules are the pure ones of `domain/contact_input.py` and `domain/contacts.py`; this module
loads, calls them and writes. VAT problems come back as warnings, never as refusals. Customer
numbers come from the tenant's `customer_number_format`. The caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import String, cast, delete, func, select, text
from sqlalchemy.orm import Session, selectinload

from quotemaild.clock import Clock
from quotemaild.domain.contact_input import parse_contact_input
from quotemaild.domain.contacts import ContactKind, CustomFieldDef, CustomFieldKind, convert_to_customer
from quotemaild.domain.numbering import parse_format
from quotemaild.domain.vat import VatWarning
from quotemaild.errors import InvalidInput, NotFound
from quotemaild.mail.addresses import address_key
from quotemaild.services.reminders import sync_reminders
from quotemaild.services.contact_rows import apply_to_row, row_to_input, to_domain
from quotemaild.services.timeline import audit
from quotemaild.store.cluster import Scope, numbers_unique, tenant_lock
from quotemaild.store.models import Contact as ContactRow
from quotemaild.store.models import ContactAttachment, ContactCustomFieldDef, ContactInvoice, ContactPersonRow, Tenant



@dataclass(frozen=True)
class Saved:
    row: ContactRow
    warnings: tuple[VatWarning, ...]


def warnings_view(warnings: tuple[VatWarning, ...]) -> list[dict[str, Any]]:
    return [{"code": w.code.value, "message": w.message} for w in warnings]


def get_contact(session: Session, contact_id: int, tenant_id: int | None = None) -> ContactRow:
    """The contact with its persons loaded; NotFound (also when it is another tenant's)."""
    row = session.scalar(
        select(ContactRow).where(ContactRow.id == contact_id).options(selectinload(ContactRow.persons))
    )
    if row is None or (tenant_id is not None and row.tenant_id != tenant_id):
        raise NotFound("contact", contact_id)
    return row


def revenue(session: Session, contact_id: int) -> Decimal:
    total = session.scalar(
        select(func.coalesce(func.sum(ContactInvoice.amount_cents), 0)).where(ContactInvoice.contact_id == contact_id)
    )
    return (Decimal(int(total or 0)) / 100).quantize(Decimal("0.01"))


def revenues(session: Session, contact_ids: list[int]) -> dict[int, Decimal]:
    """Revenue of many contacts in one query (0.00 for those without invoices)."""
    totals: dict[int, int] = {}
    if contact_ids:
        rows = session.execute(
            select(ContactInvoice.contact_id, func.sum(ContactInvoice.amount_cents))
            .where(ContactInvoice.contact_id.in_(contact_ids)).group_by(ContactInvoice.contact_id)
        )
        totals = {cid: int(total or 0) for cid, total in rows}
    return {cid: (Decimal(totals.get(cid, 0)) / 100).quantize(Decimal("0.01")) for cid in contact_ids}


def custom_field_defs(session: Session, tenant_id: int) -> tuple[CustomFieldDef, ...]:
    rows = session.scalars(
        select(ContactCustomFieldDef).where(ContactCustomFieldDef.tenant_id == tenant_id).order_by(ContactCustomFieldDef.id)
    )
    return tuple(CustomFieldDef(r.key, r.label, CustomFieldKind(r.kind), r.required, r.on_documents) for r in rows)


def add_custom_field(session: Session, tenant: Tenant, definition: CustomFieldDef) -> ContactCustomFieldDef:
    key = definition.key.strip().lower()
    if not key.replace("_", "").isalnum() or not key.isascii() or len(key) > 60:
        raise InvalidInput("key", "use 1-60 of a-z, 0-9 and _", code="field_key_format")
    if not definition.label.strip():
        raise InvalidInput("label", "must not be empty", code="required")
    if any(d.key == key for d in custom_field_defs(session, tenant.id)):
        raise InvalidInput("key", f"custom field {key!r} already exists", code="field_key_taken",
                           params={"key": key})
    row = ContactCustomFieldDef(tenant_id=tenant.id, key=key, label=definition.label.strip()[:200],
                                kind=CustomFieldKind(definition.kind).value, required=definition.required,
                                on_documents=definition.on_documents)
    session.add(row)
    session.flush()
    return row


def vat_in_use(session: Session, tenant_id: int, exclude_id: int | None = None) -> dict[str, object]:
    """VAT number -> "contact N (name)" for the tenant's other contacts."""
    q = select(ContactRow.id, ContactRow.name, ContactRow.vat_number).where(
        ContactRow.tenant_id == tenant_id, ContactRow.vat_number != ""
    )
    if exclude_id is not None:
        q = q.where(ContactRow.id != exclude_id)
    return {vat: f"contact {cid} ({name})" for cid, name, vat in session.execute(q)}


def next_customer_number(session: Session, tenant: Tenant, clock: Clock) -> str:
    """The next free number. Holds the tenant's number lock until the caller's transaction ends,
    so instances that number at the same moment take turns (no duplicate, no gap)."""
    fmt = parse_format(tenant.customer_number_format, "customer_number_format")
    tenant_lock(session, tenant.id, Scope.NUMBERS)
    existing = session.scalars(
        select(ContactRow.number).where(ContactRow.tenant_id == tenant.id, ContactRow.number.is_not(None))
    )
    now = clock.now()
    return fmt.next_number(existing, now.year, now.month)


def _check_number_free(session: Session, tenant_id: int, number: str, contact_id: int | None) -> None:
    if not number:
        return
    tenant_lock(session, tenant_id, Scope.NUMBERS)  # free now, and still free at our insert
    owner = session.scalar(select(ContactRow.id).where(ContactRow.tenant_id == tenant_id, ContactRow.number == number))
    if owner is not None and owner != contact_id:
        raise InvalidInput("number", f"{number} is already the number of contact {owner}", code="number_taken",
                           params={"number": number})


def add_contact(session: Session, tenant: Tenant, data: Mapping[str, Any], actor: str, clock: Clock) -> Saved:
    """A new card from input; a customer without a number gets the next one."""
    contact, warnings = parse_contact_input(
        data, custom_fields=custom_field_defs(session, tenant.id),
        vat_in_use=vat_in_use(session, tenant.id), default_language=tenant.language,
    )
    now = clock.now()
    row = ContactRow(tenant_id=tenant.id, created_at=now, updated_at=now)
    if contact.kind is ContactKind.CUSTOMER and not contact.number:
        number = next_customer_number(session, tenant, clock)
        contact = replace(contact, number=number, converted_on=now.date())
    _check_number_free(session, tenant.id, contact.number, None)
    apply_to_row(row, contact)
    row.converted_on = contact.converted_on
    with numbers_unique(session, "number", contact.number):
        session.add(row)
    sync_reminders(session, row)
    return Saved(row, warnings)


def update_contact(session: Session, contact_id: int, changes: Mapping[str, Any], actor: str, clock: Clock) -> Saved:
    """The stored card overlaid with `changes` (same keys as input), checked like a new card.

    The kind is not changed here: a prospect becomes a customer by `convert_contact` or an invoice.
    """
    if "kind" in changes:
        raise InvalidInput("kind", "use `contact convert` to make a prospect a customer")
    row = get_contact(session, contact_id)
    data = row_to_input(row)
    for key, value in changes.items():
        if key in ("address", "custom") and isinstance(value, Mapping) and isinstance(data.get(key), Mapping):
            data[key] = {**data[key], **value}  # a changed city keeps the street
        else:
            data[key] = value
    contact, warnings = parse_contact_input(
        data, custom_fields=custom_field_defs(session, row.tenant_id),
        vat_in_use=vat_in_use(session, row.tenant_id, exclude_id=row.id),
        default_language=row.language,
    )
    _check_number_free(session, row.tenant_id, contact.number, row.id)
    apply_to_row(row, contact)
    row.updated_at = clock.now()
    with numbers_unique(session, "number", contact.number):
        pass
    sync_reminders(session, row)
    return Saved(row, warnings)


def list_contacts(
    session: Session, tenant_id: int, kind: str | None = None, search: str | None = None, limit: int = 200,
    active: bool | None = None, group: str | None = None,
) -> list[ContactRow]:
    """Cards of the tenant by name; `active` True/False keeps only active / not yet active prospects;
    `group` only the cards in that group (any case)."""
    q = select(ContactRow).where(ContactRow.tenant_id == tenant_id)
    if kind:
        q = q.where(ContactRow.kind == ContactKind(kind).value)
    if active is not None:
        q = q.where(ContactRow.kind == ContactKind.PROSPECT.value, ContactRow.active.is_(active))
    if search:
        like = f"%{search}%"
        # e-mail addresses are a JSON list: its text form is searched (as privacy.py does), which
        # works the same on SQLite and PostgreSQL for the ASCII of addresses
        q = q.where(ContactRow.name.ilike(like) | ContactRow.vat_number.ilike(like) | ContactRow.number.ilike(like)
                    | ContactRow.city.ilike(like) | ContactRow.phone.ilike(like)
                    | cast(ContactRow.emails, String).ilike(like)
                    | ContactRow.id.in_(select(ContactPersonRow.contact_id).where(
                        ContactPersonRow.name.ilike(like) | cast(ContactPersonRow.emails, String).ilike(like))))
    q = q.order_by(ContactRow.name, ContactRow.id)
    if group:
        # Groups are a JSON list, which SQLite and PostgreSQL query differently: compare here
        # (a tenant has hundreds of cards, not millions).
        wanted = group.strip().casefold()
        found = (r for r in session.scalars(q) if any(g.casefold() == wanted for g in r.groups))
        return [r for _, r in zip(range(limit), found, strict=False)]
    return list(session.scalars(q.limit(limit)))


_GROUPS_SQL = {
    # One row per distinct group spelling, unnested by the database: reading every card's JSON
    # list into Python cost ~10 ms and, with 5,000 cards, a full garbage collection every few pages.
    "sqlite": "SELECT DISTINCT g.value FROM contacts AS c, json_each(c.groups) AS g WHERE c.tenant_id = :tenant_id",
    "postgresql": "SELECT DISTINCT g FROM contacts AS c, json_array_elements_text(c.groups::json) AS g"
                  " WHERE c.tenant_id = :tenant_id",
}


def group_names(session: Session, tenant_id: int) -> list[str]:
    """Every group used on the tenant's cards, sorted (one spelling per group regardless of case:
    the first in sort order)."""
    sql = _GROUPS_SQL.get(session.get_bind().dialect.name)
    if sql is None:  # another engine: read the lists
        values = [g for groups in session.scalars(select(ContactRow.groups).where(ContactRow.tenant_id == tenant_id))
                  for g in groups or ()]
    else:
        values = list(session.scalars(text(sql), {"tenant_id": tenant_id}))
    names: dict[str, str] = {}
    for g in sorted(v for v in values if isinstance(v, str)):
        names.setdefault(g.casefold(), g)
    return sorted(names.values(), key=str.casefold)


def contacts_with_address(session: Session, tenant_id: int, email: str) -> list[ContactRow]:
    """The tenant's contacts that carry `email` on the card, a person or a document address,
    compared as address keys (mail/addresses.py): case, Unicode or punycode spelling of an IDN
    domain and Unicode normalisation do not matter. Addresses live in JSON lists, which SQL
    cannot compare that way on both SQLite and PostgreSQL, so the tenant's cards are read and
    compared here (a small business has hundreds of contacts, not millions)."""
    key = address_key(email)
    rows = session.scalars(
        select(ContactRow).where(ContactRow.tenant_id == tenant_id).order_by(ContactRow.id)
        .options(selectinload(ContactRow.persons))
    )
    out = []
    for row in rows:
        found = [*row.emails, *row.document_emails.values(), *(e for p in row.persons for e in p.emails)]
        if any(address_key(e) == key for e in found):
            out.append(row)
    return out


def convert_contact(session: Session, contact_id: int, actor: str, clock: Clock) -> ContactRow:
    """Prospect -> customer with the next customer number (seed 003: one action)."""
    row = get_contact(session, contact_id)
    tenant = session.get_one(Tenant, row.tenant_id)
    now = clock.now()
    number = next_customer_number(session, tenant, clock)
    converted = convert_to_customer(to_domain(row), number, now.date())
    row.kind, row.number, row.converted_on, row.updated_at = "customer", converted.number, now.date(), now
    audit(session, row.tenant_id, "contact.convert", actor, now, {"contact_id": row.id, "number": converted.number})
    with numbers_unique(session, "number", number):
        pass
    return row


def attach_file(session: Session, contact_id: int, filename: str, data: bytes, actor: str, clock: Clock) -> ContactAttachment:
    row = get_contact(session, contact_id)
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or any(ord(c) < 32 for c in name):
        raise InvalidInput("file", "needs a plain file name", code="file_name")
    attachment = ContactAttachment(
        contact_id=row.id, filename=name[:500],
        content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        size=len(data), sha256=hashlib.sha256(data).hexdigest(), data=data,
        created_at=clock.now(), actor=actor,
    )
    session.add(attachment)
    session.flush()
    return attachment


def remove_attachment(session: Session, contact_id: int, number: int, actor: str, clock: Clock) -> str:
    """Delete file `number` (numbered as `contact_attachments` lists them) from the card; its name
    and checksum stay in the audit log. Returns the file name."""
    row = get_contact(session, contact_id)
    files = session.execute(
        select(ContactAttachment.id, ContactAttachment.filename, ContactAttachment.sha256)
        .where(ContactAttachment.contact_id == row.id).order_by(ContactAttachment.id)
    ).all()
    if not 1 <= number <= len(files):
        raise NotFound(f"attachment of contact {contact_id}", number)
    file_id, filename, sha256 = files[number - 1]
    session.execute(delete(ContactAttachment).where(ContactAttachment.id == file_id))  # no blob load
    audit(session, row.tenant_id, "contact.attachment.remove", actor, clock.now(),
          {"contact_id": row.id, "filename": filename, "sha256": sha256})
    session.flush()
    return filename
