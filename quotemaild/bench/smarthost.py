"""Ack -> acknowledgement handed to the smarthost: how long a customer waits for our auto-reply.

A capturing fake smarthost (`baseline.py --capture`) logs each message it receives; quotemaild
is configured to deliver to it; the aiosmtplib generator sends paced mail (new threads and
~30 % replies) and logs the time of each 250. Every new thread should get one acknowledgement
whose In-Reply-To is the message it answers: latency = arrival at the smarthost - our 250.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from quotemaild.bench import drivers, procs
from quotemaild.bench.drivers import Load
from quotemaild.bench.stores import Store


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def measure(workdir: Path, messages: int, max_message_size: int, log_level: str,
            pace: float = 0.05, settle: float = 60.0, db_path: Store | None = None) -> dict[str, Any]:  # fmt: skip
    """`db_path`: the store to run on (a PostgreSQL URL); a fresh SQLite file by default."""
    workdir.mkdir(parents=True, exist_ok=True)
    captured, acked = workdir / "captured.jsonl", workdir / "acks.jsonl"
    with procs.start_baseline(max_message_size, capture=captured) as relay:
        with procs.start_quotemaild(
            workdir / "quotemaild", max_message_size=max_message_size, log_level=log_level,
            smarthost=f"{relay.host}:{relay.port}", db_path=db_path,
        ) as server:  # fmt: skip
            load = Load(messages, 1, recipient=procs.BENCH_RECIPIENT, pace=pace)
            gen = drivers.run_generator(server.host, server.port, load, ack_log=str(acked))
            sent = _lines(acked)
            expected = sum(1 for a in sent if not a["reply"])
            deadline, seen, last_change = time.monotonic() + settle, -1, time.monotonic()
            while time.monotonic() < deadline and time.monotonic() - last_change < 10:
                now_seen = len(_lines(captured))
                if now_seen >= expected:
                    break
                if now_seen != seen:
                    seen, last_change = now_seen, time.monotonic()
                time.sleep(0.2)
            errors = procs.log_errors(server.log_path)
    acks = {a["message_id"]: a["t"] for a in sent}
    latencies = [c["t"] - acks[c["in_reply_to"]] for c in _lines(captured) if c["in_reply_to"] in acks]
    result: dict[str, Any] = {
        "messages": len(sent),
        "pace_s": pace,
        "new_threads": expected,
        "captured": len(_lines(captured)),
        "matched": len(latencies),
        "generator_msgs_per_s": gen.get("msgs_per_s"),
        "latency": drivers.percentiles(latencies),
        "daemon_errors": errors,
    }
    if expected and not latencies:
        raise RuntimeError(
            f"no acknowledgement reached the smarthost for {expected} new threads; daemon log: "
            f"{errors.get('count')} errors, first: {errors.get('first')}"
        )
    return result
