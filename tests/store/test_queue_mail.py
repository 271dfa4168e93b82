"""queue_mail writes its rows with Core statements: the stored message carries our signed
Message-ID, the outbox row the very bytes composed, the ref and the timeline entry are there,
the request counts the mail (also as seen through the ORM object the caller holds), and the
change feed says message, then timeline, after whatever the caller changed first."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from quotemaild.clock import FixedClock
from quotemaild.mail.addresses import Address
from quotemaild.mail.compose import OutboundAttachment
from quotemaild.services.send import queue_mail
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.services.timeline import record
from quotemaild.store.models import Attachment, ChangeEvent, Message, MessageRef, OutboxMessage, QuoteRequest
from tests.store.test_services_quotes import SETTINGS

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def test_a_queued_mail_and_everything_it_leaves(session):
    tenant = add_tenant(session, NewTenant(name="Acme", slug="acme"), FixedClock(NOW))
    request = QuoteRequest(tenant_id=tenant.id, subject="Ramen", requester_email="k@example.org", message_count=1,
                           created_at=NOW, updated_at=NOW)  # fmt: skip
    session.add(request)
    session.flush()
    first_change = session.scalar(select(ChangeEvent.id).order_by(ChangeEvent.id.desc()).limit(1)) or 0
    # the caller's own change, still in the session: it goes in first
    record(session, request, "note", "jan@acme.test", NOW, body="belt morgen terug")
    later = NOW + dt.timedelta(minutes=3)
    pdf = OutboundAttachment("offerte.pdf", "application/pdf", b"%PDF-1.4 offerte")
    queued = queue_mail(session, SETTINGS, tenant, request, "reply", [Address("k@example.org", "Klant")],
                        "Re: Ramen", "Prijs volgt.\n", later, "jan@acme.test", attachments=[pdf])  # fmt: skip

    message = session.get_one(Message, queued.message_pk)
    own_id = SETTINGS.signer.message_id(tenant.id, request.id, message.id)
    assert (message.direction, message.kind, message.message_id) == ("out", "reply", own_id)
    outbox = session.get_one(OutboxMessage, queued.outbox_id)
    assert (outbox.message_pk, outbox.state, outbox.rcpt_to) == (message.id, "queued", ["k@example.org"])
    assert f"Message-ID: {own_id}".encode() in outbox.data and outbox.envelope_from.startswith("bounce")
    assert outbox.on_sent is None
    assert session.scalar(select(MessageRef.message_pk).where(MessageRef.value == own_id)) == message.id
    [att] = session.scalars(select(Attachment).where(Attachment.message_pk == message.id)).all()
    assert (att.filename, att.data) == ("offerte.pdf", pdf.data)
    assert (request.message_count, request.updated_at) == (2, later)  # read again through the ORM
    kinds = [(c.kind, (c.data or {}).get("entry")) for c in
             session.scalars(select(ChangeEvent).where(ChangeEvent.id > first_change).order_by(ChangeEvent.id))]
    assert kinds == [("note", "note"), ("message", None), ("timeline", "reply_queued")]
