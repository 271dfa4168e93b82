"""Quotes as managed documents on a real SQLite store (each test rolled back, fixed clock): draft
edits, new versions, duplicates, deleting drafts, expiry, the list filters, and the request's
status following its quotes."""

from __future__ import annotations

import datetime as dt

import pytest

from quotemaild.clock import FixedClock
from quotemaild.errors import InvalidInput, NotFound, StatusConflict
from quotemaild.services import contacts, quote_manage as qm, request_contacts, requests
from quotemaild.services.quote_send import send_quote
from quotemaild.services.quotes import create_quote, decide_quote, quote_lines, quote_view
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store.models import Quote, TimelineEvent
from tests.store.test_services_quotes import ACTOR, SETTINGS


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
def acme(session, clock):
    tenant = add_tenant(session, NewTenant(name="Acme", slug="acme"), clock)
    contact = contacts.add_contact(session, tenant, {"name": "Klant BV", "emails": ["k@example.org"]}, ACTOR,
                                   clock).row
    req = request_contacts.create_manual(session, tenant, subject="Ramen", body="12 ramen", contact_id=contact.id,
                                         customer_name=None, actor=ACTOR, clock=clock, domain="example.test")
    return tenant, contact, req


def kinds(session, request_id):
    return [e.kind for e in session.query(TimelineEvent).filter_by(request_id=request_id).order_by(TimelineEvent.id)]


def descriptions(session, quote_id):
    return [r.description for r in quote_lines(session, quote_id)]


def test_draft_lines_are_added_changed_moved_and_removed_with_totals(session, clock, acme):
    """Each edit of a draft rewrites positions 1..n and the totals, with a quote_edited entry."""
    _, _, req = acme
    quote = create_quote(session, req.id, ["A;1;100;21", "B;2;10;21"], ACTOR, clock)
    qm.add_line(session, quote.id, "C;1;50;6", ACTOR, clock)
    qm.add_line(session, quote.id, "Z;1;1;21", ACTOR, clock, at=1)
    assert descriptions(session, quote.id) == ["Z", "A", "B", "C"]
    qm.change_line(session, quote.id, 3, "B2;3;10;21", ACTOR, clock)
    qm.reorder_line(session, quote.id, 1, 4, ACTOR, clock)
    assert descriptions(session, quote.id) == ["A", "B2", "C", "Z"]
    qm.delete_line(session, quote.id, 4, ACTOR, clock)
    assert [r.position for r in quote_lines(session, quote.id)] == [1, 2, 3]
    # 100 + 30 at 21 % = 130 + 27.30; 50 at 6 % = 53
    assert (quote.total_excl, quote.total_incl) == ("180.00", "210.30")
    assert kinds(session, req.id).count("quote_edited") == 5
    with pytest.raises(InvalidInput) as info:
        qm.change_line(session, quote.id, 9, "X;1;1;21", ACTOR, clock)
    assert info.value.field == "position"
    qm.set_notes(session, quote.id, "Levering in week 12", ACTOR, clock)
    qm.set_validity(session, quote.id, ACTOR, clock, days=14)
    assert quote.valid_until == dt.date(2026, 3, 16)
    qm.set_validity(session, quote.id, ACTOR, clock, until="2026-04-01")
    with pytest.raises(InvalidInput, match="before the issue date"):
        qm.set_validity(session, quote.id, ACTOR, clock, until="2026-01-01")
    assert quote_view(session, quote)["notes"] == "Levering in week 12"


