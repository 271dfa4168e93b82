"""The README's Postfix routing, proven end to end with real processes.

    customer --sendmail--> Postfix --transport_maps smtp:[127.0.0.1]:D--> quotemaild serve (port D)
    quotemaild --[outbound] smarthost--> Postfix smtpd (mynetworks) --relayhost--> CaptureServer

A private Postfix instance (tests/support/postfix.py) relays the proposals domain to a real
``python -m quotemaild serve`` subprocess and sends everything else to a capture server standing in
for the internet; the daemon's own outbound mail (the acknowledgement) goes back through that same
Postfix. One stack for the module keeps the whole file to a few seconds.
"""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.config import load_config
from quotemaild.store import db
from quotemaild.store.models import Message, OutboxMessage, QuoteRequest, RawMessage
from tests.support.net import LOOPBACK, free_port, wait_for_port, wait_until
from tests.support.postfix import PostfixInstance, postfix_instance, skip_unless_postfix
from tests.support.proc import make_temp_root
from tests.support.smtp_capture import CapturedMessage, CaptureServer

pytestmark = pytest.mark.e2e

DOMAIN = "proposals.test"
TENANT = "acme"
TENANT_ADDR = f"{TENANT}@{DOMAIN}"
UNREACHABLE = "unreachable.test"


def _mail(sender: str, subject: str, message_id: str, *, to: str = TENANT_ADDR, extra: str = "") -> bytes:
    headers = [
        f"From: Klant <{sender}>",
        f"To: {to}",
        f"Subject: {subject}",
        "Date: Mon, 23 Nov 2026 10:00:00 +0100",
        f"Message-ID: {message_id}",
    ]
    if extra:
        headers.append(extra)
    return ("\r\n".join(headers) + "\r\n\r\nGraag een prijs voor 12 ramen.\r\n").encode()


@dataclass
class Stack:
    pf: PostfixInstance
    internet: CaptureServer
    cfg_path: Path
    daemon_port: int
    daemon_log: Path
    sessions: sessionmaker[Session]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        res = subprocess.run(
            [sys.executable, "-m", "quotemaild", "--config", str(self.cfg_path), *args],
            capture_output=True, text=True, timeout=60,
        )
        assert res.returncode == 0, f"quotemaild {args}: exit {res.returncode}\n{res.stderr}"
        return res

    def diagnostics(self) -> str:
        return (
            f"--- postfix queue ---\n{self.pf.queue()}\n--- maillog ---\n{self.pf.read_log()}\n"
            f"--- daemon log ---\n{self.daemon_log.read_text(errors='replace')[-4000:]}"
        )

    def wait(self, predicate, what: str, timeout: float = 15.0):
        try:
            return wait_until(predicate, timeout=timeout, interval=0.05, what=what)
        except TimeoutError as exc:
            pytest.fail(f"{exc}\n{self.diagnostics()}")

    def request_for(self, message_id: str) -> QuoteRequest | None:
        """The request the inbound message with this Message-ID was threaded into (once processed)."""
        with self.sessions() as s:
            msg = s.scalar(select(Message).where(Message.message_id == message_id, Message.direction == "in"))
            return s.get(QuoteRequest, msg.request_id) if msg is not None and msg.request_id else None

    def mail_to(self, rcpt: str) -> list[CapturedMessage]:
        return [m for m in self.internet.messages if rcpt in m.rcpt_tos]


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    skip_unless_postfix()
    root = make_temp_root("qm-pf-routing-")
    daemon_port = free_port()
    with CaptureServer(smtputf8=True) as internet, postfix_instance(
        domain=DOMAIN,
        transport=f"smtp:[{LOOPBACK}]:{daemon_port}",
        relayhost=f"[{LOOPBACK}]:{internet.port}",
        # a customer domain whose mail Postfix bounces at once (a dead mailbox out on the internet)
        extra_routes={UNREACHABLE: "error:5.1.1 mailbox unavailable"},
        # ... but accepted by smtpd first, as a remote MX would, so the failure becomes a DSN
        extra_main_cf={"smtpd_reject_unlisted_recipient": "no"},
    ) as pf:
        # The daemon's outbound relays through Postfix's smtpd: allowed only because 127.0.0.1 is
        # in mynetworks (smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination).
        assert "127.0.0.0/8" in pf.postconf("-h", "mynetworks")
        state = root / "state"
        state.mkdir()
        cfg_path = root / "config.toml"
        cfg_path.write_text(
            f'state_dir = "{state}"\n'
            "shutdown_grace = 2\n"
            f'[smtp]\nlisten = "{LOOPBACK}:{daemon_port}"\nhostname = "quotemaild.test"\n'
            f'[mail]\ndomain = "{DOMAIN}"\n'
            '[security]\nsecret = "test-secret-0123456789abcdef"\n'
            f'[outbound]\nsmarthost = "{LOOPBACK}:{pf.port}"\ntls = "none"\n'
            "poll_interval = 1\nretry_initial = 1\nretry_max = 2\ntimeout = 10\n"
            '[log]\nlevel = "debug"\nformat = "json"\n'
        )
        engine = db.make_engine(load_config(cfg_path).store)
        daemon_log = root / "daemon.log"
        proc: subprocess.Popen[bytes] | None = None
        try:
            stack = Stack(pf, internet, cfg_path, daemon_port, daemon_log, db.make_sessionmaker(engine))
            db.migrate(engine)  # in-process: one interpreter start less than `quotemaild migrate`
            stack.cli("tenant", "add", "Acme", "--slug", TENANT)
            with daemon_log.open("ab") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "quotemaild", "--config", str(cfg_path), "serve"],
                    stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                )
            try:
                wait_for_port(LOOPBACK, daemon_port, timeout=20)
            except TimeoutError as exc:
                pytest.fail(f"{exc}; daemon exit {proc.poll()}\n{daemon_log.read_text(errors='replace')}")
            yield stack
        finally:
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            engine.dispose()
            shutil.rmtree(root, ignore_errors=True)


