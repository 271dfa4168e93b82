"""An unknown recipient while the database is down: 451 for that RCPT (the tenant may exist), the
session goes on, and the known tenant's RCPT is still accepted from the cache."""

from __future__ import annotations

import asyncio

import aiosmtplib
import pytest

from quotemaild import daemon as daemon_mod
from quotemaild.config import config_from_dict
from tests.conftest import DOMAIN, config_dict, start_daemon
from tests.support import postgres

pytestmark = [pytest.mark.asyncio, pytest.mark.postgresql, pytest.mark.slow]


async def test_an_unknown_slug_during_an_outage_gets_451_and_the_loop_keeps_serving(tmp_path):
    server = postgres.start_server()  # its own server: this test stops it
    try:
        url = server.new_database("rcptoutage")
        cfg = config_from_dict(config_dict(tmp_path, store={"url": url, "busy_timeout": 2}))
        d = await start_daemon(cfg)
        try:
            await asyncio.to_thread(server.stop)
            # Past the directory's `min_reload` since its start-up read: a miss within it is
            # answered from that read (550), and on a quick machine the stop takes less than that.
            await asyncio.sleep(1.2)
            async with aiosmtplib.SMTP(hostname=d.host, port=d.port, timeout=20) as client:
                await client.mail("klant@example.org")
                with pytest.raises(aiosmtplib.SMTPRecipientRefused) as refused:
                    await client.rcpt(f"nieuw@{DOMAIN}")
                assert refused.value.code == 451, refused.value
                # Meanwhile another session is served, and a known tenant answers from the cache.
                async with aiosmtplib.SMTP(hostname=d.host, port=d.port, timeout=20) as other:
                    await other.mail("klant@example.org")
                    code, _ = await other.rcpt(d.address("acme"))
                    assert code == 250
                code, _ = await client.rcpt(d.address("other"))
                assert code == 250  # the refused RCPT did not end the session
        finally:
            await daemon_mod.stop(d.daemon, grace=5)
            d.sessions.kw["bind"].dispose()
    finally:
        postgres.stop_server(server)
