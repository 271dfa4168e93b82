"""The database goes away under a running daemon: 451 (never 250, never a 5xx) while it is gone,
and mail is taken again once it is back, on reconnected connections."""

from __future__ import annotations

import asyncio

import aiosmtplib
import pytest
from sqlalchemy import func, select

from quotemaild import daemon as daemon_mod
from quotemaild.config import config_from_dict
from quotemaild.store.models import RawMessage
from tests.conftest import config_dict, make_mail, start_daemon
from tests.support import postgres

pytestmark = [pytest.mark.asyncio, pytest.mark.postgresql, pytest.mark.slow]


async def attempt(d, n: int) -> int:
    """One message; the reply code of whichever step refused it, or 250."""
    try:
        async with aiosmtplib.SMTP(hostname=d.host, port=d.port, timeout=20) as client:
            await client.sendmail("klant@example.org", [d.address("acme")], make_mail(message_id=f"<o{n}@example.org>"))
    except aiosmtplib.SMTPResponseException as exc:
        return exc.code
    return 250


async def test_a_database_outage_answers_451_and_mail_flows_again_after_it(tmp_path):
    server = postgres.start_server()  # its own server: this test stops it
    try:
        url = server.new_database("outage")
        cfg = config_from_dict(config_dict(tmp_path, store={"url": url, "busy_timeout": 2}))
        d = await start_daemon(cfg)
        try:
            assert await attempt(d, 0) == 250
            await asyncio.to_thread(server.stop)
            during = [await attempt(d, n) for n in range(1, 4)]
            assert during == [451, 451, 451], during
            await asyncio.to_thread(server.restart_stopped)
            after = [await attempt(d, n) for n in range(4, 8)]
            # The first attempt may still meet a connection that died with the server (451, and
            # that connection is dropped); from then on every message is taken.
            assert after[1:] == [250, 250, 250] and after[0] in (250, 451), after
            accepted = 1 + after.count(250)
            await d.wait_processed(accepted, timeout=60)
            with d.sessions() as s:
                assert s.scalar(select(func.count()).select_from(RawMessage)) == accepted
        finally:
            await daemon_mod.stop(d.daemon, grace=5)
            d.sessions.kw["bind"].dispose()
    finally:
        postgres.stop_server(server)
