"""Arrival -> request under a paced load: does processing keep up with a steady stream?

The throughput stage sends as fast as the server accepts; this stage offers a fixed rate (by
default 0.4x the null handler's accepted rate at the most sessions, measured in the same run)
for `duration` seconds, in one-second ticks of `smtp-source`, while the backlog (raw messages
still `pending`) is sampled every second. After the load and the drain, each message's
*arrival -> request* time is read from the store: `raw_messages.processed_at` (stamped in the
processing transaction that threaded it) minus `raw_messages.received_at` (stamped before its
250). Only messages threaded into a request count.

Verdicts: `p95_ok` when that p95 is <= 2 s; `backlog_flat` when the backlog's last third did not
grow over its first third by more than two seconds' worth of arrivals. An offered rate the
server could not even accept is reported as `offered_msgs_per_s` below the target rate. When the
backlog reaches `[processing] max_backlog`, the daemon answers `451 4.3.2` and the load stops
there (`backpressure_at_s`): the backlog was not flat.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
import time
from collections.abc import Callable
from typing import Any

from quotemaild.bench import drivers, procs, rss
from quotemaild.bench.drivers import Load
from quotemaild.bench.procs import Server
from quotemaild.bench.stores import Store, rows, scalar

P95_TARGET_S = 2.0
TICK_S = 1.0


def max_raw_id(store: Store) -> int:
    """The highest raw message id so far (0 on an empty store): the stage counts what comes after."""
    return scalar(store, "SELECT coalesce(max(id), 0) FROM raw_messages") or 0


def _instant(value: str | dt.datetime) -> dt.datetime:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def arrival_to_request(store: Store, after_id: int) -> list[float]:
    """Seconds from arrival to processed, per raw message after `after_id` threaded into a request."""
    sql = (
        "SELECT r.received_at, r.processed_at FROM raw_messages r JOIN messages m ON m.raw_id = r.id"
        f" WHERE r.id > {int(after_id)} AND m.request_id IS NOT NULL AND r.processed_at IS NOT NULL"
    )
    found = rows(store, sql)
    if found is None:
        raise RuntimeError("the store could not be read")
    return [(_instant(done) - _instant(arrived)).total_seconds() for arrived, done in found]


def latency_summary(seconds: list[float]) -> dict[str, Any]:
    """p50/p95/p99/max in seconds and the p95 verdict; None where nothing was measured."""
    if not seconds:
        return {"count": 0, "p50_s": None, "p95_s": None, "p99_s": None, "max_s": None, "p95_ok": None}
    ordered = sorted(seconds)

    def pick(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3)

    p95 = pick(0.95)
    return {"count": len(ordered), "p50_s": pick(0.50), "p95_s": p95, "p99_s": pick(0.99),
            "max_s": round(ordered[-1], 3), "p95_ok": p95 <= P95_TARGET_S}  # fmt: skip


def backlog_summary(samples: list[tuple[float, int]], rate: float) -> dict[str, Any]:
    """Median backlog of the first and the last third of the load; flat when the growth stays
    under two seconds of arrivals (what the 2 s promise can absorb)."""
    if len(samples) < 6:
        return {"samples": len(samples), "backlog_flat": None, "reason": "too few samples"}
    third = len(samples) // 3
    first = statistics.median(v for _, v in samples[:third])
    last = statistics.median(v for _, v in samples[-third:])
    allowed = max(2 * rate, 10)
    return {"samples": len(samples), "first_third": first, "last_third": last,
            "max": max(v for _, v in samples), "allowed_growth": round(allowed),
            "backlog_flat": last - first <= allowed}  # fmt: skip


def offer(server: Server, rate: float, duration: float, sessions: int, size: int) -> dict[str, Any]:
    """`rate` messages a second for `duration` seconds, one smtp-source run per one-second tick;
    a tick that overruns is not made up for (the offered rate says what was sent)."""
    per_tick = max(1, math.ceil(rate * TICK_S))
    sent = 0
    pushed_back_at = None
    t0 = time.monotonic()
    while time.monotonic() - t0 < duration:
        tick = time.monotonic()
        r = drivers.run_smtp_source(server.host, server.port, Load(per_tick, min(sessions, per_tick), size))
        if "skipped" in r:
            raise RuntimeError(r["skipped"])
        if drivers.backpressure(r):
            # The backlog passed `[processing] max_backlog`: processing did not keep up with
            # this rate. The load stops here; what was accepted is still measured.
            pushed_back_at = round(time.monotonic() - t0, 1)
            break
        if r.get("msgs_per_s") is None:
            raise RuntimeError(f"load failed: {r.get('error')}")
        sent += per_tick
        time.sleep(max(0.0, TICK_S - (time.monotonic() - tick)))
    wall = time.monotonic() - t0
    return {"sent": sent, "wall_s": round(wall, 1), "offered_msgs_per_s": round(sent / wall, 1),
            "backpressure_at_s": pushed_back_at}  # fmt: skip


def measure(start: Callable[[], Server], rate: float, duration: float, *, sessions: int = 8,
            size: int = 2048, drain_timeout: float = 300.0) -> dict[str, Any]:  # fmt: skip
    """Start the server, offer `rate` msgs/s for `duration` s, drain, and read the latencies."""
    with start() as server:
        if server.db_path is None:
            raise RuntimeError("the paced stage needs quotemaild's store")
        drivers.run_smtp_source(server.host, server.port, Load(min(200, max(1, int(rate))), sessions, size))
        procs.wait_drained(server.db_path, drain_timeout)
        after = max_raw_id(server.db_path)
        db = server.db_path
        with rss.Sampler(lambda: procs.pending_count(db), interval=1.0, name="backlog-sampler") as sampler:
            load = offer(server, rate, duration, sessions, size)
        drain = procs.wait_drained(server.db_path, drain_timeout)
        latency = latency_summary(arrival_to_request(server.db_path, after))
    backlog = backlog_summary(sampler.samples, rate)
    if load["backpressure_at_s"] is not None:
        backlog["backlog_flat"] = False
    return {"target_msgs_per_s": round(rate, 1), **load, "drain": drain,
            "arrival_to_request": latency, "backlog": backlog}  # fmt: skip
