"""A real Postfix instance in a temp dir (smtp-source / smtp-sink: ``tests.support.postfix_tools``).

``PostfixInstance`` writes its own ``main.cf`` / ``master.cf`` into ``DIR/etc`` and runs
``postfix -c DIR/etc start``. Everything it owns lives under ``DIR`` (queue, data, log), it listens
only on a free 127.0.0.1 port, and its ``syslog_name`` is unique, so several instances and the
system Postfix do not collide. The proposals domain is routed by ``transport_maps`` to the daemon
under test (``smtp:[127.0.0.1]:PORT`` or ``lmtp:...``); everything else goes to ``relayhost``
(a capture server or smtp-sink) or, without one, bounces at once.

Postfix's master must run as root; children run as ``mail_owner=postfix``, and ``sendmail -C``
uses the set-gid ``postdrop`` (group ``postdrop``). Both exist once the Debian package is in.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.net import LOOPBACK, free_port, wait_for_port, wait_until
from tests.support.proc import alive, make_temp_root, missing_binaries, read_pid, skip_or_fail, started_in_temp_root

POSTFIX = "/usr/sbin/postfix"
SENDMAIL = "/usr/sbin/sendmail"
POSTQUEUE = "/usr/sbin/postqueue"
SMTP_SOURCE = "/usr/sbin/smtp-source"
SMTP_SINK = "/usr/sbin/smtp-sink"
TEST_DOMAIN = "proposals.test"

# master.cf: no chroot anywhere (the temp dir has no /etc copies), smtpd only on loopback.
_MASTER_CF = """\
{listen}  inet  n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


def skip_unless_postfix() -> None:
    """pytest.skip with a clear reason when Postfix cannot run here."""
    missing = missing_binaries(POSTFIX, SENDMAIL, SMTP_SOURCE, SMTP_SINK)
    if missing:
        skip_or_fail(f"Postfix binaries missing: {', '.join(missing)} (apt-get install postfix)")
    if os.geteuid() != 0:
        skip_or_fail("a private Postfix instance needs root (postfix master runs as root)")


_QUEUE_TEMPLATE: Path | None = None


def _seed_queue(queue_dir: Path) -> None:
    """Create ``queue_dir`` from a per-process template queue (``cp -a`` keeps owners and modes).

    The first ``postfix check`` of a new queue runs post-install create-missing (~2.5 s), and every
    ``postfix start`` checks again (~1.5 s); a copy of an already checked, never started queue with
    postfix-script's ``quick-start`` marker starts in a fraction of a second.
    """
    global _QUEUE_TEMPLATE
    if _QUEUE_TEMPLATE is None or not _QUEUE_TEMPLATE.exists():
        tmpl = PostfixInstance(make_temp_root("pf-template-"))
        tmpl.port = 1  # never started; only its queue is used
        tmpl.queue_dir.mkdir()
        tmpl._write_config()
        res = _run([POSTFIX, "-c", str(tmpl.config_dir), "check"], timeout=60)
        if res.returncode != 0:
            raise RuntimeError(f"postfix check of the template queue failed:\n{tmpl._diagnose('check')}")
        atexit.register(shutil.rmtree, tmpl.root, True)
        _QUEUE_TEMPLATE = tmpl.queue_dir
    res = _run(["cp", "-a", str(_QUEUE_TEMPLATE), str(queue_dir)])
    if res.returncode != 0:
        raise RuntimeError(f"cp -a {_QUEUE_TEMPLATE} {queue_dir}: {res.stderr.decode(errors='replace')}")
    # The copy is already checked: let postfix-script skip its integrity checks for this start
    # (its "quick-start" marker, removed by postfix-script itself).
    (queue_dir / "quick-start").touch()