def test_a_sent_quote_is_not_edited_but_gets_a_new_version(session, clock, acme):
    """A sent quote refuses edits; new-version makes OF-..-2 as a draft, the old one superseded and kept."""
    _, _, req = acme
    quote = create_quote(session, req.id, ["A;1;100;21"], ACTOR, clock)
    with pytest.raises(InvalidInput, match="edit a draft"):
        qm.new_version(session, quote.id, ACTOR, clock)
    send_quote(session, SETTINGS, quote.id, ACTOR, clock)
    sent_pdf = quote.pdf
    with pytest.raises(InvalidInput, match="only a draft is edited"):
        qm.add_line(session, quote.id, "B;1;1;21", ACTOR, clock)
    clock.advance(days=3)
    v2 = qm.new_version(session, quote.id, ACTOR, clock)
    assert (v2.number, v2.version, v2.previous_id, v2.status) == ("OF-2026-0001-2", 2, quote.id, "draft")
    assert v2.issue_date == dt.date(2026, 3, 5) and v2.valid_until == dt.date(2026, 4, 4)
    assert (quote.status, quote.pdf) == ("superseded", sent_pdf)
    assert req.status == "quote_created"  # the request follows the new draft
    qm.add_line(session, v2.id, "B;1;1;21", ACTOR, clock)
    send_quote(session, SETTINGS, v2.id, ACTOR, clock)
    v3 = qm.new_version(session, v2.id, ACTOR, clock)
    assert v3.number == "OF-2026-0001-3"
    # The next new quote still counts on from the first number, not from its versions.
    assert create_quote(session, req.id, ["X;1;1;21"], ACTOR, clock).number == "OF-2026-0002"
    assert {"quote_superseded", "quote_sent", "quote_edited"} <= set(kinds(session, req.id))


def test_deleting_a_draft_version_restores_the_one_it_replaced(session, clock, acme):
    """Deleting draft v2 makes v1 sent again and the request quote_sent again."""
    _, _, req = acme
    quote = create_quote(session, req.id, ["A;1;100;21"], ACTOR, clock)
    send_quote(session, SETTINGS, quote.id, ACTOR, clock)
    v2 = qm.new_version(session, quote.id, ACTOR, clock)
    assert req.status == "quote_created"
    detail = qm.delete_draft(session, v2.id, ACTOR, clock)
    assert detail["restored"] == quote.number and quote.status == "sent" and req.status == "quote_sent"
    with pytest.raises(InvalidInput, match="only a draft can be deleted"):
        qm.delete_draft(session, quote.id, ACTOR, clock)


def test_deleting_the_only_draft_moves_the_request_back(session, clock, acme):
    """With its only draft deleted the request is `received` again (no reply was sent), on the timeline."""
    _, _, req = acme
    quote = create_quote(session, req.id, ["A;1;100;21"], ACTOR, clock)
    qm.delete_draft(session, quote.id, ACTOR, clock)
    assert session.get(Quote, quote.id) is None and req.status == "received"
    assert kinds(session, req.id)[-2:] == ["quote_deleted", "status_changed"]


def test_duplicate_gets_the_next_number_and_a_new_draft(session, clock, acme):
    """A duplicate of an accepted quote is a draft with the next number; the request may stay accepted."""
    tenant, contact, req = acme
    quote = create_quote(session, req.id, ["A;1;100;21", "B;1;5;6"], ACTOR, clock)
    qm.set_notes(session, quote.id, "n", ACTOR, clock)
    decide_quote(session, quote.id, "accept", ACTOR, clock)
    copy = qm.duplicate(session, quote.id, ACTOR, clock)
    assert (copy.number, copy.status, copy.notes, copy.total_incl) == ("OF-2026-0002", "draft", "n",
                                                                      quote.total_incl)
    assert descriptions(session, copy.id) == ["A", "B"]
    assert req.status == "accepted"  # an accepted quote still allows it
    other = request_contacts.create_manual(session, tenant, subject="Deur", body="1 deur", contact_id=contact.id,
                                           customer_name=None, actor=ACTOR, clock=clock, domain="example.test")
    moved = qm.duplicate(session, quote.id, ACTOR, clock, request_id=other.id)
    assert moved.request_id == other.id and other.status == "quote_created"
    stranger = add_tenant(session, NewTenant(name="Other", slug="other"), clock)
    foreign = request_contacts.create_manual(session, stranger, subject="X", body="x", contact_id=None,
                                             customer_name="X", actor=ACTOR, clock=clock, domain="example.test")
    with pytest.raises(NotFound):
        qm.duplicate(session, quote.id, ACTOR, clock, request_id=foreign.id)


