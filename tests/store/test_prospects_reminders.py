"""Prospect activity and reminders on a real SQLite store (rolled back, fixed clock)."""

from __future__ import annotations

import datetime as dt

import pytest

from quotemaild.clock import FixedClock
from quotemaild.services import contacts, request_contacts, requests
from quotemaild.services.quotes import create_quote
from quotemaild.services.reminders import list_reminders, send_due
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.services.users import add_user
from quotemaild.store.models import ChangeEvent, ContactReminder, OutboxMessage, TimelineEvent
from tests.store.test_services_quotes import ACTOR, SETTINGS


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 2, 1, 11, 0, tzinfo=dt.UTC))


@pytest.fixture
def acme(session, clock):
    return add_tenant(session, NewTenant(name="Acme", slug="acme"), clock)


def request_for(session, tenant, clock, contact_id):
    return request_contacts.create_manual(session, tenant, subject="Ramen", body="12 ramen", contact_id=contact_id,
                                          customer_name=None, actor=ACTOR, clock=clock, domain="example.test")


def test_a_worked_request_activates_its_prospect(session, clock, acme):
    """Received: not active; a quote created: active with a timeline entry; a customer is never 'active'."""
    prospect = contacts.add_contact(session, acme, {"name": "Bouw NV"}, ACTOR, clock).row
    customer = contacts.add_contact(session, acme, {"name": "Klant", "kind": "customer"}, ACTOR, clock).row
    req = request_for(session, acme, clock, prospect.id)
    assert prospect.active is False
    ids = lambda **kw: [c.id for c in contacts.list_contacts(session, acme.id, **kw)]  # noqa: E731
    assert ids(active=False) == [prospect.id] and ids(active=True) == []
    create_quote(session, req.id, ["A;1;10;21"], ACTOR, clock)
    assert prospect.active is True
    assert ids(active=True) == [prospect.id] and ids(active=False) == []
    kinds = [e.kind for e in session.query(TimelineEvent).filter_by(request_id=req.id)]
    assert kinds.count("prospect_activated") == 1
    other = request_for(session, acme, clock, customer.id)
    requests.set_status(session, other.id, "cancelled", ACTOR, clock)
    assert customer.active is False


def test_a_cancelled_request_does_not_activate_but_linking_a_worked_one_does(session, clock, acme):
    prospect = contacts.add_contact(session, acme, {"name": "Bouw NV"}, ACTOR, clock).row
    req = request_for(session, acme, clock, prospect.id)
    requests.set_status(session, req.id, "cancelled", ACTOR, clock)
    assert prospect.active is False
    later = contacts.add_contact(session, acme, {"name": "Later BV"}, ACTOR, clock).row
    worked = request_contacts.create_manual(session, acme, subject="Deur", body="1 deur", contact_id=None,
                                            customer_name="Later", actor=ACTOR, clock=clock, domain="example.test")
    requests.set_status(session, worked.id, "answered", ACTOR, clock)
    request_contacts.link_contact(session, worked.id, later.id, ACTOR, clock)
    assert later.active is True


