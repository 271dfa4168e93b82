"""The paced stage's verdicts: arrival -> request percentiles and whether the backlog stayed flat."""

from __future__ import annotations

import pytest

from quotemaild.bench.drivers import backpressure
from quotemaild.bench.paced import backlog_summary, latency_summary


@pytest.mark.parametrize(
    ("seconds", "p50", "p95", "ok"),
    [
        ([0.1] * 100, 0.1, 0.1, True),
        ([0.1] * 95 + [5.0] * 5, 0.1, 5.0, False),  # the slowest twentieth decides
        ([0.1] * 96 + [5.0] * 4, 0.1, 0.1, True),
        ([2.0] * 10, 2.0, 2.0, True),  # the target is inclusive
        ([float(i) for i in range(1, 11)], 6.0, 10.0, False),
    ],
)
def test_latency_summary(seconds: list[float], p50: float, p95: float, ok: bool) -> None:
    out = latency_summary(seconds)
    assert (out["count"], out["p50_s"], out["p95_s"], out["p95_ok"]) == (len(seconds), p50, p95, ok)
    assert out["max_s"] == max(seconds)


def test_nothing_measured_gives_no_verdict() -> None:
    assert latency_summary([]) == {"count": 0, "p50_s": None, "p95_s": None, "p99_s": None,
                                   "max_s": None, "p95_ok": None}  # fmt: skip


def _samples(values: list[int]) -> list[tuple[float, int]]:
    return [(float(i), v) for i, v in enumerate(values)]


@pytest.mark.parametrize(
    ("values", "rate", "flat"),
    [
        ([0, 3, 1, 2, 0, 4, 1, 0, 2], 100.0, True),  # a busy but steady queue
        ([10 * i for i in range(30)], 50.0, False),  # +10 a second: 200 more behind, 2 s is 100
        ([10 * i for i in range(30)], 100.0, True),  # the same growth is 2 s of arrivals at 100/s
        ([50, 60, 40, 55, 45, 50, 48, 52, 49], 1.0, True),  # high but not growing
        ([0, 0, 0, 0, 0, 0, 30, 40, 50], 1.0, False),  # at least 10 allowed, 40 is over
    ],
)
def test_backlog_summary(values: list[int], rate: float, flat: bool) -> None:
    out = backlog_summary(_samples(values), rate)
    assert out["backlog_flat"] is flat
    assert out["max"] == max(values)


def test_too_few_backlog_samples_give_no_verdict() -> None:
    assert backlog_summary(_samples([1, 2, 3]), 10.0)["backlog_flat"] is None


@pytest.mark.parametrize(
    ("result", "pushed_back"),
    [
        ({"error": "/usr/sbin/smtp-source: fatal: sender rejected: 451 4.3.2 Too much mail waiting"}, True),
        ({"error": "/usr/sbin/smtp-source: fatal: connect: Connection refused"}, False),
        ({"error": "451 4.3.0 Cannot check the recipient now"}, False),
        ({"msgs_per_s": 100.0}, False),
    ],
)
def test_backpressure_is_told_from_a_fault(result: dict, pushed_back: bool) -> None:
    assert backpressure(result) is pushed_back
