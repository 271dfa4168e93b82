"""Without a smarthost, replies and quote mails wait in the outbox and the workflow waits with them:
the request stays `received`, the quote shows `queued`, the timeline says why; the move happens
when the delivery worker records the smarthost's 250 (`held.release`)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from quotemaild.clock import FixedClock
from quotemaild.services import contacts, request_contacts
from quotemaild.services.held import release
from quotemaild.services.outbox import record_sent
from quotemaild.services.quote_send import send_quote
from quotemaild.services.quotes import create_quote, decide_quote
from quotemaild.services.reply import reply_to_request
from quotemaild.services.send import NOT_SENT
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store.models import OutboxMessage, QuoteRequest, TimelineEvent
from tests.store.test_services_quotes import ACTOR, SETTINGS

HELD = dataclasses.replace(SETTINGS, can_send=False)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC))


def _request(session, clock) -> QuoteRequest:
    acme = add_tenant(session, NewTenant(name="Acme", slug="acme"), clock)
    contact = contacts.add_contact(session, acme, {"name": "Klant", "emails": ["k@example.org"]}, ACTOR, clock).row
    req = request_contacts.create_manual(session, acme, subject="Ramen", body="12 ramen", contact_id=contact.id,
                                         customer_name=None, actor=ACTOR, clock=clock, domain="example.test")
    req.requester_email = req.requester_email or "k@example.org"
    return req


def _kinds(session, request_id):
    return [(e.kind, e.detail) for e in session.scalars(
        select(TimelineEvent).where(TimelineEvent.request_id == request_id).order_by(TimelineEvent.id))]


def _leave(session, outbox_id, clock):
    clock.advance(minutes=5)
    record_sent(session, outbox_id, "250 2.0.0 Ok: queued as ABCDEF123", clock.now())
    return release(session, outbox_id, clock.now())


def test_reply_without_smarthost_keeps_received_until_the_mail_left(session, clock):
    req = _request(session, clock)
    queued = reply_to_request(session, HELD, req.id, "Prijs volgt.", [], ACTOR, clock)
    assert queued.held == NOT_SENT == "no smarthost configured"
    assert req.status == "received"
    queued_event = [d for k, d in _kinds(session, req.id) if k == "reply_queued"]
    assert queued_event and queued_event[0]["not_sent"] == "no smarthost configured"
    assert "status_changed" not in [k for k, _ in _kinds(session, req.id)]
    assert _leave(session, queued.outbox_id, clock) == "reply_sent"
    assert req.status == "answered"
    (changed,) = [d for k, d in _kinds(session, req.id) if k == "status_changed"]
    assert changed["to"] == "answered"
    assert session.get(OutboxMessage, queued.outbox_id).on_sent is None
    assert release(session, queued.outbox_id, clock.now()) is None  # applied once


def test_reply_with_smarthost_moves_at_once_and_holds_nothing(session, clock):
    req = _request(session, clock)
    queued = reply_to_request(session, SETTINGS, req.id, "Prijs volgt.", [], ACTOR, clock)
    assert queued.held is None and req.status == "answered"
    assert session.get(OutboxMessage, queued.outbox_id).on_sent is None
    assert _leave(session, queued.outbox_id, clock) is None


def test_quote_without_smarthost_shows_queued_until_sent(session, clock):
    req = _request(session, clock)
    quote = create_quote(session, req.id, ["Ramen;12;450;21"], ACTOR, clock)
    queued = send_quote(session, HELD, quote.id, ACTOR, clock, to="k@example.org")
    assert queued.held == NOT_SENT
    assert quote.status == "queued" and quote.sent_at is None and quote.pdf is not None
    assert req.status == "quote_created"
    assert "quote_sent" not in [k for k, _ in _kinds(session, req.id)]
    assert _leave(session, queued.outbox_id, clock) == "quote_sent"
    assert quote.status == "sent" and quote.sent_at == clock.now()
    assert req.status == "quote_sent"
    (sent,) = [d for k, d in _kinds(session, req.id) if k == "quote_sent"]
    assert sent["outbox"] == queued.outbox_id and sent["to"] == "k@example.org"


def test_quote_decided_before_its_mail_left_is_not_moved_back(session, clock):
    req = _request(session, clock)
    quote = create_quote(session, req.id, ["Ramen;12;450;21"], ACTOR, clock)
    queued = send_quote(session, HELD, quote.id, ACTOR, clock, to="k@example.org")
    decide_quote(session, quote.id, "accept", ACTOR, clock)  # the customer phoned
    assert quote.status == "accepted" and req.status == "accepted"
    assert _leave(session, queued.outbox_id, clock) is None
    assert quote.status == "accepted" and req.status == "accepted"


async def test_the_delivery_worker_releases_the_held_move(sessions, clock, tmp_path):
    """A reply queued without a smarthost, delivered later by the worker: the request moves then."""
    from quotemaild.config import config_from_dict
    from quotemaild.edges.outbound import OutboxWorker
    from tests.conftest import config_dict
    from tests.support.smtp_capture import CaptureServer

    with sessions.begin() as s:
        req = _request(s, clock)
        queued = reply_to_request(s, HELD, req.id, "Prijs volgt.", [], ACTOR, clock)
        rid = req.id
    with CaptureServer() as smarthost:
        cfg = config_from_dict(config_dict(tmp_path, outbound={"smarthost": f"127.0.0.1:{smarthost.port}"})).outbound
        worker = OutboxWorker(sessions, cfg, clock)
        assert await worker.run_once() == 1
        assert len(smarthost.messages) == 1
    with sessions() as s:
        assert s.get(QuoteRequest, rid).status == "answered"
        assert s.get(OutboxMessage, queued.outbox_id).state == "sent"
