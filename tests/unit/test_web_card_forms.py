"""The contact card's forms reshaped into update_contact changes (pure, table-driven)."""

from __future__ import annotations

import pytest

from quotemaild.domain.contact_input import parse_contact_input
from quotemaild.domain.contacts import CustomFieldDef, CustomFieldKind
from quotemaild.edges.http.web import card_forms as forms
from quotemaild.errors import InvalidInput

DEFS = (CustomFieldDef("colour", "Kleur"), CustomFieldDef("m2", "Oppervlakte", CustomFieldKind.NUMBER),
        CustomFieldDef("vat_ok", "BTW ok", CustomFieldKind.BOOLEAN))


def test_a_person_form_becomes_a_person_the_domain_accepts():
    person = forms.person_from_form({"name": " Els ", "role": "aankoop", "emails": "els@x.example\n e2@x.example,",
                                     "phone": "09 123 45 67", "city": "Gent", "postal_code": "9000"})
    assert person == {"name": "Els", "role": "aankoop", "emails": ["els@x.example", "e2@x.example"],
                      "phone": "09 123 45 67",
                      "address": {"street": "", "postal_code": "9000", "city": "Gent", "country": ""}}
    contact, _ = parse_contact_input({"name": "Claes", "persons": [person]})
    assert contact.persons[0].address.city == "Gent" and contact.persons[0].address.country == "BE"
    assert forms.person_values({"name": "Els", "emails": ["a@x", "b@x"], "address": {"city": "Gent"}}) == {
        "name": "Els", "role": "", "phone": "", "emails": "a@x\nb@x", "street": "", "postal_code": "",
        "city": "Gent", "country": ""}


@pytest.mark.parametrize(("person_id", "new", "names"), [
    (11, {"name": "X"}, ["X", "B", "C"]),
    (12, None, ["A", "C"]),
    (13, {"name": "Z"}, ["A", "B", "Z"]),
])
def test_replace_person_by_id(person_id, new, names):
    persons = [{"name": "A"}, {"name": "B"}, {"name": "C"}]
    assert [p["name"] for p in forms.replace_person(persons, [11, 12, 13], person_id, new)] == names
    assert [p["name"] for p in persons] == ["A", "B", "C"]  # the input is not changed


def test_replace_person_refuses_an_id_that_is_gone():
    with pytest.raises(InvalidInput) as err:
        forms.replace_person([{"name": "A"}], [11], 99, None)
    assert err.value.field == "person"


def test_moments_empty_clears_and_a_time_without_date_reaches_the_domain():
    changes = forms.moments_from_form({"appointment_date": "2027-01-12", "appointment_time": "14:30",
                                       "call_back_note": "na 17u"})
    assert changes == {"first_contact": "", "appointment": {"date": "2027-01-12", "time": "14:30", "note": ""},
                       "call_back": {"date": "", "time": "", "note": "na 17u"}, "sold": ""}
    with pytest.raises(InvalidInput) as err:
        parse_contact_input({"name": "W", **changes})
    assert err.value.field == "call_back.date"
    assert forms.moment_values({"sold": {"date": "2027-02-01", "time": "", "note": "ok"}})["sold_note"] == "ok"


def test_custom_fields_both_ways():
    changes = forms.custom_from_form({"custom_colour": " antraciet ", "custom_m2": "", "custom_other": "x"}, DEFS)
    assert changes == {"custom": {"colour": "antraciet", "m2": "", "vat_ok": ""}}
    assert forms.custom_values({"colour": "rood", "vat_ok": False}, DEFS) == {"colour": "rood", "m2": "",
                                                                              "vat_ok": "no"}


@pytest.mark.parametrize(("field", "control"), [
    ("persons[0].name", "name"),
    ("persons[2].email[1]", "emails"),
    ("persons[1].email", "emails"),
    ("persons[0].address.postal_code", "postal_code"),
    ("custom.m2", "custom_m2"),
    ("appointment.date", "appointment_date"),
    ("call_back.time", "call_back_time"),
    ("first_contact", "first_contact_date"),
    ("file", "file"),
])
def test_error_field_to_form_control(field, control):
    assert forms.control_for(field) == control


@pytest.mark.parametrize(("country", "name", "address", "expected"), [
    ("BE", "ACME  BV", "Kerkstraat 1\n9000 Gent",
     {"name": "ACME BV", "street": "Kerkstraat 1", "postal_code": "9000", "city": "Gent", "country": "BE"}),
    ("NL", "---", "---", {"country": "NL"}),
    ("FR", "SARL Dupont", "12 RUE DE LA PAIX\nBAT A\n75002 PARIS",
     {"name": "SARL Dupont", "street": "12 RUE DE LA PAIX, BAT A", "postal_code": "75002", "city": "PARIS",
      "country": "FR"}),
    ("EL", "Alpha", "Odos 1", {"name": "Alpha", "street": "Odos 1", "country": "GR"}),
])
def test_a_vies_answer_as_card_fields(country, name, address, expected):
    from quotemaild.services.vies import VatLookupResult, card_fields

    fields = card_fields(VatLookupResult(country, "0477472701", True, name, address, "2026-01-05"))
    assert {k: v for k, v in fields.items() if k != "vat_number"} == expected
