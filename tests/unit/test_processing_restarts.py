"""How soon a new processing child starts after one died: a streak of crashes backs off, a
child that ran for a while starts the count anew."""

from __future__ import annotations

import pytest

from quotemaild.edges.restarts import MAX_RESTART_DELAY, STABLE_AFTER, crash_streak, restart_delay


@pytest.mark.parametrize(
    ("previous", "lived", "expected"),
    [
        (0, 0.5, 1),  # the first crash
        (1, 0.5, 2),  # died again at once
        (4, STABLE_AFTER - 0.1, 5),
        (4, STABLE_AFTER, 1),  # ran a minute: the streak is over
        (30, 3600.0, 1),  # a crash a week apart is not a streak
    ],
)
def test_crash_streak(previous: int, lived: float, expected: int) -> None:
    assert crash_streak(previous, lived) == expected


@pytest.mark.parametrize(
    ("streak", "base", "expected"),
    [
        (1, 1.0, 1.0),
        (3, 1.0, 3.0),
        (0, 1.0, 1.0),  # never less than one base step
        (1000, 1.0, MAX_RESTART_DELAY),
        (2, 0.1, 0.2),
    ],
)
def test_restart_delay(streak: int, base: float, expected: float) -> None:
    assert restart_delay(streak, base) == pytest.approx(expected)
