"""The group-commit writer: queued messages share one commit; futures resolve only after it."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from quotemaild.edges.writer import CommitWriter, RawInput
from quotemaild.errors import StoreUnavailable
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.clock import SystemClock
from quotemaild.store.models import RawMessage


def item(tenant_id: int, n: int) -> RawInput:
    return RawInput(tenant_id, dt.datetime.now(dt.UTC), "smtp", "a@b.c", ("x@y.z",), "127.0.0.1:1", "h", b"msg %d" % n)


@pytest.fixture
def tenant_id(sessions):
    with sessions.begin() as s:
        return add_tenant(s, NewTenant("Acme", "acme"), SystemClock()).id


def test_queued_messages_share_one_commit(sessions, tenant_id):
    """50 messages queued while the writer is busy are committed in one batch, each visible when resolved."""
    engine = sessions.kw["bind"]
    committed = []
    writer = CommitWriter(engine, on_committed=committed.extend, batch_max=256)
    seen_at_resolve = []

    def check(fut):
        with sessions() as s:
            seen_at_resolve.append(s.scalar(select(func.count()).select_from(RawMessage).where(RawMessage.id.in_(fut.result()))))

    futures = [writer.submit([item(tenant_id, n)]) for n in range(50)]
    for f in futures:
        f.add_done_callback(check)
    writer.start()
    ids = [f.result(timeout=10) for f in futures]
    writer.stop()
    assert writer.stats.batches == 1 and writer.stats.messages == 50
    assert sorted(i for one in ids for i in one) == sorted(committed)
    assert seen_at_resolve == [1] * 50


def test_batches_respect_the_maximum(sessions, tenant_id):
    """No batch is larger than batch_max."""
    writer = CommitWriter(sessions.kw["bind"], batch_max=8)
    futures = [writer.submit([item(tenant_id, n)]) for n in range(20)]
    writer.start()
    for f in futures:
        f.result(timeout=10)
    writer.stop()
    assert writer.stats.batches == 3


def test_failed_commit_fails_every_future_of_the_batch(sessions):
    """A commit that fails (here: a foreign key to no tenant) fails its futures with StoreUnavailable."""
    writer = CommitWriter(sessions.kw["bind"])
    futures = [writer.submit([item(999, n)]) for n in range(3)]
    writer.start()
    for f in futures:
        with pytest.raises(StoreUnavailable):
            f.result(timeout=10)
    writer.stop()
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(RawMessage)) == 0
