"""Resident memory of a server process, read from /proc (Linux; no extra dependency).

`rss_bytes` counts the process and its descendants; `peak_bytes` is the kernel's high-water mark
(VmHWM) of one process, which `reset_peak` clears (writing 5 to /proc/PID/clear_refs), so the
peak of one operation can be taken on its own, per process of the `tree`. `RssSampler` samples in a thread during a
sustained run, and `flatness` says whether memory kept growing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

MB = 1024 * 1024


def _status_kb(pid: int, field: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text().split()
            kids.extend(int(k) for k in text)
    except OSError:
        pass
    return kids


def tree(pid: int) -> list[int]:
    """The process and all its descendants (quotemaild's processing child and its forkserver)."""
    out = [pid]
    for child in _children(pid):
        out.extend(tree(child))
    return out


def rss_bytes(pid: int, include_children: bool = True) -> int | None:
    kb = _status_kb(pid, "VmRSS")
    if kb is None:
        return None
    total = kb * 1024
    if include_children:
        for child in _children(pid):
            total += rss_bytes(child, include_children=True) or 0
    return total


def peak_bytes(pid: int) -> int | None:
    kb = _status_kb(pid, "VmHWM")
    return None if kb is None else kb * 1024


def reset_peak(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False where the kernel does not allow it."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class Sampler:
    """Samples `read()` every `interval` seconds in a daemon thread until stopped; a None reading
    is skipped. `samples`: (seconds since start, value)."""

    def __init__(self, read: Callable[[], int | None], interval: float = 0.5, name: str = "sampler") -> None:
        self.read = read
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._t0 = 0.0

    def __enter__(self) -> Self:
        self._t0 = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            value = self.read()
            if value is not None:
                self.samples.append((time.monotonic() - self._t0, value))
            if self._stop.wait(self.interval):
                return


class RssSampler(Sampler):
    """Samples `rss_bytes(pid)` (the process and its descendants)."""

    def __init__(self, pid: int, interval: float = 0.5) -> None:
        super().__init__(lambda: rss_bytes(pid), interval, "rss-sampler")
        self.pid = pid

    @property
    def peak(self) -> int | None:
        return max((v for _, v in self.samples), default=None)


def flatness(samples: list[tuple[float, int]], warmup_fraction: float = 0.2) -> dict[str, Any]:
    """Growth after warm-up: median of the last third minus median of the first third, and slope.

    Verdict `flat` when the later third grew less than max(10 %, 16 MiB) over the first third;
    the numbers are reported so a reader can judge, the verdict is only a summary.
    """
    if len(samples) < 6:
        return {"samples": len(samples), "flat": None, "reason": "too few samples"}
    start = samples[0][0] + (samples[-1][0] - samples[0][0]) * warmup_fraction
    steady = [s for s in samples if s[0] >= start] or samples
    third = max(len(steady) // 3, 1)
    first = sorted(v for _, v in steady[:third])[third // 2]
    last = sorted(v for _, v in steady[-third:])[third // 2]
    n = len(steady)
    mean_t = sum(t for t, _ in steady) / n
    mean_v = sum(v for _, v in steady) / n
    var_t = sum((t - mean_t) ** 2 for t, _ in steady)
    slope = sum((t - mean_t) * (v - mean_v) for t, v in steady) / var_t if var_t else 0.0
    growth = last - first
    return {
        "samples": len(samples),
        "duration_s": round(samples[-1][0] - samples[0][0], 1),
        "start_mb": round(samples[0][1] / MB, 1),
        "steady_first_mb": round(first / MB, 1),
        "steady_last_mb": round(last / MB, 1),
        "peak_mb": round(max(v for _, v in samples) / MB, 1),
        "growth_mb": round(growth / MB, 1),
        "slope_mb_per_min": round(slope * 60 / MB, 2),
        "flat": growth < max(0.10 * first, 16 * MB),
    }
