"""The results: one JSON document (`bench/results/latest.json`) and the same as a text table."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any


def fsync_ms(directory: Path, rounds: int = 50) -> float | None:
    """Median time of a 4 KiB write + fsync in `directory`: what one durable commit costs at least."""
    path = directory / ".fsync-probe"
    times: list[float] = []
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            for _ in range(rounds):
                t0 = time.perf_counter()
                os.write(fd, b"x" * 4096)
                os.fsync(fd)
                times.append(time.perf_counter() - t0)
        finally:
            os.close(fd)
            path.unlink(missing_ok=True)
    except OSError:
        return None
    return round(sorted(times)[len(times) // 2] * 1000, 3)


def machine(workdir: Path | None = None) -> dict[str, Any]:
    mem_kb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass

    def version(dist: str) -> str | None:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return None

    return {
        "cpus": os.cpu_count(),
        "mem_total_gib": round(mem_kb / 1024 / 1024, 1) if mem_kb else None,
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "aiosmtpd": version("aiosmtpd"),
        "aiosmtplib": version("aiosmtplib"),
        "sqlalchemy": version("sqlalchemy"),
        "sqlite": sqlite3.sqlite_version,
        "fsync_ms": fsync_ms(workdir) if workdir else None,
    }


def write_json(result: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(result, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _rate(run: dict[str, Any]) -> str:
    if run.get("error"):
        return "failed"
    return _fmt(run.get("msgs_per_s"))


def _runs(rates: list[float | None]) -> str:
    return " / ".join(_fmt(r) for r in rates)


def _skip(stage: dict[str, Any]) -> str | None:
    if stage.get("status") == "ok":
        return None
    return f"{stage.get('status', '?')}: {stage.get('reason') or stage.get('error')}"


def _per_size(bm: dict[str, Any], key: str) -> str:
    """A process's share of the big message's growth, as a multiple of the message size."""
    value, size = bm.get(key), bm.get("size_mb")
    return _fmt(value / size, 2) if isinstance(value, (int, float)) and size else "-"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = lambda cells: "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True))  # noqa: E731
    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def render(result: dict[str, Any]) -> str:
    out: list[str] = []
    m = result["machine"]
    p = result["params"]
    out.append(
        f"quotemaild bench ({result['mode']}) {result['started_at']} — {m['cpus']} cores, "
        f"{m['mem_total_gib']} GiB, Python {m['python']}, aiosmtpd {m['aiosmtpd']}, SQLite {m['sqlite']}"
    )
    out.append(
        f"fsync {m.get('fsync_ms')} ms; load average at start {result['loadavg_start'][0]:.2f}, "
        f"at end {result['loadavg_end'][0]:.2f} (other work on the machine skews every number)"
    )
    store = result.get("store") or {"kind": "sqlite"}
    if store["kind"] != "sqlite":
        tuned = ", ".join(f"{k}={v}" for k, v in (store.get("settings") or {}).items())
        out.append(f"Store: {store['kind']} {store.get('version')} (private server for this run; {tuned})")
    base = result["targets"]["baseline"]
    qm = result["targets"]["quotemaild"]
    out.append("")
    repeats = p.get("repeats", 1)
    out.append(f"Throughput: smtp-source, {p['size']} B messages, N={p['n']} per run (msgs/s)")
    if repeats > 1:
        out.append(f"  median of {repeats} runs each, the servers taking turns; ratio: median of the pairs' ratios")
    rows = []
    for s in p["sessions"]:
        b = base.get("smtp_source", {}).get(str(s), {})
        q = qm.get("smtp_source", {}).get(str(s), {})
        rows.append([str(s), _rate(b), _rate(q), _fmt(result["ratio"].get(str(s)), 2),
                     _fmt(q.get("stored")), _fmt(q.get("processed_msgs_per_s")),
                     _fmt(result["ratio"].get(f"processed_{s}"), 2)])  # fmt: skip
    out += _table(["sessions", "baseline", "quotemaild", "ratio", "stored", "processed/s", "processed ratio"], rows)
    for s in p["sessions"]:
        runs = {name: t.get("smtp_source", {}).get(str(s), {}).get("runs_msgs_per_s") for name, t in
                (("baseline", base), ("quotemaild", qm))}  # fmt: skip
        if any(runs.values()):
            out.append(f"  runs at {s} {'session' if s == 1 else 'sessions'}: " + "; ".join(f"{n} {_runs(r)}" for n, r in runs.items() if r))
    for s in p["sessions"]:
        for name, t in (("baseline", base), ("quotemaild", qm)):
            err = t.get("smtp_source", {}).get(str(s), {}).get("error")
            if err:
                out.append(f"  {name} at {s} sessions: {err}")
    if _skip(qm):
        out.append(f"  quotemaild {_skip(qm)}")

    out.append("")
    out.append(f"Ack latency DATA->250: aiosmtplib, {p['generator_sessions']} sessions, ~30 % replies")
    rows = []
    for name, t in (("baseline", base), ("quotemaild", qm)):
        g = t.get("generator", {})
        lat = g.get("ack_latency", {})
        rows.append([name, _fmt(g.get("msgs_per_s")), _fmt(lat.get("p50_ms"), 2), _fmt(lat.get("p99_ms"), 2),
                     _fmt(t.get("peak_rss_mb")), _fmt((t.get("drain") or {}).get("drain_s"), 2)])  # fmt: skip
    out += _table(["server", "msgs/s", "p50 ms", "p99 ms", "peak RSS MB", "drain s"], rows)

    out.append("")
    out.append("Memory: one message near the size limit")
    rows = []
    for name, t in (("baseline", base), ("quotemaild", qm)):
        bm = t.get("big_message") or {}
        rows.append([name, _fmt(bm.get("size_mb")), str(bm.get("reply", "-"))[:24],
                     _fmt(bm.get("rss_before_mb")), _fmt(bm.get("peak_mb")), _fmt(bm.get("multiplier"), 2),
                     _per_size(bm, "growth_server_mb"), _per_size(bm, "growth_children_mb")])  # fmt: skip
    out += _table(["server", "size MB", "reply", "RSS before MB", "peak MB", "growth/size", "main process",
                   "children"], rows)  # fmt: skip

    comp = result.get("components", {})
    out.append("")
    if _skip(comp):
        out.append(f"Components: {_skip(comp)}")
    else:
        w, pr = comp["writer"], comp["processor"]
        out.append(
            f"Components, no SMTP ({comp['messages']} msgs): group-commit writer {_fmt(w['msgs_per_s'])} msgs/s "
            f"with {w['sessions']} waiting submitters (mean batch {w['mean_batch']}); processor alone "
            f"{_fmt(pr['msgs_per_s'])} msgs/s ({pr['ms_per_msg']} ms/msg, batches of {pr.get('batch', 1)}, "
            f"transactions of up to {pr.get('transaction', pr.get('batch', 1))})"
        )

    sus = result.get("sustained", {})
    out.append("")
    if _skip(sus):
        out.append(f"Sustained RSS: {_skip(sus)}")
    else:
        f = sus["rss"]
        out.append(
            f"Sustained RSS ({sus['target']}, {f.get('duration_s')} s, {sus.get('messages')} msgs, "
            f"{_fmt(sus.get('msgs_per_s'))} msgs/s): start {f.get('start_mb')} MB, steady "
            f"{f.get('steady_first_mb')} -> {f.get('steady_last_mb')} MB, peak {f.get('peak_mb')} MB, "
            f"slope {f.get('slope_mb_per_min')} MB/min, flat={f.get('flat')}"
            + (f"; {sus['chunks_pushed_back']} load chunks held off with 451 4.3.2 (backlog at its limit)"
               if sus.get("chunks_pushed_back") else "")
        )

    out += paced_lines(result.get("paced", {}))

    sc = result.get("scale", {})
    out.append("")
    if _skip(sc):
        out.append(f"Scale: {_skip(sc)}")
    else:
        out.append("Scale: preloaded store, bench tenant (request list: status and assignee filters, newest first, 50)")
        rows = []
        for lv in sc["levels"]:
            q = lv["queries"]
            ing = lv.get("ingest") or {}
            rows.append([
                str(lv["messages"]), str(q["tenant_requests"]), _fmt(lv["db_mb"]),
                _fmt(lv["load"].get("load_msgs_per_s")), _rate(ing) if ing else "-",
                _fmt(ing.get("processed_msgs_per_s")), _fmt(lv.get("ingest_ratio_to_first"), 2), _fmt(q["request_list"]["p95_ms"], 2),
                _fmt(q["thread_lookup"]["p95_ms"], 2), "ok" if q["plans_ok"] else "SCAN",
            ])  # fmt: skip
        out += _table(["messages", "tenant reqs", "DB MB", "load msg/s", "ingest msg/s", "processed/s",
                       "ratio", "list p95 ms", "lookup p95 ms", "plans"], rows)  # fmt: skip
        for lv in sc["levels"]:
            ing = lv.get("ingest") or {}
            if ing.get("runs_msgs_per_s"):
                out.append(f"  ingest runs at {lv['messages']}: {_runs(ing['runs_msgs_per_s'])} (median counts)")
            if ing.get("error") or ing.get("status") not in (None, "ok"):
                out.append(f"  ingest at {lv['messages']}: {ing.get('error') or ing.get('reason')}")
            bad = {k: v["full_scans"] for k, v in lv["queries"]["plans"].items() if v["full_scans"]}
            if bad:
                out.append(f"  full scans at {lv['messages']}: {bad}")
        if sc.get("ingest_skipped"):
            out.append(f"  ingest skipped: {sc['ingest_skipped']}")

    ack = result.get("ack_to_smarthost", {})
    out.append("")
    if _skip(ack):
        out.append(f"Ack -> acknowledgement at the smarthost: {_skip(ack)}")
    else:
        lat = ack["latency"]
        out.append(
            f"Ack -> acknowledgement at the smarthost ({ack['messages']} msgs, 1 session, one every "
            f"{ack['pace_s']} s): {ack['matched']}/{ack['new_threads']} new threads acknowledged, "
            f"p50 {_fmt(lat['p50_ms'])} ms, p99 {_fmt(lat['p99_ms'])} ms"
        )
    out.extend(_queue_lines(result.get("queue_to_smarthost", {})))
    web = web_lines(result.get("web", {}))
    if web:
        out += ["", *web]
    return "\n".join(out)


def _queue_lines(stage: dict[str, Any]) -> list[str]:
    """Queue -> handed to the smarthost, from inside the daemon and from the CLI (target p99 < 1 s)."""
    if not stage:
        return []
    if _skip(stage):
        return [f"Queue -> handed to the smarthost: {_skip(stage)}"]
    out = [f"Queue -> handed to the smarthost (poll_interval {stage['poll_interval_s']:.0f} s, so only the wake counts):"]
    for key in ("daemon", "cli"):
        part, lat = stage[key], stage[key]["latency"]
        out.append(f"  {key:<6} {part['matched']}/{part['queued']}: p50 {_fmt(lat['p50_ms'])} ms, "
                   f"p99 {_fmt(lat['p99_ms'])} ms (target p99 < 1000 ms)")
    return out


def paced_lines(stage: dict[str, Any]) -> list[str]:
    """The paced stage: offered rate, arrival -> request percentiles, backlog."""
    if _skip(stage):
        return ["", f"Paced load, arrival -> request: {_skip(stage)}"]
    lat, bl = stage["arrival_to_request"], stage["backlog"]
    return ["", (
        f"Paced load, arrival -> request ({stage['wall_s']} s, target {_fmt(stage['target_msgs_per_s'])} msgs/s, "
        f"offered {_fmt(stage['offered_msgs_per_s'])}): {lat['count']} threaded, p50 {lat['p50_s']} s, "
        f"p95 {lat['p95_s']} s, p99 {lat['p99_s']} s (p95 <= 2 s: {lat['p95_ok']}); backlog first/last third "
        f"{bl.get('first_third')} -> {bl.get('last_third')}, max {bl.get('max')}, flat={bl.get('backlog_flat')}"
        + (f"; 451 4.3.2 backpressure after {stage['backpressure_at_s']} s, load stopped"
           if stage.get("backpressure_at_s") is not None else "")
    )]


def web_lines(stage: dict[str, Any]) -> list[str]:
    """Pages and their JSON twins: time to the last byte on loopback, through the daemon."""
    if not stage:
        return []
    if _skip(stage):
        return [f"Web app and API: {_skip(stage)}"]
    load = stage["load"]
    out = [f"Web app and API server time ({load['tenant_requests']} requests in the bench tenant, "
           f"{load['messages']} messages; {stage['runs']} requests each, keep-alive, loopback; "
           f"target p95 < {stage['target_p95_ms']:.0f} ms)"]
    rows = [[name, _fmt(t["p50_ms"], 2), _fmt(t["p95_ms"], 2), _fmt(t["max_ms"], 2), _fmt(t["bytes"]),
             "ok" if t["ok"] else str(t["statuses"])] for name, t in stage["pages"].items()]  # fmt: skip
    out += _table(["page", "p50 ms", "p95 ms", "max ms", "bytes", "HTTP"], rows)
    scans = {k: v["full_scans"] for k, v in stage["plans"].items() if v["full_scans"]}
    out.append(f"  query plans: {'no full scan' if not scans else scans}")
    if live := stage.get("live_inbox"):
        out.append(f"  250 -> `request` on the event stream: {live['announced']}/{live['sent']} announced, "
                   f"p50 {live['p50_s']} s, p95 {live['p95_s']} s, max {live['max_s']} s "
                   f"(target {live['target_s']} s: {'met' if live['ok'] else 'not met'})")
    return out
