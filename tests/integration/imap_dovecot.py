"""A throw-away Dovecot (Debian dovecot-imapd) for the IMAP tests: temp dir, loopback port, passwd file.

Used by tests/e2e/test_imap_dovecot.py. Another branch grows a generic fixture in
tests/support/dovecot.py; this module is meant to be folded into it later.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from imapclient import IMAPClient

DOVECOT = shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot",) if os.path.exists(p)), None)

_CONF = """\
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
info_log_path = {dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
first_valid_uid = 1
mail_location = maildir:{dir}/home/%u/Maildir
mailbox_idle_check_interval = 1 secs
{login_users}
{extra}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/passwd
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={dir}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


@dataclass
class Dovecot:
    dir: Path
    port: int
    conf: Path
    host: str = "127.0.0.1"

    def set_password(self, user: str, password: str) -> None:
        """(Re)write the passwd-file with one user; Dovecot re-reads it on change."""
        path = self.dir / "passwd"
        path.write_text(f"{user}:{{PLAIN}}{password}::::::\n")
        path.chmod(0o644)
        home = self.dir / "home" / user
        home.mkdir(parents=True, exist_ok=True)
        shutil.chown(home, "nobody", "nogroup")

    def client(self, user: str, password: str) -> IMAPClient:
        c = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        c.login(user, password)
        return c

    def stop(self) -> None:
        """SIGTERM to the master and wait for it (`dovecot stop` does the same, with a 3 s poll)."""
        try:
            pid = int((self.dir / "run" / "master.pid").read_text().strip())
            os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError):
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if not _running(pid):
                return
            time.sleep(0.02)
        os.kill(pid, signal.SIGKILL)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self) -> str:
        path = self.dir / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _running(pid: int) -> bool:
    """Alive and not a zombie: the daemonized master is reaped by init, which may take a while."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_dovecot(extra: str = "") -> Dovecot:
    """Start Dovecot in a fresh directory of its own; `Dovecot.stop` then `remove` when done.

    `extra` is appended to the global settings (e.g. `imap_capability = ...` to hide IDLE).

    Not under pytest's tmp_path: that sits in 0700 directories, and Dovecot's auth process (user
    dovecot) must be able to walk to the passwd file.
    """
    assert DOVECOT is not None
    base = Path(tempfile.mkdtemp(prefix="quotemaild-dovecot-"))
    for sub in ("run", "state", "home"):
        (base / sub).mkdir()
    for p in (base, base / "home"):
        p.chmod(0o755)
    port = _free_port()
    login_users = "" if os.geteuid() == 0 else f"default_login_user = {os.getlogin()}\ndefault_internal_user = {os.getlogin()}"
    conf = base / "dovecot.conf"
    conf.write_text(_CONF.format(dir=base, port=port, login_users=login_users, extra=extra))
    (base / "passwd").write_text("")
    dc = Dovecot(base, port, conf)
    # Dovecot daemonizes; its children would hold a captured pipe open, so stderr goes to a file.
    with open(base / "start.err", "w+") as err:
        proc = subprocess.run([DOVECOT, "-c", str(conf)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, timeout=20)
        err.seek(0)
        if proc.returncode != 0:
            raise RuntimeError(f"dovecot did not start: {err.read()}\n{dc.log()}")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(100).startswith(b"* OK"):
                    return dc
        except OSError:
            time.sleep(0.1)
    dc.stop()
    raise RuntimeError(f"dovecot not answering on {port}:\n{dc.log()}")
