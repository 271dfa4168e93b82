"""The soak: mixed load on a real `quotemaild serve` process, restarted twice and SIGKILLed once.

    python -m tests.reliability.soak --duration 1800      # make soak DURATION=1800
    (the reliability suite runs it for about 75 seconds: tests/reliability/test_soak.py)

Load, from this process, for the whole duration, at about `--rate` SMTP messages a second (8; a
rate the daemon sustains on a busy 2-core machine, so a backlog that does not drain is a
finding): new requests (each from a new sender, so each must be acknowledged), customers'
replies into those threads, bounces (null sender, a DSN), out-of-office auto-replies,
`request reply` from the CLI, /healthz + /metrics; besides, about a tenth of that rate APPENDed
to a real Dovecot mailbox that an IMAP source of the tenant polls (`soak_imap.py`), and a
seller's HTTP use: API token calls, the event stream, the web login form (`soak_api.py`).
SMTP clients behave like an MTA: a message counts as acknowledged only after its 250, and one
that got no 250 (restart, kill) is sent again later. At 30 % and 80 % of the duration the
daemon is restarted (SIGTERM), at 55 % it is SIGKILLed and started again.

Counted at the end, after the queues drained and the IMAP source caught up: every acknowledged
or APPENDed message is processed exactly once (one stored message per Message-ID, no raw copy
pending or failed; one raw copy per IMAP UID); every new request got exactly one
acknowledgement at the smarthost and every API reply was sent once (an extra copy is allowed
only for a mail in the SIGKILL's at-least-once window, and counted); bounces and auto-replies
opened no request; every note the API answered 201 is stored once; no 5xx and no error-level
line in the daemon's log; the daemon's memory (RSS, daemon + processing child) and open file
descriptors, sampled during its longest run under load, do not grow. The figures go to stdout
as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosmtplib
import httpx
from sqlalchemy import select

from quotemaild.config import load_config
from quotemaild.store import db
from quotemaild.store.models import Message, OutboxMessage, QuoteRequest, RawMessage
from tests.conftest import DOMAIN, config_dict, make_mail, write_config
from tests.integration.daemon_proc import add_tenants, cli, free_port
from tests.reliability.soak_api import (ApiLoad, add_identity, api_client, api_counts, api_verdict, sse_client,
                                        web_client)
from tests.reliability.soak_imap import (IMAP_CONFIG, ImapLoad, add_source, caught_up, imap_client, imap_counts,
                                         imap_verdict)
from tests.reliability.soak_proc import Daemon, sample
from tests.support.dovecot import dovecot_instance
from tests.support.smtp_capture import CaptureServer

TO = f"acme@{DOMAIN}"


@dataclass
class Load:
    """What the clients did, from their side."""

    acked: dict[str, str] = field(default_factory=dict)  # Message-ID -> kind, after its 250
    retried: int = 0  # sends that got no 250 and were tried again
    new_ids: list[str] = field(default_factory=list)
    replies_cli: int = 0
    http_ok: int = 0
    http_failed: Counter[str] = field(default_factory=Counter)  # what the failures were
    max_backlog: int = 0  # the most raw copies /healthz reported waiting for processing


def _mail(kind: str, n: int, load: Load, rng: random.Random) -> tuple[str, str, bytes]:
    """(envelope sender, Message-ID, bytes) of one message of `kind`."""
    mid = f"<soak-{kind}-{n}-{rng.randrange(1 << 30)}@example.org>"
    if kind == "new":
        sender = f"klant{n}@example.org"
        return sender, mid, make_mail(subject=f"Offerte {n}", sender=sender, message_id=mid)
    if kind == "reply":
        parent = rng.choice(load.new_ids)
        extra = f"In-Reply-To: {parent}\r\nReferences: {parent}"
        return "klant@example.org", mid, make_mail(subject="Re: Offerte", message_id=mid, extra=extra,
                                                   body="Nog een vraag over de ramen.\n")
    if kind == "bounce":
        body = ("This is the mail system at host mx.example.org.\n\nI'm sorry to have to inform you that your "
                "message could not be delivered.\n\n<nobody@example.org>: host said: 550 5.1.1 unknown user\n")
        return "", mid, make_mail(subject="Undelivered Mail Returned to Sender", sender="MAILER-DAEMON@example.org",
                                  message_id=mid, body=body, extra="Auto-Submitted: auto-replied")
    # an out-of-office
    return "ooo@example.org", mid, make_mail(subject="Out of office: Offerte", sender="ooo@example.org",
                                             message_id=mid, body="I am out of the office until Monday.\n",
                                             extra="Auto-Submitted: auto-replied\r\nX-Autoreply: yes")


async def smtp_client(port: int, load: Load, stop: asyncio.Event, seed: int, counter: list[int],
                      pause: float) -> None:
    """One sender: a message, then about `pause` seconds (new mail; resends come sooner)."""
    rng = random.Random(seed)
    pending: list[tuple[str, str, str, bytes]] = []  # not yet 250'd: sent again
    while not stop.is_set():
        if pending:
            kind, sender, mid, data = pending.pop(0)
        else:
            kind = rng.choices(["new", "reply", "bounce", "ooo"], [5, 3, 1, 1])[0] if load.new_ids else "new"
            counter[0] += 1
            sender, mid, data = _mail(kind, counter[0], load, rng)
        try:
            async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=10) as client:
                await client.sendmail(sender, [TO], data)
        except (aiosmtplib.SMTPException, OSError, TimeoutError):
            load.retried += 1
            pending.append((kind, sender, mid, data))
            await asyncio.sleep(0.2)
            continue
        load.acked[mid] = kind
        if kind == "new":
            load.new_ids.append(mid)
        await asyncio.sleep(rng.uniform(0.5, 1.5) * pause)


async def http_client(http_port: int, load: Load, stop: asyncio.Event) -> None:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}", timeout=5) as client:
        while not stop.is_set():
            for path in ("/healthz", "/metrics"):
                try:
                    r = await client.get(path)
                    if r.status_code == 200:
                        load.http_ok += 1
                        if path == "/healthz":
                            backlog = int(r.json().get("queues", {}).get("processing", 0))
                            load.max_backlog = max(load.max_backlog, backlog)
                    else:
                        load.http_failed[f"{path} {r.status_code}"] += 1
                except httpx.HTTPError as exc:
                    load.http_failed[f"{path} {type(exc).__name__}"] += 1
            await asyncio.sleep(0.5)


async def cli_replies(cfg: Path, load: Load, stop: asyncio.Event, sessions) -> None:
    body = cfg.parent / "reply.txt"
    body.write_text("De prijs volgt morgen.\n")
    while not stop.is_set():
        await asyncio.sleep(3)
        with sessions() as s:
            rid = s.scalar(select(QuoteRequest.id).where(QuoteRequest.requester_email.is_not(None))
                           .order_by(QuoteRequest.id.desc()).limit(1))
        if rid is None:
            continue
        done = await asyncio.to_thread(cli, cfg, "request", "reply", str(rid), "--body-file", str(body))
        load.replies_cli += done.returncode == 0


CLIENTS = 4


async def run(duration: float, workdir: Path, rate: float = 8.0) -> dict[str, Any]:
    """The soak for `duration` seconds at about `rate` messages a second (all SMTP clients
    together; IMAP adds about a tenth of that): a load the daemon sustains, so a backlog that
    never drains is a finding, not the load."""
    port, http_port = free_port(), free_port()
    base = f"http://127.0.0.1:{http_port}"
    with CaptureServer() as smarthost, dovecot_instance() as dovecot:
        data = config_dict(workdir, smtp={"listen": f"127.0.0.1:{port}"}, http={"listen": f"127.0.0.1:{http_port}"},
                           # timeout 5: a claim of the SIGKILLed instance runs out after 3 x 5 + 30 s
                           outbound={"smarthost": f"127.0.0.1:{smarthost.port}", "retry_initial": 1,
                                     "retry_max": 2, "poll_interval": 1, "timeout": 5},
                           imap=IMAP_CONFIG, log={"level": "info", "format": "json"})
        cfg = write_config(workdir / "config.toml", data)
        add_tenants(cfg, "acme")
        token = add_identity(cfg)
        engine = db.make_engine(load_config(cfg).store)
        sessions = db.make_sessionmaker(engine)
        add_source(sessions, dovecot, workdir)
        daemon = Daemon(cfg, workdir / "daemon.log", port)
        daemon.start()
        load, imap, api, stop, counter = Load(), ImapLoad(), ApiLoad(), asyncio.Event(), [0]
        tasks = [asyncio.create_task(smtp_client(port, load, stop, seed, counter, CLIENTS / rate))
                 for seed in range(CLIENTS)]
        tasks += [asyncio.create_task(http_client(http_port, load, stop)),
                  asyncio.create_task(cli_replies(cfg, load, stop, sessions)),
                  asyncio.create_task(imap_client(dovecot, imap, load.new_ids, stop, 10 / rate)),
                  asyncio.create_task(api_client(base, token, api, stop)),
                  asyncio.create_task(sse_client(base, token, api, stop)),
                  asyncio.create_task(web_client(base, api, stop))]
        t0 = time.monotonic()
        events = [(0.30, signal.SIGTERM), (0.55, signal.SIGKILL), (0.80, signal.SIGTERM)]
        segments: list[list[dict[str, int]]] = [[]]  # samples per daemon run
        restarts: list[float] = []  # seconds from the signal to listening again
        last_start = t0
        while (elapsed := time.monotonic() - t0) < duration:
            if events and elapsed >= events[0][0] * duration:
                _, sig = events.pop(0)
                down = time.monotonic()
                await asyncio.to_thread(daemon.stop, sig)
                await asyncio.to_thread(daemon.start)
                restarts.append(round(time.monotonic() - down, 1))
                last_start = time.monotonic()
                segments.append([])
            await asyncio.sleep(1)
            if time.monotonic() - last_start > 3:  # after start-up: steady state of this run
                assert daemon.proc is not None
                segments[-1].append(sample(daemon.proc.pid))
        stop.set()
        await asyncio.gather(*tasks)
        drain_started = time.monotonic()
        drained = await asyncio.to_thread(wait_drained, sessions, max(120.0, duration),
                                          lambda: caught_up(sessions, imap))
        drain_seconds = round(time.monotonic() - drain_started, 1)
        captured = list(smarthost.messages)
        await asyncio.to_thread(daemon.stop, signal.SIGTERM)
        result = count(sessions, load, captured, max(segments, key=len), drained, duration)
        result |= imap_counts(sessions, imap, acks_by_parent(captured))
        result |= api_counts(sessions, api, captured)
        result["log_errors"] = log_errors(workdir / "daemon.log")
        result["restart_seconds"] = restarts
        result["drain_seconds"] = drain_seconds
        result["max_processing_backlog"] = load.max_backlog
        engine.dispose()
        return result


def wait_drained(sessions, timeout: float, imap_caught_up: Callable[[], bool]) -> bool:
    """Nothing left to process or send, and the IMAP source has fetched up to the last APPEND."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sessions() as s:
            pending = s.scalar(select(RawMessage.id).where(RawMessage.state == "pending").limit(1))
            queued = s.scalar(select(OutboxMessage.id).where(OutboxMessage.state == "queued").limit(1))
        if pending is None and queued is None and imap_caught_up():
            # what the last fetch brought in may still be on its way to `pending`: look once more
            with sessions() as s:
                if s.scalar(select(RawMessage.id).where(RawMessage.state == "pending").limit(1)) is None:
                    return True
        time.sleep(0.5)
    return False


