"""Contact input checking: every field, errors naming the field, VAT problems as warnings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from quotemaild.domain.contact_input import check_contact_input, parse_contact_input
from quotemaild.domain.contacts import (
    Address,
    ContactKind,
    ContactType,
    CustomFieldDef,
    CustomFieldKind,
    DocumentType,
    Language,
    MomentKind,
)
from quotemaild.domain.vat import VatRegime, VatWarningCode
from quotemaild.errors import InvalidInput

FULL = {
    "name": "Jansen BV",
    "kind": "Customer",
    "number": "C20260001",
    "emails": ["info@jansen.be", "INFO@jansen.be", "sales@jansen.be"],
    "phone": "+32 9 123 45 67",
    "address": {"street": "Kerkstraat 1", "postal_code": "9000", "city": "Gent"},
    "language": "fr",
    "currency": "eur",
    "vat_number": "0477472701",
    "vat_regime": "renovation_6",
    "payment_term_days": "30",
    "discount_percent": "2,5",
    "quote_email": "offertes@jansen.be",
    "invoice_email": "boekhouding@jansen.be",
    "groups": "Hout; PVC; hout",
    "lead_source": "beurs Brussel",
    "first_contact": "01/10/2026",
    "appointment": {"date": "2026-11-23", "time": "14u30", "note": "ter plaatse"},
    "custom": {"site": "Werf Gent", "floors": "3", "visit": "2026-12-01", "vip": "ja"},
    "internal_note": "betaalt traag\nbellen na 10u",
    "persons": [{"name": "Piet", "email": "piet@jansen.be", "role": "Aankoop",
                 "address": {"street": "Stationsstraat 5", "postal_code": "2000", "city": "Antwerpen"}}],
}
DEFS = (CustomFieldDef("site", "Werf"), CustomFieldDef("floors", "Verdiepingen", CustomFieldKind.NUMBER),
        CustomFieldDef("visit", "Bezoek", CustomFieldKind.DATE),
        CustomFieldDef("vip", "VIP", CustomFieldKind.BOOLEAN))


def test_full_input():
    """Every supported field is read into the Contact value."""
    contact, warnings = parse_contact_input(FULL, custom_fields=DEFS)
    assert warnings == ()
    assert (contact.kind, contact.type, contact.number) == (ContactKind.CUSTOMER, ContactType.COMPANY, "C20260001")
    assert contact.emails == ("info@jansen.be", "sales@jansen.be")
    assert contact.address == Address("Kerkstraat 1", "9000", "Gent", "BE")
    assert (contact.language, contact.currency) == (Language.FR, "EUR")
    assert (contact.vat_number, contact.vat_regime) == ("BE 0477.472.701", VatRegime.RENOVATION_6)
    assert (contact.payment_term_days, contact.discount_percent) == (30, Decimal("2.5"))
    assert dict(contact.document_emails) == {DocumentType.QUOTE: "offertes@jansen.be",
                                             DocumentType.INVOICE: "boekhouding@jansen.be"}
    assert contact.groups == ("Hout", "PVC")
    assert contact.lead_source == "beurs Brussel"
    assert contact.moment(MomentKind.FIRST_CONTACT).date == dt.date(2026, 10, 1)
    appointment = contact.moment(MomentKind.APPOINTMENT)
    assert (appointment.date, appointment.time, appointment.note) == (dt.date(2026, 11, 23), dt.time(14, 30), "ter plaatse")
    assert dict(contact.custom) == {"site": "Werf Gent", "floors": Decimal(3), "visit": dt.date(2026, 12, 1), "vip": True}
    assert contact.internal_note == "betaalt traag\nbellen na 10u"
    (person,) = contact.persons
    assert (person.name, person.emails, person.role, person.address.city) == ("Piet", ("piet@jansen.be",), "Aankoop", "Antwerpen")


@pytest.mark.parametrize(
    ("data", "kind", "type_", "language"),
    [
        ({"name": "Jan Peeters"}, ContactKind.PROSPECT, ContactType.PERSON, Language.NL),
        ({"name": "X", "vat_number": "0477472701"}, ContactKind.PROSPECT, ContactType.COMPANY, Language.NL),
        ({"name": "X", "persons": [{"name": "p"}]}, ContactKind.PROSPECT, ContactType.COMPANY, Language.NL),
        ({"name": "X", "type": "person", "vat_number": "0477472701"}, ContactKind.PROSPECT, ContactType.PERSON, Language.NL),
    ],
)
def test_defaults(data, kind, type_, language):
    """Without kind a contact is a prospect; it is a company when it has a VAT number or persons."""
    contact, _ = parse_contact_input(data)
    assert (contact.kind, contact.type, contact.language) == (kind, type_, language)


def test_default_language_from_tenant():
    """The tenant's language is the default."""
    contact, _ = parse_contact_input({"name": "X"}, default_language="fr")
    assert contact.language is Language.FR


