"""Helpers to run `quotemaild serve` as a real process (signals, sd_notify, backup under load)."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiosmtplib

from quotemaild.clock import SystemClock
from quotemaild.config import load_config
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store import db
from tests.conftest import DOMAIN, make_mail


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def add_tenants(cfg_path: Path, *slugs: str) -> None:
    engine = db.make_engine(load_config(cfg_path).store)
    db.migrate(engine)
    with db.make_sessionmaker(engine).begin() as s:
        for slug in slugs:
            add_tenant(s, NewTenant(name=slug.title(), slug=slug), SystemClock())
    engine.dispose()


def spawn(cfg_path: Path, log: Path, env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "quotemaild", "--config", str(cfg_path), "serve"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env={**os.environ, **(env or {})},
        )


def cli(cfg_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quotemaild", "--config", str(cfg_path), *args],
        capture_output=True, text=True, timeout=60,
    )


def cli_inproc(cfg_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Like `cli`, in this process (faster: no interpreter start, no imports)."""
    from click.testing import CliRunner

    from quotemaild.edges.cli.main import cli as group

    result = CliRunner().invoke(group, ["--config", str(cfg_path), *args], catch_exceptions=False)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"daemon exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("daemon did not listen in time")


def log_events(log: Path) -> list[dict[str, Any]]:
    out = []
    for line in log.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def wait_event(log: Path, event: str, after: int = 0, timeout: float = 15.0) -> dict[str, Any]:
    """The first log event named `event` among the events after the first `after` ones."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for e in log_events(log)[after:]:
            if e.get("event") == event:
                return e
        time.sleep(0.05)
    raise AssertionError(f"no {event!r} in the log: {log.read_text()[-2000:]}")


async def sender(port: int, worker: int, acked: list[str], stop: asyncio.Event, prefix: str = "load") -> None:
    """Send mail over and over; a Message-ID goes into `acked` only after its 250."""
    n = 0
    while not stop.is_set():
        try:
            async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=5) as client:
                while not stop.is_set():
                    mid = f"<{prefix}-{worker}-{n}@example.org>"
                    n += 1
                    await client.sendmail("klant@example.org", [f"acme@{DOMAIN}"], make_mail(message_id=mid))
                    acked.append(mid)
        except (aiosmtplib.SMTPException, OSError):
            await asyncio.sleep(0.05)
