"""Store trouble: the database locked past busy_timeout, made read-only, or its disk full.

The sender gets 451/452 at the right step (452 4.3.1 at MAIL FROM for a low disk, 451 4.3.0
after DATA when the commit fails), never 250 and never 500; when the trouble ends the daemon
serves again by itself; every message that got a 250 is in the store.

The disk-full case puts the store on a small tmpfs the test mounts (root only; skipped with the
reason otherwise).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, select

from quotemaild import daemon as daemon_mod
from quotemaild.config import config_from_dict
from quotemaild.store.models import RawMessage
from tests.conftest import DOMAIN, config_dict, make_mail, start_daemon
from tests.reliability.test_abusive_clients import Client

MAX_SIZE = 256 * 1024  # the disk check wants 1.5x this free


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "8m") -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


async def send(d, tag: str) -> tuple[str, str]:
    """One transaction; returns (reply to MAIL FROM, reply after the final dot or '')."""
    c = await Client.open(d)
    try:
        await c.reply()
        await c.cmd("EHLO trouble.example.org")
        mail_reply = await c.cmd("MAIL FROM:<k@example.org>")
        if not mail_reply.startswith("250"):
            return mail_reply, ""
        await c.cmd(f"RCPT TO:<acme@{DOMAIN}>")
        await c.cmd("DATA")
        await c.send(make_mail(subject=tag, message_id=f"<{tag}@example.org>") + b"\r\n.\r\n")
        return mail_reply, await c.reply(30)
    finally:
        c.close()


def stored_ids(d) -> set[str]:
    with d.sessions() as s:
        return {bytes(r.data).split(b"Message-ID: ")[1].split(b"\r\n")[0].decode()
                for r in s.scalars(select(RawMessage))}


async def daemon_on(tmp_path: Path, state: Path, **store):
    cfg = config_dict(tmp_path, mail={"max_message_size": MAX_SIZE},
                      store={"url": f"sqlite:///{state / 'q.db'}", "busy_timeout": 0.5, **store})
    cfg["state_dir"] = str(state)
    return await start_daemon(config_from_dict(cfg))


async def stop(d) -> None:
    await daemon_mod.stop(d.daemon, grace=2)
    d.sessions.kw["bind"].dispose()


def never_250_or_500(replies: list[str]) -> None:
    for r in replies:
        assert not r.startswith(("250 2.0.0", "500", "554")), r


async def test_locked_past_busy_timeout_answers_451_then_resumes(tmp_path, figure):
    """Another writer holds the database lock for longer than busy_timeout: 451 4.3.0 after the
    final dot; once it lets go the next message gets 250; each 250'd message is stored."""
    d = await daemon_on(tmp_path, tmp_path / "state")
    acked: set[str] = set()
    try:
        _, ok = await send(d, "before-lock")
        assert ok.startswith("250 2.0.0")
        acked.add("<before-lock@example.org>")
        holder = sqlite3.connect(tmp_path / "state" / "q.db", isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # the write lock, held
        try:
            replies = [await send(d, f"locked-{i}") for i in range(3)]
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert all(m.startswith("250") for m, _ in replies)  # the disk is fine: MAIL FROM passes
        assert all(r.startswith("451 4.3.0") for _, r in replies), replies
        never_250_or_500([r for _, r in replies])
        resumed = None
        for i in range(20):
            _, r = await send(d, f"after-lock-{i}")
            if r.startswith("250 2.0.0"):
                acked.add(f"<after-lock-{i}@example.org>")
                resumed = i
                break
            assert r.startswith("451 4.3.0"), r
            await asyncio.sleep(0.2)
        assert resumed is not None
        figure("transactions refused with 451 while locked", len(replies), "")
        figure("attempts until the first 250 after the lock ends", resumed + 1, "")
        assert acked <= stored_ids(d)
    finally:
        await stop(d)


async def test_read_only_database_answers_451_then_resumes(tmp_path, figure):
    """The database refuses writes the way a read-only database file does (SQLITE_READONLY,
    "attempt to write a readonly database"): every connection of the daemon's store, the commit
    writer's open one included, is put in `query_only` by the test, and taken out again when the
    trouble ends. 451 4.3.0, never 250 or 500; afterwards the writer drops its broken connection
    and stores again by itself; every 250'd message is there.

    Why not a read-only filesystem: Linux refuses to remount one read-only under an open writer
    (EBUSY), a read-only bind mount only affects files opened after it (the pool's older
    connections keep writing, durably, so 250 is right there), and a loop device set read-only
    still takes writes into the page cache."""
    d = await daemon_on(tmp_path, tmp_path / "state")
    acked: set[str] = set()
    read_only = {"on": False}
    engine = d.daemon.writer._engine

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn, record, proxy):  # type: ignore[no-untyped-def]
        dbapi_conn.execute(f"PRAGMA query_only = {'ON' if read_only['on'] else 'OFF'}")

    try:
        _, ok = await send(d, "before-ro")
        assert ok.startswith("250 2.0.0")
        acked.add("<before-ro@example.org>")
        read_only["on"] = True
        inserts = d.daemon.writer._inserts  # the connection the writer holds for its life
        if inserts is not None:
            inserts._db.execute("PRAGMA query_only = ON")
        replies = [await send(d, f"ro-{i}") for i in range(3)]
        read_only["on"] = False
        finals = [r or m for m, r in replies]
        assert all(f.startswith("451 4.3.0") for f in finals), finals
        never_250_or_500(finals)
        resumed = None
        for i in range(30):
            _, r = await send(d, f"after-ro-{i}")
            if r.startswith("250 2.0.0"):
                acked.add(f"<after-ro-{i}@example.org>")
                resumed = i
                break
            assert r.startswith("451 4.3.0"), r
            await asyncio.sleep(0.3)
        assert resumed is not None, "no 250 after the store was writable again"
        figure("transactions refused with 451 while read-only", len(replies), "")
        figure("attempts until the first 250 after read-write again", resumed + 1, "")
        assert acked <= stored_ids(d)
    finally:
        event.remove(engine, "checkout", _checkout)
        await stop(d)


async def test_disk_full_answers_452_at_mail_from_then_resumes(tmp_path, figure):
    """The store's disk fills up: 452 4.3.1 at MAIL FROM (before any data is sent), never 250
    or 500; with room again, mail is stored; every 250'd message is there."""
    with tmpfs(tmp_path / "mnt", size="4m") as mnt:
        d = await daemon_on(tmp_path, mnt)
        acked: set[str] = set()
        filler = mnt / "filler"
        try:
            _, ok = await send(d, "before-full")
            assert ok.startswith("250 2.0.0")
            acked.add("<before-full@example.org>")
            # Unbuffered, and the suppress outermost: a buffered file that met ENOSPC raises it
            # again when it is closed, whatever the free space left by the last partial write.
            with contextlib.suppress(OSError), filler.open("wb", buffering=0) as out:
                while True:
                    out.write(b"\0" * 65536)
            await asyncio.sleep(1.2)  # the free-space check is cached for a second
            replies = [await send(d, f"full-{i}") for i in range(3)]
            assert all(m.startswith("452 4.3.1") and r == "" for m, r in replies), replies
            filler.unlink()
            await asyncio.sleep(1.2)
            _, r = await send(d, "after-full")
            assert r.startswith("250 2.0.0"), r
            acked.add("<after-full@example.org>")
            figure("transactions refused with 452 at MAIL FROM while full", len(replies), "")
            assert acked <= stored_ids(d)
        finally:
            await stop(d)
