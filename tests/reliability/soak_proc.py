"""The soak's daemon process: start and signal it, and sample its memory and file descriptors."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.integration.daemon_proc import spawn, wait_port


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _fds(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def sample(pid: int) -> dict[str, int]:
    """RSS and open fds of the daemon and its children (the processing child) together."""
    procs = [pid, *_children(pid)]
    return {"rss_kib": sum(_rss_kib(p) for p in procs), "fds": sum(_fds(p) for p in procs)}


class Daemon:
    def __init__(self, cfg: Path, log: Path, port: int) -> None:
        self.cfg, self.log, self.port = cfg, log, port
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = spawn(self.cfg, self.log)
        wait_port(self.port, self.proc, timeout=60)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)
        self.proc.wait(timeout=90)
        if sig == signal.SIGKILL:  # the child notices the parent is gone and ends by itself
            time.sleep(1.0)
