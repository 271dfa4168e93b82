"""Workflow services on a real SQLite store, each test in its own transaction that is rolled
back (the services never commit), with a fixed clock."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from quotemaild.clock import FixedClock
from quotemaild.errors import InvalidInput, InvalidTransition, NotFound
from quotemaild.services import contacts, invoices, merge, request_contacts, requests, users
from quotemaild.services.contacts_io import import_contacts
from quotemaild.services.tenants import NewTenant, TenantUpdate, add_tenant, update_tenant
from quotemaild.store.models import (
    AuditRecord,
    Contact,
    Message,
    QuoteRequest,
    RawMessage,
    TimelineEvent,
)

ACTOR = "jan@acme.be"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 12, 31, 12, 0, tzinfo=dt.UTC))


@pytest.fixture
def acme(session, clock):
    return add_tenant(session, NewTenant(name="Acme", slug="acme"), clock)


def manual(session, tenant, clock, **kw) -> QuoteRequest:
    args = {"subject": "Ramen", "body": "12 ramen", "contact_id": None, "customer_name": "Klant"} | kw
    return request_contacts.create_manual(session, tenant, actor=ACTOR, clock=clock, domain="example.test", **args)


def timeline(session, request_id: int) -> list[TimelineEvent]:
    return list(session.scalars(select(TimelineEvent).where(TimelineEvent.request_id == request_id)
                                .order_by(TimelineEvent.id)))


def test_apply_event_records_only_real_changes(session, acme, clock):
    """A reply on a received request answers it (one entry); another reply changes nothing."""
    req = manual(session, acme, clock)
    assert requests.apply_event(session, req, "reply_sent", ACTOR, clock) == "answered"
    assert requests.apply_event(session, req, "reply_sent", ACTOR, clock) == "answered"
    changes = [e for e in timeline(session, req.id) if e.kind == "status_changed"]
    assert [(e.detail["from"], e.detail["to"], e.actor, e.at) for e in changes] == [
        ("received", "answered", ACTOR, clock.now())]


def test_cancel_then_reopen_returns_to_the_status_before(session, acme, clock):
    """The status before a cancel is kept; reopening goes back to it and forgets it."""
    req = manual(session, acme, clock)
    requests.apply_event(session, req, "quote_sent", ACTOR, clock)
    requests.set_status(session, req.id, "cancelled", ACTOR, clock)
    assert (req.status, req.previous_status) == ("cancelled", "quote_sent")
    requests.set_status(session, req.id, "quote_sent", ACTOR, clock)
    assert (req.status, req.previous_status) == ("quote_sent", None)
    with pytest.raises(InvalidTransition):
        requests.set_status(session, req.id, "received", ACTOR, clock)


def test_assign_only_users_of_the_same_tenant(session, acme, clock):
    """A user of another tenant cannot be assigned; assigning the same user twice adds nothing."""
    other = add_tenant(session, NewTenant(name="Other", slug="other"), clock)
    users.add_user(session, other, "Vreemd", "x@other.be", "seller", clock)
    users.add_user(session, acme, "Jan", "jan@acme.be", "seller", clock)
    req = manual(session, acme, clock)
    with pytest.raises(NotFound):
        requests.assign(session, req.id, "x@other.be", ACTOR, clock)
    requests.assign(session, req.id, "jan@acme.be", ACTOR, clock)
    requests.assign(session, req.id, "JAN@acme.be", ACTOR, clock)
    assert [e.kind for e in timeline(session, req.id)].count("assigned") == 1


def test_customer_numbers_restart_every_year(session, acme, clock):
    """The sequence is per year of the format: 2026 ends at 0002, 2027 starts at 0001 again."""
    ids = [contacts.add_contact(session, acme, {"name": n}, ACTOR, clock).row.id for n in "ABC"]
    assert contacts.convert_contact(session, ids[0], ACTOR, clock).number == "C20260001"
    assert contacts.convert_contact(session, ids[1], ACTOR, clock).number == "C20260002"
    clock.advance(days=1)
    assert contacts.convert_contact(session, ids[2], ACTOR, clock).number == "C20270001"
    update_tenant(session, "acme", TenantUpdate(customer_number_format="K-{seq}"))
    assert contacts.next_customer_number(session, acme, clock) == "K-1"


def test_invoice_for_a_customer_without_number_gives_one_without_converting(session, acme, clock):
    """An imported customer without a number gets one on its first invoice; it was no prospect."""
    row = contacts.add_contact(session, acme, {"name": "A", "kind": "customer"}, ACTOR, clock).row
    row.number = None
    out = invoices.record_invoice(session, row.id, "F1", "10", ACTOR, clock)
    assert (out.converted, out.contact.number, str(out.revenue)) == (False, "C20260001", "10.00")


def test_update_cannot_change_the_kind(session, acme, clock):
    """Kind changes go through convert or invoiced, never a plain edit."""
    row = contacts.add_contact(session, acme, {"name": "A"}, ACTOR, clock).row
    with pytest.raises(InvalidInput, match="convert"):
        contacts.update_contact(session, row.id, {"kind": "customer"}, ACTOR, clock)


def test_merge_moves_requests_and_deletes_the_source(session, acme, clock):
    """After a merge the source is gone, its requests are the target's, an audit record remains."""
    source = contacts.add_contact(session, acme, {"name": "Bron", "phone": "0475 11 22 33"}, ACTOR, clock).row
    target = contacts.add_contact(session, acme, {"name": "Doel"}, ACTOR, clock).row
    source_id, target_id = source.id, target.id
    req = manual(session, acme, clock, contact_id=source_id, customer_name=None)
    plan = merge.merge_contacts(session, source_id, target_id, ACTOR, clock)
    assert plan.not_copied == ("phone",)
    session.expire_all()
    assert session.get(Contact, source_id) is None
    assert session.get(QuoteRequest, req.id).contact_id == target_id
    assert session.get(Contact, target_id).phone == ""
    record = session.scalars(select(AuditRecord).where(AuditRecord.action == "contact.merge")).one()
    assert record.detail["moved"] == {"request": [req.id]}