def _ack_for(stack: Stack, customer: str) -> tuple[CapturedMessage, EmailMessage]:
    captured = stack.wait(lambda: stack.mail_to(customer), f"acknowledgement to {customer} at the capture server")
    assert len(captured) == 1, [m.data[:300] for m in captured]
    return captured[0], email.message_from_bytes(captured[0].data, policy=email.policy.default)


def test_sendmail_to_tenant_becomes_request_and_ack_leaves_through_postfix(stack):
    """sendmail -> Postfix -> transport_maps -> daemon: a request; its ack -> Postfix -> relayhost."""
    customer = "jan@client.test"
    mid = "<routing-1@client.test>"
    stack.pf.sendmail(_mail(customer, "Offerte 12 ramen", mid), customer, [TENANT_ADDR])

    request = stack.wait(lambda: stack.request_for(mid), "the request for the injected mail")
    listed = json.loads(stack.cli("request", "list", "--tenant", TENANT, "--json").stdout)
    row = next(r for r in listed if r["id"] == request.id)
    assert row["requester_email"] == customer
    assert row["subject"] == "Offerte 12 ramen"
    with stack.sessions() as s:
        raw = s.scalar(select(RawMessage).where(RawMessage.mail_from == customer))
        assert raw is not None and raw.channel == "smtp" and raw.mail_from == customer and raw.rcpt_to == [TENANT_ADDR]
        assert b"Received: by mta.postfix-test.invalid (Postfix" in raw.data  # it came through Postfix
    log = stack.pf.read_log()
    assert f"to=<{TENANT_ADDR}>, relay={LOOPBACK}[{LOOPBACK}]:{stack.daemon_port}" in log
    assert "status=sent (250 " in log

    env, ack = _ack_for(stack, customer)
    assert env.mail_from == "<>"  # null reverse path: Postfix relayed MAIL FROM:<> (aiosmtpd keeps "<>")
    assert env.rcpt_tos == (customer,)
    assert ack["To"].addresses[0].addr_spec == customer
    assert ack["From"].addresses[0].addr_spec == TENANT_ADDR
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == mid
    assert b"Received: from quotemaild.test" in env.data  # Postfix's smtpd took it from the daemon
    log = stack.pf.wait_for_log(f"to=<{customer}>, relay={LOOPBACK}[{LOOPBACK}]:{stack.internet.port}")
    assert "from=<>" in log
    sent = [line for line in log.splitlines() if f"to=<{customer}>" in line and "status=sent" in line]
    assert sent, log


