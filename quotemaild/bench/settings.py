"""What one bench run was asked for, and the helpers every stage shares: the guard that turns
a stage's failure into its status, and the load a stage sends."""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quotemaild.bench.drivers import Load
from quotemaild.bench.procs import BENCH_RECIPIENT, QuotemaildUnavailable


@dataclass(frozen=True)
class Settings:
    n: int
    sessions: tuple[int, ...]
    size: int
    quick: bool
    sizes: tuple[int, ...]
    skip_scale: bool
    duration: float
    max_message_size: int
    query_runs: int
    loop: str
    log_level: str
    workdir: Path
    reuse_connections: bool = True
    drain_timeout: float = 300.0
    repeats: int = 3
    web_requests: int = 100_000  # the web stage's store: requests of the bench tenant
    web_runs: int = 50  # timed requests per page
    skip_web: bool = False
    store: str = "sqlite"  # or "postgresql": a private server for the run
    paced_ratio: float = 0.4  # the paced stage's offered rate, over the null handler's accepted rate
    paced_rate: float | None = None  # or a fixed rate (msgs/s), e.g. when running it alone


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def guard(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a stage; a missing daemon is a skip, anything else an error with its last lines."""
    try:
        return {"status": "ok", **fn()}
    except QuotemaildUnavailable as exc:
        return {"status": "skipped", "reason": str(exc)}
    except Exception as exc:  # noqa: BLE001 - one failed stage must not lose the others' numbers
        tb = traceback.format_exc().strip().splitlines()[-4:]
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}", "trace": tb}


def load_for(s: Settings, messages: int, sessions: int) -> Load:
    return Load(messages, sessions, s.size, recipient=BENCH_RECIPIENT, reuse_connections=s.reuse_connections)
