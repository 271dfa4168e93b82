"""Contact rules: conversion to customer, invoiced events, document e-mail and address."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from quotemaild.domain.contacts import (
    Address,
    Contact,
    ContactKind,
    ContactPerson,
    CustomFieldDef,
    DocumentType,
    Moment,
    MomentKind,
    apply_invoiced,
    convert_to_customer,
    custom_fields_on_documents,
    document_address,
    due_reminders,
    email_for,
    needs_customer_number,
)
from quotemaild.errors import InvalidInput

TODAY = dt.date(2026, 11, 23)
PROSPECT = Contact(name="Jansen BV", id=1, tenant_id=1, emails=("info@jansen.be",))
CUSTOMER = Contact(name="Peeters", kind=ContactKind.CUSTOMER, number="C20260001", revenue=Decimal("100.00"))


def test_convert_to_customer():
    """A prospect converts to a customer with the given number, other data unchanged."""
    customer = convert_to_customer(PROSPECT, "C20260002", TODAY)
    assert (customer.kind, customer.number, customer.converted_on) == (ContactKind.CUSTOMER, "C20260002", TODAY)
    assert customer.emails == PROSPECT.emails and customer.name == PROSPECT.name


@pytest.mark.parametrize(
    ("contact", "number", "field"),
    [(CUSTOMER, "C1", "kind"), (PROSPECT, "", "number"), (PROSPECT, "  ", "number"), (PROSPECT, "C\n1", "number")],
)
def test_convert_refused(contact, number, field):
    """Converting a customer again or without a number is refused, naming the field."""
    with pytest.raises(InvalidInput) as info:
        convert_to_customer(contact, number)
    assert info.value.field == field


@pytest.mark.parametrize(
    ("contact", "expected"),
    [(PROSPECT, True), (CUSTOMER, False), (Contact(name="x", kind=ContactKind.CUSTOMER), True)],
)
def test_needs_customer_number(contact, expected):
    """Prospects and customers without a number need one at their first invoice."""
    assert needs_customer_number(contact) is expected


def test_first_invoice_converts_prospect():
    """A prospect's first invoice makes it a customer with the new number and counts revenue."""
    result = apply_invoiced(PROSPECT, "F2026-001", "1.210,00", "C20260003", TODAY)
    assert result.converted
    assert (result.contact.kind, result.contact.number) == (ContactKind.CUSTOMER, "C20260003")
    assert result.contact.revenue == Decimal("1210.00")
    assert result.amount == Decimal("1210.00")


@pytest.mark.parametrize(
    ("amount", "revenue"),
    [("50", "150.00"), (Decimal("0.005"), "100.01"), ("-30,00", "70.00")],
)
def test_invoices_accumulate_revenue(amount, revenue):
    """A customer's revenue grows with each invoice (credit notes are negative) and keeps its number."""
    result = apply_invoiced(CUSTOMER, "F1", amount, None)
    assert not result.converted
    assert result.contact.number == "C20260001"
    assert result.contact.revenue == Decimal(revenue)


def test_customer_without_number_gets_one():
    """A customer that never had a number gets one at its first invoice, without 'converting'."""
    result = apply_invoiced(Contact(name="x", kind=ContactKind.CUSTOMER), "F1", 10, "C9")
    assert (result.converted, result.contact.number) == (False, "C9")


@pytest.mark.parametrize(
    ("contact", "invoice", "amount", "number", "field"),
    [(PROSPECT, "F1", 10, None, "number"), (CUSTOMER, "", 10, None, "invoice_number"),
     (CUSTOMER, "F1", "ten", None, "amount")],
)
def test_apply_invoiced_refused(contact, invoice, amount, number, field):
    """Missing number, invoice number or a bad amount is InvalidInput naming the field."""
    with pytest.raises(InvalidInput) as info:
        apply_invoiced(contact, invoice, amount, number)
    assert info.value.field == field


PERSON = ContactPerson(name="Piet", emails=("piet@jansen.be",))
ALT = Contact(name="Jansen", emails=("info@jansen.be",),
              document_emails=((DocumentType.INVOICE, "boekhouding@jansen.be"),))


