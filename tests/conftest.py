"""Fixtures shared by every layer: a config on a temp SQLite store, a running daemon on port 0."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild import daemon as daemon_mod
from quotemaild.clock import SystemClock
from quotemaild.config import Config, config_from_dict
from quotemaild.edges.cli.main import cli
from quotemaild.services.tenants import NewTenant, add_tenant
from quotemaild.store import db
from quotemaild.store.models import RawMessage

DOMAIN = "proposals.example.test"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def config_dict(tmp_path: Path, **sections: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {
        "state_dir": str(tmp_path / "state"),
        "smtp": {"listen": "127.0.0.1:0"},
        "mail": {"domain": DOMAIN},
        "store": {"url": f"sqlite:///{tmp_path / 'state' / 'q.db'}"},
        "security": {"secret": "test-secret-0123456789abcdef"},
        "log": {"level": "debug", "format": "console"},
    }
    for name, values in sections.items():
        base.setdefault(name, {}).update(values)
    return base


def write_config(path: Path, data: dict[str, Any]) -> Path:
    lines: list[str] = []
    for key, value in data.items():
        if not isinstance(value, dict):
            lines.append(f"{key} = {_toml(value)}")
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"[{key}]")
            lines.extend(f"{k} = {_toml(v)}" for k, v in value.items())
    path.write_text("\n".join(lines) + "\n")
    return path


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return config_from_dict(config_dict(tmp_path))


@pytest.fixture
def sessions(config: Config) -> sessionmaker[Session]:
    engine = db.make_engine(config.store)
    db.migrate(engine)
    yield db.make_sessionmaker(engine)
    engine.dispose()


@dataclass
class RunningDaemon:
    daemon: daemon_mod.Daemon
    sessions: sessionmaker[Session]
    host: str
    port: int
    tenants: dict[str, int]

    def address(self, slug: str) -> str:
        return f"{slug}@{DOMAIN}"

    async def wait_processed(self, count: int, timeout: float = 10.0) -> None:
        """Wait until `count` raw messages have left the pending state."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.sessions() as s:
                done = s.scalar(select(func.count()).select_from(RawMessage).where(RawMessage.state != "pending"))
            if done is not None and done >= count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"fewer than {count} messages processed after {timeout}s")


async def start_daemon(config: Config, slugs: tuple[str, ...] = ("acme", "other")) -> RunningDaemon:
    engine = db.make_engine(config.store)
    db.migrate(engine)
    sessions = db.make_sessionmaker(engine)
    tenants = {}
    with sessions.begin() as s:
        for slug in slugs:
            tenants[slug] = add_tenant(s, NewTenant(name=slug.title(), slug=slug), SystemClock()).id
    running = await daemon_mod.start(config)
    host, port = running.servers[0].sockets[0].getsockname()[:2]
    return RunningDaemon(running, sessions, host, port, tenants)


@pytest.fixture
async def smtpd(config: Config) -> AsyncIterator[RunningDaemon]:
    running = await start_daemon(config)
    yield running
    await daemon_mod.stop(running.daemon, grace=5)
    running.sessions.kw["bind"].dispose()


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., Result]:
    """Run the real CLI in-process against a config file in tmp_path."""
    cfg_path = write_config(tmp_path / "config.toml", config_dict(tmp_path))

    def run(*args: str, expect: int | None = 0) -> Result:
        result = CliRunner().invoke(cli, ["--config", str(cfg_path), *args], catch_exceptions=False)
        if expect is not None:
            assert result.exit_code == expect, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
        return result

    run.config_path = cfg_path  # type: ignore[attr-defined]
    return run


def make_mail(
    subject: str = "Offerte aanvraag",
    sender: str = "klant@example.org",
    to: str = f"acme@{DOMAIN}",
    message_id: str | None = "<m1@example.org>",
    body: str = "Graag een prijs voor 12 ramen.\n",
    extra: str = "",
) -> bytes:
    headers = [f"From: Klant <{sender}>", f"To: {to}", f"Subject: {subject}", "Date: Mon, 05 Jan 2026 10:00:00 +0100"]
    if message_id:
        headers.append(f"Message-ID: {message_id}")
    if extra:
        headers.append(extra.rstrip("\n"))
    return ("\r\n".join(headers) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()
