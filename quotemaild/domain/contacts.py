"""Contacts: prospects and customers, companies with contact persons, or persons.

Values only; `contact_input.py` turns user input into these values. Rules here:
- a prospect becomes a customer, with a new customer number, by an explicit conversion or on its
  first invoiced event (seed 000/001: "as soon as it is invoiced"); revenue accumulates per
  invoiced amount (credit notes are negative amounts);
- documents of a type go to the alternative e-mail for that type when there is one (seed 004);
- a contact person's address, when filled in, replaces the company's on documents (seed 004).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum

from quotemaild.domain.parsing import cents, clean_text, parse_decimal
from quotemaild.domain.vat import VatRegime
from quotemaild.errors import InvalidInput


class ContactKind(StrEnum):
    PROSPECT = "prospect"
    CUSTOMER = "customer"


class ContactType(StrEnum):
    COMPANY = "company"
    PERSON = "person"


class Language(StrEnum):
    NL = "nl"
    FR = "fr"
    EN = "en"


class DocumentType(StrEnum):
    QUOTE = "quote"
    INVOICE = "invoice"


class MomentKind(StrEnum):
    """The dated follow-up fields of a prospect card (seed 003)."""

    FIRST_CONTACT = "first_contact"
    APPOINTMENT = "appointment"
    CALL_BACK = "call_back"
    SOLD = "sold"


class CustomFieldKind(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"


@dataclass(frozen=True)
class CustomFieldDef:
    """A field a tenant adds to its contacts, optionally printed on documents (seed 004)."""

    key: str
    label: str
    kind: CustomFieldKind = CustomFieldKind.TEXT
    required: bool = False
    on_documents: bool = False


@dataclass(frozen=True)
class Address:
    street: str = ""  # street and number, possibly a second line
    postal_code: str = ""
    city: str = ""
    country: str = "BE"  # ISO 3166 alpha-2

    @property
    def is_empty(self) -> bool:
        return not (self.street or self.postal_code or self.city)


@dataclass(frozen=True)
class Moment:
    """A date, an optional time and a note: first contact, appointment, call back, sold."""

    date: dt.date
    time: dt.time | None = None
    note: str = ""


@dataclass(frozen=True)
class ContactPerson:
    name: str
    emails: tuple[str, ...] = ()
    phone: str = ""
    role: str = ""  # department or function ("T.a.v.")
    address: Address = Address()


@dataclass(frozen=True)
class Contact:
    name: str
    kind: ContactKind = ContactKind.PROSPECT
    type: ContactType = ContactType.PERSON
    id: int | None = None
    tenant_id: int | None = None
    number: str = ""  # customer number; prospects have none until converted
    emails: tuple[str, ...] = ()
    phone: str = ""
    address: Address = Address()
    language: Language = Language.NL
    currency: str = "EUR"
    vat_number: str = ""  # normalised (`BE 0477.472.701`) or empty
    vat_regime: VatRegime = VatRegime.STANDARD
    payment_term_days: int | None = None  # None: the tenant's default term
    discount_percent: Decimal = Decimal("0")
    document_emails: tuple[tuple[DocumentType, str], ...] = ()  # alternative address per type
    groups: tuple[str, ...] = ()
    lead_source: str = ""  # "Adres via"
    moments: tuple[tuple[MomentKind, Moment], ...] = ()
    custom: tuple[tuple[str, object], ...] = ()  # key -> value, keys from the tenant's definitions
    internal_note: str = ""
    persons: tuple[ContactPerson, ...] = ()
    revenue: Decimal = Decimal("0.00")
    converted_on: dt.date | None = field(default=None, compare=False)

    def moment(self, kind: MomentKind) -> Moment | None:
        return dict(self.moments).get(kind)

    def custom_value(self, key: str) -> object:
        return dict(self.custom).get(key)


def needs_customer_number(contact: Contact) -> bool:
    """True when an invoice would turn this contact into a customer that needs a number."""
    return contact.kind is ContactKind.PROSPECT or not contact.number


def convert_to_customer(contact: Contact, number: str, today: dt.date | None = None) -> Contact:
    """The prospect as a customer with its new customer number (seed 003: one action)."""
    if contact.kind is ContactKind.CUSTOMER:
        raise InvalidInput("kind", f"{contact.name} is already a customer", code="already_customer")
    number = clean_text(number, "number", 40)
    if not number:
        raise InvalidInput("number", "a customer needs a customer number", code="customer_number_needed")
    return replace(contact, kind=ContactKind.CUSTOMER, number=number, converted_on=today)


@dataclass(frozen=True)
class Invoiced:
    contact: Contact
    invoice_number: str
    amount: Decimal
    converted: bool  # the contact became a customer because of this invoice


def apply_invoiced(
    contact: Contact,
    invoice_number: str,
    amount: object,
    number_if_needed: str | None = None,
    today: dt.date | None = None,
) -> Invoiced:
    """Record an invoice for the contact: revenue grows; a prospect becomes a customer.

    `number_if_needed` is the customer number to give when `needs_customer_number(contact)`;
    the caller computes it only then. Not idempotent: the caller records each invoice number once.
    """
    invoice_number = clean_text(invoice_number, "invoice_number", 60)
    if not invoice_number:
        raise InvalidInput("invoice_number", "is required", code="required")
    value = cents(parse_decimal(amount, "amount"))
    converted = False
    if needs_customer_number(contact):
        if not number_if_needed:
            raise InvalidInput("number", "a first invoice needs a new customer number", code="customer_number_needed")
        if contact.kind is ContactKind.PROSPECT:
            contact = convert_to_customer(contact, number_if_needed, today)
            converted = True
        else:
            contact = replace(contact, number=clean_text(number_if_needed, "number", 40))
    contact = replace(contact, revenue=contact.revenue + value)
    return Invoiced(contact, invoice_number, value, converted)


def email_for(contact: Contact, document: DocumentType | str, person: ContactPerson | None = None) -> str:
    """The address a document goes to: the type's alternative e-mail, else the person's, else the
    contact's first e-mail; "" when there is none."""
    document = DocumentType(document)
    alternative = dict(contact.document_emails).get(document)
    if alternative:
        return alternative
    if person is not None and person.emails:
        return person.emails[0]
    return contact.emails[0] if contact.emails else ""


