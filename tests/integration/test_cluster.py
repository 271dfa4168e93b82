"""Three `quotemaild serve` processes on one PostgreSQL database, one of them SIGKILLed mid-load.

Load: Postfix's smtp-source on two instances, and on the third our own senders (each message from
its own sender, so each gets an acknowledgement), which record a Message-ID only after its 250.
While mail flows, three more "instances" number quotes of one tenant at the same moment. The
third daemon is killed with SIGKILL in the middle and started again. Then:

- every acknowledged message is stored, and every stored message processed exactly once;
- every acknowledgement queued reaches the capturing smarthost exactly once (three outbox
  workers and a dead one's claims between them);
- quote numbers are unique and gapless.
"""

from __future__ import annotations

import asyncio
import email
import os
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import aiosmtplib
import pytest
from sqlalchemy import func, select

from quotemaild.clock import SystemClock
from quotemaild.config import load_config
from quotemaild.services import request_contacts
from quotemaild.services.quotes import create_quote
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store import db
from quotemaild.store.models import Message, OutboxMessage, Quote, RawMessage
from tests.conftest import DOMAIN, config_dict, make_mail, write_config
from tests.integration.daemon_proc import free_port, spawn, wait_port
from tests.support.postfix_tools import SMTP_SOURCE, smtp_source
from tests.support.proc import missing_binaries, skip_or_fail
from tests.support.smtp_capture import CaptureServer

pytestmark = [pytest.mark.asyncio, pytest.mark.postgresql, pytest.mark.slow, pytest.mark.e2e]

SOURCE_COUNT = 60  # messages per smtp-source run (two runs, on the instances that live)


def instance_config(tmp_path: Path, n: int, smarthost: int) -> tuple[Path, int]:
    port = free_port()
    data = config_dict(
        tmp_path,
        smtp={"listen": f"127.0.0.1:{port}"},
        log={"format": "json", "level": "info"},
        outbound={"smarthost": f"127.0.0.1:{smarthost}", "poll_interval": 0.5, "timeout": 3,
                  "retry_initial": 1, "retry_max": 2},
    )  # fmt: skip
    data["state_dir"] = str(tmp_path / f"instance{n}")  # the same store URL, a state dir each
    return write_config(tmp_path / f"instance{n}.toml", data), port


async def sender(port: int, worker: int, acked: list[str], stop: asyncio.Event) -> None:
    """Send until told; a Message-ID goes into `acked` only after its 250."""
    n = 0
    while not stop.is_set():
        try:
            async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10) as client:
                while not stop.is_set():
                    mid, n = f"<cl-{worker}-{n}@example.org>", n + 1
                    who = f"klant-{worker}-{n}@example.org"  # each its own sender: each acknowledged
                    await client.sendmail(who, [f"acme@{DOMAIN}"], make_mail(sender=who, message_id=mid, subject=f"Vraag {mid}"))
                    acked.append(mid)
        except (aiosmtplib.SMTPException, OSError):
            await asyncio.sleep(0.1)


def number_quotes(cfg_path: Path, request_id: int, count: int, out: list[str], start: threading.Barrier) -> None:
    """One more instance's worth of quote numbering, on its own engine."""
    engine = db.make_engine(load_config(cfg_path).store)
    try:
        start.wait()
        for _ in range(count):
            with db.make_sessionmaker(engine).begin() as s:
                out.append(create_quote(s, request_id, ["Ramen;1;100;21"], "jan@acme.be", SystemClock()).number)
    finally:
        engine.dispose()


async def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await asyncio.to_thread(check):
            return
        await asyncio.sleep(0.5)
    raise AssertionError(f"not within {timeout}s: {what}")


