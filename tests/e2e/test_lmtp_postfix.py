"""Postfix's own LMTP client delivering to the LMTP edge: per-recipient results in one transaction."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlalchemy import select

from quotemaild import daemon as daemon_mod
from quotemaild.config import config_from_dict
from quotemaild.store.models import RawMessage
from tests.conftest import DOMAIN, config_dict, make_mail, start_daemon
from tests.support.postfix import postfix_instance, skip_unless_postfix

pytestmark = [pytest.mark.asyncio, pytest.mark.e2e]


async def test_postfix_lmtp_delivers_per_recipient(tmp_path):
    """Postfix lmtp: two tenants delivered in one transaction, the unknown recipient bounced with 5.1.1."""
    skip_unless_postfix()
    cfg = config_from_dict(config_dict(tmp_path, lmtp={"listen": "127.0.0.1:0"}))
    d = await start_daemon(cfg)
    assert d.daemon.lmtp_server is not None
    host, port = d.daemon.lmtp_server.sockets[0].getsockname()[:2]
    routed = postfix_instance(domain=DOMAIN, transport=f"lmtp:inet:{host}:{port}")
    pf = await asyncio.to_thread(routed.__enter__)
    try:
        rcpts = [d.address("acme"), f"ghost@{DOMAIN}", d.address("other")]
        await asyncio.to_thread(pf.sendmail, make_mail(), "klant@example.org", rcpts)
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
        await asyncio.to_thread(routed.__exit__, None, None, None)
        await daemon_mod.stop(d.daemon, grace=2)
