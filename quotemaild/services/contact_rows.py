"""Between stored contact rows and the pure `domain.contacts.Contact` values, both ways.

`row_to_input` gives the input mapping `check_contact_input` accepts, so an edit is "the stored
card, overlaid with what changed", checked by the same rules as a new card.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from quotemaild.domain.contacts import (
    Address,
    Contact,
    ContactKind,
    ContactPerson,
    ContactType,
    DocumentType,
    Language,
    Moment,
    MomentKind,
)
from quotemaild.domain.vat import VatRegime
from quotemaild.store.models import Contact as ContactRow
from quotemaild.store.models import ContactPersonRow


def to_domain(row: ContactRow, revenue: Decimal = Decimal("0.00"), persons: bool = True) -> Contact:
    """The domain value of a stored contact; `persons` must be loaded when True."""
    return Contact(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        kind=ContactKind(row.kind),
        type=ContactType(row.type),
        number=row.number or "",
        emails=tuple(row.emails),
        phone=row.phone,
        address=Address(row.street, row.postal_code, row.city, row.country),
        language=Language(row.language),
        currency=row.currency,
        vat_number=row.vat_number,
        vat_regime=VatRegime(row.vat_regime),
        payment_term_days=row.payment_term_days,
        discount_percent=Decimal(row.discount_percent),
        document_emails=tuple((DocumentType(k), v) for k, v in sorted(row.document_emails.items())),
        groups=tuple(row.groups),
        lead_source=row.lead_source,
        moments=tuple((MomentKind(k), _moment(v)) for k, v in sorted(row.moments.items())),
        custom=tuple(sorted(row.custom.items())),
        internal_note=row.internal_note,
        persons=tuple(_person(p) for p in row.persons) if persons else (),
        revenue=revenue,
        converted_on=row.converted_on,
    )


def _moment(value: dict[str, str]) -> Moment:
    time = value.get("time")
    return Moment(dt.date.fromisoformat(value["date"]), dt.time.fromisoformat(time) if time else None,
                  value.get("note", ""))


def _person(p: ContactPersonRow) -> ContactPerson:
    return ContactPerson(p.name, tuple(p.emails), p.phone, p.role, Address(p.street, p.postal_code, p.city, p.country))


def _json(value: object) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def apply_to_row(row: ContactRow, contact: Contact) -> None:
    """Write every card field of `contact` on `row` (not id, tenant, revenue). Persons are replaced."""
    row.name = contact.name
    row.kind = contact.kind.value
    row.type = contact.type.value
    row.number = contact.number or None
    row.emails = list(contact.emails)
    row.phone = contact.phone
    row.street, row.postal_code = contact.address.street, contact.address.postal_code
    row.city, row.country = contact.address.city, contact.address.country
    row.language = contact.language.value
    row.currency = contact.currency
    row.vat_number = contact.vat_number
    row.vat_regime = contact.vat_regime.value
    row.payment_term_days = contact.payment_term_days
    row.discount_percent = str(contact.discount_percent)
    row.document_emails = {k.value: v for k, v in contact.document_emails}
    row.groups = list(contact.groups)
    row.lead_source = contact.lead_source
    row.moments = {
        k.value: {"date": m.date.isoformat(), "time": m.time.strftime("%H:%M") if m.time else "", "note": m.note}
        for k, m in contact.moments
    }
    row.custom = {k: _json(v) for k, v in contact.custom}
    row.internal_note = contact.internal_note
    row.persons = [
        ContactPersonRow(
            position=i, name=p.name, emails=list(p.emails), phone=p.phone, role=p.role,
            street=p.address.street, postal_code=p.address.postal_code, city=p.address.city,
            country=p.address.country,
        )
        for i, p in enumerate(contact.persons)
    ]


def row_to_input(row: ContactRow) -> dict[str, Any]:
    """The stored card as `check_contact_input` input (persons must be loaded)."""
    data: dict[str, Any] = {
        "name": row.name, "kind": row.kind, "type": row.type, "number": row.number or "",
        "emails": list(row.emails), "phone": row.phone,
        "address": {"street": row.street, "postal_code": row.postal_code, "city": row.city,
                    "country": row.country},
        "language": row.language, "currency": row.currency, "vat_number": row.vat_number,
        "vat_regime": row.vat_regime, "payment_term_days": row.payment_term_days,
        "discount_percent": row.discount_percent, "groups": list(row.groups),
        "lead_source": row.lead_source, "custom": dict(row.custom), "internal_note": row.internal_note,
        "persons": [
            {"name": p.name, "emails": list(p.emails), "phone": p.phone, "role": p.role,
             "address": {"street": p.street, "postal_code": p.postal_code, "city": p.city,
                         "country": p.country}}
            for p in row.persons
        ],
    }
    for doc, email in row.document_emails.items():
        data[f"{doc}_email"] = email
    for kind, moment in row.moments.items():
        data[kind] = dict(moment)
    return data


def contact_view(row: ContactRow, revenue: Decimal, persons: bool = True) -> dict[str, Any]:
    """JSON-ready card."""
    view: dict[str, Any] = {
        "id": row.id, "tenant_id": row.tenant_id, "kind": row.kind, "type": row.type,
        "number": row.number, "name": row.name, "emails": list(row.emails), "phone": row.phone,
        "address": {"street": row.street, "postal_code": row.postal_code, "city": row.city,
                    "country": row.country},
        "language": row.language, "currency": row.currency, "vat_number": row.vat_number,
        "vat_regime": row.vat_regime, "payment_term_days": row.payment_term_days,
        "discount_percent": row.discount_percent, "document_emails": dict(row.document_emails),
        "groups": list(row.groups), "lead_source": row.lead_source, "moments": dict(row.moments),
        "custom": dict(row.custom), "internal_note": row.internal_note,
        "revenue": str(revenue), "converted_on": row.converted_on.isoformat() if row.converted_on else None,
        "created_at": row.created_at.isoformat(), "updated_at": row.updated_at.isoformat(),
        "active": row.active if row.kind == "prospect" else None, "seller_user_id": row.seller_user_id,
    }
    if persons:
        view["persons"] = [
            {"id": p.id, "name": p.name, "emails": list(p.emails), "phone": p.phone, "role": p.role,
             "address": {"street": p.street, "postal_code": p.postal_code, "city": p.city,
                         "country": p.country}}
            for p in row.persons
        ]
    return view
