"""Threading against notmuch's own view of its test corpus: the same threads, the same sizes."""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import re
from collections import Counter

import pytest
from sqlalchemy import func, select

from quotemaild.clock import SystemClock
from quotemaild.edges.pipeline import Steps, process_batch, process_one
from quotemaild.services.ingest import IngestSettings
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store.models import Message, RawMessage

pytestmark = pytest.mark.corpus
DOMAIN = "proposals.example.test"


def _date(data: bytes) -> dt.datetime:
    match = re.search(rb"(?mi)^Date:\s*(.+)$", data)
    try:
        return email.utils.parsedate_to_datetime(match.group(1).decode()).astimezone(dt.UTC)  # type: ignore[union-attr]
    except (AttributeError, TypeError, ValueError):
        return dt.datetime.min.replace(tzinfo=dt.UTC)


@pytest.mark.parametrize("batch", [1, 7, 64], ids=["one-by-one", "batches-of-7", "batches-of-64"])
def test_default_corpus_threads_like_notmuch(corpus_dir, sessions, batch):
    """Fed in date order, the notmuch default corpus forms notmuch's 24 threads with its counts,
    whether processed one by one or in batches (replies in the batch of their original)."""
    expected_file = corpus_dir / "notmuch" / "expected-output" / "notmuch-search-tag-inbox"
    expected = Counter(int(m) for m in re.findall(r"\[(\d+)/\d+\]", expected_file.read_text()))
    mails = sorted(
        (p.read_bytes() for p in (corpus_dir / "notmuch" / "corpora" / "default").rglob("*") if p.is_file()),
        key=_date,
    )
    clock = SystemClock()
    with sessions.begin() as s:
        tenant_id = add_tenant(s, NewTenant("Acme", "acme"), clock).id
    settings = IngestSettings(domain=DOMAIN)
    stored: list[int] = []
    for data in mails:
        with sessions.begin() as s:
            row = RawMessage(
                tenant_id=tenant_id, received_at=clock.now(), channel="smtp", mail_from="list@example.org",
                rcpt_to=[f"acme@{DOMAIN}"], peer="", helo="", size=len(data),
                sha256=hashlib.sha256(data).hexdigest(), data=data, state="pending", attempts=0,
            )
            s.add(row)
            s.flush()
            raw_id = row.id
        if batch == 1:
            process_one(sessions, raw_id, settings, clock)
        else:
            stored.append(raw_id)
    for start in range(0, len(stored), batch):
        process_batch(sessions, stored[start : start + batch], Steps(settings, clock))
    with sessions() as s:
        sizes = Counter(
            n for (n,) in s.execute(
                select(func.count()).select_from(Message).where(Message.request_id.is_not(None)).group_by(Message.request_id)
            )
        )
        failed = s.scalar(select(func.count()).select_from(RawMessage).where(RawMessage.state == "failed"))
    print(f"\nnotmuch threads: expected {sorted(expected.elements())}, got {sorted(sizes.elements())}")
    assert failed == 0
    assert sizes == expected
