"""The bench's medians: which run stands for a measurement, and how a ratio is taken from pairs."""

import pytest

from quotemaild.bench.throughput import median_ratio, median_run


def run(rate: float | None, **extra: object) -> dict[str, object]:
    return {"msgs_per_s": rate, **extra}


@pytest.mark.parametrize(
    ("rates", "picked"),
    [
        ([500.0], 500.0),
        ([520.0, 480.0, 610.0], 520.0),  # the middle one, whatever the order
        ([480.0, 520.0], 480.0),  # an even count: the lower middle, never a rate no run had
        ([700.0, None, 500.0, 600.0], 600.0),  # a failed run is not counted...
    ],
)
def test_median_run_is_a_real_run(rates: list[float | None], picked: float) -> None:
    runs = [run(r, wall_s=i) for i, r in enumerate(rates)]
    chosen = median_run(runs)
    assert chosen["msgs_per_s"] == picked
    assert chosen["wall_s"] == rates.index(picked)  # the whole run, not only its rate
    assert chosen["runs_msgs_per_s"] == rates  # ...but still listed


def test_median_run_of_failed_runs_is_the_last_failure() -> None:
    runs = [run(None, error="a"), run(None, error="b")]
    assert median_run(runs)["error"] == "b"
    assert median_run([]) == {}


@pytest.mark.parametrize(
    ("pairs", "ratio"),
    [
        ([(1000.0, 500.0)], 0.5),
        # The machine slowed during the second pair: both servers felt it, the pair's ratio did not.
        ([(1000.0, 550.0), (800.0, 440.0), (1000.0, 540.0)], 0.55),
        ([(1000.0, 500.0), (1000.0, 600.0)], 0.55),
        ([(1000.0, None), (1000.0, 600.0)], 0.6),  # a pair with a failed run is left out
        ([(None, 500.0)], None),
    ],
)
def test_ratio_is_the_median_of_the_pairs_ratios(pairs: list[tuple[float | None, float | None]], ratio: float | None) -> None:
    assert median_ratio([(run(b), run(q)) for b, q in pairs]) == ratio
