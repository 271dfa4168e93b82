"""A quote made from the contact card (no mail request): on a real SQLite store, rolled back."""

from __future__ import annotations

import datetime as dt

import pytest

from quotemaild.clock import FixedClock
from quotemaild.errors import InvalidInput, NotFound
from quotemaild.services import contacts
from quotemaild.services.contact_quotes import MADE_FROM_CARD, quote_for_contact
from quotemaild.services.quote_send import send_quote
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store.models import Message, OutboxMessage, Quote, QuoteRequest, TimelineEvent
from tests.store.test_services_quotes import ACTOR, SETTINGS


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2027, 1, 12, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
def acme(session, clock):
    return add_tenant(session, NewTenant(name="Acme", slug="acme"), clock)


def test_a_quote_for_a_contact_gets_a_request_made_by_hand_and_is_sent_like_any_other(session, clock, acme):
    card = contacts.add_contact(session, acme, {"name": "Bouw NV", "email": "info@bouw.example",
                                                "language": "fr"}, ACTOR, clock).row
    quote = quote_for_contact(session, acme, card.id, ["Deur;2;450;21"], ACTOR, clock, "example.test")
    request = session.get(QuoteRequest, quote.request_id)
    assert (quote.contact_id, quote.contact_name, quote.language, quote.status) == (card.id, "Bouw NV", "fr", "draft")
    assert (request.contact_id, request.subject, request.status) == (card.id, "Bouw NV", "quote_created")
    (first,) = session.query(Message).filter_by(request_id=request.id).all()
    assert (first.provenance, first.text) == ("manual", MADE_FROM_CARD)
    kinds = [e.kind for e in session.query(TimelineEvent).filter_by(request_id=request.id).order_by(TimelineEvent.id)]
    assert kinds[0] == "request_created" and "quote_created" in kinds
    assert card.active is True  # a worked request activates the prospect

    send_quote(session, SETTINGS, quote.id, ACTOR, clock)
    assert session.get(QuoteRequest, request.id).status == "quote_sent"
    assert session.query(OutboxMessage).filter_by(request_id=request.id).count() == 1


def test_subject_and_note_are_kept(session, clock, acme):
    card = contacts.add_contact(session, acme, {"name": "Claes"}, ACTOR, clock).row
    quote = quote_for_contact(session, acme, card.id, ["Raam;1;300;6"], ACTOR, clock, "example.test",
                              subject="Ramen achterbouw", note="Belde om 9u: 3 ramen")
    request = session.get(QuoteRequest, quote.request_id)
    assert request.subject == "Ramen achterbouw"
    assert session.query(Message).filter_by(request_id=request.id).one().text == "Belde om 9u: 3 ramen"


def test_a_refused_line_leaves_nothing_and_other_tenants_contacts_are_not_found(session, clock, acme):
    card = contacts.add_contact(session, acme, {"name": "Claes"}, ACTOR, clock).row
    session.commit()
    with pytest.raises(InvalidInput) as info:
        quote_for_contact(session, acme, card.id, ["Raam;0;300;21"], ACTOR, clock, "example.test")
    assert (info.value.field, info.value.code) == ("line[1].quantity", "zero_quantity")
    session.rollback()  # as the edge's unit of work does on an error
    assert session.query(QuoteRequest).count() == 0 and session.query(Quote).count() == 0
    other = add_tenant(session, NewTenant(name="Other", slug="other"), clock)
    with pytest.raises(NotFound):
        quote_for_contact(session, other, card.id, ["Raam;1;300;21"], ACTOR, clock, "example.test")
