"""The bench's read-only look at a store under test: the same answers from a SQLite file and
from PostgreSQL (the paced stage's arrival -> request times, the counts)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.bench.paced import arrival_to_request, max_raw_id
from quotemaild.bench.procs import pending_count, threaded_count
from quotemaild.bench.stores import Store
from quotemaild.clock import SystemClock
from quotemaild.edges.pipeline import process_one
from quotemaild.services.ingest import IngestSettings
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store.models import RawMessage
from tests.conftest import DOMAIN, make_mail
from tests.support.raws import add_pending_raw


def _store(sessions: sessionmaker[Session]) -> Store:
    url = sessions.kw["bind"].url
    return Path(url.database) if url.get_backend_name() == "sqlite" else url.render_as_string(hide_password=False)


def test_arrival_to_request_counts_threaded_mail_after_the_mark(sessions):
    with sessions.begin() as s:
        tenant_id = add_tenant(s, NewTenant(name="Acme", slug="acme"), SystemClock()).id
        before = add_pending_raw(s, tenant_id, make_mail(subject="before the mark", message_id="<m0@example.org>"))
    store = _store(sessions)
    settings = IngestSettings(domain=DOMAIN)
    process_one(sessions, before, settings, SystemClock())
    mark = max_raw_id(store)
    assert mark == before
    with sessions.begin() as s:
        ids = [add_pending_raw(s, tenant_id, make_mail(subject=f"quote {i}", message_id=f"<m{i}@example.org>"))
               for i in (1, 2, 3)]  # fmt: skip
    assert pending_count(store) == 3
    for raw_id in ids[:2]:
        process_one(sessions, raw_id, settings, SystemClock())
    with sessions.begin() as s:
        for raw_id, seconds in zip(ids[:2], (1.5, 4.0)):
            processed = s.scalar(select(RawMessage.processed_at).where(RawMessage.id == raw_id))
            s.execute(update(RawMessage).where(RawMessage.id == raw_id)
                      .values(received_at=processed - dt.timedelta(seconds=seconds)))  # fmt: skip
    # the third is still pending, the first was before the mark: neither counts
    assert sorted(round(x, 3) for x in arrival_to_request(store, mark)) == [1.5, 4.0]
    assert (pending_count(store), threaded_count(store)) == (1, 3)
