"""Retention: raw bytes of requests closed for more than N days are emptied; rows and sha256 stay."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from quotemaild.clock import FixedClock
from quotemaild.config import RetentionConfig
from quotemaild.edges.pipeline import process_one
from quotemaild.edges.retention import RetentionTask
from quotemaild.services.ingest import IngestSettings
from quotemaild.services.retention import purge_closed_raw
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store import changes, db
from quotemaild.errors import NotFound
from quotemaild.store.models import ChangeEvent, Message, QuoteRequest, RawMessage
from quotemaild.store.queries import raw_bytes
from tests.conftest import DOMAIN, make_mail

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def store(sessions, tenant_id: int, raw: bytes, clock) -> tuple[int, int | None]:
    with sessions.begin() as s:
        row = RawMessage(tenant_id=tenant_id, received_at=clock.now(), channel="smtp", mail_from="k@example.org",
                         rcpt_to=[f"acme@{DOMAIN}"], peer="127.0.0.1:1", helo="x", size=len(raw),
                         sha256=hashlib.sha256(raw).hexdigest(), data=raw, state="pending", attempts=0)
        s.add(row)
        s.flush()
        raw_id = row.id
    result = process_one(sessions, raw_id, IngestSettings(domain=DOMAIN), clock)
    return raw_id, result.request_id if result else None


def set_request(sessions, request_id: int, status: str, updated_days_ago: float) -> None:
    with sessions.begin() as s:
        s.execute(update(QuoteRequest).where(QuoteRequest.id == request_id)
                  .values(status=status, updated_at=NOW - dt.timedelta(days=updated_days_ago)))


def test_purges_only_raw_copies_of_requests_closed_long_enough(sessions):
    """Closed (accepted/rejected/cancelled) > N days: emptied; open, recent or mixed threads: kept."""
    clock = FixedClock(NOW - dt.timedelta(days=100))
    with sessions.begin() as s:
        tenant_id = add_tenant(s, NewTenant(name="Acme", slug="acme"), clock).id
    cases = {}
    for name, status, days in [
        ("accepted_old", "accepted", 40), ("rejected_old", "rejected", 31), ("cancelled_old", "cancelled", 90),
        ("accepted_recent", "accepted", 29), ("received_old", "received", 90), ("quote_sent_old", "quote_sent", 90),
    ]:
        raw_id, request_id = store(sessions, tenant_id, make_mail(subject=name, message_id=f"<{name}@x>"), clock)
        set_request(sessions, request_id, status, days)
        cases[name] = raw_id
    # a thread whose first message is in a closed request and whose reply was threaded into it too
    first, req = store(sessions, tenant_id, make_mail(message_id="<t1@x>"), clock)
    reply, req2 = store(sessions, tenant_id, make_mail(message_id="<t2@x>", extra="In-Reply-To: <t1@x>"), clock)
    assert req2 == req
    set_request(sessions, req, "cancelled", 60)
    cases["thread_1"], cases["thread_2"] = first, reply

    with sessions.begin() as s:
        purged = purge_closed_raw(s, NOW - dt.timedelta(days=30), NOW, limit=100)
    assert sorted(purged) == sorted(cases[k] for k in ("accepted_old", "rejected_old", "cancelled_old", "thread_1", "thread_2"))

    with sessions() as s:
        rows = {r.id: r for r in s.scalars(select(RawMessage).options(selectinload(RawMessage.content)))}
    for name, raw_id in cases.items():
        row = rows[raw_id]
        if raw_id in purged:
            assert row.data == b"" and row.purged_at == NOW
            assert row.size > 0 and len(row.sha256) == 64  # kept: still shown, still deduplicated
        else:
            assert row.data and row.purged_at is None and hashlib.sha256(row.data).hexdigest() == row.sha256, name

    with sessions.begin() as s:  # idempotent
        assert purge_closed_raw(s, NOW - dt.timedelta(days=30), NOW, limit=100) == []


def test_pending_and_unlinked_raw_copies_are_never_purged(sessions):
    """A raw copy not processed yet has no closed request: it stays, whatever its age."""
    clock = FixedClock(NOW - dt.timedelta(days=400))
    with sessions.begin() as s:
        tenant_id = add_tenant(s, NewTenant(name="Acme", slug="acme"), clock).id
        raw = make_mail()
        s.add(RawMessage(tenant_id=tenant_id, received_at=clock.now(), channel="smtp", mail_from="", rcpt_to=[],
                         size=len(raw), sha256=hashlib.sha256(raw).hexdigest(), data=raw, state="pending", attempts=0))
    with sessions.begin() as s:
        assert purge_closed_raw(s, NOW, NOW, limit=10) == []


def test_task_purges_in_batches_and_message_raw_says_purged(sessions):
    """The periodic task works batch by batch; `message raw` then refuses with a clear reason."""
    clock = FixedClock(NOW - dt.timedelta(days=50))
    with sessions.begin() as s:
        tenant_id = add_tenant(s, NewTenant(name="Acme", slug="acme"), clock).id
    for i in range(5):
        _, request_id = store(sessions, tenant_id, make_mail(message_id=f"<b{i}@x>"), clock)
        set_request(sessions, request_id, "rejected", 45)
    task = RetentionTask(sessions, FixedClock(NOW), lambda: RetentionConfig(raw_days=30, batch=2))
    assert task.purge_once(RetentionConfig(raw_days=30, batch=2)) == 5
    assert task.purged == 5
    assert task.purge_once(RetentionConfig(raw_days=30, batch=2)) == 0
    with sessions() as s:
        message_pk = s.scalars(select(Message.id)).first()
        with pytest.raises(NotFound, match="purged"):
            raw_bytes(s, message_pk)


def test_migration_0003_up_down_up(config):
    """0003 adds raw_messages.purged_at, drops it on downgrade, adds it again."""
    engine = db.make_engine(config.store)
    db.migrate(engine)
    assert "purged_at" in {c["name"] for c in sa_inspect(engine).get_columns("raw_messages")}
    db.downgrade(engine, "0002")
    assert "purged_at" not in {c["name"] for c in sa_inspect(engine).get_columns("raw_messages")}
    db.migrate(engine)
    assert "purged_at" in {c["name"] for c in sa_inspect(engine).get_columns("raw_messages")}
    assert db.schema_is_current(engine)
    engine.dispose()


def test_change_events_older_than_a_week_are_pruned(sessions):
    """The event feed keeps a week: older rows go, newer stay."""
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    with sessions.begin() as s:
        tenant = add_tenant(s, NewTenant(name="Acme", slug="acme"), FixedClock(now))
        for days in (10, 8, 6, 0):
            s.add(ChangeEvent(tenant_id=tenant.id, at=now - dt.timedelta(days=days), kind="note", data={}))
    with sessions.begin() as s:
        assert changes.prune(s, now) == 2
    with sessions() as s:
        assert sorted((now - e.at).days for e in s.scalars(select(ChangeEvent))) == [0, 6]
