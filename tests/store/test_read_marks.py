"""Read marks recorded after the request page: written once, skipped when mail came in since the
page was shown, and "mark as unread" wins over a mark still on its way."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, insert, select

from quotemaild.clock import FixedClock, SystemClock
from quotemaild.edges.http.web.read_marks import ReadMarks
from quotemaild.services import inbox
from quotemaild.services.identity import actor_of_user
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.services.users import add_user
from quotemaild.store.models import Message, QuoteRequest, RequestRead

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
CLOCK = FixedClock(NOW)


def _setup(sessions):  # type: ignore[no-untyped-def]
    with sessions.begin() as s:
        acme = add_tenant(s, NewTenant(name="Acme", slug="acme"), SystemClock())
        actor = actor_of_user(add_user(s, acme, "Ann", "ann@acme.example", "seller", SystemClock()), acme)
        req = QuoteRequest(tenant_id=acme.id, subject="Dak", message_count=1, created_at=NOW, updated_at=NOW)
        s.add(req)
        s.flush()
        s.execute(insert(Message), [dict(tenant_id=acme.id, request_id=req.id, direction="in", message_id="<a@x>",
                                         text="Graag een offerte", created_at=NOW)])
        return acme.id, actor, req.id


def _reads(sessions) -> int:  # type: ignore[no-untyped-def]
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(RequestRead)))


def test_a_deferred_mark_is_written_once(sessions):
    _, actor, rid = _setup(sessions)
    with sessions() as s:
        detail, mark = inbox.open_request_deferred(s, actor, rid)
    assert detail["unread"] is False and mark is not None and mark.newest_message == detail["messages"][-1]["id"]
    with sessions.begin() as s:
        assert inbox.record_read(s, mark, CLOCK) is True
        assert inbox.status_counts(s, actor)["unread"] == 0
    with sessions.begin() as s:
        assert inbox.record_read(s, mark, CLOCK) is False  # twice: still one row
        assert inbox.open_request_deferred(s, actor, rid)[1] is None  # read already: nothing to write
    assert _reads(sessions) == 1


def test_mail_after_the_page_keeps_it_unread(sessions):
    tenant_id, actor, rid = _setup(sessions)
    with sessions() as s:
        _, mark = inbox.open_request_deferred(s, actor, rid)
    with sessions.begin() as s:  # the customer writes again before the mark is written
        s.execute(insert(Message), [dict(tenant_id=tenant_id, request_id=rid, direction="in", message_id="<b@x>",
                                         text="Nog een vraag", created_at=NOW)])
    with sessions.begin() as s:
        assert inbox.record_read(s, mark, CLOCK) is False
        assert inbox.status_counts(s, actor)["unread"] == 1


def test_mark_as_unread_wins_over_a_pending_mark(sessions):
    _, actor, rid = _setup(sessions)
    marks = ReadMarks()
    with sessions() as s:
        _, mark = inbox.open_request_deferred(s, actor, rid)
    ticket = marks.schedule(mark)
    marks.cancel(actor.user_id, rid)  # the seller clicked "mark as unread" before it was written
    with sessions.begin() as s:
        inbox.mark_unread(s, actor, rid)
    assert marks.record(sessions, CLOCK, mark, ticket) is False and _reads(sessions) == 0
    newer = marks.schedule(mark)  # opened twice: only the latest mark is written
    assert marks.record(sessions, CLOCK, mark, ticket) is False
    assert marks.record(sessions, CLOCK, mark, newer) is True and _reads(sessions) == 1
    assert marks.pending() == 0