def test_sent_quotes_expire_after_their_validity(session, clock, acme):
    """A sent quote past its last valid day becomes expired (timeline), can't be sent again, can get a new version."""
    _, _, req = acme
    quote = create_quote(session, req.id, ["A;1;100;21"], ACTOR, clock)
    draft = create_quote(session, req.id, ["B;1;100;21"], ACTOR, clock)
    send_quote(session, SETTINGS, quote.id, ACTOR, clock)
    clock.advance(days=30)
    assert qm.expire_due(session, clock) == []  # the last valid day
    clock.advance(days=1)
    assert qm.expire_due(session, clock) == [quote]
    assert (quote.status, draft.status, req.status) == ("expired", "draft", "quote_sent")
    assert "quote_expired" in kinds(session, req.id)
    with pytest.raises(InvalidInput, match="cannot send"):
        send_quote(session, SETTINGS, quote.id, ACTOR, clock)
    assert qm.new_version(session, quote.id, ACTOR, clock).number == "OF-2026-0001-2"


def test_list_filters(session, clock, acme):
    """list_quotes filters on tenant, request, contact, state, a part of the number and the issue dates."""
    tenant, contact, req = acme
    first = create_quote(session, req.id, ["A;1;100;21"], ACTOR, clock)
    clock.advance(days=10)
    second = create_quote(session, req.id, ["A;1;100;21"], ACTOR, clock)
    send_quote(session, SETTINGS, second.id, ACTOR, clock)

    def ids(**kw):
        return [q.id for q in qm.list_quotes(session, qm.QuoteFilter(**kw))]

    assert ids(tenant_id=tenant.id) == [second.id, first.id]
    assert ids(state="sent") == [second.id]
    assert ids(number="0001") == [first.id]
    assert ids(contact_id=contact.id, request_id=req.id) == [second.id, first.id]
    assert ids(issued_from=dt.date(2026, 3, 5)) == [second.id]
    assert ids(issued_to=dt.date(2026, 3, 5)) == [first.id]
    assert ids(tenant_id=tenant.id + 99) == []
    with pytest.raises(InvalidInput):
        ids(state="lost")
    with pytest.raises(InvalidInput):
        ids(issued_from=dt.date(2026, 4, 1), issued_to=dt.date(2026, 3, 1))


def test_set_status_conflict_is_its_own_error(session, clock, acme):
    """The contradiction is a StatusConflict (HTTP 409), still an InvalidInput (CLI exit 4)."""
    _, _, req = acme
    create_quote(session, req.id, ["A;1;100;21"], ACTOR, clock)
    with pytest.raises(StatusConflict) as info:
        requests.set_status(session, req.id, "accepted", ACTOR, clock)
    assert isinstance(info.value, InvalidInput) and info.value.status == "accepted"
    assert req.status == "quote_created"


def test_quote_mail_carries_the_signature_in_the_quote_language(session, clock, acme):
    """The tenant's e-mail signature for the quote's language closes the quote mail instead of the
    default sign-off; the quote goes to the card's alternative address for quotes."""
    from quotemaild.services.tenant_profile import update_profile
    from quotemaild.store.models import Message, OutboxMessage

    tenant, contact, req = acme
    contact.document_emails = {"quote": "offertes@klant.example"}
    update_profile(session, "acme", {"signature": {"nl": "Els Janssens\nVerkoop Acme", "fr": "Els (FR)"}})
    quote = create_quote(session, req.id, ["A;1;100;21"], ACTOR, clock)
    queued = send_quote(session, SETTINGS, quote.id, ACTOR, clock)
    text = session.get(Message, queued.message_pk).text
    assert text.rstrip().endswith("Els Janssens\nVerkoop Acme") and "Els (FR)" not in text
    assert session.get(OutboxMessage, queued.outbox_id).rcpt_to == ["offertes@klant.example"]
