"""The dispatcher's bounded window of pending raw ids (`edges/worker_process.py`).

The commit writer reports the ids it stored; they go into the window while there is room. Past
that the window only notes that the store is ahead (`behind`) and is refilled from the store
(pending ids above the highest one it ever took, its `cursor`) once it runs low. So the daemon's
memory stays flat however far processing falls behind, and what was pending at start is found
the same way. No I/O and no locking here: the dispatcher reads the store and holds its lock.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable


class PendingWindow:
    def __init__(self, size: int) -> None:
        self.size = size
        self._ids: deque[int] = deque()
        self.cursor = 0  # the highest raw id ever put in the window
        self.behind = True  # the store may hold pending ids above the cursor (at start: yes)

    def __len__(self) -> int:
        return len(self._ids)

    def offer(self, raw_ids: Iterable[int]) -> None:
        """Ids the writer reports as stored, in commit order."""
        for raw_id in raw_ids:
            if raw_id <= self.cursor:
                continue  # already taken from the store
            if len(self._ids) >= self.size:
                self.behind = True  # it waits in the store; a refill finds it
                continue
            if not self.behind:
                self._ids.append(raw_id)
                self.cursor = raw_id

    def refill_room(self) -> int:
        """How many ids to read from the store above `cursor` now; 0 when no refill is due."""
        if not self.behind or len(self._ids) > self.size // 2:
            return 0
        return self.size - len(self._ids)

    def refilled(self, found: list[int], room: int, handed: set[int]) -> None:
        """The store's pending ids above the cursor (at most `room`); those a child holds stay out."""
        for raw_id in found:
            if raw_id not in handed:
                self._ids.append(raw_id)
            self.cursor = max(self.cursor, raw_id)
        if len(found) < room:
            self.behind = False  # all caught up: the writer's reports are complete from here

    def add(self, raw_ids: Iterable[int]) -> None:
        """Ids found some other way (another instance's orphans), whatever the cursor."""
        self._ids.extend(raw_ids)

    def take(self, most: int) -> tuple[int, ...]:
        """The oldest `most` ids, sorted: the next batch."""
        n = min(most, len(self._ids))
        return tuple(sorted(self._ids.popleft() for _ in range(n)))
