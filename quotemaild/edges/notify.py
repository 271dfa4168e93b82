"""systemd notification (Type=notify): READY=1, STATUS=, WATCHDOG=1, STOPPING=1.

A datagram to the AF_UNIX socket named by $NOTIFY_SOCKET (`@name` is the abstract namespace), the
protocol of sd_notify(3). Without $NOTIFY_SOCKET every call is a no-op, so `serve` behaves the same
in a terminal. Send errors are logged, never raised: systemd going away must not stop mail.

The watchdog is pinged by a task on the daemon's own event loop (`watchdog`), so a stuck loop stops
pinging and systemd restarts the service; it also stops when `healthy()` says a worker died.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Callable, Mapping

from quotemaild.logs import get_logger

log = get_logger(__name__)


class Notifier:
    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        addr = env.get("NOTIFY_SOCKET", "")
        self._addr = "\0" + addr[1:] if addr.startswith("@") else addr
        self._sock: socket.socket | None = None
        self.watchdog_seconds = _watchdog_seconds(env)

    @property
    def enabled(self) -> bool:
        return bool(self._addr)

    def send(self, *states: str) -> None:
        if not self._addr:
            return
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._sock.sendto("\n".join(states).encode(), self._addr)
        except OSError as exc:
            log.warning("sd_notify_failed", error=str(exc))

    def ready(self, status: str) -> None:
        self.send("READY=1", f"STATUS={status}", f"MAINPID={os.getpid()}")

    def status(self, status: str) -> None:
        self.send(f"STATUS={status}")

    def stopping(self, status: str = "stopping", extend_seconds: float | None = None) -> None:
        """STOPPING=1; with `extend_seconds`, also ask systemd (EXTEND_TIMEOUT_USEC) to wait that long."""
        states = ["STOPPING=1", f"STATUS={status}"]
        if extend_seconds is not None:
            states.append(f"EXTEND_TIMEOUT_USEC={int(extend_seconds * 1_000_000)}")
        self.send(*states)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None


async def watchdog(notifier: Notifier, healthy: Callable[[], bool]) -> None:
    """Ping WATCHDOG=1 at half the watchdog timeout while `healthy()`; return at once if no watchdog."""
    interval = notifier.watchdog_seconds
    if not interval or not notifier.enabled:
        return
    interval /= 2
    while True:
        if healthy():
            notifier.send("WATCHDOG=1")
        else:
            log.error("watchdog_withheld", reason="a worker (thread or processing child) is not running")
        await asyncio.sleep(interval)


def _watchdog_seconds(env: Mapping[str, str]) -> float | None:
    usec = env.get("WATCHDOG_USEC", "")
    pid = env.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if pid and pid != str(os.getpid()):
        return None  # meant for another process (e.g. our parent shell)
    return int(usec) / 1_000_000
