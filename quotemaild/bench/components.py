"""Where the time goes: the group-commit writer and the post-ack processor, each on its own.

No SMTP here: the writer gets the same pre-built 2 KB messages from `sessions` submitting threads
(each waits for its commit, like an SMTP session waits for its 250), then one processing worker
runs the pipeline over the stored copies in batches, as a daemon's processing child does. Both run in a subprocess
(`python -m quotemaild.bench.components`) on a fresh store, so their imports and threads never
share this process. These are the daemon's own classes (`edges/writer.py`,
`edges/pipeline.py`); if their signatures change, this stage reports an error, not a number.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from quotemaild.bench.drivers import Load, build_messages
from quotemaild.bench.procs import BENCH_DOMAIN, BENCH_RECIPIENT


def measure(db_path: Path | str, messages: int, sessions: int) -> dict[str, Any]:
    """`db_path`: a fresh SQLite file, or the URL of an empty PostgreSQL database."""
    from sqlalchemy import insert

    from quotemaild.clock import SystemClock
    from quotemaild.config import StoreConfig
    from quotemaild.edges.pipeline import TRANSACTION_MAX, Outcome, Steps, process_batch
    from quotemaild.edges.worker_process import BATCH_MAX
    from quotemaild.edges.writer import CommitWriter, RawInput
    from quotemaild.services.ingest import IngestSettings
    from quotemaild.store.db import make_engine, make_sessionmaker, migrate
    from quotemaild.store.models import Tenant

    from quotemaild.bench.stores import store_url

    # Logged as the daemon logs (JSON lines, info: one per message), not structlog's default
    # console renderer, which costs twice as much per line.
    from quotemaild.config import LogConfig
    from quotemaild.logs import configure_logging

    configure_logging(LogConfig(level="info", format="json"))
    engine = make_engine(StoreConfig(url=store_url(db_path)))
    migrate(engine)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        conn.execute(insert(Tenant), [dict(
            id=1, slug="bench", name="Bench", language="nl", auto_reply=False, sender_mode="tenant",
            own_addresses=[], own_domains=[], created_at=now,
        )])  # fmt: skip
    raws = build_messages(Load(messages, sessions, recipient=BENCH_RECIPIENT), "components")
    ids: list[int] = []
    writer = CommitWriter(engine, on_committed=ids.extend)
    writer.start()

    def session(k: int) -> None:
        for raw in raws[k::sessions]:
            item = RawInput(1, dt.datetime.now(dt.UTC), "smtp", "load@bench.test", (BENCH_RECIPIENT,),
                            "127.0.0.1", "bench.test", raw)  # fmt: skip
            writer.submit([item]).result()

    threads = [threading.Thread(target=session, args=(k,)) for k in range(sessions)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    write_s = time.perf_counter() - t0
    writer.stop()
    batches = writer.stats.batches

    sessions_ = make_sessionmaker(engine)
    settings = IngestSettings(domain=BENCH_DOMAIN)
    clock = SystemClock()
    t0 = time.perf_counter()
    todo = sorted(ids)
    steps = Steps(settings, clock)
    failed = 0
    for start in range(0, len(todo), BATCH_MAX):
        done = process_batch(sessions_, todo[start : start + BATCH_MAX], steps)
        failed += sum(1 for d in done if d.outcome is not Outcome.PROCESSED)
    process_s = time.perf_counter() - t0
    engine.dispose()
    return {
        "messages": messages,
        "writer": {"sessions": sessions, "msgs_per_s": round(messages / write_s, 1),
                   "batches": batches, "mean_batch": round(messages / batches, 1) if batches else None},
        "processor": {"msgs_per_s": round(len(ids) / process_s, 1), "ms_per_msg": round(process_s / len(ids) * 1000, 2),
                      "failed": failed, "batch": BATCH_MAX, "transaction": TRANSACTION_MAX},
    }  # fmt: skip


def run_components(messages: int, sessions: int, timeout: float = 900.0, store_url: str | None = None) -> dict[str, Any]:
    """The measurement in a subprocess; structlog's per-message lines go to its stderr, dropped.
    `store_url`: an empty PostgreSQL database to measure on instead of a temp SQLite file."""
    with tempfile.TemporaryDirectory(prefix="quotemaild-components-") as tmp:
        where = ["--store-url", store_url] if store_url else ["--db", str(Path(tmp) / "c.db")]
        cmd = [sys.executable, "-m", "quotemaild.bench.components", *where,
               "--messages", str(messages), "--sessions", str(sessions)]  # fmt: skip
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m quotemaild.bench.components", description=__doc__)
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--db", type=Path, help="a fresh SQLite file")
    where.add_argument("--store-url", help="an empty PostgreSQL database (postgresql+psycopg://...)")
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--sessions", type=int, default=32)
    a = p.parse_args(argv)
    result = measure(a.db or a.store_url, a.messages, a.sessions)
    sys.stdout.flush()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
