"""Queue -> handed to the smarthost: how long a queued mail waits before it leaves.

quotemaild runs with `[outbound] poll_interval = 300`, so a mail only leaves quickly when the
process that queued it wakes the outbox (edges/wake.py). Two sources are measured:
- inside the daemon: the acknowledgements the processing child queues for new requests sent
  over SMTP (paced, one at a time);
- from the CLI: `quotemaild request reply` run as its own process, once per request, one after
  the other (the interpreter start is not counted: the clock starts at the row's creation).
Latency = arrival at the capturing smarthost - the outbox row's `created_at`, matched by our
Message-ID. Both clocks are this machine's wall clock.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

from quotemaild.bench import drivers, procs
from quotemaild.bench.drivers import Load
from quotemaild.bench.stores import Store, rows

POLL_INTERVAL = 300.0  # far above any wake latency: a mail that waited for the poll shows at once


def _lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _wait_captured(path: Path, count: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = len(_lines(path))
        if seen >= count:
            return seen
        time.sleep(0.1)
    return len(_lines(path))


def _epoch(value: str | dt.datetime) -> float:
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.timestamp()


def _read(store: Store, sql: str) -> list[tuple[Any, ...]]:
    found = rows(store, sql)
    if found is None:
        raise RuntimeError("the store could not be read")
    return found


def _queued(store: Store) -> dict[str, tuple[str, float]]:
    """Our Message-ID -> (outbox kind, queued at), read-only."""
    found = _read(store, "SELECT m.message_id, o.kind, o.created_at FROM outbox o JOIN messages m ON m.id = o.message_pk")
    return {mid: (kind, _epoch(created)) for mid, kind, created in found}


def _requests(store: Store, limit: int) -> list[int]:
    found = _read(store, f"SELECT id FROM quote_requests WHERE requester_email IS NOT NULL ORDER BY id LIMIT {int(limit)}")
    return [int(r[0]) for r in found]


def measure(workdir: Path, daemon_mails: int, cli_mails: int, max_message_size: int, log_level: str,
            settle: float = 60.0, db_path: Store | None = None) -> dict[str, Any]:  # fmt: skip
    """`db_path`: the store to run on (a PostgreSQL URL); a fresh SQLite file by default."""
    workdir.mkdir(parents=True, exist_ok=True)
    captured = workdir / "captured.jsonl"
    body = workdir / "reply.txt"
    body.write_text("Dear customer,\n\nplease find our price below.\n", encoding="utf-8")
    with procs.start_baseline(max_message_size, capture=captured) as relay:
        with procs.start_quotemaild(
            workdir / "quotemaild", max_message_size=max_message_size, log_level=log_level,
            smarthost=f"{relay.host}:{relay.port}", poll_interval=POLL_INTERVAL, db_path=db_path,
        ) as server:  # fmt: skip
            assert server.db_path is not None
            load = Load(daemon_mails, 1, recipient=procs.BENCH_RECIPIENT, pace=0.2, reply_ratio=0.0)
            drivers.run_generator(server.host, server.port, load)
            acks = _wait_captured(captured, daemon_mails, settle)
            cfg = workdir / "quotemaild" / "quotemaild-bench.toml"
            targets = _requests(server.db_path, cli_mails)
            for request_id in targets:
                procs._cli(cfg, "request", "reply", str(request_id), "--body-file", str(body))
            total = _wait_captured(captured, acks + len(targets), settle)
            queued = _queued(server.db_path)
            errors = procs.log_errors(server.log_path)
    by_kind: dict[str, list[float]] = {"ack": [], "reply": []}
    for line in _lines(captured):
        found = queued.get(line.get("message_id", ""))
        if found is not None and found[0] in by_kind:
            by_kind[found[0]].append(line["t"] - found[1])
    result: dict[str, Any] = {
        "poll_interval_s": POLL_INTERVAL,
        "daemon": {"source": "acknowledgements queued by the processing child", "queued": daemon_mails,
                   "matched": len(by_kind["ack"]), "latency": drivers.percentiles(by_kind["ack"])},
        "cli": {"source": "`quotemaild request reply`, one process per mail", "queued": len(targets),
                "matched": len(by_kind["reply"]), "latency": drivers.percentiles(by_kind["reply"])},
        "captured": total,
        "daemon_errors": errors,
    }
    if not by_kind["ack"] or (targets and not by_kind["reply"]):
        raise RuntimeError(f"queued mail did not reach the smarthost within {settle:.0f}s: {result}")
    return result
