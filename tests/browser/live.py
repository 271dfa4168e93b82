"""A live daemon for browser tests: `quotemaild serve` as a real process, every listener on port 0.

Outgoing mail goes to a capturing smarthost (tests/support/smtp_capture.py) so a test can read
what a seller's reply or quote really put on the wire. The daemon logs JSON; the "listening"
event tells us the SMTP and HTTP addresses it bound.
"""

from __future__ import annotations

import smtplib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import DOMAIN, config_dict, make_mail, write_config
from tests.integration.daemon_proc import add_tenants, cli_inproc, spawn, wait_event
from tests.support.smtp_capture import CaptureServer


@dataclass
class LiveDaemon:
    """The running daemon: where to reach it and how to drive it from a test."""

    proc: subprocess.Popen[bytes]
    cfg_path: Path
    log: Path
    smtp_port: int
    base_url: str
    smarthost: CaptureServer

    def address(self, slug: str = "acme") -> str:
        return f"{slug}@{DOMAIN}"

    def send(self, raw: bytes, sender: str = "klant@example.org", to: str | None = None) -> None:
        """Deliver one message over SMTP; returns after the daemon's 250."""
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=10) as client:
            client.sendmail(sender, [to or self.address()], raw)

    def send_mail(self, **kwargs: str) -> None:
        self.send(make_mail(**kwargs), sender=kwargs.get("sender", "klant@example.org"),
                  to=kwargs.get("to"))

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = cli_inproc(self.cfg_path, *args)  # in this process: no interpreter start per call
        assert result.returncode == 0, f"quotemaild {' '.join(args)}: {result.stderr}"
        return result

    def add_user(self, email: str, name: str, role: str = "seller", tenant: str = "acme",
                 password: str = "correct horse battery", language: str | None = None) -> str:
        """A user who can log in; returns the password."""
        pw = self.cfg_path.parent / f"pw-{email}"
        pw.write_text(password)
        self.cli("user", "add", "--tenant", tenant, "--name", name, "--email", email, "--role", role,
                 "--password-file", str(pw))
        return password

    def login(self, page: object, email: str, password: str = "correct horse battery") -> None:
        """Log in through the form, as a person would."""
        page.goto(self.base_url + "/login")
        page.locator("#email").fill(email)
        page.locator("#password").fill(password)
        page.locator("form[action='/login'] button[type=submit]").click()
        page.wait_for_url(self.base_url + "/")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def start_live(root: Path, smarthost: CaptureServer, slugs: tuple[str, ...] = ("acme", "other")) -> LiveDaemon:
    root.mkdir(parents=True, exist_ok=True)
    data = config_dict(
        root,
        http={"listen": "127.0.0.1:0"},
        log={"level": "info", "format": "json"},
        outbound={"smarthost": f"127.0.0.1:{smarthost.port}", "poll_interval": 1,
                  "public_url": "http://127.0.0.1:9"},
    )
    cfg_path = write_config(root / "config.toml", data)
    add_tenants(cfg_path, *slugs)
    log = root / "daemon.log"
    proc = spawn(cfg_path, log)
    try:
        event = wait_event(log, "listening", timeout=30)
    except AssertionError:
        proc.kill()
        raise
    smtp_host_port = event["listeners"][0]
    live = LiveDaemon(proc, cfg_path, log, int(smtp_host_port.rsplit(":", 1)[1]),
                      f"http://{event['http']}", smarthost)
    return live