def log_errors(log: Path) -> dict[str, int]:
    """Error-level lines of the daemon's log, per event (and uvicorn's own plain-text errors,
    such as a request still open when a SIGTERM's graceful-shutdown timeout ran out: event
    streams end when the listener stops, so none should be)."""
    found: Counter[str] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("level") in ("error", "critical"):
                found[str(event.get("event"))] += 1
        elif line.startswith(("ERROR:", "CRITICAL:")):
            found[line.split(":", 2)[-1][:80]] += 1
    return dict(found)


def acks_by_parent(captured) -> Counter[str]:
    """Acknowledgements at the smarthost per Message-ID they answer (their In-Reply-To)."""
    acks: Counter[str] = Counter()
    for m in captured:
        head = m.data.split(b"\r\n\r\n", 1)[0].decode("ascii", "replace")
        if "Auto-Submitted: auto-replied" in head:
            for line in head.split("\r\n"):
                if line.lower().startswith("in-reply-to:"):
                    acks[line.split(":", 1)[1].strip()] += 1
    return acks


def count(sessions, load: Load, captured, samples, drained: bool, duration: float) -> dict[str, Any]:
    """The counts; memory and fds compare the first and last samples (a quarter in, to skip the
    warm-up) of the longest daemon run under load."""
    with sessions() as s:
        stored = Counter(s.scalars(select(Message.message_id).where(Message.direction == "in")))
        raw_states = Counter(s.scalars(select(RawMessage.state)))
        requests = {mid: rid for mid, rid in s.execute(
            select(Message.message_id, Message.request_id).where(Message.direction == "in"))}
        outbox = Counter(s.scalars(select(OutboxMessage.state)))
    acks = acks_by_parent(captured)
    new = [mid for mid, kind in load.acked.items() if kind == "new"]
    human = [mid for mid, kind in load.acked.items() if kind in ("new", "reply")]
    automatic = [mid for mid, kind in load.acked.items() if kind in ("bounce", "ooo")]
    first = samples[len(samples) // 4] if samples else {"rss_kib": 0, "fds": 0}
    end = samples[-1] if samples else first
    return {
        "duration_s": duration,
        "acknowledged": len(load.acked),
        "by_kind": dict(Counter(load.acked.values())),
        "resent_after_no_250": load.retried,
        "cli_replies": load.replies_cli,
        "http_ok": load.http_ok,
        "http_failed": dict(load.http_failed),
        "drained": drained,
        "raw_states": dict(raw_states),
        "outbox_states": dict(outbox),
        "mail_sent": len(captured),
        "human_missing": [m for m in human if stored[m] == 0],
        "human_duplicated": [m for m in human if stored[m] > 1],
        "automatic_opened_request": [m for m in automatic if requests.get(m) is not None],
        "new_without_ack": [m for m in new if acks[m] == 0],
        "acks_extra": sum(max(0, acks[m] - 1) for m in new),
        "rss_kib_first": first["rss_kib"],
        "rss_kib_end": end["rss_kib"],
        "fds_first": first["fds"],
        "fds_end": end["fds"],
        "samples": len(samples),
    }


def verdict(r: dict[str, Any]) -> list[str]:
    """What is wrong with a soak result ([] when nothing is)."""
    wrong = []
    if not r["drained"]:
        wrong.append("the queues did not drain")
    if r["human_missing"] or r["human_duplicated"]:
        wrong.append(f"processed not once: missing {r['human_missing'][:5]}, twice {r['human_duplicated'][:5]}")
    if set(r["raw_states"]) - {"processed"}:
        wrong.append(f"raw copies not processed: {r['raw_states']}")
    if r["automatic_opened_request"]:
        wrong.append(f"automatic mail opened a request: {r['automatic_opened_request'][:5]}")
    if r["new_without_ack"]:
        wrong.append(f"new requests without an acknowledgement: {r['new_without_ack'][:5]}")
    extra = r["acks_extra"] + r["imap_acks_extra"] + r["api_replies_extra"]
    if extra > 1:  # one SIGKILL: at most one mail in its at-least-once window
        wrong.append(f"{extra} mails sent twice (acknowledgements {r['acks_extra']} + {r['imap_acks_extra']}, "
                     f"API replies {r['api_replies_extra']})")
    if r["log_errors"]:
        wrong.append(f"errors in the daemon's log: {r['log_errors']}")
    if r["fds_end"] > r["fds_first"] + 16:
        wrong.append(f"file descriptors grew from {r['fds_first']} to {r['fds_end']}")
    if r["rss_kib_end"] > r["rss_kib_first"] * 1.5 + 20_000:
        wrong.append(f"memory grew from {r['rss_kib_first']} to {r['rss_kib_end']} KiB")
    return wrong + imap_verdict(r) + api_verdict(r)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=1800)
    parser.add_argument("--rate", type=float, default=8.0, help="messages a second, all clients together")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (daemon.log, the store)")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        result = asyncio.run(run(args.duration, args.keep, args.rate))
    else:
        with tempfile.TemporaryDirectory(prefix="quotemaild-soak-") as tmp:
            result = asyncio.run(run(args.duration, Path(tmp), args.rate))
    wrong = verdict(result)
    short = {k: (v[:10] if isinstance(v, list) else v) for k, v in result.items()}
    print(json.dumps({**short, "wrong": wrong}, indent=2))
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
