"""When to try an outgoing mail again: Postfix-like backoff, pure.

The first retry comes after `initial`, each next one after twice the previous delay, capped at
`maximum`; once `give_up_after` has passed since the first attempt there is no next attempt.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    initial: dt.timedelta = dt.timedelta(minutes=5)
    maximum: dt.timedelta = dt.timedelta(hours=1)
    give_up_after: dt.timedelta = dt.timedelta(days=5)


def retry_delay(attempts: int, policy: RetryPolicy) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt (1-based)."""
    if attempts < 1:
        raise ValueError("attempts counts failed attempts, from 1")
    delay = policy.initial * (2 ** min(attempts - 1, 30))
    return min(delay, policy.maximum)


def next_attempt(
    attempts: int, first_attempt_at: dt.datetime, now: dt.datetime, policy: RetryPolicy
) -> dt.datetime | None:
    """The time of the next attempt after a temporary failure, or None to give up."""
    if now - first_attempt_at >= policy.give_up_after:
        return None
    at = now + retry_delay(attempts, policy)
    if at - first_attempt_at > policy.give_up_after:
        # one last try at the deadline rather than silently stopping short of it
        at = first_attempt_at + policy.give_up_after
    return at


def offers_send_again(state: str, last_error: str | None) -> bool:
    """Whether a seller is offered "send again" for an outgoing mail: it failed for good, or it
    waits for its next attempt after one failed. `services.outbox.retry` accepts any mail not yet
    sent (the CLI's `outbox retry` may hurry a mail that never failed); the page only offers it
    where something went wrong."""
    return state == "failed" or (state == "queued" and bool(last_error))
