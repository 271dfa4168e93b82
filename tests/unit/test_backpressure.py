"""When backpressure starts and ends: at the limit, and back under 90 % of it."""

from __future__ import annotations

import pytest

from quotemaild.edges.backpressure import Backpressure


@pytest.mark.parametrize(
    ("backlogs", "limit", "expected"),
    [
        ([0, 5, 9], 10, [False, False, False]),
        ([10, 9, 8, 0], 10, [True, True, False, False]),  # stays on down to 90 % of the limit
        ([12, 8, 10], 10, [True, False, True]),
        ([10**9], 0, [False]),  # 0: no limit
    ],
)
def test_refusing_starts_at_the_limit_and_ends_under_ninety_percent(backlogs, limit, expected):
    values = iter(backlogs)
    current = [0]

    def backlog() -> int:
        return current[0]

    pressure = Backpressure(backlog, limit)
    seen = []
    for value in values:
        current[0] = value
        seen.append(pressure.refusing())
    assert seen == expected
