"""`python -m quotemaild.bench --store postgresql` in quick mode with a tiny N: it starts its own
PostgreSQL, measures on it (the daemon, the components, a paced load, mail out to a smarthost, a
preloaded store with EXPLAIN plans) and removes the server and its temp dir at the end. Only the
mechanics are checked, never a speed."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

pytestmark = [pytest.mark.postgresql, pytest.mark.slow]

ARGS = ("--quick", "--store", "postgresql", "--n", "20", "--sessions", "1", "--repeats", "1", "--sizes", "300",
        "--duration", "0.5", "--query-runs", "3", "--max-message-size", "262144", "--skip-web")  # fmt: skip


def bench_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("quotemaild-bench-pg-*"))


def test_the_bench_runs_on_its_own_postgresql_and_removes_it(tmp_path):
    before = bench_dirs()
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, "-m", "quotemaild.bench", *ARGS, "--out", str(out),
                           "--workdir", str(tmp_path / "work")], capture_output=True, text=True, timeout=600)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["store"]["kind"] == "postgresql" and result["store"]["settings"]["fsync"] == "on"
    assert result["targets"]["quotemaild"]["status"] == "ok", result["targets"]["quotemaild"]
    run = result["targets"]["quotemaild"]["smtp_source"]["1"]
    assert run["stored"] == 20 and run["threaded"] == 20  # counted in PostgreSQL, not in a file
    assert result["components"]["status"] == "ok" and result["components"]["processor"]["failed"] == 0
    level = result["scale"]["levels"][0]
    assert result["scale"]["status"] == "ok" and level["messages"] == 300 and level["db_mb"] > 0
    assert level["ingest"]["status"] == "ok" and level["ingest"]["stored"] == 20  # ids past the preload
    plan = level["queries"]["plans"]["thread_lookup"]["plan"]
    assert plan and not any("SCAN" == p.split()[0] for p in plan)  # EXPLAIN's nodes, not SQLite's
    paced = result["paced"]  # read from PostgreSQL too: every threaded message has its time
    assert paced["status"] == "ok" and paced["arrival_to_request"]["count"] > 0, paced
    assert paced["drain"]["pending_left"] == 0
    acks = result["ack_to_smarthost"]
    assert acks["status"] == "ok" and acks["matched"] == acks["new_threads"] > 0, acks
    queued = result["queue_to_smarthost"]
    assert queued["status"] == "ok", queued
    assert queued["daemon"]["matched"] > 0 and queued["cli"]["matched"] == queued["cli"]["queued"] > 0, queued
    assert "Store: postgresql" in done.stdout
    assert bench_dirs() <= before  # the private server's dir is gone
