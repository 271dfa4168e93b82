"""IMAP dedupe by exact bytes looks only at IMAP copies, through the partial index, which SMTP
inserts never touch."""

from __future__ import annotations

import hashlib

import pytest

from sqlalchemy import select, text

from quotemaild.clock import SystemClock
from quotemaild.services.sources import known_sha256
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store.models import RawMessage
from tests.conftest import make_mail
from tests.support.raws import add_pending_raw


def test_known_sha256_finds_imap_copies_only(sessions):
    """The same bytes stored over SMTP are not an IMAP duplicate; fetched over IMAP they are."""
    raw = make_mail()
    digest = hashlib.sha256(raw).hexdigest()
    with sessions.begin() as s:
        tenant_id = add_tenant(s, NewTenant(name="Acme", slug="acme"), SystemClock()).id
        smtp_id = add_pending_raw(s, tenant_id, raw)
        assert not known_sha256(s, tenant_id, digest)
        s.get_one(RawMessage, smtp_id).channel = "imap"
        s.flush()
        assert known_sha256(s, tenant_id, digest)
        assert not known_sha256(s, tenant_id + 1, digest)


@pytest.mark.sqlite_only  # EXPLAIN QUERY PLAN is SQLite's
def test_the_dedupe_query_uses_the_partial_index_and_smtp_rows_stay_out_of_it(sessions):
    """EXPLAIN: the lookup searches ix_raw_messages_imap_sha, an index of IMAP rows only."""
    with sessions.begin() as s:
        tenant_id = add_tenant(s, NewTenant(name="Acme", slug="acme"), SystemClock()).id
        add_pending_raw(s, tenant_id, make_mail())
        query = (select(RawMessage.id)
                 .where(RawMessage.tenant_id == tenant_id, RawMessage.sha256 == "x", RawMessage.channel == "imap")
                 .limit(1))  # fmt: skip
        compiled = query.compile(s.bind, compile_kwargs={"literal_binds": True})
        plan = " ".join(str(r[-1]) for r in s.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
        assert "ix_raw_messages_imap_sha" in plan, plan
        ddl = s.execute(text("SELECT sql FROM sqlite_master WHERE name = 'ix_raw_messages_imap_sha'")).scalar()
        assert ddl.endswith("WHERE channel = 'imap'"), ddl
