"""Slowing down password guessing, per account and per client address.

After `FREE_FAILURES` consecutive failures on a key, each further failure blocks that key for a
delay that doubles (2 s, 4 s, 8 s ... capped at `MAX_DELAY`). A blocked key is refused before the
password is even checked (HTTP 429 with Retry-After). A success clears the account's record (not
the address's: one good login from a shared address must not unblock a guesser on it).
The caller owns the transaction, and must commit failures too.
"""

from __future__ import annotations

import datetime as dt
import math

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from quotemaild.errors import Throttled
from quotemaild.store.models import LoginThrottle

FREE_FAILURES = 3
BASE_DELAY = 2.0
MAX_DELAY = 900.0
FORGET_AFTER = dt.timedelta(hours=24)  # a key quiet this long starts again from zero


def delay_after(failures: int) -> float:
    """Seconds a key stays blocked after its `failures`-th consecutive failure (pure)."""
    if failures <= FREE_FAILURES:
        return 0.0
    return min(MAX_DELAY, BASE_DELAY * 2 ** (failures - FREE_FAILURES - 1))


def keys_for(email: str, address: str) -> list[str]:
    """The account key first (cleared on success), then the address key."""
    keys = [f"account:{email.strip().lower()[:320]}"]
    if address:
        keys.append(f"address:{address[:64]}")
    return keys


def check(session: Session, keys: list[str], now: dt.datetime) -> None:
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys))).all()
    waits = [(r.blocked_until - now).total_seconds() for r in rows if r.blocked_until and r.blocked_until > now]
    if waits:
        raise Throttled(max(1, math.ceil(max(waits))))


def failed(session: Session, keys: list[str], now: dt.datetime) -> None:
    for key in keys:
        row = session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, last_failure_at=now)
            session.add(row)
        elif now - row.last_failure_at > FORGET_AFTER:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        wait = delay_after(row.failures)
        row.blocked_until = now + dt.timedelta(seconds=wait) if wait else None
    session.flush()


def succeeded(session: Session, account_key: str) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == account_key))
