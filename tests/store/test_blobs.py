"""Big values read and written by `store.blobs` on the store under test (SQLite by default,
PostgreSQL in `make test-pg`): the bytes come back whole, however they are read."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import event

from quotemaild.clock import SystemClock
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store import blobs
from quotemaild.store.blobs import BIG_BYTES, read_big, write_big
from quotemaild.store.models import RawData
from tests.conftest import is_postgresql
from tests.support.raws import add_pending_raw


def noise(size: int) -> bytes:
    """`size` bytes that no chunk boundary could line up with by accident."""
    out, seed = bytearray(), b"blobs"
    while len(out) < size:
        seed = hashlib.sha256(seed).digest()
        out += seed
    return bytes(out[:size])


@pytest.mark.parametrize("size", [0, 10, BIG_BYTES - 1, BIG_BYTES, 2 * BIG_BYTES + 12345])
def test_a_value_written_big_reads_back_whole(sessions, size):
    value = noise(size)
    with sessions.begin() as s:
        raw_id = add_pending_raw(s, add_tenant(s, NewTenant("Acme", "acme"), SystemClock()).id, b"x")
        write_big(s, RawData.data, raw_id, value)
    with sessions() as s:
        assert read_big(s, RawData.data, raw_id) == value


def test_a_missing_row_reads_as_none(sessions):
    with sessions() as s:
        assert read_big(s, RawData.data, 424242) is None


def test_on_a_server_database_a_big_value_is_read_a_chunk_at_a_time(sessions, monkeypatch):
    if not is_postgresql():
        pytest.skip("SQLite reads big values by blob I/O; this is the path of server databases")
    monkeypatch.setattr(blobs, "_CHUNK", 100_000)
    value = noise(BIG_BYTES + 250_000)
    with sessions.begin() as s:
        raw_id = add_pending_raw(s, add_tenant(s, NewTenant("Acme", "acme"), SystemClock()).id, value)
    statements: list[str] = []
    engine = sessions.kw["bind"]
    listener = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with sessions() as s:
            assert read_big(s, RawData.data, raw_id) == value
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    # The size first, then 13 parts of at most 100,000 bytes.
    assert sum("substring" in text.lower() for text in statements) == 13
