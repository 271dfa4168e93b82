"""The daemon's record of one processing child (`edges/worker_process.py`): its process, the pipe
to it, and the batch the dispatcher handed it and the child said it started."""

from __future__ import annotations

import multiprocessing
import threading
from dataclasses import dataclass, field
from multiprocessing.connection import Connection


@dataclass
class ChildHandle:
    """One processing child and what the parent knows of it."""

    slot: int
    conn: Connection
    proc: multiprocessing.process.BaseProcess
    spawned_at: float
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    handed: tuple[int, ...] = ()  # the batch sent and not finished (the dispatcher's view)
    in_hand: tuple[int, ...] = ()  # the batch the child said it started
    in_hand_since: float = 0.0
    killed_why: str | None = None
    streak: int = 0

    def send(self, msg: object) -> bool:
        with self.send_lock:
            try:
                self.conn.send(msg)
                return True
            except (OSError, ValueError):
                return False  # gone: its reader sees the end and replaces it
