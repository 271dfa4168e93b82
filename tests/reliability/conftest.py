"""The reliability suite (`make test-reliability`): faults, abuse and a short soak.

Every test here carries the `reliability` marker (added below), which `make test` deselects, so
the suite runs once in CI, after the unit/integration/e2e tests. Tests assert on correctness
only; what they measure (rates, delays, memory) is written with `figure()` to
`var/reliability.jsonl` for the table in RELIABILITY.md, never asserted on.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
RESULTS = Path(os.environ.get("RELIABILITY_RESULTS", HERE.parents[1] / "var" / "reliability.jsonl"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.reliability)


@pytest.fixture
def figure(request: pytest.FixtureRequest):
    """figure(what, value, unit): one measured number of this test, appended to the results file."""

    def write(what: str, value: float | int | str, unit: str = "") -> None:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        row = {"test": request.node.nodeid, "what": what, "value": value, "unit": unit, "at": time.time()}
        with RESULTS.open("a") as out:
            out.write(json.dumps(row) + "\n")

    return write
