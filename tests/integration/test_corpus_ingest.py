"""Every mail of the shared corpus is accepted over SMTP, stored, and processed or kept as failed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiosmtplib
import pytest
from sqlalchemy import func, select

from quotemaild.mail.parse import parse_message
from quotemaild.store.models import QuoteRequest, RawMessage
from tests.conftest import SHARED

pytestmark = pytest.mark.corpus
CORPUS = SHARED / "corpus"


def corpus_mails() -> list[Path]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        pytest.skip(f"shared corpus not found at {CORPUS} (clone the project beside ../shared)")
    paths = []
    for line in manifest.read_text(encoding="utf-8").splitlines()[1:]:
        cols = line.split("\t")
        if len(cols) >= 3 and cols[2] == "mail":
            paths.append(CORPUS / cols[0])
    return paths


def test_every_corpus_mail_parses_without_raising():
    """parse_message never raises on the real-world corpus, exact bytes as stored."""
    mails = corpus_mails()
    assert len(mails) > 1000
    for path in mails:
        parsed = parse_message(path.read_bytes())
        assert isinstance(parsed.subject, str), path


@pytest.mark.asyncio
@pytest.mark.slow
async def test_every_corpus_mail_is_accepted_stored_and_processed(smtpd):
    """All corpus mails get 250; each is then processed, or kept as failed and visible."""
    mails = corpus_mails()
    queue: asyncio.Queue[Path] = asyncio.Queue()
    for path in mails:
        queue.put_nowait(path)
    refused: list[tuple[str, str]] = []

    async def worker() -> None:
        async with aiosmtplib.SMTP(hostname=smtpd.host, port=smtpd.port, timeout=60) as client:
            while not queue.empty():
                path = queue.get_nowait()
                try:
                    await client.sendmail("corpus@example.org", [smtpd.address("acme")], path.read_bytes())
                except aiosmtplib.SMTPResponseException as exc:
                    refused.append((str(path), f"{exc.code} {exc.message}"))
                    await client.rset()

    await asyncio.gather(*(worker() for _ in range(8)))
    assert refused == []
    await smtpd.wait_processed(len(mails), timeout=300)
    with smtpd.sessions() as s:
        states = dict(s.execute(select(RawMessage.state, func.count()).group_by(RawMessage.state)).all())
        requests = s.scalar(select(func.count()).select_from(QuoteRequest))
    print(f"\ncorpus ingest: {len(mails)} sent, states {states}, {requests} requests")
    assert sum(states.values()) == len(mails)
    assert states.get("pending", 0) == 0
    assert requests >= 1
