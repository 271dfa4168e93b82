"""tests/support/proc.py: skip locally, fail in CI, when real-server tools are missing."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.proc import REQUIRE_ENV, alive, missing_binaries, skip_or_fail


def test_skip_or_fail_skips_by_default(monkeypatch):
    """Without the CI flag a missing tool is a skip with the given reason."""
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no frobnicator"):
        skip_or_fail("no frobnicator")


def test_skip_or_fail_fails_when_required(monkeypatch):
    """With QUOTEMAILD_REQUIRE_E2E=1 (set by .ci/run) a missing tool fails the test."""
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="no frobnicator"):
        skip_or_fail("no frobnicator")


def test_missing_binaries_lists_only_the_missing():
    """missing_binaries keeps the order and drops what is executable."""
    assert missing_binaries(sys.executable, "/nonexistent/tool") == ["/nonexistent/tool"]


def test_alive_tracks_a_process():
    """alive is True for a running process and False once it has exited."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert alive(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    assert not alive(proc.pid)
    assert alive(os.getpid())
