"""The Postfix test fixture: a real private Postfix routes the proposals domain to the daemon."""

from __future__ import annotations

import shutil

import pytest

from tests.support.postfix import postfix_instance, skip_unless_postfix
from tests.support.postfix_tools import SmtpSink, smtp_source
from tests.support.proc import make_temp_root
from tests.support.smtp_capture import CaptureServer

pytestmark = pytest.mark.e2e

DOMAIN = "proposals.test"
LMTP_DOMAIN = "lmtp.proposals.test"


def _raw(subject: str, to: str) -> bytes:
    return (
        f"From: Customer <customer@client.test>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{subject}@client.test>\r\n\r\nPlease send a quote.\r\n"
    ).encode()


@pytest.fixture(scope="module")
def mta():
    """One Postfix for the module: DOMAIN -> SMTP daemon, LMTP_DOMAIN -> LMTP daemon, rest -> smarthost."""
    skip_unless_postfix()
    with CaptureServer() as daemon, CaptureServer(lmtp=True) as lmtp_daemon, CaptureServer() as smarthost:
        with postfix_instance(
            domain=DOMAIN,
            transport=f"smtp:[127.0.0.1]:{daemon.port}",
            extra_routes={LMTP_DOMAIN: f"lmtp:[127.0.0.1]:{lmtp_daemon.port}"},
            relayhost=f"[127.0.0.1]:{smarthost.port}",
        ) as pf:
            yield pf, daemon, lmtp_daemon, smarthost


def _arrived(server: CaptureServer, pf, count: int, timeout: float = 15.0):
    try:
        return server.wait_for(count, timeout=timeout)
    except TimeoutError as exc:
        pytest.fail(f"{exc}\n--- queue ---\n{pf.queue()}\n--- maillog ---\n{pf.read_log()}")


def test_sendmail_to_proposals_domain_reaches_daemon_over_smtp(mta):
    """Mail injected with the instance's sendmail is relayed to the daemon via transport_maps."""
    pf, daemon, _, _ = mta
    before = len(daemon.messages)
    pf.sendmail(_raw("smtp-route", f"starcomm-524@{DOMAIN}"), "customer@client.test", [f"starcomm-524@{DOMAIN}"])
    msg = _arrived(daemon, pf, before + 1)[-1]
    assert msg.rcpt_tos == (f"starcomm-524@{DOMAIN}",)
    assert msg.mail_from == "customer@client.test"
    assert b"Message-ID: <smtp-route@client.test>" in msg.data
    assert b"Received: " in msg.data  # Postfix added its trace header
    assert f"to=<starcomm-524@{DOMAIN}>" in pf.wait_for_log("status=sent")


def test_lmtp_route_reaches_lmtp_daemon(mta):
    """A domain routed with lmtp:[127.0.0.1]:PORT is delivered over LMTP."""
    pf, _, lmtp_daemon, _ = mta
    before = len(lmtp_daemon.messages)
    pf.sendmail(_raw("lmtp-route", f"acme@{LMTP_DOMAIN}"), "customer@client.test", [f"acme@{LMTP_DOMAIN}"])
    msg = _arrived(lmtp_daemon, pf, before + 1)[-1]
    assert msg.rcpt_tos == (f"acme@{LMTP_DOMAIN}",)


def test_other_domains_go_to_the_smarthost(mta):
    """Outbound mail (not the proposals domain) goes to relayhost, the capture smarthost."""
    pf, daemon, _, smarthost = mta
    before = len(daemon.messages)
    pf.sendmail(_raw("outbound", "customer@client.test"), "acme@proposals.test", ["customer@client.test"])
    msg = _arrived(smarthost, pf, 1)[-1]
    assert msg.rcpt_tos == ("customer@client.test",)
    assert len(daemon.messages) == before


def test_smtpd_relays_only_for_the_relay_domains(mta):
    """The instance's smtpd accepts the proposals domain from loopback (mynetworks) on its own port."""
    import smtplib

    pf, daemon, _, _ = mta
    before = len(daemon.messages)
    with smtplib.SMTP(pf.host, pf.port, timeout=10) as client:
        client.sendmail("customer@client.test", [f"smtp-in@{DOMAIN}"], _raw("via-smtpd", f"smtp-in@{DOMAIN}"))
    assert _arrived(daemon, pf, before + 1)[-1].rcpt_tos == (f"smtp-in@{DOMAIN}",)


def test_smtp_source_load_through_postfix(mta):
    """smtp-source against Postfix: every message is relayed to the daemon."""
    pf, daemon, _, _ = mta
    before = len(daemon.messages)
    res = smtp_source(pf.host, pf.port, sessions=2, count=10, size=2048, recipient=f"load@{DOMAIN}")
    assert res.returncode == 0, res.stderr
    _arrived(daemon, pf, before + 10, timeout=30)


def test_smtp_source_direct_to_capture_server(capture_factory):
    """smtp-source against an aiosmtpd server delivers exactly N messages of the asked size."""
    skip_unless_postfix()
    server = capture_factory()
    res = smtp_source(server.host, server.port, sessions=4, count=40, size=2048,
                      sender="load@source.test", recipient=f"load@{DOMAIN}")
    assert res.returncode == 0, res.stderr
    msgs = server.wait_for(40, timeout=10)
    assert len(msgs) == 40
    assert all(m.rcpt_tos == (f"load@{DOMAIN}",) and m.mail_from == "load@source.test" for m in msgs)
    assert all(len(m.data) >= 2048 for m in msgs)
    assert res.seconds < 30


def test_smtp_sink_as_smarthost():
    """smtp-sink (run as nobody) takes Postfix's outbound mail and can dump it to files."""
    skip_unless_postfix()
    with SmtpSink(dump=True) as sink, postfix_instance(relayhost=f"[127.0.0.1]:{sink.port}") as pf:
        pf.sendmail(_raw("to-sink", "x@remote.test"), "acme@proposals.test", ["x@remote.test"])
        pf.wait_for_log("status=sent")
        log = pf.read_log()
        assert f"relay=127.0.0.1[127.0.0.1]:{sink.port}" in log
        from tests.support.net import wait_until

        files = wait_until(sink.dumped, timeout=5, what="smtp-sink dump file")
        assert b"Subject: to-sink" in files[0].read_bytes()


def test_lmtp_over_unix_socket(capture_factory):
    """transport lmtp:unix:/path delivers to an LMTP server on a unix socket (as in production)."""
    skip_unless_postfix()
    sock_dir = make_temp_root("lmtp-")
    try:
        server = capture_factory(lmtp=True, unix_path=str(sock_dir / "lmtp.sock"))
        with postfix_instance(transport=f"lmtp:unix:{server.unix_path}") as pf:
            pf.sendmail(_raw("lmtp-unix", f"acme@{DOMAIN}"), "customer@client.test", [f"acme@{DOMAIN}"])
            assert _arrived(server, pf, 1)[0].rcpt_tos == (f"acme@{DOMAIN}",)
    finally:
        shutil.rmtree(sock_dir, ignore_errors=True)
