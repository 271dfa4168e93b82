"""A throw-away Postfix instance whose only transport is `lmtp:` to a given address.

Used by tests/e2e/test_lmtp_postfix.py: mail injected with `sendmail -C DIR` is delivered by
Postfix's own LMTP client. It needs root (Postfix's master drops to the `postfix` user).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

MASTER = "/usr/lib/postfix/sbin/master"
POSTFIX = shutil.which("postfix") or next((p for p in ("/usr/sbin/postfix",) if os.path.exists(p)), None)
SENDMAIL = shutil.which("sendmail") or next((p for p in ("/usr/sbin/sendmail",) if os.path.exists(p)), None)
AVAILABLE = POSTFIX is not None and SENDMAIL is not None and os.path.exists(MASTER)

_MAIN = """\
compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mta.example.test
mydomain = example.test
myorigin = example.test
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
default_transport = lmtp:{target}
relay_transport = lmtp:{target}
maillog_file = {dir}/maillog
maillog_file_prefixes = {dir}
alias_maps =
alias_database =
smtputf8_enable = no
"""

# No smtpd: mail only enters through sendmail/pickup and only leaves through lmtp.
_MASTER_CF = """\
pickup    unix  n       -       n       1       1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


@dataclass
class Postfix:
    dir: Path

    @property
    def conf(self) -> Path:
        return self.dir / "etc"

    def sendmail(self, sender: str, rcpts: list[str], raw: bytes) -> None:
        subprocess.run([SENDMAIL or "sendmail", "-C", str(self.conf), "-f", sender, "--", *rcpts], input=raw, check=True, timeout=20)

    def log(self) -> str:
        path = self.dir / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def statuses(self) -> dict[str, str]:
        """Recipient -> the last `status=...` Postfix logged for it, with its reply text."""
        found: dict[str, str] = {}
        for m in re.finditer(r"to=<([^>]+)>.*? status=(\S+) \((.*)\)", self.log()):
            found[m.group(1)] = f"{m.group(2)} {m.group(3)}"
        return found

    def stop(self) -> None:
        try:
            pid = int((self.dir / "queue" / "pid" / "master.pid").read_text().strip())
            os.kill(pid, signal.SIGTERM)
        except (OSError, ValueError):
            return
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def start_postfix(lmtp_target: str) -> Postfix:
    """Start an instance delivering everything to `lmtp_target` (`inet:host:port` or `unix:/path`)."""
    base = Path(tempfile.mkdtemp(prefix="quotemaild-postfix-"))
    base.chmod(0o755)
    for sub in ("etc", "queue", "data"):
        (base / sub).mkdir()
    shutil.chown(base / "data", "postfix")
    (base / "etc" / "main.cf").write_text(_MAIN.format(dir=base, target=lmtp_target))
    (base / "etc" / "master.cf").write_text(_MASTER_CF)
    pf = Postfix(base)
    env = {**os.environ, "MAIL_CONFIG": str(pf.conf)}
    # `postfix start` creates the queue directories with the right owners, then starts master.
    done = subprocess.run([POSTFIX or "postfix", "-c", str(pf.conf), "start"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=60)
    if done.returncode != 0:
        pf.remove()
        raise RuntimeError(f"postfix did not start: {done.stderr}")
    return pf
