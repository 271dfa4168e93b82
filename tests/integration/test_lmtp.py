"""The LMTP edge on real sockets with the stdlib's smtplib.LMTP: one reply per recipient after DATA."""

from __future__ import annotations

import asyncio
import smtplib
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from quotemaild import daemon as daemon_mod
from quotemaild.config import config_from_dict
from quotemaild.store.models import RawMessage
from tests.conftest import DOMAIN, config_dict, make_mail, start_daemon

pytestmark = pytest.mark.asyncio


def lmtp_transaction(target: str | tuple[str, int], rcpts: list[str], raw: bytes) -> dict[str, object]:
    """MAIL, RCPT per address, DATA; then read the remaining per-recipient replies after the first."""
    client = smtplib.LMTP(target[0], target[1]) if isinstance(target, tuple) else smtplib.LMTP(target)
    try:
        client.ehlo_or_helo_if_needed()  # LMTP: sends LHLO
        client.mail("klant@example.org")
        rcpt = {addr: client.rcpt(addr) for addr in rcpts}
        accepted = [a for a in rcpts if rcpt[a][0] == 250]
        data = [client.data(raw)]
        data.extend(client.getreply() for _ in accepted[1:])
        client.quit()
    finally:
        client.close()
    return {"rcpt": rcpt, "accepted": accepted, "data": data}


async def start_lmtp(tmp_path: Path, listen: str):
    cfg = config_from_dict(config_dict(tmp_path, lmtp={"listen": listen}))
    return await start_daemon(cfg)


async def test_one_reply_per_recipient_and_unknown_refused_at_rcpt(tmp_path):
    """Over TCP: the unknown recipient gets 550 5.1.1 at RCPT, each accepted one its own 250 after DATA."""
    d = await start_lmtp(tmp_path, "127.0.0.1:0")
    try:
        assert d.daemon.lmtp_server is not None
        host, port = d.daemon.lmtp_server.sockets[0].getsockname()[:2]
        rcpts = [d.address("acme"), f"ghost@{DOMAIN}", d.address("other"), f"acme+x@{DOMAIN}"]
        out = await asyncio.to_thread(lmtp_transaction, (host, port), rcpts, make_mail())
        assert out["rcpt"][f"ghost@{DOMAIN}"][0] == 550
        assert out["rcpt"][f"ghost@{DOMAIN}"][1].startswith(b"5.1.1")
        assert out["accepted"] == [d.address("acme"), d.address("other"), f"acme+x@{DOMAIN}"]
        codes = [(c, m.decode()) for c, m in out["data"]]
        assert [c for c, _ in codes] == [250, 250, 250]
        for (_, text), addr in zip(codes, out["accepted"], strict=True):
            assert text.startswith(f"2.0.0 <{addr}> Ok: stored as ")
        await d.wait_processed(2)
        with d.sessions() as s:
            rows = s.execute(select(RawMessage.tenant_id, RawMessage.channel, RawMessage.rcpt_to)).all()
        assert sorted((t, c, sorted(r)) for t, c, r in rows) == sorted([
            (d.tenants["acme"], "lmtp", sorted([d.address("acme"), f"acme+x@{DOMAIN}"])),
            (d.tenants["other"], "lmtp", [d.address("other")]),
        ])
    finally:
        await daemon_mod.stop(d.daemon, grace=2)


async def test_unix_socket_and_helo_refused(tmp_path):
    """On a unix socket: LHLO works, HELO/EHLO are not LMTP; the socket is removed at stop."""
    sock_dir = Path(tempfile.mkdtemp(prefix="qm-lmtp-"))  # AF_UNIX paths must stay short
    path = sock_dir / "lmtp.sock"
    d = await start_lmtp(tmp_path, f"unix:{path}")
    try:
        out = await asyncio.to_thread(lmtp_transaction, str(path), [d.address("acme")], make_mail())
        assert [c for c, _ in out["data"]] == [250]

        def helo() -> int:
            with smtplib.LMTP(str(path)) as client:
                return client.helo()[0]

        assert await asyncio.to_thread(helo) == 500
    finally:
        await daemon_mod.stop(d.daemon, grace=2)
    assert not path.exists()
    sock_dir.rmdir()


async def test_too_big_gets_one_552_per_recipient(tmp_path):
    """A message over the size limit is refused once per accepted recipient, and nothing is stored."""
    cfg = config_from_dict(config_dict(tmp_path, lmtp={"listen": "127.0.0.1:0"}, mail={"max_message_size": 2000}))
    d = await start_daemon(cfg)
    try:
        assert d.daemon.lmtp_server is not None
        target = d.daemon.lmtp_server.sockets[0].getsockname()[:2]
        out = await asyncio.to_thread(lmtp_transaction, target, [d.address("acme"), d.address("other")], make_mail(body="x" * 70 + "\n" * 0 + ("y" * 70 + "\n") * 60))
        assert [(c, m[:5]) for c, m in out["data"]] == [(552, b"5.3.4"), (552, b"5.3.4")]
        with d.sessions() as s:
            assert s.scalars(select(RawMessage.id)).all() == []
    finally:
        await daemon_mod.stop(d.daemon, grace=2)


async def test_store_failure_gives_451_per_recipient(tmp_path):
    """While the database is locked, each accepted recipient gets its own 451 4.3.0; nothing is half stored."""
    from tests.support.store_lock import StoreLocker

    cfg = config_from_dict(config_dict(tmp_path, lmtp={"listen": "127.0.0.1:0"}, store={"busy_timeout": 0.2}))
    d = await start_daemon(cfg)
    locker = StoreLocker(cfg.store.url)
    try:
        assert d.daemon.lmtp_server is not None
        target = d.daemon.lmtp_server.sockets[0].getsockname()[:2]
        locker.lock()
        out = await asyncio.to_thread(lmtp_transaction, target, [d.address("acme"), d.address("other")], make_mail())
        locker.release()
        assert [(c, m.decode()[:5]) for c, m in out["data"]] == [(451, "4.3.0"), (451, "4.3.0")]
        assert [m.decode().split()[1] for _, m in out["data"]] == [f"<{d.address('acme')}>", f"<{d.address('other')}>"]
        with d.sessions() as s:
            assert s.scalars(select(RawMessage.id)).all() == []
    finally:
        locker.release()
        await daemon_mod.stop(d.daemon, grace=2)
