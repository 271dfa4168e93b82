"""sd_notify over a real AF_UNIX datagram socket; the watchdog pings from the loop and stops when it is stuck."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from quotemaild.edges.notify import Notifier, watchdog


@pytest.fixture
def notify_socket() -> Iterator[tuple[socket.socket, str]]:
    d = Path(tempfile.mkdtemp(prefix="qn", dir="/tmp"))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(d / "n"))
    sock.settimeout(2)
    yield sock, str(d / "n")
    sock.close()
    shutil.rmtree(d)


def drain(sock: socket.socket) -> list[tuple[float, str]]:
    out = []
    sock.setblocking(False)
    try:
        while True:
            out.append((time.monotonic(), sock.recv(4096).decode()))
    except BlockingIOError:
        pass
    finally:
        sock.settimeout(2)
    return out


def test_without_notify_socket_everything_is_a_no_op():
    """No NOTIFY_SOCKET: not enabled, no watchdog, sending does nothing and raises nothing."""
    n = Notifier({})
    assert not n.enabled and n.watchdog_seconds is None
    n.ready("x")
    n.stopping()
    n.close()


def test_ready_status_and_stopping_datagrams(notify_socket):
    """READY=1 carries STATUS and MAINPID; STOPPING=1 carries a STATUS."""
    sock, path = notify_socket
    n = Notifier({"NOTIFY_SOCKET": path})
    n.ready("serving: smtp 127.0.0.1:25")
    assert sock.recv(4096).decode().splitlines() == ["READY=1", "STATUS=serving: smtp 127.0.0.1:25", f"MAINPID={os.getpid()}"]
    n.stopping("draining 2 sessions")
    assert sock.recv(4096).decode() == "STOPPING=1\nSTATUS=draining 2 sessions"
    n.stopping("draining", extend_seconds=35)
    assert sock.recv(4096).decode() == "STOPPING=1\nSTATUS=draining\nEXTEND_TIMEOUT_USEC=35000000"
    n.close()


def test_abstract_socket_names():
    """`@name` in NOTIFY_SOCKET is the abstract namespace."""
    name = f"quotemaild-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(2)
    try:
        n = Notifier({"NOTIFY_SOCKET": "@" + name})
        n.status("hello")
        assert sock.recv(100) == b"STATUS=hello"
        n.close()
    finally:
        sock.close()


@pytest.mark.parametrize(
    ("env", "seconds"),
    [
        ({"WATCHDOG_USEC": "30000000"}, 30.0),
        ({"WATCHDOG_USEC": "500000", "WATCHDOG_PID": str(os.getpid())}, 0.5),
        ({"WATCHDOG_USEC": "500000", "WATCHDOG_PID": "1"}, None),  # for another process
        ({"WATCHDOG_USEC": "0"}, None),
        ({"WATCHDOG_USEC": "soon"}, None),
        ({}, None),
    ],
)
def test_watchdog_usec_and_pid(env, seconds):
    """WATCHDOG_USEC is honoured, but only when WATCHDOG_PID (if set) is us."""
    assert Notifier({"NOTIFY_SOCKET": "/nonexistent", **env}).watchdog_seconds == seconds


async def test_watchdog_pings_at_half_the_timeout_and_a_stuck_loop_stops_pinging(notify_socket):
    """Pings every WATCHDOG_USEC/2 from the loop; while the loop is blocked no ping goes out."""
    sock, path = notify_socket
    received: list[tuple[float, str]] = []

    done = threading.Event()

    def listen() -> None:  # a thread, so arrival times are real while the loop is stuck
        sock.settimeout(0.05)
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                received.append((time.monotonic(), sock.recv(4096).decode()))

    listener = threading.Thread(target=listen)
    listener.start()
    n = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "200000"})
    task = asyncio.create_task(watchdog(n, lambda: True))
    await asyncio.sleep(0.55)
    time.sleep(0.6)  # the event loop is stuck
    await asyncio.sleep(0.25)
    task.cancel()
    done.set()
    listener.join()
    pings = [t for t, msg in received if msg == "WATCHDOG=1"]
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    assert len(pings) >= 5
    assert sum(1 for g in gaps if g > 0.5) == 1, gaps  # exactly the stuck stretch
    assert sorted(gaps)[len(gaps) // 2] < 0.2
    n.close()


async def test_watchdog_is_withheld_while_a_worker_is_dead(notify_socket):
    """When a worker thread died the loop stops pinging, so systemd restarts the service."""
    sock, path = notify_socket
    n = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "100000"})
    task = asyncio.create_task(watchdog(n, lambda: False))
    await asyncio.sleep(0.3)
    task.cancel()
    assert [m for _, m in drain(sock)] == []
    n.close()


async def test_no_watchdog_task_without_watchdog_usec(notify_socket):
    """Without WATCHDOG_USEC the watchdog coroutine returns at once."""
    _, path = notify_socket
    await asyncio.wait_for(watchdog(Notifier({"NOTIFY_SOCKET": path}), lambda: True), 1)
