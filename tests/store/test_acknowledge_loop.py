"""The loop breaker on real processing: a sender that keeps mailing trips it, and the count behind
it stops at the limit instead of visiting every mail of a long loop again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from quotemaild.clock import SystemClock
from quotemaild.edges.pipeline import process_one
from quotemaild.mail.ack_policy import LOOP_LIMIT, LOOP_NOTE
from quotemaild.services.acknowledge import _recent_inbound
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
        assert _recent_inbound(s, tenant_id, SENDER, clock.now() + dt.timedelta(seconds=1)) == LOOP_LIMIT + 1
        assert _recent_inbound(s, tenant_id, "other@" + DOMAIN, clock.now()) == 0
