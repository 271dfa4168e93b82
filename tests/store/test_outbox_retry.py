"""`outbox retry` and the delivery worker's claims: a row being sent is never made due again.

A claimed row is `queued` with its lease end in `next_attempt_at`, like a row waiting out a
backoff. Before `claimed_until`, retry set `next_attempt_at = now` on it, and a second claim took
the row while the first holder was still talking to the smarthost: the mail left twice.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import FixedClock
from quotemaild.domain.retry import RetryPolicy
from quotemaild.errors import InvalidInput, OutboxBusy
from quotemaild.services.outbox import claim_due, confirm_claim, new_outbox_row, record_failure, record_sent, retry
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store.models import OutboxMessage

NOW = dt.datetime(2026, 12, 7, 10, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=210)
POLICY = RetryPolicy(initial=dt.timedelta(minutes=5), maximum=dt.timedelta(hours=1), give_up_after=dt.timedelta(days=5))


def one_queued(sessions: sessionmaker[Session]) -> int:
    with sessions.begin() as s:
        tenant = add_tenant(s, NewTenant(name="Acme", slug="acme"), FixedClock(NOW))
        row = new_outbox_row(s, tenant.id, None, "ack", ["klant@example.org"], NOW)
        row.envelope_from, row.data = "", b"Subject: x\r\n\r\nx\r\n"
        return row.id


def test_retry_refuses_a_row_a_sender_holds_and_no_second_sender_gets_it(sessions):
    oid = one_queued(sessions)
    with sessions.begin() as s:
        claim = claim_due(s, NOW, LEASE)
    assert [d.id for d in claim.deliveries] == [oid]
    at = NOW + dt.timedelta(seconds=5)
    with sessions.begin() as s:  # the holder is about to talk to the smarthost
        assert confirm_claim(s, oid, claim.until, at, LEASE)
    with sessions.begin() as s, pytest.raises(OutboxBusy) as refused:
        retry(s, oid, at + dt.timedelta(seconds=1))
    assert refused.value.field == "id" and "being sent" in str(refused.value)
    assert isinstance(refused.value, InvalidInput)  # exit code 4 on the CLI
    with sessions.begin() as s:  # another worker's next pass: nothing due, so no second send
        assert claim_due(s, at + dt.timedelta(seconds=2), LEASE).deliveries == []
    with sessions.begin() as s:
        record_sent(s, oid, "250 2.0.0 Ok: queued as ABCDEF123", at + dt.timedelta(seconds=3))
    with sessions.begin() as s, pytest.raises(InvalidInput, match="already sent"):
        retry(s, oid, at + dt.timedelta(seconds=4))


def test_retry_works_again_once_the_attempt_is_recorded(sessions):
    oid = one_queued(sessions)
    with sessions.begin() as s:
        claim_due(s, NOW, LEASE)
    later = NOW + dt.timedelta(seconds=10)
    with sessions.begin() as s:
        assert record_failure(s, oid, True, "451 4.3.0 try later", later, POLICY) == "queued"
    with sessions.begin() as s:  # waiting out the backoff: retry brings it forward
        row = retry(s, oid, later + dt.timedelta(seconds=1))
        assert row.state == "queued" and row.claimed_until is None
        assert row.next_attempt_at == later + dt.timedelta(seconds=1)
    with sessions.begin() as s:
        assert [d.id for d in claim_due(s, later + dt.timedelta(seconds=2), LEASE).deliveries] == [oid]


def test_retry_takes_a_row_whose_holder_died(sessions):
    """A lease that ran out is nobody's: retry makes it due now rather than wait for a poll."""
    oid = one_queued(sessions)
    with sessions.begin() as s:
        claim = claim_due(s, NOW, LEASE)
    after = claim.until + dt.timedelta(seconds=1)
    with sessions.begin() as s:
        assert retry(s, oid, after).claimed_until is None
    with sessions.begin() as s:
        assert not confirm_claim(s, oid, claim.until, after, LEASE)  # the dead holder's claim is gone
    with sessions() as s:
        assert s.get_one(OutboxMessage, oid).state == "queued"
