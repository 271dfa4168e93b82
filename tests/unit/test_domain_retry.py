"""Outbound retry backoff: 5 min doubling to 1 h, give up after 5 days; when a seller is offered to send again."""

import datetime as dt

import pytest

from quotemaild.domain.retry import RetryPolicy, next_attempt, offers_send_again, retry_delay

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


@pytest.mark.parametrize(
    ("state", "last_error", "offered"),
    [
        ("failed", "550 5.1.1 no such user", True),
        ("failed", None, True),  # given up (e.g. a bounce recorded later): still worth a try
        ("queued", "451 4.3.0 try later", True),  # waiting out the backoff after a failure
        ("queued", None, False),  # never tried yet, or held by a sender right now
        ("queued", "", False),
        ("sent", None, False),
        ("sent", "451 4.3.0 try later", False),  # sent in the end: nothing to send again
    ],
)
def test_send_again_is_offered_only_where_something_went_wrong(state, last_error, offered):
    assert offers_send_again(state, last_error) is offered
