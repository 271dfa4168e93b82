"""The servers under test, each a subprocess on 127.0.0.1: the baseline null sink and quotemaild.

quotemaild is driven only through its CLI contract (DESIGN.md "Interfaces"): a generated config
TOML, `migrate`, `tenant add ... --slug bench --json`, then `serve`. If any of that is missing or
fails, `QuotemaildUnavailable` carries the reason and the harness records the stage as skipped.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from quotemaild.bench.baseline import READY_PREFIX
from quotemaild.bench.stores import Store, scalar, store_url

BENCH_DOMAIN = "proposals.bench.test"
BENCH_SLUG = "bench"
BENCH_RECIPIENT = f"{BENCH_SLUG}@{BENCH_DOMAIN}"
BENCH_MAX_COMMANDS = 10_000_000


class QuotemaildUnavailable(RuntimeError):
    """quotemaild could not be set up or started; the message says why."""


@dataclass
class Server:
    """A running server process and where it listens."""

    name: str
    host: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path | None = None
    db_path: Store | None = None  # the store: a SQLite file or a PostgreSQL URL
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self, grace: float = 15.0) -> int | None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._log is not None:
            self._log.close()
        return self.proc.returncode

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_smtp_ready(host: str, port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    """Until the server answers a 220 greeting; fail early if the process died."""
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise QuotemaildUnavailable(f"server exited with code {proc.returncode} before listening")
        try:
            with socket.create_connection((host, port), timeout=2) as s:
                banner = s.recv(512).decode("latin-1")
                if banner.startswith("220"):
                    s.sendall(b"QUIT\r\n")
                    return
                last = banner.strip()
        except OSError as exc:
            last = str(exc)
        time.sleep(0.1)
    raise QuotemaildUnavailable(f"server on {host}:{port} not ready after {timeout}s: {last}")


def start_baseline(
    max_message_size: int, loop: str = "asyncio", timeout: float = 300.0, capture: Path | None = None
) -> Server:
    """The null sink; with `capture`, a fake smarthost that logs each message it receives."""
    cmd = [
        sys.executable, "-m", "quotemaild.bench.baseline", "--port", "0",
        "--max-message-size", str(max_message_size), "--loop", loop, "--timeout", str(timeout),
    ]  # fmt: skip
    if capture is not None:
        cmd += ["--capture", str(capture)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode().split()
    if len(line) != 3 or line[0] != READY_PREFIX:
        proc.kill()
        raise RuntimeError(f"baseline did not start: {line!r}")
    server = Server("baseline", line[1], int(line[2]), proc)
    wait_smtp_ready(server.host, server.port, proc)
    return server


def write_config(
    workdir: Path, port: int, db_path: Store, max_message_size: int, log_level: str, smarthost: str | None = None,
    poll_interval: float | None = None, http_port: int | None = None,
) -> Path:
    cfg = workdir / "quotemaild-bench.toml"
    outbound = f'[outbound]\nsmarthost = "{smarthost}"\ntls = "none"\n' if smarthost else ""
    if smarthost and poll_interval is not None:
        outbound += f"poll_interval = {poll_interval}\n"
    cfg.write_text(
        f'state_dir = "{workdir / "var"}"\n\n'
        f'[smtp]\nlisten = "127.0.0.1:{port}"\nhostname = "bench.test"\n'
        # The baseline has no per-session command limit; one smtp-source session sends all N.
        f"max_commands = {BENCH_MAX_COMMANDS}\n\n"
        f'[mail]\ndomain = "{BENCH_DOMAIN}"\nmax_message_size = {max_message_size}\n\n'
        f'[store]\nurl = "{store_url(db_path)}"\n\n'
        f'[security]\nsecret = "{secrets.token_urlsafe(32)}"\n\n'
        f'[log]\nlevel = "{log_level}"\nformat = "json"\n\n'
        + (f'[http]\nlisten = "127.0.0.1:{http_port}"\n\n' if http_port else "") + outbound,
        encoding="utf-8",
    )
    return cfg


def _cli(cfg: Path, *args: str, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "quotemaild", "--config", str(cfg), *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise QuotemaildUnavailable(f"`quotemaild {' '.join(args)}` timed out") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:]
        raise QuotemaildUnavailable(f"`quotemaild {' '.join(args)}` failed: {' | '.join(tail)}")
    return proc


def prepare_store(cfg: Path, create_tenant: bool = True) -> None:
    """Migrate and (unless the store was preloaded with it) add the `bench` tenant."""
    _cli(cfg, "migrate")
    if create_tenant:
        _cli(cfg, "tenant", "add", "Bench Tenant", "--slug", BENCH_SLUG, "--json")


def start_quotemaild(
    workdir: Path,
    *,
    max_message_size: int,
    db_path: Store | None = None,
    preloaded: bool = False,
    log_level: str = "info",
    smarthost: str | None = None,
    poll_interval: float | None = None,
    http_port: int | None = None,
) -> Server:
    """quotemaild with its real pipeline; a fresh SQLite store unless `db_path` names another store
    (a SQLite file or a PostgreSQL URL; `preloaded`: it holds the bench tenant already)."""
    workdir.mkdir(parents=True, exist_ok=True)
    db = db_path or workdir / "quotemaild.db"
    port = free_port()
    cfg = write_config(workdir, port, db, max_message_size, log_level, smarthost, poll_interval, http_port)
    prepare_store(cfg, create_tenant=not preloaded)
    log_path = workdir / "quotemaild.log"
    log = log_path.open("ab")
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "quotemaild", "--config", str(cfg), "serve"],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )  # fmt: skip
    server = Server("quotemaild", "127.0.0.1", port, proc, log_path, db, log)
    try:
        wait_smtp_ready(server.host, port, proc)
    except QuotemaildUnavailable as exc:
        server.stop()
        tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
        raise QuotemaildUnavailable(f"{exc}: {' | '.join(tail)}") from exc
    return server


def stored_count(db_path: Store) -> int | None:
    """Raw messages in the store (read-only): what the server acknowledged, to compare with what was sent."""
    return scalar(db_path, "SELECT count(*) FROM raw_messages")


def threaded_count(db_path: Store) -> int | None:
    """Inbound messages threaded into a request (read-only): what processing made of the mail."""
    return scalar(db_path, "SELECT count(*) FROM messages WHERE direction = 'in' AND request_id IS NOT NULL")


def pending_count(db_path: Store) -> int | None:
    """Stored raw messages not yet processed (read-only; None if the table is not there)."""
    return scalar(db_path, "SELECT count(*) FROM raw_messages WHERE state = 'pending'")


def wait_drained(db_path: Store, timeout: float) -> dict[str, float | int | None]:
    """How long after the last ack the post-ack processing needed to catch up."""
    start = time.monotonic()
    first = pending_count(db_path)
    left = first
    while left and time.monotonic() - start < timeout:
        time.sleep(0.2)
        left = pending_count(db_path)
    return {"pending_at_end_of_load": first, "pending_left": left, "drain_s": round(time.monotonic() - start, 2)}


def log_errors(log_path: Path | None) -> dict[str, object]:
    """Error-level events in the daemon's JSON log: how many, by event, and the first one."""
    counts: dict[str, int] = {}
    first = None
    if log_path is None or not log_path.exists():
        return {"count": 0}
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        if '"level": "error"' not in line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        name = str(event.get("event"))
        counts[name] = counts.get(name, 0) + 1
        first = first or f"{name}: {event.get('error', '')}"[:300]
    return {"count": sum(counts.values()), "by_event": counts, "first": first}
