"""Postfix's own LMTP client delivering to the LMTP edge: per-recipient results in one transaction."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from sqlalchemy import select

from quotemaild import daemon as daemon_mod
from quotemaild.config import config_from_dict
from quotemaild.store.models import RawMessage
from tests.conftest import DOMAIN, config_dict, make_mail, start_daemon
from tests.integration.lmtp_postfix import AVAILABLE, start_postfix

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.e2e,
    pytest.mark.skipif(not AVAILABLE, reason="postfix not installed (Debian package postfix)"),
    pytest.mark.skipif(os.geteuid() != 0, reason="a private Postfix instance needs root (its master drops to user postfix)"),
]


async def test_postfix_lmtp_delivers_per_recipient(tmp_path):
    """Postfix lmtp: two tenants delivered in one transaction, the unknown recipient bounced with 5.1.1."""
    cfg = config_from_dict(config_dict(tmp_path, lmtp={"listen": "127.0.0.1:0"}))
    d = await start_daemon(cfg)
    assert d.daemon.lmtp_server is not None
    host, port = d.daemon.lmtp_server.sockets[0].getsockname()[:2]
    pf = await asyncio.to_thread(start_postfix, f"inet:{host}:{port}")
    try:
        rcpts = [d.address("acme"), f"ghost@{DOMAIN}", d.address("other")]
        await asyncio.to_thread(pf.sendmail, "klant@example.org", rcpts, make_mail())
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not all(r in pf.statuses() for r in rcpts):
            await asyncio.sleep(0.1)
        statuses = pf.statuses()
        assert statuses[d.address("acme")].startswith(f"sent 250 2.0.0 <{d.address('acme')}> Ok: stored as")
        assert statuses[d.address("other")].startswith(f"sent 250 2.0.0 <{d.address('other')}> Ok: stored as")
        assert statuses[f"ghost@{DOMAIN}"].startswith("bounced") and "550 5.1.1" in statuses[f"ghost@{DOMAIN}"]
        await d.wait_processed(2)
        with d.sessions() as s:
            rows = s.execute(select(RawMessage.tenant_id, RawMessage.channel, RawMessage.rcpt_to)).all()
        assert sorted(rows) == sorted([
            (d.tenants["acme"], "lmtp", [d.address("acme")]),
            (d.tenants["other"], "lmtp", [d.address("other")]),
        ])
    finally:
        await asyncio.to_thread(pf.stop)
        pf.remove()
        await daemon_mod.stop(d.daemon, grace=2)
