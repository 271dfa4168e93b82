"""Life cycle on a real process: SIGTERM drains (421 for new sessions, DATA in flight finishes,
batch flushed, exit 0), SIGHUP reloads, sd_notify over a real AF_UNIX datagram socket."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path

import aiosmtplib
import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from quotemaild.config import load_config
from quotemaild.store import db
from quotemaild.store.models import RawMessage
from tests.conftest import DOMAIN, config_dict, make_mail, write_config
from tests.integration.daemon_proc import (
    add_tenants,
    free_port,
    log_events,
    sender,
    spawn,
    wait_event,
    wait_port,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


def setup(tmp_path: Path, **sections) -> tuple[Path, int]:
    port = free_port()
    data = config_dict(tmp_path, smtp={"listen": f"127.0.0.1:{port}"}, log={"format": "json", "level": "info"})
    for name, values in sections.items():
        if isinstance(values, dict):
            data.setdefault(name, {}).update(values)
        else:
            data[name] = values
    cfg_path = write_config(tmp_path / "config.toml", data)
    add_tenants(cfg_path, "acme")
    return cfg_path, port


def stored_rows(cfg_path: Path) -> list[RawMessage]:
    engine = db.make_engine(load_config(cfg_path).store)
    with db.make_sessionmaker(engine)() as s:
        rows = list(s.scalars(select(RawMessage).options(selectinload(RawMessage.content))))
    engine.dispose()
    return rows


def message_id(data: bytes) -> str:
    return data.split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0].decode()


def greeting(port: int) -> bytes | None:
    """The first line a new connection gets, or None when the connection is refused/reset."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            return s.makefile("rb").readline()
    except (ConnectionRefusedError, ConnectionResetError):
        return None


class SlowData:
    """A raw SMTP client stopped in the middle of DATA."""

    def __init__(self, port: int, mid: str) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")
        self.mail = make_mail(message_id=mid)
        assert self.file.readline().startswith(b"220")
        for cmd, code in ((b"EHLO slow.example.org", b"250 "), (b"MAIL FROM:<klant@example.org>", b"250"),
                          (f"RCPT TO:<acme@{DOMAIN}>".encode(), b"250"), (b"DATA", b"354")):
            self.sock.sendall(cmd + b"\r\n")
            line = self.file.readline()
            while line[3:4] == b"-":
                line = self.file.readline()
            assert line.startswith(code), line
        self.sock.sendall(self.mail[:40])  # half the message

    def finish(self) -> list[bytes]:
        self.sock.sendall(self.mail[40:] + b"\r\n.\r\n")
        return [line for line in self.file]  # the DATA reply, then 421 and close

    def close(self) -> None:
        self.file.close()
        self.sock.close()


async def test_sigterm_under_load_stores_every_acked_message_and_exits_0(tmp_path):
    """8 senders; SIGTERM mid-load: exit 0, every 250 stored exactly as sent, nothing unacked stored."""
    cfg_path, port = setup(tmp_path, shutdown_grace=10)
    log = tmp_path / "daemon.log"
    proc = spawn(cfg_path, log)
    try:
        wait_port(port, proc)
        acked: list[str] = []
        stop = asyncio.Event()
        tasks = [asyncio.create_task(sender(port, w, acked, stop)) for w in range(8)]
        deadline = time.monotonic() + 30
        while len(acked) < 200 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        await asyncio.to_thread(wait_event, log, "shutdown_requested")
        late = await asyncio.to_thread(greeting, port)  # a connection opened after SIGTERM
        assert late is None or late.startswith(b"421 4.3.2"), late
        while proc.poll() is None and time.monotonic() - started < 30:
            await asyncio.sleep(0.05)
        stop.set()
        await asyncio.gather(*tasks)
        assert proc.wait(timeout=5) == 0, log.read_text()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert len(acked) >= 200
    rows = stored_rows(cfg_path)
    for row in rows:  # nothing half-written
        assert (row.size, row.sha256) == (len(row.data), hashlib.sha256(row.data).hexdigest())
    stored = [message_id(r.data) for r in rows]
    assert len(stored) == len(set(stored))
    assert set(stored) == set(acked), f"lost: {sorted(set(acked) - set(stored))[:5]} unacked: {sorted(set(stored) - set(acked))[:5]}"
    events = [e["event"] for e in log_events(log)]
    assert events.index("shutdown_requested") < events.index("stopped")


async def test_sigterm_lets_data_in_flight_finish_and_new_sessions_get_421(tmp_path):
    """During the drain a new connection gets 421 4.3.2; a DATA in progress still gets its 250."""
    cfg_path, port = setup(tmp_path, shutdown_grace=20)
    log = tmp_path / "daemon.log"
    proc = spawn(cfg_path, log)
    slow = None
    try:
        wait_port(port, proc)
        slow = SlowData(port, "<slow-1@example.org>")
        idle = socket.create_connection(("127.0.0.1", port), timeout=10)  # an idle session is ended at once
        idle_file = idle.makefile("rb")
        assert idle_file.readline().startswith(b"220")
        proc.send_signal(signal.SIGTERM)
        wait_event(log, "shutdown_requested")
        assert idle_file.readline().startswith(b"421 4.3.2")
        assert greeting(port).startswith(b"421 4.3.2")  # listener still open while draining
        assert proc.poll() is None
        replies = slow.finish()
        assert replies[0].startswith(b"250 2.0.0"), replies
        assert replies[1].startswith(b"421 4.3.2"), replies
        assert proc.wait(timeout=10) == 0
        assert greeting(port) is None  # gone: refused
        idle_file.close()
        idle.close()
    finally:
        if slow:
            slow.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert [message_id(r.data) for r in stored_rows(cfg_path)] == ["<slow-1@example.org>"]


