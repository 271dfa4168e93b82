"""Mail leaves when it is queued: a reply queued by the CLI wakes the daemon's outbox at once.

The daemon is a real `quotemaild serve` process with `poll_interval = 300`, so only the wake can
deliver within the test's (generous) wait; the smarthost is a capturing aiosmtpd on 127.0.0.1:0.
The wake seam itself (edges/wake.py) is tested on a real unix datagram socket.
"""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path

import pytest
from sqlalchemy import select

from quotemaild.clock import SystemClock
from quotemaild.config import load_config
from quotemaild.edges import wake
from quotemaild.services.outbox import OUTBOX_QUEUED, new_outbox_row
from quotemaild.store import db
from quotemaild.store.models import OutboxMessage, Tenant
from tests.conftest import config_dict, write_config
from tests.integration.daemon_proc import add_tenants, cli, spawn, wait_event
from tests.support.smtp_capture import CaptureServer

# Well below the poll interval, far above any normal delivery: not a speed assertion.
PROMPTLY = 60.0


def _config(tmp_path: Path, smarthost_port: int) -> Path:
    data = config_dict(
        tmp_path,
        outbound={"smarthost": f"127.0.0.1:{smarthost_port}", "poll_interval": 300},
        log={"format": "json"},
    )
    return write_config(tmp_path / "config.toml", data)


def test_cli_reply_reaches_the_smarthost_without_waiting_for_the_poll(tmp_path):
    """Two replies queued from the CLI (the second after the outbox went idle) both reach the
    smarthost long before the 300 s poll; the requester was set from the CLI with an IDN address."""
    with CaptureServer() as smarthost:
        cfg_path = _config(tmp_path, smarthost.port)
        add_tenants(cfg_path, "acme")
        created = cli(cfg_path, "request", "create", "--tenant", "acme", "--customer-name", "Müller",
                      "--subject", "Fenster", "--body", "Am Telefon", "--json")
        assert created.returncode == 0, created.stderr
        request_id = json.loads(created.stdout)["id"]
        set_req = cli(cfg_path, "request", "set-requester", str(request_id), "Info@Exämple.de", "--json")
        assert set_req.returncode == 0, set_req.stderr
        body = tmp_path / "reply.txt"
        body.write_text("Guten Tag,\n\nanbei unser Angebot.\n", encoding="utf-8")

        log = tmp_path / "daemon.log"
        proc = spawn(cfg_path, log)
        try:
            wait_event(log, "ready", timeout=30)
            for n in (1, 2):
                reply = cli(cfg_path, "request", "reply", str(request_id), "--body-file", str(body), "--json")
                assert reply.returncode == 0, reply.stderr
                got = smarthost.wait_for(n, timeout=PROMPTLY)
            assert [m.rcpt_tos for m in got] == [("Info@xn--exmple-cua.de",)] * 2
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        socket_file = wake.socket_path(load_config(cfg_path).store.url)  # None on PostgreSQL (NOTIFY)
        assert socket_file is None or not socket_file.exists()  # removed on stop


@pytest.mark.asyncio
@pytest.mark.sqlite_only  # the datagram socket; PostgreSQL's NOTIFY is tests/store/test_notify.py
async def test_wake_seam_on_a_real_socket(tmp_path):
    """A session that queued mail notifies after its commit, one that rolled back does not;
    the daemon's listener turns the datagram into a wake; no listener is never an error."""
    cfg_path = write_config(tmp_path / "config.toml", config_dict(tmp_path))
    config = load_config(cfg_path)
    add_tenants(cfg_path, "acme")
    channel = wake.channel_for(config.store.url)
    channel.notify()  # nobody listens yet: silently nothing

    woken = asyncio.Event()
    listener = await wake.listen(config.store.url, woken.set)
    assert listener is not None
    engine = db.make_engine(config.store)
    sessions = db.make_sessionmaker(engine)
    wake.wake_on_commit(sessions, channel.notify)
    try:
        with pytest.raises(RuntimeError), sessions.begin() as s:
            tenant = s.scalar(select(Tenant))
            new_outbox_row(s, tenant.id, None, "reply", ["a@example.org"], SystemClock().now())
            raise RuntimeError("rolled back")
        await asyncio.sleep(0.2)
        assert not woken.is_set()

        with sessions.begin() as s:  # a commit without outgoing mail
            s.scalar(select(Tenant))
        await asyncio.sleep(0.2)
        assert not woken.is_set()

        with sessions.begin() as s:
            tenant = s.scalar(select(Tenant))
            new_outbox_row(s, tenant.id, None, "reply", ["a@example.org"], SystemClock().now())
            assert s.info[OUTBOX_QUEUED] is True
        await asyncio.wait_for(woken.wait(), timeout=PROMPTLY)
        with sessions() as s:
            assert len(s.scalars(select(OutboxMessage)).all()) == 1
    finally:
        listener.close()
        engine.dispose()
    assert not wake.socket_path(config.store.url).exists()
    channel.notify()  # the daemon is gone: still nothing raised


def test_no_channel_for_postgresql_or_memory():
    """Stores without a socket path get the no-op channel (PostgreSQL plugs LISTEN/NOTIFY in here)."""
    assert isinstance(wake.channel_for("postgresql+psycopg://u@localhost/q"), wake.NoChannel)
    assert isinstance(wake.channel_for("sqlite:///:memory:"), wake.NoChannel)
    assert wake.socket_path("sqlite:////" + "d" * 120 + "/q.db") is None  # too long for sun_path
