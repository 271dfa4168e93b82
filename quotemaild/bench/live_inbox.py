"""250 -> the new request on the event stream: how soon an open inbox can show a new request.

The web inbox adds a row when `/api/v1/events` says `request`. This opens that stream as the
seller's client would (a Bearer token, one keep-alive connection), then sends new requests over
SMTP one at a time and times each from its `250` (smtplib returned) to the `request` event that
announced it (read in a thread). The target of the web app: within 2 s. What the browser then
does (fetch the list's first rows, ~10 ms at 100k requests) is in the page timings beside it.
"""

from __future__ import annotations

import http.client
import queue
import smtplib
import threading
import time
import uuid
from email.utils import formatdate
from typing import Any

from quotemaild.bench.procs import BENCH_RECIPIENT

TARGET_S = 2.0


def _mail(i: int) -> bytes:
    token = uuid.uuid4().hex
    return (
        f"From: Live Customer {i} <live{i}.{token[:8]}@customers.bench.test>\r\nTo: {BENCH_RECIPIENT}\r\n"
        f"Subject: Live request {i}\r\nDate: {formatdate()}\r\nMessage-ID: <live.{token}@customers.bench.test>\r\n"
        f"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nA quote for {i} windows, please.\r\n"
    ).encode()


def _read_events(resp: http.client.HTTPResponse, out: queue.Queue[float]) -> None:
    """Puts the arrival time of every `request` event; ends when the connection closes."""
    kind = b""
    try:
        while line := resp.readline():
            line = line.rstrip(b"\r\n")
            if line.startswith(b"event:"):
                kind = line.partition(b":")[2].strip()
            elif not line:
                if kind == b"request":
                    out.put(time.perf_counter())
                kind = b""
    except (OSError, ValueError, http.client.HTTPException):
        return


def measure(http_port: int, smtp_port: int, token: str, count: int = 20, timeout: float = 15.0) -> dict[str, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=60)
    conn.request("GET", "/api/v1/events", headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"})
    resp = conn.getresponse()
    if resp.status != 200:
        raise RuntimeError(f"GET /api/v1/events: HTTP {resp.status}")
    arrivals: queue.Queue[float] = queue.Queue()
    reader = threading.Thread(target=_read_events, args=(resp, arrivals), name="events", daemon=True)
    reader.start()
    seconds: list[float] = []
    missed = 0
    try:
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
            for i in range(count):
                smtp.sendmail(f"live{i}@customers.bench.test", [BENCH_RECIPIENT], _mail(i))
                acked = time.perf_counter()
                try:
                    seconds.append(arrivals.get(timeout=timeout) - acked)
                except queue.Empty:
                    missed += 1
                time.sleep(0.1)
    finally:
        conn.close()  # the stream ends; the reader thread with it
    ordered = sorted(seconds)

    def pick(q: float) -> float | None:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 3) if ordered else None

    p95 = pick(0.95)
    return {"sent": count, "announced": len(seconds), "missed": missed, "p50_s": pick(0.5), "p95_s": p95,
            "max_s": round(ordered[-1], 3) if ordered else None, "target_s": TARGET_S,
            "ok": missed == 0 and p95 is not None and p95 <= TARGET_S}  # fmt: skip
