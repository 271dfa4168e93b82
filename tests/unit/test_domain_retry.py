"""Outbound retry backoff: 5 min doubling to 1 h, give up after 5 days."""

import datetime as dt

import pytest

from quotemaild.domain.retry import RetryPolicy, next_attempt, retry_delay

P = RetryPolicy()
T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
M = dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("attempts", "minutes"), [(1, 5), (2, 10), (3, 20), (4, 40), (5, 60), (6, 60), (100, 60)]
)
def test_retry_delay_doubles_to_the_cap(attempts, minutes):
    """Each failure doubles the wait, up to one hour."""
    assert retry_delay(attempts, P) == minutes * M


def test_zero_attempts_is_a_bug():
    """Delays are counted from the first failure."""
    with pytest.raises(ValueError):
        retry_delay(0, P)


@pytest.mark.parametrize(
    ("attempts", "elapsed", "expected_offset"),
    [
        (1, dt.timedelta(0), 5 * M),
        (3, dt.timedelta(hours=2), dt.timedelta(hours=2) + 20 * M),
        (50, dt.timedelta(days=5) - 10 * M, dt.timedelta(days=5)),  # last try at the deadline
        (50, dt.timedelta(days=5), None),
        (50, dt.timedelta(days=6), None),
    ],
)
def test_next_attempt(attempts, elapsed, expected_offset):
    """The next attempt is now + delay, never past the give-up deadline; after it, None."""
    result = next_attempt(attempts, T0, T0 + elapsed, P)
    assert result == (None if expected_offset is None else T0 + expected_offset)