async def test_grace_expiry_drops_the_unfinished_session_and_still_exits_0(tmp_path):
    """A DATA that does not finish within shutdown_grace is cut off unacknowledged; exit 0."""
    cfg_path, port = setup(tmp_path, shutdown_grace=1)
    log = tmp_path / "daemon.log"
    proc = spawn(cfg_path, log)
    slow = None
    try:
        wait_port(port, proc)
        slow = SlowData(port, "<never-1@example.org>")
        proc.send_signal(signal.SIGTERM)
        started = time.monotonic()
        assert proc.wait(timeout=10) == 0
        assert 0.9 < time.monotonic() - started < 8
        assert slow.file.read() == b""  # closed without a reply: the sender will retry
    finally:
        if slow:
            slow.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert stored_rows(cfg_path) == []
    assert wait_event(log, "shutdown_grace_expired")["sessions"] == 1


async def test_sighup_reloads_log_level_and_tenants_and_names_what_needs_a_restart(tmp_path):
    """SIGHUP: new log level in force, a tenant added meanwhile accepted, restart-only keys logged."""
    cfg_path, port = setup(tmp_path, log={"format": "json", "level": "warning"})
    log = tmp_path / "daemon.log"
    proc = spawn(cfg_path, log)
    try:
        wait_port(port, proc)
        assert greeting(port).startswith(b"220")
        time.sleep(0.3)
        assert "connection_open" not in [e["event"] for e in log_events(log)]  # info is filtered

        add_tenants(cfg_path, "newco")
        data = config_dict(tmp_path, smtp={"listen": f"127.0.0.1:{free_port()}", "max_recipients": 7},
                           log={"format": "json", "level": "info"})
        write_config(cfg_path, data)
        before = len(log_events(log))
        proc.send_signal(signal.SIGHUP)
        reloaded = wait_event(log, "reloaded", after=before)
        assert reloaded["applied"] == ["log.level", "smtp.max_recipients"]
        assert reloaded["needs_restart"] == ["smtp.listen"]
        assert reloaded["tenants"] == 2
        assert wait_event(log, "restart_needed", after=before)["keys"] == ["smtp.listen"]

        async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=5) as client:  # old port kept
            errors, _ = await client.sendmail("klant@example.org", [f"newco@{DOMAIN}"], make_mail())
        assert errors == {}
        wait_event(log, "connection_open", after=before)  # info is now logged
        wait_event(log, "message_stored", after=before)

        cfg_path.write_text("this is [not toml")
        before = len(log_events(log))
        proc.send_signal(signal.SIGHUP)
        assert "not valid TOML" in wait_event(log, "reload_failed", after=before)["error"]
        assert greeting(port).startswith(b"220")  # still serving on the old config
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_sd_notify_ready_watchdog_and_stopping(tmp_path):
    """READY=1 only once SMTP accepts; WATCHDOG=1 at half of WATCHDOG_USEC; STOPPING=1 on SIGTERM."""
    short = Path(tempfile.mkdtemp(prefix="qn", dir="/tmp"))  # AF_UNIX paths are limited to 108 bytes
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(short / "notify"))
    notify.settimeout(20)
    http_port = free_port()
    cfg_path, port = setup(tmp_path, http={"listen": f"127.0.0.1:{http_port}"})
    log = tmp_path / "daemon.log"
    proc = spawn(cfg_path, log, env={"NOTIFY_SOCKET": str(short / "notify"), "WATCHDOG_USEC": "400000"})
    try:
        first = notify.recv(4096).decode()
        while "READY=1" not in first:
            first = notify.recv(4096).decode()
        ready = dict(line.split("=", 1) for line in first.splitlines())
        assert greeting(port).startswith(b"220")  # bound before READY, no retry needed
        socket.create_connection(("127.0.0.1", http_port), timeout=2).close()
        assert ready["MAINPID"] == str(proc.pid)
        assert f"127.0.0.1:{port}" in ready["STATUS"] and f"127.0.0.1:{http_port}" in ready["STATUS"]

        pings = []
        started = time.monotonic()
        while time.monotonic() - started < 1.2:
            msg = notify.recv(4096).decode()
            if msg == "WATCHDOG=1":
                pings.append(time.monotonic())
        assert len(pings) >= 4, pings  # every 0.2 s
        assert max(b - a for a, b in zip(pings, pings[1:])) < 0.4

        proc.send_signal(signal.SIGTERM)
        msg = ""
        while "STOPPING=1" not in msg:
            msg = notify.recv(4096).decode()
        assert "EXTEND_TIMEOUT_USEC=60000000" in msg  # shutdown_grace 30 + 30 s margin
        assert proc.wait(timeout=15) == 0
    finally:
        notify.close()
        shutil.rmtree(short, ignore_errors=True)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