def _run(cmd: Sequence[str], *, timeout: float = 30, input: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(list(cmd), input=input, capture_output=True, timeout=timeout, check=False)


@dataclass
class PostfixInstance:
    """A private Postfix instance; create with :func:`postfix_instance` or ``start()``/``stop()``.

    ``transport`` is the nexthop for ``domain`` (e.g. ``smtp:[127.0.0.1]:2525`` or
    ``lmtp:unix:/run/x.sock``); ``extra_routes`` maps more relay domains to their nexthops;
    ``relayhost`` (``[127.0.0.1]:PORT``) takes all other mail.
    """

    root: Path
    domain: str = TEST_DOMAIN
    transport: str | None = None
    relayhost: str | None = None
    extra_main_cf: dict[str, str] | None = None
    extra_routes: dict[str, str] | None = None
    port: int = 0
    host: str = LOOPBACK

    @property
    def config_dir(self) -> Path:
        return self.root / "etc"

    @property
    def queue_dir(self) -> Path:
        return self.root / "queue"

    @property
    def log_path(self) -> Path:
        return self.root / "maillog"

    @property
    def syslog_name(self) -> str:
        return f"postfix-test-{self.root.name}"

    def main_cf(self) -> dict[str, str]:
        """The main.cf settings of this instance (ordered)."""
        cf = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue_dir),
            "data_directory": str(self.root / "data"),
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "syslog_name": self.syslog_name,
            "maillog_file": str(self.log_path),
            "maillog_file_prefixes": str(self.root),
            "myhostname": "mta.postfix-test.invalid",
            "mydomain": "postfix-test.invalid",
            "myorigin": "$myhostname",
            "inet_interfaces": self.host,
            "inet_protocols": "ipv4",
            "mydestination": "",
            "local_recipient_maps": "",
            "local_transport": "error:local delivery is disabled in this test instance",
            "alias_maps": "",
            "alias_database": "",
            "mynetworks": "127.0.0.0/8",
            "relay_domains": ", ".join(self.routes()),
            "relay_recipient_maps": "",
            "transport_maps": f"texthash:{self.config_dir / 'transport'}",
            "smtpd_relay_restrictions": "permit_mynetworks, reject_unauth_destination",
            "smtpd_recipient_restrictions": "",
            "smtpd_banner": "$myhostname ESMTP postfix-test",
            "smtpd_peername_lookup": "no",
            "smtpd_error_sleep_time": "0",
            "smtp_tls_security_level": "none",
            "smtpd_tls_security_level": "none",
            "lmtp_tls_security_level": "none",
            "smtp_dns_support_level": "disabled",
            "disable_dns_lookups": "yes",
            "biff": "no",
            "append_dot_mydomain": "no",
            "readme_directory": "no",
            "message_size_limit": str(60 * 1024 * 1024),
            # Fast test turn-around: retry deferred mail within seconds, give up within a minute.
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
            "maximal_queue_lifetime": "60s",
            "bounce_queue_lifetime": "60s",
            "delay_warning_time": "0",
            "smtp_connect_timeout": "5s",
            "lmtp_connect_timeout": "5s",
            "in_flow_delay": "0",
            "import_environment": "MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C",
        }
        if self.relayhost:
            cf["relayhost"] = self.relayhost
        else:
            cf["default_transport"] = "error:outbound mail is disabled in this test instance"
        cf.update(self.extra_main_cf or {})
        return cf

    def postconf(self, *args: str) -> str:
        """Run ``postconf -c DIR args``; return stdout."""
        res = _run(["/usr/sbin/postconf", "-c", str(self.config_dir), *args])
        if res.returncode != 0:
            raise RuntimeError(f"postconf {args}: {res.stderr.decode(errors='replace')}")
        return res.stdout.decode()

    def _write_config(self) -> None:
        self.config_dir.mkdir(parents=True, exist_ok=True)
        (self.root / "data").mkdir(exist_ok=True)
        shutil.chown(self.root / "data", "postfix")  # master.lock lives here, written as mail_owner
        if not self.queue_dir.exists():
            _seed_queue(self.queue_dir)
        lines = [f"{k} = {v}" for k, v in self.main_cf().items()]
        (self.config_dir / "main.cf").write_text("\n".join(lines) + "\n")
        listen = f"{self.host}:{self.port}"
        (self.config_dir / "master.cf").write_text(_MASTER_CF.format(listen=listen))
        self._write_transport()
        # postfix-files (meta_directory) and dynamicmaps.cf are read from /etc/postfix: defaults.

    def routes(self) -> dict[str, str | None]:
        """Relay domain -> nexthop (None: no transport_maps entry, i.e. relayhost/default)."""
        return {self.domain: self.transport, **(self.extra_routes or {})}

    def _write_transport(self) -> None:
        lines = [f"{dom} {hop}\n" for dom, hop in self.routes().items() if hop]
        (self.config_dir / "transport").write_text("".join(lines))

    def set_transport(self, transport: str) -> None:
        """Route ``domain`` to a new nexthop and reload (texthash tables are read at process start)."""
        self.transport = transport
        self._write_transport()
        self.reload()

    def _postfix(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        return _run([POSTFIX, "-c", str(self.config_dir), *args], timeout=timeout)

    def start(self, timeout: float = 20) -> "PostfixInstance":
        skip_unless_postfix()
        auto_port = not self.port
        for attempt in range(3):
            if auto_port and (attempt or not self.port):
                self.port = free_port(self.host)
            self._write_config()
            res = self._postfix("start")
            if res.returncode == 0:
                break
            # free_port() is racy: another process may take the port before master binds it.
            lost_race = "Address already in use" in self.read_log()
            if not (auto_port and lost_race and attempt < 2):
                raise RuntimeError(
                    f"postfix -c {self.config_dir} start failed ({res.returncode}):\n"
                    f"{self._diagnose('check')}\n--- maillog ---\n{self.read_log()}"
                )
            self.log_path.rename(self.log_path.with_suffix(f".failed{attempt}"))
        try:
            wait_for_port(self.host, self.port, timeout=timeout)
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n--- maillog ---\n{self.read_log()}") from None
        return self

    def _diagnose(self, *args: str) -> str:
        """Postfix prints fatal errors on stderr only when it is a tty: rerun under ``script`` to see them."""
        cmd = " ".join([POSTFIX, "-c", str(self.config_dir), *args])
        if not shutil.which("script"):
            return "(install util-linux 'script' to see postfix's own error)"
        res = _run(["script", "-qec", cmd, "/dev/null"])
        return res.stdout.decode(errors="replace")

    def reload(self) -> None:
        res = self._postfix("reload")
        if res.returncode != 0:
            raise RuntimeError(f"postfix reload: {res.stderr.decode(errors='replace')}")

    def flush(self) -> None:
        """Ask the queue manager to retry deferred mail now (``postqueue -f``)."""
        _run([POSTQUEUE, "-c", str(self.config_dir), "-f"])

    def queue(self) -> str:
        """``postqueue -p`` output (empty queue: 'Mail queue is empty')."""
        return _run([POSTQUEUE, "-c", str(self.config_dir), "-p"]).stdout.decode(errors="replace")

    def stop(self) -> None:
        """``postfix -c DIR stop``; then make sure the master is gone."""
        pid_file = self.queue_dir / "pid" / "master.pid"
        self._postfix("stop")
        pid = read_pid(pid_file)
        if pid:
            try:  # postfix stop returns before the master exits; wait a moment
                wait_until(lambda: not alive(pid), timeout=10, what="postfix master exit")
            except TimeoutError:
                _run([POSTFIX, "-c", str(self.config_dir), "abort"])

    def read_log(self) -> str:
        """Contents of this instance's maillog (empty when not written yet)."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for_log(self, needle: str, timeout: float = 10.0) -> str:
        """Wait until ``needle`` appears in the maillog; TimeoutError shows the log."""
        try:
            wait_until(lambda: needle in self.read_log(), timeout=timeout, what=f"{needle!r} in maillog")
        except TimeoutError as exc:
            raise TimeoutError(f"{exc}\n--- maillog ---\n{self.read_log()}") from None
        return self.read_log()

    def statuses(self) -> dict[str, str]:
        """Recipient -> the last ``status=...`` this instance logged for it, with its reply text."""
        return {m[1]: f"{m[2]} {m[3]}" for m in re.finditer(r"to=<([^>]+)>.*? status=(\S+) \((.*)\)", self.read_log())}

    def sendmail(self, raw: bytes, sender: str, recipients: Sequence[str], timeout: float = 30) -> None:
        """Inject ``raw`` with this instance's ``sendmail -C DIR -f SENDER -i -- RCPT...``."""
        cmd = [SENDMAIL, "-C", str(self.config_dir), "-f", sender, "-i", "--", *recipients]
        res = _run(cmd, input=raw, timeout=timeout)
        if res.returncode != 0:
            raise RuntimeError(
                f"sendmail exited {res.returncode}: {res.stderr.decode(errors='replace')}\n{self.read_log()}"
            )

    def __enter__(self) -> "PostfixInstance":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextmanager
def postfix_instance(
    *,
    transport: str | None = None,
    relayhost: str | None = None,
    domain: str = TEST_DOMAIN,
    extra_routes: dict[str, str] | None = None,
    extra_main_cf: dict[str, str] | None = None,
) -> Iterator[PostfixInstance]:
    """Start a private Postfix, yield it, stop it and remove its dir (log printed on failure by callers)."""
    skip_unless_postfix()
    with started_in_temp_root("pf-", lambda root: PostfixInstance(
        root, domain=domain, transport=transport, relayhost=relayhost,
        extra_routes=extra_routes, extra_main_cf=extra_main_cf,
    )) as inst:
        yield inst


@pytest.fixture
def postfix_factory():
    """Fixture: ``start(transport=..., relayhost=..., domain=...) -> PostfixInstance``; all stopped at teardown."""
    from contextlib import ExitStack

    with ExitStack() as stack:
        def start(**kwargs) -> PostfixInstance:
            return stack.enter_context(postfix_instance(**kwargs))

        yield start
