"""Fixtures shared by every layer: a config on a temp store, a running daemon on port 0.

The store is SQLite by default; `--store=postgresql` (`make test-pg`) gives every test that builds
a config its own fresh database on one private PostgreSQL server for the run (tests/support/
postgres.py). Tests marked `sqlite_only` check SQLite's own machinery and are skipped there;
tests marked `postgresql` need the server and run only in that mode.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
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
from tests.support import postgres
from tests.support.proc import skip_or_fail

DOMAIN = "proposals.example.test"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def config_dict(tmp_path: Path, **sections: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {
        "state_dir": str(tmp_path / "state"),
        "smtp": {"listen": "127.0.0.1:0"},
        "mail": {"domain": DOMAIN},
        "store": {"url": store_url(tmp_path)},
        "security": {"secret": "test-secret-0123456789abcdef"},
        "log": {"level": "debug", "format": "console"},
    }
    for name, values in sections.items():
        base.setdefault(name, {}).update(values)
    return base


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--store", choices=("sqlite", "postgresql"), default="sqlite",
                     help="the store every test config points at (postgresql: a private server for the run)")


def pytest_configure(config: pytest.Config) -> None:
    STORE.kind = config.getoption("--store")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if STORE.kind == "postgresql" and item.get_closest_marker("sqlite_only"):
            item.add_marker(pytest.mark.skip(reason="checks SQLite's own machinery"))
        if STORE.kind != "postgresql" and item.get_closest_marker("postgresql"):
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL: runs in `make test-pg`"))


def pytest_unconfigure(config: pytest.Config) -> None:
    STORE.close()


class _Store:
    """Which store the run's configs use; the PostgreSQL server starts on first use."""

    def __init__(self) -> None:
        self.kind = "sqlite"
        self._server: postgres.PostgresServer | None = None
        self._urls: dict[str, str] = {}

    def server(self) -> postgres.PostgresServer:
        if self._server is None:
            missing = postgres.binaries_missing()
            if missing:
                skip_or_fail(f"PostgreSQL binaries missing: {', '.join(missing)}")
            self._server = postgres.start_server()
        return self._server

    def url(self, tmp_path: Path) -> str:
        if self.kind != "postgresql":
            return f"sqlite:///{tmp_path / 'state' / 'q.db'}"
        key = str(tmp_path)
        if key not in self._urls:  # one database per test dir, however often its config is built
            self._urls[key] = self.server().new_database(tmp_path.name)
        return self._urls[key]

    def drop(self, tmp_path: Path) -> None:
        url = self._urls.pop(str(tmp_path), None)
        if url is not None and self._server is not None:
            self._server.drop_database(url)

    def close(self) -> None:
        if self._server is not None:
            postgres.stop_server(self._server)
            self._server = None


STORE = _Store()


def store_url(tmp_path: Path) -> str:
    """The store URL of a test's config: SQLite in tmp_path, or a fresh PostgreSQL database."""
    return STORE.url(tmp_path)


def is_postgresql() -> bool:
    return STORE.kind == "postgresql"


@pytest.fixture(autouse=True)
def _drop_test_database(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a test on PostgreSQL, its database goes (the server keeps running for the next)."""
    path = request.getfixturevalue("tmp_path") if "tmp_path" in request.fixturenames else None
    yield
    if STORE.kind == "postgresql" and path is not None:
        STORE.drop(path)


@pytest.fixture(scope="session")
def pg_server() -> postgres.PostgresServer:
    """The run's PostgreSQL server (started on first use), for tests that need it whatever --store says."""
    return STORE.server()


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
