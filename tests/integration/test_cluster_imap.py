"""One IMAP source, two `quotemaild serve` processes on one PostgreSQL database: one polls at a
time; when it is SIGKILLed the other takes the source over within a minute; no mail is imported
twice and none is lost."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from quotemaild.clock import SystemClock
from quotemaild.config import load_config
from quotemaild.services.sources import NewImapSource, add_imap_source
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store import db
from quotemaild.store.models import ImapSource, RawMessage
from tests.conftest import config_dict, make_mail, write_config
from tests.integration.daemon_proc import free_port, log_events, spawn, wait_port
from tests.integration.imap_dovecot import DOVECOT, start_dovecot

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.postgresql,
    pytest.mark.slow,
    pytest.mark.e2e,
    pytest.mark.skipif(DOVECOT is None, reason="dovecot not installed (Debian package dovecot-imapd)"),
]

USER, PASSWORD, FOLDER = "shop", "s3cret-pw", "Quotes"


def mail(n: int) -> bytes:
    return make_mail(subject=f"Offerte {n}", message_id=f"<lease-{n}@example.org>", body=f"Vraag {n}.\n")


async def imported(sessions, count: int, timeout: float) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        with sessions() as s:
            sha = list(s.scalars(select(RawMessage.sha256).where(RawMessage.channel == "imap")))
        if len(sha) >= count or time.monotonic() > deadline:
            return sha
        await asyncio.sleep(0.5)


def started(log: Path) -> int:
    return sum(1 for e in log_events(log) if e.get("event") == "imap_source_started")


async def test_one_poller_at_a_time_and_takeover_after_kill(tmp_path):
    dc = start_dovecot()
    procs = []
    try:
        dc.set_password(USER, PASSWORD)
        with dc.client(USER, PASSWORD) as c:
            c.create_folder(FOLDER)
        pw = tmp_path / "imap-password"
        pw.write_text(PASSWORD + "\n")
        pw.chmod(0o600)
        configs = []
        for n in range(2):
            data = config_dict(tmp_path, smtp={"listen": f"127.0.0.1:{free_port()}"}, log={"format": "json"},
                               imap={"poll_interval": 1, "idle_timeout": 20, "backoff_initial": 0.2, "backoff_max": 1})
            data["state_dir"] = str(tmp_path / f"instance{n}")
            configs.append(write_config(tmp_path / f"instance{n}.toml", data))
        engine = db.make_engine(load_config(configs[0]).store)
        sessions = db.make_sessionmaker(engine)
        db.migrate(engine)
        with sessions.begin() as s:
            add_tenant(s, NewTenant(name="Acme", slug="acme"), SystemClock())
            add_imap_source(s, NewImapSource(tenant_slug="acme", host=dc.host, port=dc.port, tls="none", username=USER,
                                             password_file=str(pw), folder=FOLDER), SystemClock())  # fmt: skip
        logs = [tmp_path / f"instance{n}.log" for n in range(2)]
        for cfg, log in zip(configs, logs, strict=True):
            procs.append(spawn(cfg, log))
            wait_port(int(load_config(cfg).smtp.listen.port), procs[-1], timeout=60)

        with dc.client(USER, PASSWORD) as c:
            for n in range(5):
                c.append(FOLDER, mail(n))
        assert len(await imported(sessions, 5, 60)) == 5
        with sessions() as s:
            holder = s.scalars(select(ImapSource.lease_holder)).one()
        first = next(i for i, p in enumerate(procs) if f":{p.pid}:" in (holder or ""))
        other = 1 - first
        assert (started(logs[first]), started(logs[other])) == (1, 0), "both instances polled the source"

        os.kill(procs[first].pid, signal.SIGKILL)
        procs[first].wait()
        with dc.client(USER, PASSWORD) as c:
            for n in range(5, 10):
                c.append(FOLDER, mail(n))
        took_over = time.monotonic()
        sha = await imported(sessions, 10, 90)
        assert time.monotonic() - took_over < 60, "the takeover took more than a minute"
        assert len(sha) == 10 and len(set(sha)) == 10, "a message was lost or imported twice"
        with sessions() as s:
            holder = s.scalars(select(ImapSource.lease_holder)).one()
        assert f":{procs[other].pid}:" in (holder or "") and started(logs[other]) == 1
        await asyncio.sleep(2)  # nothing more arrives late (a second import would)
        assert len(await imported(sessions, 11, 0)) == 10
        engine.dispose()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except Exception:  # noqa: BLE001 - never leave a daemon behind
                    proc.kill()
                    proc.wait()
        dc.stop()
        dc.remove()
