"""The daemon's claim on an SQLite store: an flock on `<database>.lock` held while it serves.

`restore` takes the same lock before replacing the database, so it refuses while a daemon runs,
and a daemon cannot start half-way through a restore. The kernel drops the lock when the process
dies (kill -9 included), so a stale lock file never blocks anything. PostgreSQL stores are shared
by design (several instances) and get no lock.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from quotemaild.errors import StoreError


class StoreLocked(StoreError):
    """Another process (a running daemon, a restore) holds the store."""


class StoreLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(fd)
            holder = self.path.read_text().strip() or "another process"
            raise StoreLocked(f"{self.path.with_suffix('')} is in use by pid {holder}") from exc
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        return Path(parsed.database)
    return None


def store_lock(url: str) -> StoreLock | None:
    path = sqlite_path(url)
    return StoreLock(path.with_name(path.name + ".lock")) if path else None
