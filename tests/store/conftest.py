"""Fixtures of the service tests: one session per test on the test's store, rolled back after."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session


@pytest.fixture
def session(sessions) -> Iterator[Session]:
    with sessions() as s:
        yield s
        s.rollback()
