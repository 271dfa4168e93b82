"""The loop breaker on real processing: a sender that keeps mailing trips it, and the count behind
it stops at the limit instead of visiting every mail of a long loop again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from quotemaild.clock import SystemClock
from quotemaild.edges.pipeline import process_one
from quotemaild.mail.ack_policy import LOOP_LIMIT, LOOP_NOTE
from quotemaild.services.acknowledge import sender_facts
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store.models import AckLog, TimelineEvent
from quotemaild.wiring import processing_side
from tests.conftest import DOMAIN, make_mail
from tests.support.raws import add_pending_raw

SENDER = "klant@example.org"


def test_a_looping_sender_trips_the_breaker_and_is_counted_only_up_to_the_limit(config, sessions):
    clock = SystemClock()
    settings, after = processing_side(config, clock)
    with sessions.begin() as s:
        tenant_id = add_tenant(s, NewTenant("Acme", "acme"), clock).id
    for n in range(LOOP_LIMIT + 5):
        with sessions.begin() as s:
            raw_id = add_pending_raw(s, tenant_id, make_mail(sender=SENDER, subject=f"Vraag {n}", message_id=f"<m{n}@example.org>"),
                                     mail_from=SENDER)  # fmt: skip
        assert process_one(sessions, raw_id, settings, clock, after) is not None

    with sessions() as s:
        assert len(s.scalars(select(AckLog).where(AckLog.address == SENDER)).all()) == 1  # the first mail only
        skipped = [e.detail["reasons"] for e in s.scalars(select(TimelineEvent).where(
            TimelineEvent.kind == "acknowledgement_skipped").order_by(TimelineEvent.id))]  # fmt: skip
        notes = [e.detail["body"] for e in s.scalars(select(TimelineEvent).where(TimelineEvent.kind == "note"))]
        # Mail number LOOP_LIMIT + 1 is the first with more than LOOP_LIMIT in the window.
        assert ["loop-breaker" in reasons for reasons in skipped] == [False] * (LOOP_LIMIT - 1) + [True] * 5
        assert notes == [LOOP_NOTE] * 5
        assert sender_facts(s, tenant_id, SENDER, clock.now() + dt.timedelta(seconds=1)).recent_inbound == LOOP_LIMIT + 1
        assert sender_facts(s, tenant_id, "other@" + DOMAIN, clock.now()).recent_inbound == 0


def test_the_sender_facts_read_in_one_statement_are_the_policys_inputs(sessions):
    from quotemaild.store.models import BouncedAddress

    clock = SystemClock()
    now = clock.now()
    with sessions.begin() as s:
        tenant_id = add_tenant(s, NewTenant("Acme", "acme"), clock).id
        other_id = add_tenant(s, NewTenant("Other", "other"), clock).id
        s.add_all([
            AckLog(tenant_id=tenant_id, address=SENDER, at=now - dt.timedelta(hours=25)),  # out of the window
            AckLog(tenant_id=tenant_id, address=SENDER, at=now - dt.timedelta(hours=3)),
            AckLog(tenant_id=tenant_id, address=SENDER, at=now - dt.timedelta(hours=1)),  # the latest that counts
            AckLog(tenant_id=tenant_id, address=SENDER, at=now + dt.timedelta(hours=1)),  # later than now: not
            AckLog(tenant_id=tenant_id, address="old@example.org", at=now - dt.timedelta(hours=30)),
            BouncedAddress(tenant_id=other_id, address=SENDER, at=now),  # another tenant's bounce
            BouncedAddress(tenant_id=tenant_id, address="gone@example.org", at=now),
        ])  # fmt: skip
    with sessions() as s:
        facts = sender_facts(s, tenant_id, SENDER, now)
        assert (facts.hard_bounced, facts.last_ack, facts.recent_inbound) == (False, now - dt.timedelta(hours=1), 0)
        assert sender_facts(s, tenant_id, "old@example.org", now).last_ack is None
        assert sender_facts(s, tenant_id, "gone@example.org", now).hard_bounced is True
        assert sender_facts(s, other_id, SENDER, now).hard_bounced is True
        assert sender_facts(s, other_id, SENDER, now).last_ack is None


def test_the_acknowledgement_decides_on_what_the_request_was_opened_with(config, sessions):
    """No read of the request just written when the policy says no; what the result carries is
    what the row holds (subject cut to its column, the requester's address and name)."""
    from sqlalchemy import event

    from quotemaild.edges.pipeline import Outcome, Steps, process_batch
    from quotemaild.store.models import QuoteRequest

    clock = SystemClock()
    settings, after = processing_side(config, clock)
    with sessions.begin() as s:
        tenant_id = add_tenant(s, NewTenant("Acme", "acme"), clock).id
        ids = [add_pending_raw(s, tenant_id, make_mail(sender=SENDER, subject=f"Vraag {n} " + "x" * 1200,
                                                       message_id=f"<o{n}@example.org>"), mail_from=SENDER)
               for n in range(3)]  # fmt: skip
    request_reads: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.startswith("SELECT") and "FROM quote_requests" in statement:
            request_reads.append(statement)

    engine = sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        done = process_batch(sessions, ids, Steps(settings, clock, after))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert [d.outcome for d in done] == [Outcome.PROCESSED] * 3
    assert [d.queued_mail for d in done] == [True, False, False]  # the first is acknowledged (it reads its row)
    assert len(request_reads) == 1
    with sessions() as s:
        rows = {r.id: r for r in s.scalars(select(QuoteRequest))}
        for d in done:
            assert d.result is not None and d.result.opened is not None
            row = rows[d.result.request_id]
            assert (d.result.opened.subject, d.result.opened.requester_email, d.result.opened.requester_name) == (
                row.subject, row.requester_email, row.requester_name)
            assert len(row.subject) == 998
        skipped = s.scalars(select(TimelineEvent.request_id).where(TimelineEvent.kind == "acknowledgement_skipped")).all()
        assert sorted(skipped) == sorted(d.result.request_id for d in done[1:] if d.result)
