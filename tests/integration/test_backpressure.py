"""Backpressure: past `[processing] max_backlog` pending messages, new mail gets 451 4.3.2 and
/healthz and /metrics say so; once processing catches up, mail is accepted again."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import aiosmtplib
import httpx
import pytest

from quotemaild import daemon as daemon_mod
from quotemaild.config import config_from_dict
from tests.conftest import config_dict, make_mail, start_daemon

pytestmark = pytest.mark.slow


async def mail_from(host: str, port: int) -> tuple[int, str]:
    async with aiosmtplib.SMTP(hostname=host, port=port) as client:
        reply = await client.execute_command(b"MAIL", b"FROM:<klant@example.org>")  # a refusal does not raise
        return reply.code, reply.message


async def wait_until(condition, timeout: float = 20.0, what: str = "condition") -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} not reached after {timeout}s")


async def test_a_backlog_over_the_limit_gets_451_4_3_2_until_processing_catches_up(tmp_path):
    config = config_from_dict(
        config_dict(tmp_path, http={"listen": "127.0.0.1:0"}, processing={"max_backlog": 3, "workers": 1, "drain_workers": 0})
    )
    running = await start_daemon(config)
    d = running.daemon
    [pid] = d.processor.pids()
    os.kill(pid, signal.SIGSTOP)  # processing stands still: the backlog can only grow
    try:
        async with httpx.AsyncClient(base_url=f"http://{d.http.address}", timeout=5) as http:  # type: ignore[union-attr]
            for n in range(3):
                async with aiosmtplib.SMTP(hostname=running.host, port=running.port) as client:
                    await client.sendmail("klant@example.org", [running.address("acme")],
                                          make_mail(message_id=f"<bp{n}@example.org>"))  # fmt: skip
            await wait_until(lambda: d.processor.depth() >= 3, what="backlog counted")
            assert await mail_from(running.host, running.port) == (451, "4.3.2 Too much mail waiting to be processed, try again later")
            r = await http.get("/healthz")
            assert r.status_code == 503
            assert r.json()["status"] == "backpressure"
            assert r.json()["backpressure"] == {"active": True, "backlog": 3, "limit": 3}
            metrics = (await http.get("/metrics")).text
            assert "quotemaild_backpressure 1.0" in metrics
            assert "quotemaild_processing_backlog 3.0" in metrics
            assert 'quotemaild_messages_rejected_total{code="451"} 1.0' in metrics

            os.kill(pid, signal.SIGCONT)
            await running.wait_processed(3)
            await wait_until(lambda: d.processor.depth() == 0, what="backlog worked off")
            assert (await mail_from(running.host, running.port))[0] == 250
            r = await http.get("/healthz")
            assert r.status_code == 200 and r.json()["backpressure"]["active"] is False
    finally:
        os.kill(pid, signal.SIGCONT)
        await daemon_mod.stop(d, grace=2)
        running.sessions.kw["bind"].dispose()
