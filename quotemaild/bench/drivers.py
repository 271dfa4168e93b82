"""Load drivers: Postfix's `smtp-source` (throughput) and an aiosmtplib generator (threads, latency).

`smtp-source` is the main throughput driver: a C program that costs the server's two cores
almost nothing. It cannot vary headers (every message is a new thread), so the second driver,
run as its own process (`python -m quotemaild.bench.drivers`), sends pre-built messages where
about 30 % answer an earlier Message-ID (In-Reply-To + References), and times each
DATA command to its final reply: the ack latency a sending MTA sees.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from email.utils import format_datetime
from typing import Any

SMTP_SOURCE = "/usr/sbin/smtp-source"


@dataclass(frozen=True)
class Load:
    """One bounded load run: `messages` messages over `sessions` parallel connections."""

    messages: int
    sessions: int
    size: int = 2048
    sender: str = "load@bench.test"
    recipient: str = "bench@proposals.bench.test"
    reply_ratio: float = 0.3
    reuse_connections: bool = True
    pace: float = 0.0  # generator only: seconds each session waits between messages


def smtp_source_path() -> str | None:
    return shutil.which("smtp-source") or (SMTP_SOURCE if shutil.which(SMTP_SOURCE) else None)


def run_smtp_source(host: str, port: int, load: Load, timeout: float = 900.0) -> dict[str, Any]:
    """Send `load.messages` with smtp-source; throughput is messages over its wall time."""
    exe = smtp_source_path()
    if exe is None:
        return {"driver": "smtp-source", "skipped": "smtp-source not found (apt-get install postfix)"}
    cmd = [exe, "-s", str(load.sessions), "-m", str(load.messages), "-l", str(load.size)]
    cmd += ["-f", load.sender, "-t", load.recipient, "-M", "bench.test"]
    if load.reuse_connections:
        cmd.append("-d")  # like Postfix's connection cache under load
    cmd.append(f"inet:{host}:{port}")
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    wall = time.perf_counter() - start
    result: dict[str, Any] = {
        "driver": "smtp-source",
        "sessions": load.sessions,
        "messages": load.messages,
        "size": load.size,
        "reuse_connections": load.reuse_connections,
        "wall_s": round(wall, 4),
        "msgs_per_s": round(load.messages / wall, 1) if wall > 0 else None,
        "exit_code": proc.returncode,
    }
    if proc.returncode != 0:
        result["error"] = (proc.stderr or proc.stdout).strip()[-500:]
        result["msgs_per_s"] = None
    return result


BACKPRESSURE_REPLY = "451 4.3.2"  # the daemon's "too much mail waiting to be processed"


def backpressure(result: dict[str, Any]) -> bool:
    """A run that ended because the server pushed back (`[processing] max_backlog`), not a fault."""
    return BACKPRESSURE_REPLY in str(result.get("error", ""))


def build_messages(load: Load, run_id: str, domain: str = "customers.bench.test") -> list[bytes]:
    """Pre-built messages: ~`reply_ratio` answer an earlier one, far enough back to be acked."""
    rng = random.Random(f"{run_id}-{load.messages}")
    gap = max(min(2 * load.sessions, load.messages // 4), 1)  # replies point this far back or more
    date = format_datetime(dt.datetime.now(dt.UTC))
    out: list[bytes] = []
    refs: list[list[str]] = []
    for i in range(load.messages):
        msg_id = f"<g{i}.{run_id}@{domain}>"
        parent = rng.randrange(0, i - gap) if i > gap and rng.random() < load.reply_ratio else None
        customer = parent if parent is not None else i
        lines = [
            f"From: Customer {customer} <customer{customer}@{domain}>",
            f"To: <{load.recipient}>",
            f"Subject: {'Re: ' if parent is not None else ''}Quote request {customer}",
            f"Date: {date}",
            f"Message-ID: {msg_id}",
        ]
        chain: list[str] = [msg_id]
        if parent is not None:
            chain = (refs[parent] + [msg_id])[-10:]
            lines.append(f"In-Reply-To: {refs[parent][-1]}")
            lines.append("References: " + "\r\n ".join(refs[parent]))
        refs.append(chain)
        lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", ""]
        head = "\r\n".join(lines) + "\r\n"
        body_len = max(load.size - len(head), 16)
        sentence = f"Please send us a quote for item {i}. "
        filler = sentence * (body_len // len(sentence) + 1)
        body = "\r\n".join(filler[j : j + 76] for j in range(0, body_len, 76))[:body_len]
        out.append((head + body + "\r\n").encode())
    return out


def percentiles(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p90_ms": None, "p99_ms": None, "max_ms": None}
    s = sorted(values)

    def pick(q: float) -> float:
        return round(s[min(len(s) - 1, int(q * len(s)))] * 1000, 3)

    return {"p50_ms": pick(0.50), "p90_ms": pick(0.90), "p99_ms": pick(0.99), "max_ms": round(s[-1] * 1000, 3)}


def _message_id(raw: bytes) -> str:
    start = raw.index(b"\r\nMessage-ID: ") + len(b"\r\nMessage-ID: ")
    return raw[start : raw.index(b"\r\n", start)].decode()


async def generate(
    host: str, port: int, load: Load, messages: list[bytes], ack_log: str | None = None
) -> dict[str, Any]:
    import aiosmtplib

    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for m in messages:
        queue.put_nowait(m)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    acks: list[tuple[str, float, bool]] = []  # Message-ID, epoch time of the 250, is a reply

    async def session() -> None:
        client = aiosmtplib.SMTP(hostname=host, port=port, timeout=120, local_hostname="bench.test")
        await client.connect()
        try:
            while True:
                try:
                    raw = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                if load.pace:
                    await asyncio.sleep(load.pace)
                try:
                    await client.mail(load.sender)
                    await client.rcpt(load.recipient)
                    t0 = time.perf_counter()
                    await client.data(raw)
                    latencies.append(time.perf_counter() - t0)
                    if ack_log is not None:
                        acks.append((_message_id(raw), time.time(), b"\r\nIn-Reply-To:" in raw))
                except aiosmtplib.SMTPResponseException as exc:
                    errors[str(exc.code)] = errors.get(str(exc.code), 0) + 1
                    await client.rset()
        finally:
            try:
                await client.quit()
            except aiosmtplib.SMTPException:
                client.close()

    start = time.perf_counter()
    await asyncio.gather(*(session() for _ in range(load.sessions)))
    wall = time.perf_counter() - start
    if ack_log is not None:
        with open(ack_log, "w", encoding="utf-8") as f:
            for msg_id, t, is_reply in acks:
                f.write(json.dumps({"message_id": msg_id, "t": t, "reply": is_reply}) + "\n")
    sent = len(latencies)
    replies = sum(1 for m in messages if b"\r\nIn-Reply-To:" in m)
    return {
        "driver": "aiosmtplib",
        "sessions": load.sessions,
        "messages": load.messages,
        "accepted": sent,
        "replies": replies,
        "errors": errors,
        "size": load.size,
        "wall_s": round(wall, 4),
        "msgs_per_s": round(sent / wall, 1) if wall > 0 else None,
        "ack_latency": percentiles(latencies),
    }


def run_generator(
    host: str, port: int, load: Load, timeout: float = 900.0, ack_log: str | None = None
) -> dict[str, Any]:
    """Run the aiosmtplib generator in its own process so it does not share our GIL."""
    cmd = [
        sys.executable, "-m", "quotemaild.bench.drivers",
        "--host", host, "--port", str(port), "--messages", str(load.messages),
        "--sessions", str(load.sessions), "--size", str(load.size),
        "--sender", load.sender, "--recipient", load.recipient,
        "--reply-ratio", str(load.reply_ratio), "--pace", str(load.pace),
    ]  # fmt: skip
    if ack_log is not None:
        cmd += ["--ack-log", ack_log]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        return {"driver": "aiosmtplib", "error": proc.stderr.strip()[-800:], "msgs_per_s": None}
    return json.loads(proc.stdout)


async def send_one(host: str, port: int, sender: str, recipient: str, raw: bytes) -> str:
    """Send one message (the near-limit memory check); returns the final reply code and text."""
    import aiosmtplib

    client = aiosmtplib.SMTP(hostname=host, port=port, timeout=300, local_hostname="bench.test")
    await client.connect()
    try:
        await client.mail(sender, options=[f"SIZE={len(raw)}"])
        await client.rcpt(recipient)
        reply = await client.data(raw)
        return f"{reply.code} {reply.message}"
    except aiosmtplib.SMTPResponseException as exc:
        return f"{exc.code} {exc.message}"
    finally:
        client.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m quotemaild.bench.drivers", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--messages", type=int, default=1000)
    p.add_argument("--sessions", type=int, default=32)
    p.add_argument("--size", type=int, default=2048)
    p.add_argument("--sender", default=Load.sender)
    p.add_argument("--recipient", default=Load.recipient)
    p.add_argument("--reply-ratio", type=float, default=0.3)
    p.add_argument("--pace", type=float, default=0.0, help="seconds between messages per session")
    p.add_argument("--ack-log", help="write a JSON line (Message-ID, time of the 250) per accepted message")
    a = p.parse_args(argv)
    load = Load(a.messages, a.sessions, a.size, a.sender, a.recipient, a.reply_ratio, pace=a.pace)
    run_id = f"{int(time.time() * 1000):x}"
    messages = build_messages(load, run_id)
    print(json.dumps(asyncio.run(generate(a.host, a.port, load, messages, a.ack_log))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