def document_address(contact: Contact, person: ContactPerson | None = None) -> Address:
    """The address printed on a document: the contact person's when filled in, else the contact's."""
    if person is not None and not person.address.is_empty:
        return person.address
    return contact.address


REMINDER_KINDS = (MomentKind.APPOINTMENT, MomentKind.CALL_BACK)


def due_reminders(
    contacts: Iterable[Contact], now: dt.datetime, ahead: dt.timedelta
) -> list[tuple[Contact, MomentKind, Moment]]:
    """Appointments and call-backs from `now` to `now + ahead`, soonest first (seed 003 reminders).

    Moments are wall-clock times of the tenant: pass `now` as a naive local time. A moment without
    a time counts from the start of its day.
    """
    if now.tzinfo is not None:
        raise InvalidInput("now", "pass the tenant's local time without a time zone")
    due = []
    for contact in contacts:
        for kind, moment in contact.moments:
            at = dt.datetime.combine(moment.date, moment.time or dt.time(0, 0))
            if kind in REMINDER_KINDS and now <= at <= now + ahead:
                due.append((at, contact, kind, moment))
    due.sort(key=lambda item: item[0])
    return [(contact, kind, moment) for _, contact, kind, moment in due]


def custom_fields_on_documents(contact: Contact, definitions: tuple[CustomFieldDef, ...]) -> list[tuple[str, object]]:
    """(label, value) of the custom fields to print, in definition order, skipping empty ones."""
    values = dict(contact.custom)
    return [(d.label, values[d.key]) for d in definitions
            if d.on_documents and values.get(d.key) not in (None, "")]