def test_flat_address_fields():
    """Address fields may be given flat (as in a CSV row)."""
    contact, _ = parse_contact_input({"name": "X", "street": "Rue Haute 2", "postal_code": "1000",
                                      "city": "Bruxelles", "country": "be"})
    assert contact.address == Address("Rue Haute 2", "1000", "Bruxelles", "BE")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "name"),
        ({"name": "  "}, "name"),
        ({"name": "X", "nam": "typo"}, "nam"),
        ({"name": "X", "kind": "lead"}, "kind"),
        ({"name": "X", "type": "firm"}, "type"),
        ({"name": "X", "email": "nope"}, "email"),
        ({"name": "X", "emails": ["a@x.be", "nope"]}, "emails[1]"),
        ({"name": "X", "phone": "call me"}, "phone"),
        ({"name": "X", "phone": "12"}, "phone"),
        ({"name": "X", "postal_code": "123"}, "address.postal_code"),
        ({"name": "X", "address": {"country": "Belgium"}}, "address.country"),
        ({"name": "X", "address": "Kerkstraat 1, 9000 Gent"}, "address"),
        ({"name": "X", "persons": [{"name": "p", "address": "Gent"}]}, "persons[0].address"),
        ({"name": "X", "language": "de"}, "language"),
        ({"name": "X", "currency": "E1R"}, "currency"),
        ({"name": "X", "vat_regime": "zero"}, "vat_regime"),
        ({"name": "X", "payment_term_days": "400"}, "payment_term_days"),
        ({"name": "X", "payment_term_days": "1.5"}, "payment_term_days"),
        ({"name": "X", "discount_percent": "101"}, "discount_percent"),
        ({"name": "X", "discount_percent": "1.234"}, "discount_percent"),
        ({"name": "X", "invoice_email": "boekhouding"}, "invoice_email"),
        ({"name": "X", "groups": ["x" * 101]}, "groups"),
        ({"name": "X", "call_back": "tomorrow"}, "call_back"),
        ({"name": "X", "appointment": {"date": "2026-11-23", "time": "25:00"}}, "appointment.time"),
        ({"name": "X", "sold": {"time": "10:00"}}, "sold.date"),
        ({"name": "X", "custom": {"colour": "red"}}, "custom.colour"),
        ({"name": "X", "custom": "red"}, "custom"),
        ({"name": "X", "custom": {"floors": "many"}}, "custom.floors"),
        ({"name": "X", "custom": {"vip": "maybe"}}, "custom.vip"),
        ({"name": "X", "persons": {"name": "p"}}, "persons"),
        ({"name": "X", "persons": [{"name": "p"}, {}]}, "persons[1].name"),
        ({"name": "X", "persons": [{"name": "p", "email": "bad"}]}, "persons[0].email"),
        ({"name": "X", "persons": ["p"]}, "persons[0]"),
        ({"name": "X\r\nBcc: a@b.c"}, "name"),
        ({"name": "X", "internal_note": "a\x00b"}, "internal_note"),
    ],
)
def test_errors_name_the_field(data, field):
    """Each bad value is an error naming its field; parse raises it as InvalidInput."""
    check = check_contact_input(data, custom_fields=DEFS)
    assert check.contact is None
    assert field in [e.field for e in check.errors]
    with pytest.raises(InvalidInput):
        parse_contact_input(data, custom_fields=DEFS)


def test_all_errors_collected():
    """All problems are reported at once, for forms and import dry runs."""
    check = check_contact_input({"email": "x", "phone": "y", "language": "de"})
    assert [e.field for e in check.errors] == ["name", "email", "phone", "language"]


def test_required_custom_field():
    """A required custom field must be filled in."""
    check = check_contact_input({"name": "X"}, custom_fields=(CustomFieldDef("po", "PO", required=True),))
    assert [e.field for e in check.errors] == ["custom.po"]


@pytest.mark.parametrize(
    ("vat", "in_use", "codes"),
    [("0477472702", {}, [VatWarningCode.INVALID_CHECKSUM]),
     ("0477472701", {"BE 0477.472.701": "Peeters"}, [VatWarningCode.ALREADY_USED]),
     ("", {"": "x"}, [])],
)
def test_vat_problems_are_warnings(vat, in_use, codes):
    """VAT problems never block a contact; they come back as warnings."""
    check = check_contact_input({"name": "X", "vat_number": vat}, vat_in_use=in_use)
    assert check.contact is not None and check.errors == ()
    assert [w.code for w in check.warnings] == codes


def test_bad_default_language():
    """A bad tenant default language is reported as an error, not a crash."""
    check = check_contact_input({"name": "X"}, default_language="de")
    assert [e.field for e in check.errors] == ["default_language"]
