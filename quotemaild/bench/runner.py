"""One bench run, stage by stage; each stage ends `ok`, `skipped` (with its reason) or `error`.

Stages: throughput, then ack latency and the big message, for both servers (baseline, quotemaild);
a sustained run sampling RSS; the store at several sizes; ack -> acknowledgement at a capturing
smarthost; the web app's pages and JSON API on a store of 100k requests. Every load is bounded in
count or time and goes to 127.0.0.1 only.

Both servers run side by side and each throughput run is repeated (`repeats`, default 3), the
baseline's and quotemaild's runs taking turns: a minute in which the machine is slower then slows
one pair, not one server, and each ratio is the median of the pairs' ratios. Each scale level's
ingest rate is the median of `repeats` runs too. quotemaild's runs each wait for processing to
catch up, so every run starts on an idle daemon.

`store` picks the stores' engine: SQLite files in the workdir (the default), or databases on one
private PostgreSQL server for the run (`stores.py`); the web stage, which builds its store as a
SQLite file, is skipped on PostgreSQL and says so.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from quotemaild.bench import drivers, procs, rss
from quotemaild.bench.procs import QuotemaildUnavailable, Server
from quotemaild.bench.settings import Settings, guard, load_for, now
from quotemaild.bench.stores import BenchStores, Store, open_stores
from quotemaild.bench.throughput import bench_servers, measured_run, median_run

__all__ = ["Settings", "run"]


def sustained(start: Callable[[], Server], target: str, s: Settings) -> dict[str, Any]:
    """smtp-source in bounded chunks for `duration` seconds while RSS is sampled."""
    chunk = max(50, min(2000, s.n))
    sessions = max(s.sessions)
    sent = 0
    pushed_back = 0  # chunks cut short by 451 4.3.2: the backlog at `[processing] max_backlog`
    with start() as server, rss.RssSampler(server.pid, interval=0.25 if s.quick else 1.0) as sampler:
        t0 = time.monotonic()
        while time.monotonic() - t0 < s.duration:
            r = drivers.run_smtp_source(server.host, server.port, load_for(s, chunk, sessions))
            if "skipped" in r:  # no smtp-source: the in-repo generator keeps the load going
                r = drivers.run_generator(server.host, server.port, load_for(s, chunk, sessions))
            if drivers.backpressure(r):  # the daemon holds the senders off: memory stays bounded
                pushed_back += 1
                time.sleep(1.0)
                continue
            if r.get("msgs_per_s") is None:
                raise RuntimeError(f"load failed: {r.get('error')}")
            sent += chunk
        wall = time.monotonic() - t0
    return {"target": target, "messages": sent, "msgs_per_s": round(sent / wall, 1),
            "chunks_pushed_back": pushed_back, "rss": rss.flatness(sampler.samples)}  # fmt: skip


def _paced_rate(targets: dict[str, Any], s: Settings) -> float:
    """`paced_ratio` of the null handler's median accepted rate at the most sessions, this run."""
    runs = targets.get("baseline", {}).get("smtp_source", {})
    base = (runs.get(str(max(s.sessions))) or {}).get("msgs_per_s")
    if not base:
        raise QuotemaildUnavailable("no baseline rate measured in this run to pace the load from")
    return s.paced_ratio * base


def scale(s: Settings, quotemaild_ok: str | None, stores: BenchStores | None = None) -> dict[str, Any]:
    from quotemaild.bench.scale import BulkLoader, db_size_mb, measure_queries  # needs the store

    db = (stores or BenchStores("sqlite", s.workdir)).fresh("scale")
    loader = BulkLoader(db)
    levels: list[dict[str, Any]] = []
    try:
        for size in s.sizes:
            level: dict[str, Any] = {"messages": size, "load": loader.grow_to(size)}
            level["queries"] = measure_queries(loader.engine, s.query_runs)
            if quotemaild_ok is None:
                level["ingest"] = guard(lambda size=size: _ingest_at(s, db, size))
            level["db_mb"] = db_size_mb(db)
            levels.append(level)
    finally:
        loader.engine.dispose()
    first = next((lv["ingest"].get("msgs_per_s") for lv in levels if lv.get("ingest")), None)
    for lv in levels:
        rate = (lv.get("ingest") or {}).get("msgs_per_s")
        lv["ingest_ratio_to_first"] = round(rate / first, 3) if rate and first else None
    out: dict[str, Any] = {"levels": levels}
    if quotemaild_ok is not None:
        out["ingest_skipped"] = quotemaild_ok
    return out


def _ingest_at(s: Settings, db: Store, size: int) -> dict[str, Any]:
    workdir = s.workdir / f"scale-{size}"
    with procs.start_quotemaild(workdir, max_message_size=s.max_message_size, db_path=db,
                                preloaded=True, log_level=s.log_level) as server:  # fmt: skip
        sessions = max(s.sessions)
        drivers.run_smtp_source(server.host, server.port, load_for(s, min(200, s.n), sessions))
        procs.wait_drained(db, s.drain_timeout)
        return median_run([measured_run(server, s, sessions) for _ in range(max(s.repeats, 1))])


