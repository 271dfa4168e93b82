"""The inbox's counts per status, needing attention and unread stay exact through inserts, status
moves, flags, reads, unread marks and deletes (on SQLite they come from trigger-kept rows)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, insert, update

from quotemaild.clock import SystemClock
from quotemaild.services import inbox
from quotemaild.services.identity import actor_of_user
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.services.users import add_user
from quotemaild.store.models import QuoteRequest, RequestRead, Tenant

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _scanned(s: Any, actor: Any) -> dict[str, int]:
    """The same counts by scanning, as every engine can."""
    stmts = inbox.count_statements(actor)
    counts = {status: 0 for status in inbox.status_counts(s, actor) if status not in ("needs_attention", "unread")}
    counts.update({status: int(n) for status, n in s.execute(stmts["status"])})
    counts["needs_attention"] = int(s.scalar(stmts["needs_attention"]) or 0)
    counts["unread"] = int(s.scalar(stmts["unread"]) or 0)
    return counts


def _request(rid: int, tenant_id: int, status: str, attention: bool = False) -> dict[str, Any]:
    return dict(id=rid, tenant_id=tenant_id, status=status, subject=f"Request {rid}", requester_email="a@b.example",
                requester_name="A", message_count=1, needs_attention=attention, created_at=NOW, updated_at=NOW)


def test_counts_follow_every_kind_of_write(sessions):
    clock = SystemClock()
    with sessions.begin() as s:
        acme = add_tenant(s, NewTenant(name="Acme", slug="acme"), clock)
        other = add_tenant(s, NewTenant(name="Other", slug="other"), clock)
        user = add_user(s, acme, "Ann", "ann@acme.example", "seller", clock)
        actor = actor_of_user(user, acme)
        s.execute(insert(QuoteRequest), [_request(k, acme.id, ("received", "answered", "accepted")[k % 3], k % 4 == 0)
                                         for k in range(1, 31)] + [_request(k, other.id, "received") for k in range(31, 41)])
        s.execute(insert(RequestRead), [dict(user_id=user.id, request_id=k, read_at=NOW) for k in range(1, 31, 2)])
        s.flush()
        assert inbox.status_counts(s, actor) == _scanned(s, actor)
        assert inbox.status_counts(s, actor)["received"] == 10 and inbox.status_counts(s, actor)["unread"] == 15

    with sessions.begin() as s:
        s.execute(update(QuoteRequest).where(QuoteRequest.id.in_([3, 6, 9])).values(status="cancelled"))
        s.execute(update(QuoteRequest).where(QuoteRequest.id == 5).values(needs_attention=True))
        s.execute(update(QuoteRequest).where(QuoteRequest.id == 4).values(needs_attention=False, status="rejected"))
        s.execute(update(QuoteRequest).where(QuoteRequest.id == 7).values(subject="same counts"))
        inbox.mark_unread(s, actor, 1)
        s.execute(delete(QuoteRequest).where(QuoteRequest.id.in_([11, 12])))  # 11's read goes by cascade
        s.flush()
        counts = inbox.status_counts(s, actor)
        assert counts == _scanned(s, actor)
        assert counts["cancelled"] == 3 and counts["unread"] == 28 - 13

    with sessions.begin() as s:  # a deleted tenant takes its requests (and their counts) along
        s.execute(delete(Tenant).where(Tenant.id == other.id))
    with sessions.begin() as s:
        assert inbox.status_counts(s, actor) == _scanned(s, actor)