async def test_three_instances_one_killed_mid_load(tmp_path):
    if missing_binaries(SMTP_SOURCE):
        skip_or_fail("smtp-source not installed (Debian package postfix)")
    with CaptureServer() as smarthost:
        configs = [instance_config(tmp_path, n, smarthost.port) for n in range(3)]
        cfg = load_config(configs[0][0])
        engine = db.make_engine(cfg.store)
        sessions = db.make_sessionmaker(engine)
        db.migrate(engine)
        with sessions.begin() as s:
            tenant = add_tenant(s, NewTenant(name="Acme", slug="acme"), SystemClock())
            request = request_contacts.create_manual(s, tenant, subject="Ramen", body="12", contact_id=None,
                                                     customer_name="Klant", actor="jan@acme.be", clock=SystemClock(),
                                                     domain=DOMAIN)  # fmt: skip
            request_id = request.id
        logs = [tmp_path / f"instance{n}.log" for n in range(3)]
        procs = [spawn(path, log) for (path, _), log in zip(configs, logs, strict=True)]
        try:
            for (_, port), proc in zip(configs, procs, strict=True):
                wait_port(port, proc, timeout=60)

            acked: list[str] = []
            stop = asyncio.Event()
            senders = [asyncio.create_task(sender(configs[2][1], w, acked, stop)) for w in range(4)]
            sources = [
                asyncio.to_thread(smtp_source, "127.0.0.1", port, sessions=4, count=SOURCE_COUNT,
                                  recipient=f"acme@{DOMAIN}", sender="load@source.test")  # fmt: skip
                for _, port in configs[:2]
            ]
            numbers: list[str] = []
            barrier = threading.Barrier(3)
            numbering = [asyncio.to_thread(number_quotes, configs[n][0], request_id, 5, numbers, barrier) for n in range(3)]
            source_runs = asyncio.gather(*sources, *numbering)

            deadline = time.monotonic() + 60
            while len(acked) < 40 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            os.kill(procs[2].pid, signal.SIGKILL)  # mid-load: its clients are still sending
            procs[2].wait()
            await asyncio.sleep(0.5)
            procs[2] = spawn(configs[2][0], logs[2])  # the same instance comes back
            wait_port(configs[2][1], procs[2], timeout=60)
            await asyncio.sleep(2)  # more mail on the restarted instance
            stop.set()
            await asyncio.gather(*senders)
            results = await source_runs
            for run in results[:2]:
                assert run.returncode == 0, run.stderr
            assert len(acked) >= 40, f"only {len(acked)} acknowledged"

            def stored_and_processed() -> bool:
                with sessions() as s:
                    pending = s.scalar(select(func.count()).select_from(RawMessage).where(RawMessage.state == "pending"))
                    return pending == 0

            await wait_until(stored_and_processed, 120, "every stored message processed")
            with sessions() as s:
                raws = s.execute(select(RawMessage.id, RawMessage.state, RawMessage.mail_from)).all()
                per_raw = Counter(s.scalars(select(Message.raw_id).where(Message.direction == "in")))
                ids = Counter(s.scalars(select(Message.message_id).where(Message.direction == "in")))
            assert {state for _, state, _ in raws} == {"processed"}
            assert all(per_raw[raw_id] == 1 for raw_id, _, _ in raws), "a raw message processed twice"
            assert set(acked) <= set(ids), f"lost: {sorted(set(acked) - set(ids))[:5]}"
            assert all(ids[mid] == 1 for mid in acked), "an acknowledged message stored twice"
            assert sum(1 for *_, sender_ in raws if sender_ == "load@source.test") == 2 * SOURCE_COUNT

            def all_sent() -> bool:
                with sessions() as s:
                    return not s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state != "sent"))

            # A row claimed by the killed instance waits for its claim to run out (3 * timeout + 30 s).
            await wait_until(all_sent, 150, "every acknowledgement sent")
            with sessions() as s:
                queued = [email.message_from_bytes(d)["Message-ID"] for d in s.scalars(select(OutboxMessage.data))]
                quote_numbers = sorted(s.scalars(select(Quote.number)))
            await asyncio.sleep(1)  # a duplicate would arrive right after the first copy
            delivered = Counter(email.message_from_bytes(m.data)["Message-ID"] for m in smarthost.messages)
            assert len(queued) >= len(acked) and len(set(queued)) == len(queued)
            assert {mid: delivered[mid] for mid in queued if delivered[mid] != 1} == {}, "not delivered exactly once"
            assert set(delivered) == set(queued)
            year = time.gmtime().tm_year
            assert sorted(numbers) == quote_numbers == [f"OF-{year}-{n:04}" for n in range(1, 16)]
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
            for proc in procs:
                try:
                    proc.wait(timeout=30)
                except Exception:  # noqa: BLE001 - never leave a daemon behind
                    proc.kill()
                    proc.wait()
            engine.dispose()
