"""kill -9 in the middle of a load: every message that got 250 is in the store after a restart."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from quotemaild.config import load_config
from quotemaild.store import db
from quotemaild.store.models import Message, RawData, RawMessage
from tests.conftest import config_dict, write_config
from tests.integration.daemon_proc import free_port, sender, spawn, wait_port

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


def group_members(pgid: int) -> set[int]:
    """Live processes of a process group (the daemon runs in its own session)."""
    members = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.add(int(stat.parent.name))
    return members


async def test_every_acked_message_survives_kill_9(tmp_path):
    """Several connections send; the daemon is SIGKILLed mid-load; all 250'd mail is stored and processed."""
    port = free_port()
    cfg_path = write_config(tmp_path / "config.toml", config_dict(tmp_path, smtp={"listen": f"127.0.0.1:{port}"}, log={"format": "json"}))
    cfg = load_config(cfg_path)
    engine = db.make_engine(cfg.store)
    db.migrate(engine)
    subprocess.run(
        [sys.executable, "-m", "quotemaild", "--config", str(cfg_path), "tenant", "add", "Acme", "--slug", "acme"],
        check=True,
        capture_output=True,
    )
    log = tmp_path / "daemon.log"
    proc = spawn(cfg_path, log)
    wait_port(port, proc)

    acked: list[str] = []
    stop = asyncio.Event()
    tasks = [asyncio.create_task(sender(port, w, acked, stop, prefix="crash")) for w in range(8)]
    deadline = time.monotonic() + 30
    while len(acked) < 300 and time.monotonic() < deadline:
        await asyncio.sleep(0.02)
    helpers = group_members(proc.pid) - {proc.pid}
    assert helpers, "the processing child should be running"
    os.kill(proc.pid, signal.SIGKILL)  # in the middle of the load: clients are still sending
    proc.wait()
    # Its processing child (and the forkserver) notice the parent is gone and end by themselves:
    # no orphan keeps writing to the store that a restarted daemon is about to open.
    deadline = time.monotonic() + 15
    while group_members(proc.pid) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    assert not group_members(proc.pid), f"left behind: {group_members(proc.pid)}"
    await asyncio.sleep(0.2)
    stop.set()
    await asyncio.gather(*tasks)
    assert len(acked) >= 300, f"only {len(acked)} acked before the deadline; log: {log.read_text()[-2000:]}"

    sessions = db.make_sessionmaker(engine)
    with sessions() as s:
        stored = {m.split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0].decode() for m in s.scalars(select(RawData.data))}
    missing = set(acked) - stored
    assert not missing, f"{len(missing)} acked messages lost: {sorted(missing)[:5]}"

    # After a restart the processor picks up what was acked but not yet processed.
    proc = spawn(cfg_path, log)
    try:
        wait_port(port, proc)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with sessions() as s:
                pending = s.scalars(select(RawMessage.id).where(RawMessage.state == "pending")).all()
            if not pending:
                break
            await asyncio.sleep(0.2)
        with sessions() as s:
            ids = set(s.scalars(select(Message.message_id)))
            failed = s.scalars(select(RawMessage.id).where(RawMessage.state == "failed")).all()
        assert not pending and not failed
        assert set(acked) <= ids
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        engine.dispose()