def test_merge_across_tenants_is_refused(session, acme, clock):
    other = add_tenant(session, NewTenant(name="Other", slug="other"), clock)
    a = contacts.add_contact(session, acme, {"name": "A"}, ACTOR, clock).row
    b = contacts.add_contact(session, other, {"name": "B"}, ACTOR, clock).row
    with pytest.raises(InvalidInput, match="another tenant"):
        merge.merge_contacts(session, a.id, b.id, ACTOR, clock)


def test_delete_request_leaves_other_requests_alone(session, acme, clock):
    """Deleting one request removes its messages only; the other request and its raw copy stay."""
    keep = manual(session, acme, clock, subject="Blijft")
    raw = RawMessage(tenant_id=acme.id, received_at=clock.now(), mail_from="k@example.org", rcpt_to=["acme@x"],
                     size=1, sha256="0" * 64, data=b"x", state="processed", attempts=0)
    session.add(raw)
    session.flush()
    session.scalars(select(Message).where(Message.request_id == keep.id)).one().raw_id = raw.id
    gone = manual(session, acme, clock, subject="Weg")
    detail = requests.delete_request(session, gone.id, ACTOR, clock)
    assert detail["subject"] == "Weg" and detail["raw_ids"] == []
    assert session.get(QuoteRequest, keep.id) is not None
    assert session.get(RawMessage, raw.id) is not None
    assert len(session.scalars(select(Message)).all()) == 1


def test_manual_request_cannot_name_a_contact_of_another_tenant(session, acme, clock):
    other = add_tenant(session, NewTenant(name="Other", slug="other"), clock)
    foreign = contacts.add_contact(session, other, {"name": "B"}, ACTOR, clock).row
    with pytest.raises(NotFound):
        manual(session, acme, clock, contact_id=foreign.id, customer_name=None)


def test_import_refuses_numbers_already_used(session, acme, clock):
    """A customer number in the file that is already stored, or twice in the file, is a row error."""
    contacts.add_contact(session, acme, {"name": "A", "kind": "customer", "number": "C1"}, ACTOR, clock)
    data = "Naam;Klantnummer;Soort\nB;C1;klant\nC;C2;klant\nD;C2;klant\n".encode()
    report = import_contacts(session, acme, data, commit=True, actor=ACTOR, clock=clock)
    assert not report.committed
    assert [(e.row, e.field) for e in report.errors] == [(2, "number"), (4, "number")]
