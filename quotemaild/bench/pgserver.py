"""A private PostgreSQL server in a temp dir: initdb, pg_ctl, a free loopback port, torn down after.

Used by the test suite (`--store=postgresql`, through tests/support/postgres.py) and by the bench
(`python -m quotemaild.bench --store postgresql`); it lives in the package so the bench runs from an
install without the tests. One server serves a whole run; every caller that asks gets a fresh,
empty database of its own (`CREATE DATABASE ... TEMPLATE template0`). The server listens on a free
loopback port and keeps its unix socket in the temp dir, never in /run/postgresql.

initdb refuses to run as root: as root the server runs as the `postgres` system user (created by
Debian's package), the way the package itself runs it.

For the tests the server is tuned for throwaway stores, not for safety: `fsync = off` (no run pulls the power,
and a killed daemon is a process crash, which PostgreSQL survives without fsync). Each connection
still runs with `synchronous_commit = on`, which is what the daemon asks for. The bench starts its
server with `BENCH_SETTINGS` (fsync on) instead.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

LOOPBACK = "127.0.0.1"

BIN = Path(os.environ.get("QUOTEMAILD_PG_BIN", "/usr/lib/postgresql/15/bin"))
SERVICE_USER = "postgres"
SUPERUSER = "postgres"
# Throwaway test stores: no fsync (see above).
TEST_SETTINGS = {"fsync": "off", "full_page_writes": "off", "shared_buffers": "32MB"}
# The bench measures what a deployment would see: fsync on, as Debian's package sets it, with
# buffers sized for a 1M-message store on a small machine.
BENCH_SETTINGS = {"fsync": "on", "full_page_writes": "on", "shared_buffers": "256MB",
                  "max_wal_size": "2GB", "effective_cache_size": "1GB"}


def free_port(host: str = LOOPBACK) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def make_temp_root(prefix: str) -> Path:
    """A fresh temp dir with mode 0755, so the `postgres` service user can traverse it."""
    root = Path(tempfile.mkdtemp(prefix=prefix))
    root.chmod(0o755)
    return root


def binaries_missing() -> list[str]:
    return [str(BIN / b) for b in ("initdb", "pg_ctl", "postgres") if not os.access(BIN / b, os.X_OK)]


@dataclass
class PostgresServer:
    root: Path
    port: int = 0
    _counter: int = 0
    started: bool = False
    created: list[str] = field(default_factory=list)
    _watcher: subprocess.Popen[bytes] | None = None
    settings: dict[str, str] = field(default_factory=lambda: dict(TEST_SETTINGS))

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = list(argv)
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", SERVICE_USER, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> PostgresServer:
        if os.geteuid() == 0:
            pw = pwd.getpwnam(SERVICE_USER)
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self._run(str(BIN / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '{LOOPBACK}'\n"
                f"unix_socket_directories = '{self.root}'\n"
                "max_connections = 400\n"
                "log_min_messages = warning\n"
                + "".join(f"{k} = {v}\n" for k, v in self.settings.items())
            )
        for _ in range(5):
            self.port = free_port()
            done = self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
                             "-o", f"-p {self.port}", "-w", "-t", "60", "start", check=False)  # fmt: skip
            if done.returncode == 0:
                self.started = True
                self._reaper()
                return self
            time.sleep(0.2)  # the free port was taken meanwhile: try another
        log = (self.root / "log").read_text() if (self.root / "log").exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {done.stderr}\n{log[-2000:]}")

    def _reaper(self) -> None:
        """A watcher that stops the server and removes its dir if the test run dies without
        tearing down (killed, Ctrl-C twice), so no server outlives the run that started it."""
        script = (
            f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 2; done; "
            f"{'runuser -u ' + SERVICE_USER + ' -- ' if os.geteuid() == 0 else ''}"
            f"{BIN / 'pg_ctl'} -D {self.data} -m immediate -w stop >/dev/null 2>&1; rm -rf {self.root}"
        )
        self._watcher = subprocess.Popen(["sh", "-c", script], start_new_session=True, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip

    def stop(self) -> None:
        if self._watcher is not None:  # a clean stop: the watcher is not needed any more
            self._watcher.kill()
            self._watcher.wait()
            self._watcher = None
        if self.started:
            self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
            self.started = False

    def restart_stopped(self) -> None:
        """Start again after `stop()` on the same port (a database that comes back)."""
        self._run(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log"),
                  "-o", f"-p {self.port}", "-w", "-t", "60", "start")  # fmt: skip
        self.started = True
        self._reaper()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@{LOOPBACK}:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(host=LOOPBACK, port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True) as c:
            c.execute(sql)  # type: ignore[arg-type]

    def new_database(self, hint: str = "t") -> str:
        """A fresh empty database; returns its SQLAlchemy URL."""
        self._counter += 1
        name = f"{''.join(ch for ch in hint.lower() if ch.isalnum())[:40]}_{os.getpid()}_{self._counter}"
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE template0')
        self.created.append(name)
        return self.url(name)

    def drop_database(self, url: str) -> None:
        """Drop a test's database, cutting the connections its engines left open (a test that
        forgot to dispose one would otherwise hold server connections until the run ends)."""
        name = url.rsplit("/", 1)[-1]
        if name in self.created:
            self.created.remove(name)
            self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_server(prefix: str = "qm-pg-", settings: dict[str, str] | None = None) -> PostgresServer:
    root = make_temp_root(prefix)
    server = PostgresServer(root, settings=dict(settings if settings is not None else TEST_SETTINGS))
    try:
        return server.start()
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise


def stop_server(server: PostgresServer) -> None:
    try:
        server.stop()
    finally:
        shutil.rmtree(server.root, ignore_errors=True)