def run(s: Settings) -> dict[str, Any]:
    stores = open_stores(s.store, s.workdir)
    try:
        return _run(s, stores)
    finally:
        stores.close()


def _run(s: Settings, stores: BenchStores) -> dict[str, Any]:
    result: dict[str, Any] = {"schema": 1, "mode": "quick" if s.quick else "full", "started_at": now()}
    from quotemaild.bench.report import machine

    result["machine"] = machine(s.workdir)
    result["store"] = stores.describe()
    postgresql = stores.server is not None
    result["loadavg_start"] = list(os.getloadavg())
    result["params"] = {
        "n": s.n, "sessions": list(s.sessions), "size": s.size, "sizes": list(s.sizes),
        "skip_scale": s.skip_scale, "duration_s": s.duration, "max_message_size": s.max_message_size,
        "query_runs": s.query_runs, "loop": s.loop, "log_level": s.log_level,
        "generator_sessions": max(s.sessions), "reply_ratio": 0.3,
        "reuse_connections": s.reuse_connections, "repeats": s.repeats,
        "smtp_source": drivers.smtp_source_path(),
        "web_requests": s.web_requests, "web_runs": s.web_runs,
    }  # fmt: skip

    def start_baseline() -> Server:
        return procs.start_baseline(s.max_message_size, loop=s.loop)

    def start_quotemaild(tag: str) -> Callable[[], Server]:
        return lambda: procs.start_quotemaild(
            s.workdir / tag, max_message_size=s.max_message_size, log_level=s.log_level,
            db_path=stores.fresh(tag) if postgresql else None,
        )

    targets, result["ratio"] = bench_servers(
        {"baseline": start_baseline, "quotemaild": start_quotemaild("quotemaild")}, s
    )
    result["targets"] = targets

    def components() -> dict[str, Any]:
        from quotemaild.bench.components import run_components

        url = stores.fresh("components") if postgresql else None
        return run_components(min(s.n, 2000), max(s.sessions), store_url=str(url) if url else None)

    result["components"] = guard(components)

    qm_reason = None if targets["quotemaild"]["status"] == "ok" else targets["quotemaild"].get(
        "reason", targets["quotemaild"].get("error")
    )
    if qm_reason is None:
        result["sustained"] = guard(lambda: sustained(start_quotemaild("sustained"), "quotemaild", s))
    else:  # still exercise the stage, on the baseline, and say so
        result["sustained"] = guard(lambda: sustained(start_baseline, "baseline (quotemaild unavailable)", s))

    sqlite_only = "this stage runs on SQLite only (it builds its 100k-request store as a SQLite file)"

    def paced_stage() -> dict[str, Any]:
        from quotemaild.bench import paced

        if qm_reason is not None:
            raise QuotemaildUnavailable(qm_reason)
        rate = s.paced_rate or _paced_rate(targets, s)
        return paced.measure(start_quotemaild("paced"), rate, s.duration, sessions=min(8, max(s.sessions)),
                             size=s.size, drain_timeout=s.drain_timeout)  # fmt: skip

    result["paced"] = guard(paced_stage)

    if s.skip_scale:
        result["scale"] = {"status": "skipped", "reason": "--skip-scale"}
    else:
        result["scale"] = guard(lambda: scale(s, qm_reason, stores))

    def ack_to_smarthost() -> dict[str, Any]:
        from quotemaild.bench import smarthost

        if qm_reason is not None:
            raise QuotemaildUnavailable(qm_reason)
        return smarthost.measure(s.workdir / "smarthost", min(s.n, 300), s.max_message_size, s.log_level,
                                 db_path=stores.fresh("smarthost") if postgresql else None)

    result["ack_to_smarthost"] = guard(ack_to_smarthost)

    def queue_to_smarthost() -> dict[str, Any]:
        from quotemaild.bench import queue_latency

        if qm_reason is not None:
            raise QuotemaildUnavailable(qm_reason)
        daemon_mails, cli_mails = (20, 10) if s.quick else (200, 50)
        return queue_latency.measure(s.workdir / "queue_latency", daemon_mails, cli_mails, s.max_message_size,
                                     s.log_level, db_path=stores.fresh("queue_latency") if postgresql else None)

    result["queue_to_smarthost"] = guard(queue_to_smarthost)

    def web() -> dict[str, Any]:
        from quotemaild.bench import web as web_stage

        if postgresql:
            raise QuotemaildUnavailable(sqlite_only)
        if qm_reason is not None:
            raise QuotemaildUnavailable(qm_reason)
        return web_stage.measure(s.workdir / "web", s.web_requests, s.web_runs, s.max_message_size, s.log_level)

    result["web"] = {"status": "skipped", "reason": "--skip-web"} if s.skip_web else guard(web)
    result["loadavg_end"] = list(os.getloadavg())
    result["finished_at"] = now()
    return result