@pytest.mark.parametrize(
    ("contact", "document", "person", "expected"),
    [
        (ALT, "invoice", None, "boekhouding@jansen.be"),
        (ALT, "quote", None, "info@jansen.be"),
        (ALT, DocumentType.QUOTE, PERSON, "piet@jansen.be"),
        (ALT, "invoice", PERSON, "boekhouding@jansen.be"),
        (Contact(name="x"), "quote", None, ""),
        (Contact(name="x"), "quote", ContactPerson(name="p"), ""),
    ],
)
def test_email_for(contact, document, person, expected):
    """The document type's alternative e-mail wins, then the contact person's, then the contact's."""
    assert email_for(contact, document, person) == expected


COMPANY_ADDRESS = Address("Kerkstraat 1", "9000", "Gent")
PERSON_ADDRESS = Address("Stationsstraat 5", "2000", "Antwerpen")


@pytest.mark.parametrize(
    ("person", "expected"),
    [
        (None, COMPANY_ADDRESS),
        (ContactPerson(name="p"), COMPANY_ADDRESS),
        (ContactPerson(name="p", address=PERSON_ADDRESS), PERSON_ADDRESS),
        (ContactPerson(name="p", address=Address(country="NL")), COMPANY_ADDRESS),
    ],
)
def test_document_address(person, expected):
    """A contact person's filled-in address overrides the company's on documents."""
    assert document_address(Contact(name="c", address=COMPANY_ADDRESS), person) == expected


def test_custom_fields_on_documents():
    """Only custom fields marked for documents and filled in are printed, in definition order."""
    defs = (CustomFieldDef("site", "Werf", on_documents=True), CustomFieldDef("secret", "Intern"),
            CustomFieldDef("po", "Bestelbon", on_documents=True), CustomFieldDef("empty", "Leeg", on_documents=True))
    contact = Contact(name="c", custom=(("po", "PO-7"), ("secret", "x"), ("site", "Gent"), ("empty", "")))
    assert custom_fields_on_documents(contact, defs) == [("Werf", "Gent"), ("Bestelbon", "PO-7")]


def test_moment_and_custom_lookup():
    """Moments and custom values are looked up by kind and key."""
    meeting = Moment(TODAY, dt.time(14, 30), "ter plaatse")
    contact = Contact(name="c", moments=((MomentKind.APPOINTMENT, meeting),), custom=(("k", 1),))
    assert contact.moment(MomentKind.APPOINTMENT) == meeting
    assert contact.moment(MomentKind.SOLD) is None
    assert (contact.custom_value("k"), contact.custom_value("nope")) == (1, None)


NOW = dt.datetime(2026, 11, 23, 9, 0)


def _with(kind, date, time=None):
    return Contact(name=f"{kind}-{date}-{time}", moments=((kind, Moment(date, time)),))


@pytest.mark.parametrize(
    ("contact", "due"),
    [
        (_with(MomentKind.APPOINTMENT, dt.date(2026, 11, 23), dt.time(14, 30)), True),
        (_with(MomentKind.CALL_BACK, dt.date(2026, 11, 24)), True),
        (_with(MomentKind.APPOINTMENT, dt.date(2026, 11, 23), dt.time(8, 59)), False),
        (_with(MomentKind.APPOINTMENT, dt.date(2026, 11, 24), dt.time(9, 1)), False),
        (_with(MomentKind.FIRST_CONTACT, dt.date(2026, 11, 23), dt.time(10, 0)), False),
        (_with(MomentKind.SOLD, dt.date(2026, 11, 23), dt.time(10, 0)), False),
    ],
)
def test_due_reminders(contact, due):
    """Appointments and call-backs in the next window are due; other moments never are."""
    assert bool(due_reminders([contact], NOW, dt.timedelta(days=1))) is due


def test_due_reminders_order_and_tz():
    """Reminders come soonest first; an aware `now` is refused."""
    late = _with(MomentKind.APPOINTMENT, dt.date(2026, 11, 23), dt.time(16, 0))
    early = _with(MomentKind.CALL_BACK, dt.date(2026, 11, 23), dt.time(10, 0))
    assert [c for c, _, _ in due_reminders([late, early], NOW, dt.timedelta(hours=8))] == [early, late]
    with pytest.raises(InvalidInput):
        due_reminders([late], NOW.replace(tzinfo=dt.UTC), dt.timedelta(hours=1))
