"""`backup` while the daemon receives mail, `restore` into a fresh store, and what restore refuses."""

from __future__ import annotations

import asyncio
import hashlib
import json
import signal
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from quotemaild.config import load_config
from quotemaild.store import db
from quotemaild.store.models import RawMessage, Tenant
from tests.conftest import config_dict, write_config
from tests.integration.daemon_proc import add_tenants, cli, cli_inproc, free_port, sender, spawn, wait_port

# `backup`/`restore` copy an SQLite file; PostgreSQL stores are backed up with pg_dump.
pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]


def rows(cfg_path: Path) -> tuple[list[str], list[RawMessage]]:
    engine = db.make_engine(load_config(cfg_path).store)
    with db.make_sessionmaker(engine)() as s:
        tenants = list(s.scalars(select(Tenant.slug)))
        raws = list(s.scalars(select(RawMessage).options(selectinload(RawMessage.content))))
    engine.dispose()
    return tenants, raws


async def test_backup_under_load_then_restore_into_a_fresh_store(tmp_path):
    """A backup taken mid-load holds every message acked before it began, intact; restore brings it back."""
    port = free_port()
    cfg_path = write_config(tmp_path / "config.toml", config_dict(tmp_path, smtp={"listen": f"127.0.0.1:{port}"}, log={"format": "json"}))
    add_tenants(cfg_path, "acme")
    proc = spawn(cfg_path, tmp_path / "daemon.log")
    backup_path = tmp_path / "backups" / "q.backup"
    backup_path.parent.mkdir()
    try:
        wait_port(port, proc)
        acked: list[str] = []
        stop = asyncio.Event()
        tasks = [asyncio.create_task(sender(port, w, acked, stop)) for w in range(4)]
        deadline = time.monotonic() + 30
        while len(acked) < 100 and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        acked_before = set(acked)
        result = await asyncio.to_thread(cli, cfg_path, "backup", str(backup_path), "--json")
        count_at_end = len(acked)
        await asyncio.sleep(0.3)
        stop.set()
        await asyncio.gather(*tasks)
        assert result.returncode == 0, result.stderr
        info = json.loads(result.stdout)
        assert len(acked) > count_at_end or len(acked) >= 100  # the daemon kept receiving

        live_restore = cli_inproc(cfg_path, "restore", str(backup_path), "--yes")
        assert live_restore.returncode == 6 and "in use" in live_restore.stderr
        second = cli(cfg_path, "serve")  # one daemon per SQLite store
        assert second.returncode == 6 and f"in use by pid {proc.pid}" in second.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0

    assert info["tenants"] == 1 and info["raw_messages"] >= len(acked_before)
    assert not backup_path.with_name(backup_path.name + ".partial").exists()
    conn = sqlite3.connect(backup_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    conn.close()

    fresh = tmp_path / "fresh"
    fresh_cfg = write_config(tmp_path / "fresh.toml", config_dict(fresh))
    refused = cli_inproc(fresh_cfg, "restore", str(backup_path))
    assert refused.returncode == 4 and "--yes" in refused.stderr
    restored = cli_inproc(fresh_cfg, "restore", str(backup_path), "--yes", "--json")
    assert restored.returncode == 0, restored.stderr
    out = json.loads(restored.stdout)
    assert out["revision"] in db.head_revisions() and out["raw_messages"] == info["raw_messages"]

    tenants, raws = rows(fresh_cfg)
    assert tenants == ["acme"]
    ids = set()
    for raw in raws:
        assert raw.sha256 == hashlib.sha256(raw.data).hexdigest() and raw.size == len(raw.data)
        ids.add(raw.data.split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0].decode())
    assert acked_before <= ids
    listing = cli_inproc(fresh_cfg, "tenant", "list", "--json")
    assert [t["slug"] for t in json.loads(listing.stdout)] == ["acme"]


def test_restore_refuses_files_that_are_not_a_quotemaild_store(tmp_path, run_cli):
    """Not SQLite, SQLite without our tables, or an unknown schema revision: exit 4, store untouched."""
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"hello, not a database")
    assert "not an SQLite database" in run_cli("restore", str(junk), "--yes", expect=4).stderr

    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    assert "not a quotemaild database" in run_cli("restore", str(other), "--yes", expect=4).stderr

    run_cli("tenant", "add", "Acme", "--slug", "acme")
    future = tmp_path / "future.db"
    run_cli("backup", str(future))
    conn = sqlite3.connect(future)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    assert "unknown to this quotemaild" in run_cli("restore", str(future), "--yes", expect=4).stderr
    assert "exists" in run_cli("backup", str(future), expect=4).stderr
    run_cli("backup", str(future), "--force")
    assert [t["slug"] for t in json.loads(run_cli("tenant", "list", "--json").stdout)] == ["acme"]


def test_backup_and_restore_on_postgresql_point_to_pg_tools(tmp_path):
    """A PostgreSQL store: backup/restore print the pg_dump/pg_restore command and exit 1."""
    cfg = write_config(tmp_path / "pg.toml", config_dict(tmp_path, store={"url": "postgresql://q@127.0.0.1:1/quotemaild"}))
    backup = cli_inproc(cfg, "backup", str(tmp_path / "x.dump"))
    assert backup.returncode == 1 and "pg_dump" in backup.stderr and backup.stdout == ""
    restore = cli_inproc(cfg, "restore", str(tmp_path / "x.dump"), "--yes")
    assert restore.returncode == 1 and "pg_restore" in restore.stderr
