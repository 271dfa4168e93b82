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
private PostgreSQL server for the run (`stores.py`); the stages that still read SQLite files
directly (paced, ack and queue -> smarthost, web) are skipped on PostgreSQL and say so.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import statistics
import time
import traceback
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quotemaild.bench import drivers, procs, rss
from quotemaild.bench.stores import BenchStores, Store, StoreUnavailable, open_stores
from quotemaild.bench.drivers import Load
from quotemaild.bench.procs import BENCH_RECIPIENT, QuotemaildUnavailable, Server

MB = 1024 * 1024


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


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _guard(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a stage; a missing daemon is a skip, anything else an error with its last lines."""
    try:
        return {"status": "ok", **fn()}
    except QuotemaildUnavailable as exc:
        return {"status": "skipped", "reason": str(exc)}
    except Exception as exc:  # noqa: BLE001 - one failed stage must not lose the others' numbers
        tb = traceback.format_exc().strip().splitlines()[-4:]
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}", "trace": tb}


def _load(s: Settings, messages: int, sessions: int) -> Load:
    return Load(messages, sessions, s.size, recipient=BENCH_RECIPIENT, reuse_connections=s.reuse_connections)


def big_message(size: int, recipient: str) -> bytes:
    head = (
        f"From: Big Sender <big@customers.bench.test>\r\nTo: <{recipient}>\r\n"
        "Subject: Plans for the new warehouse\r\nMessage-ID: <big.1@customers.bench.test>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\n"
        "Content-Type: text/plain\r\n\r\nSee the attached plans.\r\n--b1\r\n"
        "Content-Type: application/pdf; name=plans.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
    ).encode()
    tail = b"\r\n--b1--\r\n"
    line = b"JVBERi0xLjcKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFIvRmlsdGVyIC9GbGF0ZURlY29kZT4+\r\n"
    # Whole lines, so the attachment is valid base64 (a cut line would make it undecodable).
    lines = max((size - len(head) - len(tail)) // len(line), 1)
    return head + line * lines + tail


def check_big_message(server: Server, s: Settings) -> dict[str, Any]:
    """RSS high-water mark while one message near the size limit goes through the server.

    Per process of the server's tree (quotemaild parses in a child process): the growth of each
    process's own peak over its RSS before, summed. Peaks at different moments are added, so the
    sum can only overstate."""
    size = int(s.max_message_size * 0.95)
    raw = big_message(size, BENCH_RECIPIENT)
    pids = rss.tree(server.pid)
    before = {pid: rss.rss_bytes(pid, include_children=False) or 0 for pid in pids}
    peak_resettable = all([rss.reset_peak(pid) for pid in pids])
    with rss.RssSampler(server.pid, interval=0.05) as sampler:
        reply = asyncio.run(drivers.send_one(server.host, server.port, "big@customers.bench.test",
                                             BENCH_RECIPIENT, raw))  # fmt: skip
        if server.db_path is not None:
            procs.wait_drained(server.db_path, s.drain_timeout)  # parsing happens after the ack
        time.sleep(0.3)
    del raw
    if peak_resettable:
        growth_by = {pid: max((rss.peak_bytes(pid) or 0) - before[pid], 0) for pid in pids}
        growth = sum(growth_by.values())
        peak = sum(before.values()) + growth
    else:
        growth_by = {}
        peak = sampler.peak or 0
        growth = max(peak - sum(before.values()), 0)
    return {
        "size_mb": round(size / MB, 2),
        "reply": reply,
        "rss_before_mb": round(sum(before.values()) / MB, 1),
        "peak_mb": round(peak / MB, 1),
        "growth_mb": round(growth / MB, 1),
        "multiplier": round(growth / size, 2),
        "processes": len(pids),
        "growth_server_mb": round(growth_by.get(server.pid, 0) / MB, 1) if growth_by else None,
        "growth_children_mb": round((growth - growth_by.get(server.pid, 0)) / MB, 1) if growth_by else None,
        "peak_source": "VmHWM per process, reset before send" if peak_resettable else "sampled every 50 ms",
    }


def _measured_run(server: Server, s: Settings, sessions: int) -> dict[str, Any]:
    """One smtp-source run; for quotemaild also what got stored and how long processing lagged."""
    before = procs.stored_count(server.db_path) if server.db_path is not None else None
    threaded_before = procs.threaded_count(server.db_path) if server.db_path is not None else None
    r = drivers.run_smtp_source(server.host, server.port, _load(s, s.n, sessions))
    if server.db_path is not None:
        after = procs.stored_count(server.db_path)
        r["stored"] = after - before if after is not None and before is not None else None
        r["drain"] = procs.wait_drained(server.db_path, s.drain_timeout)
        total = r["wall_s"] + (r["drain"]["drain_s"] or 0)
        # Processed: acknowledged AND threaded into a request, counted in the store after the
        # drain, over the time from the first message to the last one processed.
        threaded_after = procs.threaded_count(server.db_path)
        threaded = threaded_after - threaded_before if threaded_after is not None and threaded_before is not None else None
        r["threaded"] = threaded
        r["processed_msgs_per_s"] = round(threaded / total, 1) if threaded and total else None
    return r


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median rate (the lower middle one of an even count), with every run's rate."""
    rated = sorted((r for r in runs if r.get("msgs_per_s")), key=lambda r: r["msgs_per_s"])
    if not rated:
        return runs[-1] if runs else {}
    return {**rated[(len(rated) - 1) // 2], "runs_msgs_per_s": [r.get("msgs_per_s") for r in runs]}


def median_ratio(pairs: list[tuple[dict[str, Any], dict[str, Any]]], key: str = "msgs_per_s") -> float | None:
    """quotemaild's `key` (accepted, or processed, msgs/s) over the baseline's msgs/s for each pair
    of runs taken in turn, then the median of those."""
    ratios = [q[key] / b["msgs_per_s"] for b, q in pairs if b.get("msgs_per_s") and q.get(key)]
    return round(statistics.median(ratios), 3) if ratios else None


def throughput(servers: dict[str, Server], s: Settings) -> dict[str, Any]:
    """smtp-source at each session count, `repeats` times, the servers taking turns.

    Returns `by_server`: per server {"smtp_source": {sessions: median run}} (or the reason
    smtp-source is missing), and `ratio`: per session count the median ratio quotemaild/baseline."""
    ratio: dict[str, float | None] = {str(n): None for n in s.sessions}
    processed_ratio: dict[str, float | None] = {str(n): None for n in s.sessions}
    for server in servers.values():
        warm = drivers.run_smtp_source(server.host, server.port, _load(s, min(200, s.n), max(s.sessions)))
        if "skipped" in warm:
            skipped = {"smtp_source_skipped": warm["skipped"], "smtp_source": {}}
            return {"by_server": {name: skipped for name in servers}, "ratio": ratio, "processed_ratio": processed_ratio}
        if server.db_path is not None:
            procs.wait_drained(server.db_path, s.drain_timeout)
    by_server: dict[str, dict[str, Any]] = {name: {"smtp_source": {}} for name in servers}
    for sessions in s.sessions:
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in servers}
        for _ in range(max(s.repeats, 1)):
            for name, server in servers.items():
                runs[name].append(_measured_run(server, s, sessions))
        for name in servers:
            by_server[name]["smtp_source"][str(sessions)] = median_run(runs[name])
        if "baseline" in runs and "quotemaild" in runs:
            pairs = list(zip(runs["baseline"], runs["quotemaild"], strict=True))
            ratio[str(sessions)] = median_ratio(pairs)
            processed_ratio[str(sessions)] = median_ratio(pairs, "processed_msgs_per_s")
    return {"by_server": by_server, "ratio": ratio, "processed_ratio": processed_ratio}


def latency_and_memory(server: Server, s: Settings) -> dict[str, Any]:
    """Ack latency (aiosmtplib generator), peak RSS so far, then one message near the size limit."""
    out: dict[str, Any] = {"pid": server.pid, "port": server.port}
    out["generator"] = drivers.run_generator(server.host, server.port, _load(s, s.n, max(s.sessions)))
    if server.db_path is not None:
        out["drain"] = procs.wait_drained(server.db_path, s.drain_timeout)
    # Summed over the process tree: quotemaild's processing child counts too.
    peak = sum(rss.peak_bytes(pid) or 0 for pid in rss.tree(server.pid))
    out["peak_rss_mb"] = round(peak / MB, 1) if peak else None
    out["big_message"] = _guard(lambda: check_big_message(server, s))
    if server.proc.poll() is not None:
        raise RuntimeError(f"{server.name} exited with {server.proc.returncode} during the run")
    return out


def bench_servers(starters: dict[str, Callable[[], Server]], s: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
    """Start every server, measure throughput with their runs in turn, then each one's latency
    and memory. A server that cannot start is recorded (skipped or error) and the others go on."""
    targets: dict[str, dict[str, Any]] = {}
    servers: dict[str, Server] = {}
    with ExitStack() as stack:
        for name, start in starters.items():
            started = _guard(lambda start=start: {"server": stack.enter_context(start())})
            if started["status"] == "ok":
                servers[name] = started["server"]
            else:
                targets[name] = started
        measured = _guard(lambda: throughput(servers, s))
        for name, server in servers.items():
            if measured["status"] != "ok":
                targets[name] = measured
            else:
                targets[name] = _guard(lambda name=name, server=server: {**measured["by_server"][name],
                                                                         **latency_and_memory(server, s)})  # fmt: skip
    ratio = measured.get("ratio") or {str(n): None for n in s.sessions}
    # Processed (threaded into a request) quotemaild msgs/s over the baseline's accepted msgs/s.
    ratio = {**ratio, **{f"processed_{n}": r for n, r in (measured.get("processed_ratio") or {}).items()}}
    return {name: targets[name] for name in starters}, ratio


def sustained(start: Callable[[], Server], target: str, s: Settings) -> dict[str, Any]:
    """smtp-source in bounded chunks for `duration` seconds while RSS is sampled."""
    chunk = max(50, min(2000, s.n))
    sessions = max(s.sessions)
    sent = 0
    pushed_back = 0  # chunks cut short by 451 4.3.2: the backlog at `[processing] max_backlog`
    with start() as server, rss.RssSampler(server.pid, interval=0.25 if s.quick else 1.0) as sampler:
        t0 = time.monotonic()
        while time.monotonic() - t0 < s.duration:
            r = drivers.run_smtp_source(server.host, server.port, _load(s, chunk, sessions))
            if "skipped" in r:  # no smtp-source: the in-repo generator keeps the load going
                r = drivers.run_generator(server.host, server.port, _load(s, chunk, sessions))
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
                level["ingest"] = _guard(lambda size=size: _ingest_at(s, db, size))
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
        drivers.run_smtp_source(server.host, server.port, _load(s, min(200, s.n), sessions))
        procs.wait_drained(db, s.drain_timeout)
        return median_run([_measured_run(server, s, sessions) for _ in range(max(s.repeats, 1))])


def run(s: Settings) -> dict[str, Any]:
    stores = open_stores(s.store, s.workdir)
    try:
        return _run(s, stores)
    finally:
        stores.close()


def _run(s: Settings, stores: BenchStores) -> dict[str, Any]:
    result: dict[str, Any] = {"schema": 1, "mode": "quick" if s.quick else "full", "started_at": _now()}
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

    result["components"] = _guard(components)

    qm_reason = None if targets["quotemaild"]["status"] == "ok" else targets["quotemaild"].get(
        "reason", targets["quotemaild"].get("error")
    )
    if qm_reason is None:
        result["sustained"] = _guard(lambda: sustained(start_quotemaild("sustained"), "quotemaild", s))
    else:  # still exercise the stage, on the baseline, and say so
        result["sustained"] = _guard(lambda: sustained(start_baseline, "baseline (quotemaild unavailable)", s))

    sqlite_only = "this stage runs on SQLite only (it reads the store's file directly)"

    def paced_stage() -> dict[str, Any]:
        from quotemaild.bench import paced

        if postgresql:
            raise QuotemaildUnavailable(sqlite_only)
        if qm_reason is not None:
            raise QuotemaildUnavailable(qm_reason)
        rate = s.paced_rate or _paced_rate(targets, s)
        return paced.measure(start_quotemaild("paced"), rate, s.duration, sessions=min(8, max(s.sessions)),
                             size=s.size, drain_timeout=s.drain_timeout)  # fmt: skip

    result["paced"] = _guard(paced_stage)

    if s.skip_scale:
        result["scale"] = {"status": "skipped", "reason": "--skip-scale"}
    else:
        result["scale"] = _guard(lambda: scale(s, qm_reason, stores))

    def ack_to_smarthost() -> dict[str, Any]:
        from quotemaild.bench import smarthost

        if postgresql:
            raise QuotemaildUnavailable(sqlite_only)
        if qm_reason is not None:
            raise QuotemaildUnavailable(qm_reason)
        return smarthost.measure(s.workdir / "smarthost", min(s.n, 300), s.max_message_size, s.log_level)

    result["ack_to_smarthost"] = _guard(ack_to_smarthost)

    def queue_to_smarthost() -> dict[str, Any]:
        from quotemaild.bench import queue_latency

        if postgresql:
            raise QuotemaildUnavailable(sqlite_only)
        if qm_reason is not None:
            raise QuotemaildUnavailable(qm_reason)
        daemon_mails, cli_mails = (20, 10) if s.quick else (200, 50)
        return queue_latency.measure(s.workdir / "queue_latency", daemon_mails, cli_mails, s.max_message_size,
                                     s.log_level)

    result["queue_to_smarthost"] = _guard(queue_to_smarthost)

    def web() -> dict[str, Any]:
        from quotemaild.bench import web as web_stage

        if postgresql:
            raise QuotemaildUnavailable(sqlite_only)
        if qm_reason is not None:
            raise QuotemaildUnavailable(qm_reason)
        return web_stage.measure(s.workdir / "web", s.web_requests, s.web_runs, s.max_message_size, s.log_level)

    result["web"] = {"status": "skipped", "reason": "--skip-web"} if s.skip_web else _guard(web)
    result["loadavg_end"] = list(os.getloadavg())
    result["finished_at"] = _now()
    return result
