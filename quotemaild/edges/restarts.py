"""When to start a new processing child after one died: a pure policy, tested with tables."""

from __future__ import annotations

import os

STABLE_AFTER = 60.0  # a child that lived this long ended a crash streak: the next restart is quick
MAX_RESTART_DELAY = 30.0


def restart_delay(streak: int, base: float) -> float:
    """Seconds to wait before the next child after `streak` crashes in a row (1 = the first)."""
    return min(base * max(streak, 1), MAX_RESTART_DELAY)


def crash_streak(previous: int, lived: float, stable_after: float = STABLE_AFTER) -> int:
    """Crashes in a row, this one included: a child that ran `stable_after` seconds starts anew.

    Without the reset, a daemon whose child died once a week would wait the full 30 s ceiling
    after a few months, and mail would sit pending that long for nothing."""
    return previous + 1 if lived < stable_after else 1


def default_workers() -> int:
    """The number of cores minus one (the daemon's event loop and writer keep one), at least 1."""
    return max(1, (os.cpu_count() or 2) - 1)
