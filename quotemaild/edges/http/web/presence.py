"""Who else has a request open, and who is typing a reply — so two sellers never answer one
customer twice.

Kept in the daemon's memory (it serves every page from one process): a page view or a ping from
the page's script marks the user as present for `TTL`; a ping while the reply box is being typed
in marks them as typing for `TYPING_TTL`. Nothing is stored: after a restart the pings rebuild it.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

TTL = dt.timedelta(seconds=45)  # the script pings every 15 s
TYPING_TTL = dt.timedelta(seconds=20)
MAX_REQUESTS = 10_000  # a bound on memory; the oldest entries go first


@dataclass
class Seen:
    name: str
    at: dt.datetime
    typing_until: dt.datetime | None = None


class Presence:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_request: dict[tuple[int, int], dict[int, Seen]] = {}

    def ping(self, tenant_id: int, request_id: int, user_id: int, name: str, now: dt.datetime,
             typing: bool = False) -> None:
        with self._lock:
            users = self._by_request.setdefault((tenant_id, request_id), {})
            seen = users.get(user_id) or Seen(name, now)
            seen.name, seen.at = name, now
            if typing:
                seen.typing_until = now + TYPING_TTL
            users[user_id] = seen
            if len(self._by_request) > MAX_REQUESTS:
                self._by_request.pop(next(iter(self._by_request)))

    def others(self, tenant_id: int, request_id: int, user_id: int, now: dt.datetime) -> dict[str, list[str]]:
        """Names of the other users viewing and typing now."""
        with self._lock:
            users = self._by_request.get((tenant_id, request_id), {})
            for uid in [uid for uid, s in users.items() if now - s.at > TTL]:
                del users[uid]
            others = [s for uid, s in users.items() if uid != user_id]
        return {
            "viewing": sorted(s.name for s in others),
            "typing": sorted(s.name for s in others if s.typing_until and s.typing_until > now),
        }
