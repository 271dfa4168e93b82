"""The throughput stage and what is measured on the same servers after it: smtp-source runs with
the servers taking turns, the median run and the median of the pairs' ratios, processed
throughput counted in the store, ack latency, peak RSS and one message near the size limit."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from quotemaild.bench import drivers, procs, rss
from quotemaild.bench.procs import BENCH_RECIPIENT, Server
from quotemaild.bench.settings import Settings, guard, load_for

MB = 1024 * 1024


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


def measured_run(server: Server, s: Settings, sessions: int) -> dict[str, Any]:
    """One smtp-source run; for quotemaild also what got stored and how long processing lagged."""
    before = procs.stored_count(server.db_path) if server.db_path is not None else None
    threaded_before = procs.threaded_count(server.db_path) if server.db_path is not None else None
    r = drivers.run_smtp_source(server.host, server.port, load_for(s, s.n, sessions))
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
        warm = drivers.run_smtp_source(server.host, server.port, load_for(s, min(200, s.n), max(s.sessions)))
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
                runs[name].append(measured_run(server, s, sessions))
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
    out["generator"] = drivers.run_generator(server.host, server.port, load_for(s, s.n, max(s.sessions)))
    if server.db_path is not None:
        out["drain"] = procs.wait_drained(server.db_path, s.drain_timeout)
    # Summed over the process tree: quotemaild's processing child counts too.
    peak = sum(rss.peak_bytes(pid) or 0 for pid in rss.tree(server.pid))
    out["peak_rss_mb"] = round(peak / MB, 1) if peak else None
    out["big_message"] = guard(lambda: check_big_message(server, s))
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
            started = guard(lambda start=start: {"server": stack.enter_context(start())})
            if started["status"] == "ok":
                servers[name] = started["server"]
            else:
                targets[name] = started
        measured = guard(lambda: throughput(servers, s))
        for name, server in servers.items():
            if measured["status"] != "ok":
                targets[name] = measured
            else:
                targets[name] = guard(lambda name=name, server=server: {**measured["by_server"][name],
                                                                         **latency_and_memory(server, s)})  # fmt: skip
    ratio = measured.get("ratio") or {str(n): None for n in s.sessions}
    # Processed (threaded into a request) quotemaild msgs/s over the baseline's accepted msgs/s.
    ratio = {**ratio, **{f"processed_{n}": r for n, r in (measured.get("processed_ratio") or {}).items()}}
    return {name: targets[name] for name in starters}, ratio