@pytest.mark.parametrize(("customer", "rcpt"), [
    ("jürgen@exämple.test", "jürgen@exämple.test"),  # UTF-8 local part: SMTPUTF8 all the way
    ("info@exämple.test", "info@xn--exmple-cua.test"),  # IDN domain only: plain ASCII with A-labels
])
async def test_international_customer_through_postfix(stack, customer, rcpt):
    """Postfix relays an SMTPUTF8 mail to the daemon; the requester is the customer and the
    acknowledgement goes back through Postfix (SMTPUTF8 only where the address needs it)."""
    import aiosmtplib

    mid = f"<intl-{rcpt.partition('@')[0].encode().hex()}@client.test>"
    raw = _mail(customer, "Angebot für 12 Fenster", mid)
    options = [] if customer.isascii() else ["SMTPUTF8"]
    async with aiosmtplib.SMTP(hostname=LOOPBACK, port=stack.pf.port) as client:
        await client.sendmail(customer, [TENANT_ADDR], raw, mail_options=options)
    request = stack.wait(lambda: stack.request_for(mid), "the request for the international mail")
    assert request.requester_email == customer
    captured = stack.wait(lambda: stack.mail_to(rcpt), f"acknowledgement to {rcpt} at the capture server")
    assert len(captured) == 1
    ack = captured[0].data
    assert f"<{rcpt}>".encode() in ack and ack.isascii() is rcpt.isascii()
    assert f"In-Reply-To: {mid}".encode() in ack


def test_unknown_recipient_is_bounced_by_postfix_with_5_1_1(stack):
    """The daemon's RCPT check refuses ghost@; Postfix bounces it with that reason to the sender."""
    sender = "piet@client.test"
    ghost = f"ghost@{DOMAIN}"
    stack.pf.sendmail(_mail(sender, "Voor niemand", "<routing-ghost@client.test>", to=ghost), sender, [ghost])

    log = stack.pf.wait_for_log(f"to=<{ghost}>")
    stack.wait(lambda: "status=bounced" in stack.pf.read_log(), "Postfix bounce of the unknown recipient")
    line = next(ln for ln in stack.pf.read_log().splitlines() if f"to=<{ghost}>" in ln and "status=" in ln)
    assert "status=bounced" in line and "550 5.1.1" in line and "in reply to RCPT TO command" in line, log
    # The DSN goes back to the sender (through the relayhost) and carries the same reason.
    dsn = stack.wait(lambda: stack.mail_to(sender), "the bounce to the sender")[0]
    assert dsn.mail_from == "<>"
    assert b"550 5.1.1" in dsn.data and ghost.encode() in dsn.data
    assert stack.request_for("<routing-ghost@client.test>") is None


def test_customer_reply_threads_into_the_same_request(stack):
    """A reply with In-Reply-To = the acknowledgement's Message-ID joins the first request."""
    customer = "an@client.test"
    mid = "<routing-thread@client.test>"
    stack.pf.sendmail(_mail(customer, "Voordeur", mid), customer, [TENANT_ADDR])
    first = stack.wait(lambda: stack.request_for(mid), "the first request")
    _, ack = _ack_for(stack, customer)
    ack_id = ack["Message-ID"]
    assert ack_id

    reply_mid = "<routing-thread-reply@client.test>"
    reply = _mail(customer, f"Re: {ack['Subject']}", reply_mid, extra=f"In-Reply-To: {ack_id}\r\nReferences: {mid} {ack_id}")
    stack.pf.sendmail(reply, customer, [TENANT_ADDR])
    second = stack.wait(lambda: stack.request_for(reply_mid), "the reply's request")
    assert second.id == first.id
    shown = json.loads(stack.cli("request", "show", str(first.id), "--json").stdout)
    assert shown["requester_email"] == customer
    assert len(stack.mail_to(customer)) == 1  # no second acknowledgement for a reply


