"""The group-commit writer: queued messages share one commit; futures resolve only after it."""

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from quotemaild.edges.writer import CommitWriter, CoreInserts, RawInput, SqliteInserts, inserts_for
from quotemaild.errors import StoreUnavailable
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.clock import SystemClock
from quotemaild.store.blobs import BIG_BYTES
from quotemaild.store.models import RawData, RawMessage


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


@pytest.mark.sqlite_only
def test_sqlite_path_writes_what_the_core_path_writes(sessions, tenant_id):
    """The driver-level SQLite inserts store exactly the column values SQLAlchemy Core stores, a
    message of BIG_BYTES or more (written by blob I/O) too."""
    engine = sessions.kw["bind"]
    assert isinstance(inserts_for(engine), SqliteInserts)
    at = dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    items = [
        RawInput(tenant_id, at, "smtp", "a@b.c", ("x@y.z", "Ünï@y.z"), "127.0.0.1:1", "h", b"one\r\n"),
        RawInput(tenant_id, at, "imap", "", (), "", "", bytes(range(256)) * (BIG_BYTES // 256) + b"big"),
        RawInput(tenant_id, at, "imap", "", (), "", "", b"\x00\xff two"),
    ]
    stored = {}
    for kind in (CoreInserts, SqliteInserts):
        inserts = kind(engine)
        ids = inserts.commit(items)
        inserts.close(broken=False)
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT r.*, d.data FROM raw_messages r JOIN raw_message_data d ON d.raw_id = r.id "
                f"WHERE r.id IN ({', '.join(map(str, ids))}) ORDER BY r.id"
            ).all()
        assert [r.data for r in rows] == [i.data for i in items]  # ids came back in the rows' order
        stored[kind] = [tuple(r)[1:] for r in rows]  # all but the id
    assert stored[SqliteInserts] == stored[CoreInserts]
    with sessions() as s:
        raw = s.scalars(select(RawMessage).order_by(RawMessage.id.desc()).limit(3)).all()[::-1]
        assert [r.received_at for r in raw] == [at] * 3 and raw[0].rcpt_to == ["x@y.z", "Ünï@y.z"]
        assert [s.get_one(RawData, r.id).data for r in raw] == [i.data for i in items]


def test_writer_recovers_after_a_failed_commit(sessions, tenant_id):
    """A failed batch rolls back and drops its connection; the next batch commits on a fresh one."""
    writer = CommitWriter(sessions.kw["bind"])
    writer.start()
    with pytest.raises(StoreUnavailable):
        writer.submit([item(999, 0)]).result(timeout=10)
    ids = writer.submit([item(tenant_id, 1)]).result(timeout=10)
    writer.stop()
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(RawMessage)) == 1
        assert s.get_one(RawMessage, ids[0]).state == "pending"


@pytest.mark.postgresql
def test_a_lone_message_goes_in_as_one_statement_that_writes_what_a_batch_writes(sessions, tenant_id):
    """PostgreSQL: one raw copy is one autocommit statement (both rows, or none), stored with the
    same column values as the same copy in a batch."""
    from sqlalchemy import event

    engine = sessions.kw["bind"]
    at = dt.datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    one = RawInput(tenant_id, at, "smtp", "a@b.c", ("x@y.z", "Ünï@y.z"), "127.0.0.1:1", "h", bytes(range(256)))
    inserts = inserts_for(engine)
    assert isinstance(inserts, CoreInserts)
    statements: list[str] = []
    listener = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        [single] = inserts.commit([one])
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    batch = inserts.commit([one, item(tenant_id, 2)])
    inserts.close(broken=False)
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("WITH")
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT r.*, d.data FROM raw_messages r JOIN raw_message_data d ON d.raw_id = r.id "
            f"WHERE r.id IN ({single}, {batch[0]}) ORDER BY r.id"
        ).all()
    assert [tuple(r)[1:] for r in rows][0] == [tuple(r)[1:] for r in rows][1]
    assert bytes(rows[0].data) == bytes(range(256))


@pytest.mark.postgresql
def test_a_lone_message_that_fails_leaves_nothing_behind(sessions, tenant_id):
    inserts = inserts_for(sessions.kw["bind"])
    bad = RawInput(999, dt.datetime.now(dt.UTC), "smtp", "a@b.c", ("x@y.z",), "127.0.0.1:1", "h", b"x")
    with pytest.raises(SQLAlchemyError):
        inserts.commit([bad])  # no such tenant
    inserts.close(broken=True)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(RawMessage)) == 0
        assert s.scalar(select(func.count()).select_from(RawData)) == 0
