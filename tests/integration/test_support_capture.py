"""tests/support/smtp_capture.py: the threaded aiosmtpd capture server on port 0 (SMTP and LMTP)."""

from __future__ import annotations

import smtplib

import pytest

from tests.support.smtp_capture import CaptureServer


def test_capture_server_keeps_envelope_and_bytes():
    """A message sent with smtplib is captured with its envelope and exact content."""
    raw = b"Subject: hi\r\n\r\nbody\r\n"
    with CaptureServer() as server:
        assert server.port > 0
        with smtplib.SMTP(server.host, server.port, timeout=5) as client:
            client.sendmail("a@client.test", ["b@proposals.test", "c@proposals.test"], raw)
        (msg,) = server.wait_for(1, timeout=5)
    assert msg.mail_from == "a@client.test"
    assert msg.rcpt_tos == ("b@proposals.test", "c@proposals.test")
    assert msg.data == raw


def test_capture_server_speaks_lmtp():
    """lmtp=True answers LHLO and gives per-recipient replies."""
    with CaptureServer(lmtp=True) as server:
        with smtplib.LMTP(server.host, server.port, timeout=5) as client:
            refused = client.sendmail("a@client.test", ["b@proposals.test"], b"Subject: x\r\n\r\ny\r\n")
        assert refused == {}
        assert server.wait_for(1, timeout=5)[0].rcpt_tos == ("b@proposals.test",)


def test_wait_for_times_out_with_a_count():
    """wait_for says how many of how many messages came."""
    with CaptureServer() as server, pytest.raises(TimeoutError, match="0 of 1"):
        server.wait_for(1, timeout=0.2)
