"""Postfix's load and sink tools: ``smtp-source`` (load generator) and ``smtp-sink`` (fake smarthost)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support.net import LOOPBACK, free_port, wait_for_port
from tests.support.proc import make_temp_root, missing_binaries, skip_or_fail

SMTP_SOURCE = "/usr/sbin/smtp-source"
SMTP_SINK = "/usr/sbin/smtp-sink"
TEST_DOMAIN = "proposals.test"


@dataclass(frozen=True)
class SourceResult:
    """Outcome of one smtp-source run."""

    returncode: int
    seconds: float
    stdout: str
    stderr: str


def smtp_source(
    host: str,
    port: int,
    *,
    sessions: int = 1,
    count: int = 1,
    size: int | None = None,
    sender: str = "load@source.test",
    recipient: str = f"load@{TEST_DOMAIN}",
    extra: Sequence[str] = (),
    timeout: float = 120,
) -> SourceResult:
    """Run ``smtp-source -s SESSIONS -m COUNT [-l SIZE] -f SENDER -t RCPT host:port``; time it."""
    cmd = [SMTP_SOURCE, "-s", str(sessions), "-m", str(count), "-f", sender, "-t", recipient]
    if size is not None:
        cmd += ["-l", str(size)]
    cmd += [*extra, f"{host}:{port}"]
    t0 = time.monotonic()
    res = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    return SourceResult(res.returncode, time.monotonic() - t0, res.stdout.decode(errors="replace"),
                        res.stderr.decode(errors="replace"))


class SmtpSink:
    """``smtp-sink`` as a fake smarthost on a free loopback port (``-u nobody`` when root).

    ``options`` are passed before the address, e.g. ``["-r", "..."]`` or fault injection
    ``["-f", "rcpt"]`` / ``["-q", "data"]``. With ``dump=True`` each message is written into
    ``dump_dir`` (``-d``) so tests can count and read them. ``-c`` counters go to stdout.
    """

    def __init__(self, options: Sequence[str] = (), *, dump: bool = False, backlog: int = 64) -> None:
        self.host = LOOPBACK
        self.port = 0
        self.options = list(options)
        self.backlog = backlog
        self.dump_dir: Path | None = None
        self._dump = dump
        self._proc: subprocess.Popen | None = None
        self._root: Path | None = None

    def start(self) -> "SmtpSink":
        missing = missing_binaries(SMTP_SINK)
        if missing:
            skip_or_fail(f"smtp-sink missing: {missing[0]} (apt-get install postfix)")
        self._root = make_temp_root("sink-")
        self.port = free_port(self.host)
        cmd = [SMTP_SINK]
        if os.geteuid() == 0:
            cmd += ["-u", "nobody"]
        if self._dump:
            self.dump_dir = self._root / "dump"
            self.dump_dir.mkdir()
            shutil.chown(self.dump_dir, "nobody")
            cmd += ["-d", str(self.dump_dir) + "/%Y%m%d%H/%M."]
        cmd += [*self.options, f"{self.host}:{self.port}", str(self.backlog)]
        self._proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_for_port(self.host, self.port, timeout=10)
        except TimeoutError:
            self.stop()
            raise
        return self

    def dumped(self) -> list[Path]:
        """Files written by ``-d`` so far."""
        if not self.dump_dir:
            return []
        return sorted(p for p in self.dump_dir.rglob("*") if p.is_file())

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.communicate()
            self._proc = None
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    def __enter__(self) -> "SmtpSink":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
