"""Quote services on a real SQLite store, each test rolled back, with a fixed clock: numbering per
tenant and year, the frozen PDF through a contact merge, and a deleted request."""

from __future__ import annotations

import datetime as dt

import pytest

from quotemaild.clock import FixedClock
from quotemaild.errors import InvalidInput
from quotemaild.mail.tokens import Signer
from quotemaild.services import contacts, merge, request_contacts, requests
from quotemaild.services.quote_send import render_pdf_for, send_quote
from quotemaild.services.quotes import create_quote, decide_quote, get_quote
from quotemaild.services.send import SendSettings
from quotemaild.services.templates import set_template
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store.models import Message, Quote

ACTOR = "jan@acme.be"
SETTINGS = SendSettings("example.test", Signer(b"0123456789abcdef0123", "example.test"), "https://q.example.test")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 12, 31, 12, 0, tzinfo=dt.UTC))


def new_request(session, tenant, clock, contact_id=None):
    return request_contacts.create_manual(session, tenant, subject="Ramen", body="12 ramen", contact_id=contact_id,
                                          customer_name=None if contact_id else "Klant", actor=ACTOR, clock=clock,
                                          domain="example.test")


def test_numbers_are_per_tenant_and_restart_each_year(session, clock):
    """Each tenant starts at 0001; a new year starts again; a custom format is used."""
    acme = add_tenant(session, NewTenant(name="Acme", slug="acme"), clock)
    other = add_tenant(session, NewTenant(name="Other", slug="other"), clock)
    other.quote_number_format = "Q{year}/{seq:03}"
    contact = contacts.add_contact(session, acme, {"name": "Klant", "emails": ["k@example.org"]}, ACTOR, clock).row
    req = new_request(session, acme, clock, contact.id)
    numbers = [create_quote(session, req.id, ["A;1;10;21"], ACTOR, clock).number for _ in range(2)]
    other_contact = contacts.add_contact(session, other, {"name": "K"}, ACTOR, clock).row
    other_req = new_request(session, other, clock, other_contact.id)
    numbers.append(create_quote(session, other_req.id, ["A;1;10;21"], ACTOR, clock).number)
    clock.advance(days=1)
    numbers.append(create_quote(session, req.id, ["A;1;10;21"], ACTOR, clock).number)
    assert numbers == ["OF-2026-0001", "OF-2026-0002", "Q2026/001", "OF-2027-0001"]


def test_empty_vat_takes_the_contact_regime(session, clock):
    """A line without a VAT rate takes the rate of the contact's VAT regime (6 % renovation)."""
    acme = add_tenant(session, NewTenant(name="Acme", slug="acme"), clock)
    contact = contacts.add_contact(session, acme, {"name": "K", "vat_regime": "renovation_6"}, ACTOR, clock).row
    quote = create_quote(session, new_request(session, acme, clock, contact.id).id, ["Werk;1;100;"], ACTOR, clock)
    assert (quote.total_vat, quote.total_incl) == ("6.00", "106.00")


def test_sent_pdf_survives_a_merge_and_card_edits(session, clock):
    """After sending, the stored PDF is returned unchanged; a merge moves the quote to the target only."""
    acme = add_tenant(session, NewTenant(name="Acme", slug="acme"), clock)
    source = contacts.add_contact(session, acme, {"name": "Bron BV", "emails": ["bron@example.org"]}, ACTOR,
                                  clock).row
    target = contacts.add_contact(session, acme, {"name": "Doel NV"}, ACTOR, clock).row
    quote = create_quote(session, new_request(session, acme, clock, source.id).id, ["A;2;10;21"], ACTOR, clock)
    queued = send_quote(session, SETTINGS, quote.id, ACTOR, clock)
    assert queued.outbox_id and quote.status == "sent" and quote.pdf is not None
    sent_pdf = quote.pdf
    merge.merge_contacts(session, source.id, target.id, ACTOR, clock)
    session.expire_all()
    moved = get_quote(session, quote.id)
    assert moved.contact_id == target.id and moved.contact_name == "Bron BV"
    assert render_pdf_for(session, moved, "example.test") == sent_pdf


def test_deleting_the_request_keeps_the_quote(session, clock):
    """A quote is a document of the contact: deleting its request leaves it, without a request."""
    acme = add_tenant(session, NewTenant(name="Acme", slug="acme"), clock)
    contact = contacts.add_contact(session, acme, {"name": "K", "emails": ["k@example.org"]}, ACTOR, clock).row
    req = new_request(session, acme, clock, contact.id)
    quote = create_quote(session, req.id, ["A;1;10;21"], ACTOR, clock)
    requests.delete_request(session, req.id, ACTOR, clock)
    session.expire_all()
    assert session.get(Quote, quote.id).request_id is None
    with pytest.raises(InvalidInput, match="no request"):
        send_quote(session, SETTINGS, quote.id, ACTOR, clock)
    assert decide_quote(session, quote.id, "accept", ACTOR, clock).changed


def test_decision_on_a_cancelled_request_keeps_its_status(session, clock):
    """The customer accepts after the request was cancelled: the quote records it, the request stays cancelled."""
    acme = add_tenant(session, NewTenant(name="Acme", slug="acme"), clock)
    contact = contacts.add_contact(session, acme, {"name": "K", "emails": ["k@example.org"]}, ACTOR, clock).row
    req = new_request(session, acme, clock, contact.id)
    quote = create_quote(session, req.id, ["A;1;10;21"], ACTOR, clock)
    requests.set_status(session, req.id, "cancelled", ACTOR, clock)
    assert decide_quote(session, quote.id, "accept", ACTOR, clock).changed
    assert (quote.status, req.status) == ("accepted", "cancelled")


def test_quote_mail_uses_the_tenant_template_in_the_quote_language(session, clock):
    """A tenant's own quote_send text for the contact's language is used, with the signed links filled in."""
    acme = add_tenant(session, NewTenant(name="Acme", slug="acme"), clock)
    set_template(session, acme, "quote_send", "fr",
                 "Subject: Votre offre {{ quote_number }} ({{ subject }})\n\nTotal {{ quote_total }} -> {{ accept_url }}\n",
                 clock.now())
    contact = contacts.add_contact(session, acme, {"name": "K", "emails": ["k@example.org"], "language": "fr"},
                                   ACTOR, clock).row
    quote = create_quote(session, new_request(session, acme, clock, contact.id).id, ["A;1;1000;21"], ACTOR, clock)
    queued = send_quote(session, SETTINGS, quote.id, ACTOR, clock)
    message = session.get(Message, queued.message_pk)
    assert message.subject == f"Votre offre {quote.number} (Ramen)"
    path = SETTINGS.signer.quote_action_path(acme.id, quote.id, "accept")
    assert message.text == f"Total 1 210,00 € -> https://q.example.test{path}\n"
    assert SETTINGS.signer.verify_quote_action(acme.id, path) is not None