def test_reply_to_the_signed_reply_to_address_threads_too(stack):
    """A client that replies to the acknowledgement's Reply-To (slug+token@) and drops the
    threading headers still lands in the same request: Postfix routes the plus address to us."""
    customer = "els@client.test"
    mid = "<routing-plus@client.test>"
    stack.pf.sendmail(_mail(customer, "Veranda", mid), customer, [TENANT_ADDR])
    first = stack.wait(lambda: stack.request_for(mid), "the first request")
    _, ack = _ack_for(stack, customer)
    reply_to = ack["Reply-To"].addresses[0].addr_spec
    assert reply_to.startswith(f"{TENANT}+") and reply_to.endswith(f"@{DOMAIN}")
    reply_mid = "<routing-plus-reply@client.test>"
    stack.pf.sendmail(_mail(customer, "Foto's", reply_mid, to=reply_to), customer, [reply_to])
    assert stack.wait(lambda: stack.request_for(reply_mid), "the reply").id == first.id


def test_gmail_forwarding_confirmation_is_no_request_and_is_logged(stack):
    """Gmail's confirmation mail to the proposals address: no request, no auto-reply, and the
    code and link appear in the daemon's log as a system_mail event (README, Setting up forwarding)."""
    link = "https://mail-settings.google.com/mail/vf-%5BANGjdJ-abc%5D-xyz"
    sender = "forwarding-noreply@google.com"
    raw = (
        f"From: Gmail Team <{sender}>\r\nTo: {TENANT_ADDR}\r\n"
        "Subject: (#512345678) Gmail Forwarding Confirmation - Receive Mail from jan@gmail.com\r\n"
        "Message-ID: <routing-gmail@google.com>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0100\r\n\r\n"
        f"jan@gmail.com has requested to automatically forward mail to your email address {TENANT_ADDR}.\r\n"
        "Confirmation code: 512345678\r\n\r\n"
        f"To allow jan@gmail.com to automatically forward mail to your address, click:\r\n\r\n{link}\r\n"
    ).encode()
    stack.pf.sendmail(raw, sender, [TENANT_ADDR])

    def logged():
        for line in stack.daemon_log.read_text(errors="replace").splitlines():
            if line.startswith("{") and '"system_mail"' in line:
                return json.loads(line)
        return None

    event = stack.wait(logged, "a system_mail event in the daemon log")
    assert (event["tenant"], event["kind"], event["code"], event["link"]) == (
        TENANT, "gmail_forwarding_confirmation", "512345678", link,
    )
    with stack.sessions() as s:
        msg = s.scalar(select(Message).where(Message.message_id == "<routing-gmail@google.com>"))
        assert msg is not None and msg.request_id is None and msg.provenance == "system"
        # never auto-replied: an acknowledgement would have been queued in the same transaction
        assert not [o for o in s.scalars(select(OutboxMessage)) if sender in o.rcpt_to]
    assert stack.mail_to(sender) == []


def test_reply_to_a_dead_mailbox_bounces_back_through_postfix_and_flags_the_request(stack):
    """A reply (VERP envelope sender on the proposals domain) that Postfix cannot deliver comes
    back as Postfix's own DSN, routed to us by transport_maps: the outbox row fails and the
    request needs attention."""
    customer = f"kees@{UNREACHABLE}"
    mid = "<routing-verp@unreachable.test>"
    stack.pf.sendmail(_mail(customer, "Garagepoort", mid), customer, [TENANT_ADDR])
    request = stack.wait(lambda: stack.request_for(mid), "the request")
    body = stack.daemon_log.parent / "reply.txt"
    body.write_text("Beste Kees, hierbij onze prijs.\n")
    stack.cli("request", "reply", str(request.id), "--body-file", str(body))

    def flagged():
        shown = json.loads(stack.cli("request", "show", str(request.id), "--json").stdout)
        return shown if shown["needs_attention"] else None

    shown = stack.wait(flagged, "the bounce to flag the request", timeout=20)
    log = stack.pf.read_log()
    assert f"to=<{customer}>, relay=none" in log and "status=bounced (mailbox unavailable)" in log, log
    assert "bounce_received" in json.dumps(shown)
    # Postfix's DSN went to the VERP address on the proposals domain, and so to the daemon
    dsn_lines = [ln for ln in log.splitlines() if "to=<bounce+" in ln and f"@{DOMAIN}>" in ln]
    assert any(f"relay={LOOPBACK}[{LOOPBACK}]:{stack.daemon_port}" in ln and "status=sent (250 " in ln
               for ln in dsn_lines), log
