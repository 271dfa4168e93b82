"""Contact merge plans: documents move, the target is never filled in, refusals."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from quotemaild.domain.contacts import Address, Contact, ContactKind, ContactPerson
from quotemaild.domain.merge import DocumentKind, DocumentRef, plan_merge
from quotemaild.errors import InvalidInput

SOURCE = Contact(
    name="Jansen (dubbel)", id=2, tenant_id=1, kind=ContactKind.CUSTOMER, number="C20260002",
    emails=("info@jansen.be",), phone="09 123 45 67", address=Address("Kerkstraat 1", "9000", "Gent"),
    discount_percent=Decimal("5"), persons=(ContactPerson(name="Piet"),), revenue=Decimal("100.00"),
)
TARGET = Contact(name="Jansen BV", id=1, tenant_id=1, vat_number="BE 0477.472.701", revenue=Decimal("50.00"))
DOCS = [DocumentRef(DocumentKind.QUOTE, 7), DocumentRef(DocumentKind.REQUEST, 3),
        DocumentRef("note", 9), DocumentRef(DocumentKind.ATTACHMENT, 4), DocumentRef(DocumentKind.REQUEST, 3)]


def test_documents_move_to_target():
    """Every document of the source moves to the target, once each."""
    plan = plan_merge(SOURCE, TARGET, DOCS)
    assert (plan.source_id, plan.target_id, plan.tenant_id) == (2, 1, 1)
    assert plan.moves == (DocumentRef(DocumentKind.ATTACHMENT, 4), DocumentRef(DocumentKind.NOTE, 9),
                          DocumentRef(DocumentKind.QUOTE, 7), DocumentRef(DocumentKind.REQUEST, 3))


def test_target_fields_are_not_filled_even_when_empty():
    """The target's empty phone, e-mail and address stay empty; only revenue follows the invoices."""
    plan = plan_merge(SOURCE, TARGET, DOCS)
    assert plan.target.phone == "" and plan.target.emails == () and plan.target.address.is_empty
    assert plan.target.kind is ContactKind.PROSPECT and plan.target.number == ""
    assert plan.target == Contact(**{**TARGET.__dict__, "revenue": Decimal("150.00")})
    assert plan.revenue_added == Decimal("100.00")


def test_not_copied_lists_what_is_lost():
    """The plan names the source values the empty target fields will not get."""
    plan = plan_merge(SOURCE, TARGET, DOCS)
    assert plan.not_copied == ("number", "emails", "phone", "address", "discount_percent", "persons")
    assert "name" not in plan.not_copied and "language" not in plan.not_copied


def test_warnings():
    """Customer-into-prospect, dropped contact persons and lost values are warned about."""
    warnings = plan_merge(SOURCE, TARGET, DOCS).warnings
    assert any("stays a prospect" in w for w in warnings)
    assert any("contact person" in w for w in warnings)
    assert any(w.startswith("not copied to the target: number") for w in warnings)


def test_nothing_to_warn():
    """Two equally filled contacts merge without warnings."""
    plan = plan_merge(Contact(name="a", id=2, tenant_id=1), Contact(name="b", id=1, tenant_id=1), [])
    assert (plan.moves, plan.not_copied, plan.warnings) == ((), (), ())


def test_audit_detail_is_json_and_keeps_source():
    """The audit record is JSON-able and keeps the deleted card's data."""
    detail = plan_merge(SOURCE, TARGET, DOCS).audit_detail()
    json.dumps(detail)
    assert detail["moved"] == {"attachment": [4], "note": [9], "quote": [7], "request": [3]}
    assert detail["source"]["phone"] == "09 123 45 67"
    assert detail["source"]["address"]["city"] == "Gent"
    assert detail["source"]["persons"][0]["name"] == "Piet"
    assert detail["revenue_added"] == "100.00"


@pytest.mark.parametrize(
    ("source", "target", "field", "problem"),
    [
        (SOURCE, SOURCE, "target", "itself"),
        (SOURCE, Contact(name="x", id=5, tenant_id=2), "target", "another tenant"),
        (Contact(name="x"), TARGET, "source", "stored"),
        (SOURCE, Contact(name="x", tenant_id=1), "target", "stored"),
    ],
)
def test_refused(source, target, field, problem):
    """Merging into itself, across tenants or with an unsaved contact is refused."""
    with pytest.raises(InvalidInput) as info:
        plan_merge(source, target, [])
    assert info.value.field == field and problem in info.value.problem


def test_unknown_document_kind():
    """A document kind outside the known ones is InvalidInput naming `documents`."""
    with pytest.raises(InvalidInput, match="documents"):
        plan_merge(SOURCE, TARGET, [DocumentRef("invoice_pdf", 1)])
