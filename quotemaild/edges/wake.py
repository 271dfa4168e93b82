"""Wake the daemon's outbox the moment any process queues outgoing mail.

The outbox worker polls (`[outbound] poll_interval`) as a safety net, but a seller who queues a
reply from the CLI (or a script) expects it gone now, not at the next poll. One seam:

    services/outbox.py   marks the session when it queues a row or re-queues one (`retry`)
    wake_on_commit()     after that session commits, calls the store's channel `notify()`
    WakeChannel          SQLite: a datagram to the daemon's socket next to the database
                         (`<database>.wake`, beside the `<database>.lock` the daemon holds);
                         PostgreSQL: `NOTIFY` in the committing transaction itself
                         (`store/notify.py`), heard by every instance on the database.
    listen()             in the daemon: binds the socket (SQLite) or LISTENs (PostgreSQL) and
                         calls the outbox's `wake()`.

A notification carries nothing but "look now": the worker reads the store as on every poll, so a
lost, duplicated or forged datagram costs at most one extra look. Sending never fails the sender:
no daemon, a stopped daemon or a full socket buffer just leave the mail for the next poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.logs import get_logger
from quotemaild.services.outbox import OUTBOX_QUEUED
from quotemaild.store.lock import sqlite_path
from quotemaild.store.notify import OUTBOX, PgListener

log = get_logger(__name__)

# sockaddr_un holds 108 bytes with the terminating NUL.
MAX_SOCKET_PATH = 107


class WakeChannel(Protocol):
    def notify(self) -> None:
        """Tell the daemon serving this store to look at the outbox now; never raises."""


class WakeListener(Protocol):
    def close(self) -> None: ...


class NoChannel:
    """A store without a wake channel (yet): the outbox's poll is all there is."""

    def notify(self) -> None:
        return None


class SocketChannel:
    """The sending end for an SQLite store: one datagram to `<database>.wake`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def notify(self) -> None:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.setblocking(False)
                sock.sendto(b"w", str(self.path))
        except OSError:  # no daemon, not ours to write, buffer full: the poll picks the mail up
            pass


def socket_path(store_url: str) -> Path | None:
    """`<database>.wake` for a file-backed SQLite store, else None."""
    path = sqlite_path(store_url)
    if path is None:
        return None
    wake = path.with_name(path.name + ".wake").absolute()
    return wake if len(os.fsencode(wake)) <= MAX_SOCKET_PATH else None


def channel_for(store_url: str) -> WakeChannel:
    path = socket_path(store_url)
    return SocketChannel(path) if path is not None else NoChannel()


def wake_on_commit(sessions: sessionmaker[Session], notify: Callable[[], None]) -> None:
    """Call `notify` after every commit of a session from `sessions` that queued outgoing mail."""

    def after_commit(session: Session) -> None:
        if session.info.pop(OUTBOX_QUEUED, False):
            notify()

    def after_rollback(session: Session) -> None:
        session.info.pop(OUTBOX_QUEUED, None)

    event.listen(sessions, "after_commit", after_commit)
    event.listen(sessions, "after_rollback", after_rollback)


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, on_wake: Callable[[], None]) -> None:
        self.on_wake = on_wake

    def datagram_received(self, data: bytes, addr: object) -> None:
        self.on_wake()


class SocketListener:
    def __init__(self, transport: asyncio.DatagramTransport, path: Path) -> None:
        self._transport = transport
        self.path = path

    def close(self) -> None:
        self._transport.close()
        with contextlib.suppress(OSError):
            self.path.unlink()


async def listen(store_url: str, on_wake: Callable[[], None]) -> WakeListener | None:
    """The daemon's end. Call only while holding the store lock: a socket file left by a daemon
    that died is then known to be stale and is replaced. None when the store has no channel."""
    if make_url(store_url).get_backend_name() == "postgresql":
        listener = PgListener(store_url)
        listener.on(OUTBOX, on_wake)
        return listener.start()
    path = socket_path(store_url)
    if path is None:
        if sqlite_path(store_url) is not None:
            log.warning("wake_socket_unavailable", reason="database path too long for a unix socket",
                        fallback="outbox poll_interval")
        return None
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.bind(str(path))
        os.chmod(path, 0o660)  # like the database: its user and group may write, so may wake
    except OSError as exc:
        sock.close()
        log.warning("wake_socket_unavailable", path=str(path), reason=str(exc), fallback="outbox poll_interval")
        return None
    transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(on_wake), sock=sock)
    return SocketListener(transport, path)