def test_reminders_follow_the_card_and_go_to_the_seller_once(session, clock, acme):
    """Saving the card creates the reminders; due ones are queued once to the seller (the card's own,
    else its request's assignee); a card without either is skipped with the reason; a new date
    makes a sent reminder pending again."""
    add_user(session, acme, "Jan Peeters", "jan@acme.be", "seller", clock)
    card = {"name": "Bouw NV", "appointment": {"date": "2026-02-01", "time": "12:30", "note": "stalen"},
            "call_back": {"date": "2026-02-10", "time": "", "note": ""}}
    contact = contacts.add_contact(session, acme, card, ACTOR, clock).row
    lonely = contacts.add_contact(session, acme, {"name": "Niemand", "call_back": "2026-01-31"}, ACTOR, clock).row
    req = request_for(session, acme, clock, contact.id)
    requests.assign(session, req.id, "jan@acme.be", ACTOR, clock)
    assert [(r["contact_id"], r["kind"], r["state"]) for r in list_reminders(session, acme.id)] == [
        (lonely.id, "call_back", "pending"), (contact.id, "appointment", "pending"),
        (contact.id, "call_back", "pending")]
    # 11:00 UTC: only the call-back of 31 January is due, and nobody sells that card
    assert [(r.contact_id, r.state) for r in send_due(session, SETTINGS, clock)] == [(lonely.id, "skipped")]
    clock.advance(minutes=29)  # 11:29 UTC = 12:29 in Brussels
    assert send_due(session, SETTINGS, clock) == []
    clock.advance(minutes=1)
    assert [(r.kind, r.state) for r in send_due(session, SETTINGS, clock)] == [("appointment", "sent")]
    (event,) = [e for e in session.query(ChangeEvent).filter_by(kind="reminder") if e.data["state"] == "sent"]
    assert (event.request_id, event.data["contact_id"], event.data["seller"]) == (req.id, contact.id, "jan@acme.be")
    assert "stalen" not in str(event.data)  # the note stays behind the API
    states = {(r["contact_id"], r["kind"]): (r["state"], r["recipient"], r["detail"])
              for r in list_reminders(session, acme.id)}
    assert states[(contact.id, "appointment")][:2] == ("sent", "jan@acme.be")
    assert states[(lonely.id, "call_back")][0] == "skipped" and "no seller" in states[(lonely.id, "call_back")][2]
    assert states[(contact.id, "call_back")][0] == "pending"
    outbox = session.query(OutboxMessage).filter_by(kind="reminder").all()
    assert len(outbox) == 1 and outbox[0].rcpt_to == ["jan@acme.be"] and outbox[0].envelope_from == ""
    assert send_due(session, SETTINGS, clock) == []  # once
    contacts.update_contact(session, contact.id, {"internal_note": "x"}, ACTOR, clock)
    assert send_due(session, SETTINGS, clock) == []  # saved again, same date: still sent
    contacts.update_contact(session, contact.id, {"appointment": {"date": "2026-02-01", "time": "12:45"}}, ACTOR,
                            clock)
    row = session.query(ContactReminder).filter_by(contact_id=contact.id, kind="appointment").one()
    assert row.state == "pending"
    clock.advance(minutes=15)
    assert [r.kind for r in send_due(session, SETTINGS, clock)] == ["appointment"]
    contacts.update_contact(session, contact.id, {"call_back": None}, ACTOR, clock)
    assert session.query(ContactReminder).filter_by(contact_id=contact.id, kind="call_back").count() == 0


def test_forgetting_a_card_drops_its_reminders(session, clock, acme):
    """Erasing a person (GDPR) removes its reminders, whose notes name them too."""
    from quotemaild.services.privacy import forget_contact

    contact = contacts.add_contact(session, acme, {"name": "Piet", "appointment": {
        "date": "2026-03-01", "time": "10:00", "note": "Piet belt terug"}}, ACTOR, clock).row
    assert session.query(ContactReminder).filter_by(contact_id=contact.id).count() == 1
    counts = forget_contact(session, contact.id, ACTOR, clock)
    assert session.query(ContactReminder).count() == 0
    assert counts["counts"]["contact_reminders"] == 1


def test_contact_search_finds_contact_persons_by_email_and_name(session, clock, acme):
    """The search the API's and the web's contact list use also reads the contact persons."""
    company = contacts.add_contact(session, acme, {
        "name": "Bouw NV", "persons": [{"name": "Griet Peeters", "email": "griet@bouw.example"}]}, ACTOR, clock).row
    contacts.add_contact(session, acme, {"name": "Ander BV", "email": "info@ander.example"}, ACTOR, clock)
    other = add_tenant(session, NewTenant(name="Other", slug="other"), clock)
    contacts.add_contact(session, other, {"name": "Elders", "persons": [{"name": "Griet", "email": "griet@bouw.example"}]},
                         ACTOR, clock)
    found = lambda text: [c.id for c in contacts.list_contacts(session, acme.id, search=text)]  # noqa: E731
    assert found("griet@bouw") == [company.id]
    assert found("PEETERS") == [company.id]
    assert found("nobody@") == []


def test_group_names_are_the_tenants_distinct_groups_whatever_the_case(session, clock, acme):
    """Unnested by the database on either engine: one spelling per group, sorted, no other tenant's."""
    other = add_tenant(session, NewTenant(name="Other", slug="other"), clock)
    contacts.add_contact(session, acme, {"name": "Een", "groups": ["Dak", "ramen"]}, ACTOR, clock)
    contacts.add_contact(session, acme, {"name": "Twee", "groups": ["dak", "Gevel"]}, ACTOR, clock)
    contacts.add_contact(session, acme, {"name": "Drie"}, ACTOR, clock)
    contacts.add_contact(session, other, {"name": "Vier", "groups": ["Zwembad"]}, ACTOR, clock)
    session.flush()
    assert contacts.group_names(session, acme.id) == ["Dak", "Gevel", "ramen"]
    assert contacts.group_names(session, other.id) == ["Zwembad"]
