"""Process and temp-dir helpers shared by the real-server fixtures."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol, TypeVar

import pytest

REQUIRE_ENV = "QUOTEMAILD_REQUIRE_E2E"


def skip_or_fail(reason: str) -> None:
    """pytest.skip(reason) -- or pytest.fail when $QUOTEMAILD_REQUIRE_E2E=1 (set by .ci/run), so a
    CI run cannot go green with the real-server tests silently skipped."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} [{REQUIRE_ENV}=1: tools must be installed]", pytrace=False)
    pytest.skip(reason)


def missing_binaries(*paths: str) -> list[str]:
    """Return the given executables that are not installed."""
    return [p for p in paths if not os.access(p, os.X_OK)]


def make_temp_root(prefix: str) -> Path:
    """A fresh dir under the system temp dir with mode 0755, so unprivileged service users can traverse it.

    (pytest's ``tmp_path`` lives under a 0700 root-owned dir that ``postfix`` / ``nobody`` cannot enter.)
    """
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    return root


class _Service(Protocol):
    def start(self) -> object: ...

    def stop(self) -> None: ...


S = TypeVar("S", bound=_Service)


@contextmanager
def started_in_temp_root(prefix: str, make: Callable[[Path], S]) -> Iterator[S]:
    """Build a service in a fresh temp root, start it, yield it; stop it and remove the root."""
    root = make_temp_root(prefix)
    inst = make(root)
    try:
        inst.start()
        yield inst
    finally:
        try:
            inst.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


def read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def alive(pid: int) -> bool:
    """True while ``pid`` runs; a zombie (exited, not yet reaped by a slow PID 1) counts as gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    # pid (comm) STATE ...; comm may contain spaces or parentheses: split at the last ')'.
    return stat.rsplit(b")", 1)[1].split()[0] != b"Z"
