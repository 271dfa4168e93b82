"""Real MTA tools against the SMTP edge: Postfix's smtp-source for load, swaks for hand-written sessions."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess

import pytest
from sqlalchemy import func, select

from quotemaild.store.models import QuoteRequest, RawMessage
from tests.conftest import DOMAIN

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]

SMTP_SOURCE = shutil.which("smtp-source") or next((p for p in ("/usr/sbin/smtp-source",) if os.path.exists(p)), None)
SWAKS = shutil.which("swaks")


async def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(subprocess.run, list(cmd), capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(SMTP_SOURCE is None, reason="smtp-source not installed (Debian package postfix)")
async def test_smtp_source_load_is_all_stored(smtpd):
    """smtp-source, 4 sessions x 50 messages of 2 KB: every message is stored and processed."""
    result = await run(SMTP_SOURCE, "-s", "4", "-m", "200", "-l", "2048", "-f", "load@example.org", "-t", smtpd.address("acme"), f"{smtpd.host}:{smtpd.port}")
    assert result.returncode == 0, result.stderr
    await smtpd.wait_processed(200, timeout=60)
    with smtpd.sessions() as s:
        assert s.scalar(select(func.count()).select_from(RawMessage)) == 200
        # smtp-source writes a unique Message-Id per message: 200 requests
        assert s.scalar(select(func.count()).select_from(QuoteRequest)) == 200


@pytest.mark.skipif(SWAKS is None, reason="swaks not installed (Debian package swaks)")
async def test_swaks_accepted_and_refused(smtpd):
    """swaks sees 250 for a tenant, 550 5.1.1 for an unknown address and 550 5.7.1 for relaying."""
    ok = await run(SWAKS, "--server", f"{smtpd.host}:{smtpd.port}", "--to", smtpd.address("acme"), "--from", "klant@example.org", "--header", "Subject: Offerte dak", "--body", "Prijs voor een nieuw dak?")
    assert ok.returncode == 0, ok.stdout
    assert "250 2.0.0 Ok: stored as" in ok.stdout
    unknown = await run(SWAKS, "--server", f"{smtpd.host}:{smtpd.port}", "--to", f"ghost@{DOMAIN}", "--from", "klant@example.org")
    assert "550 5.1.1" in unknown.stdout and unknown.returncode != 0
    relay = await run(SWAKS, "--server", f"{smtpd.host}:{smtpd.port}", "--to", "victim@example.net", "--from", "klant@example.org")
    assert "550 5.7.1" in relay.stdout and relay.returncode != 0
    await smtpd.wait_processed(1)
    with smtpd.sessions() as s:
        assert s.scalars(select(QuoteRequest.subject)).all() == ["Offerte dak"]
