"""The delivery worker: hands queued outbox rows to the smarthost with aiosmtplib.

It runs as a task on the daemon's loop; database work goes to a thread. Rows are claimed with a
lease (`services.outbox.claim_due`), so any number of instances can run a worker on one
database and each row is handed over by one of them; the claim of a worker that died runs out
after `lease_for(cfg)` and another worker takes the row.

A row is marked sent right after the smarthost's 250. The window SMTP itself leaves: if the
process dies (or loses the database) between that 250 and the commit of `sent`, the row is still
queued and is delivered again once its lease ends -- by this instance after a restart or by
another one. That is the at-least-once guarantee SMTP gives between MTAs (RFC 1047's duplicate
window); the receiving side sees the same Message-ID twice and mail clients collapse such
duplicates. Everything else (several instances, a crash before the 250) never sends twice.

International mail (RFC 6531): a row whose envelope or headers are not ASCII (an address with a
UTF-8 local part; see mail/compose.py) is sent with SMTPUTF8. A smarthost that does not offer it
gets nothing: the row stays queued with `smarthost lacks SMTPUTF8` as its error and is retried
like any temporary failure, because the only alternative would be to mangle the address.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import aiosmtplib
from sqlalchemy.orm import Session, sessionmaker

from quotemaild.clock import Clock
from quotemaild.config import OutboundConfig
from quotemaild.domain.retry import RetryPolicy
from quotemaild.logs import get_logger
from quotemaild.services.held import release
from quotemaild.services.outbox import Claim, Delivery, claim_due, confirm_claim, record_failure, record_sent

log = get_logger(__name__)


LACKS_SMTPUTF8 = "smarthost lacks SMTPUTF8"


def needs_smtputf8(d: Delivery) -> bool:
    """Our composer writes everything in ASCII unless an address needs UTF-8 (bodies are 7bit)."""
    return not (d.envelope_from.isascii() and all(r.isascii() for r in d.rcpt_to) and d.data.isascii())


@dataclass(frozen=True)
class Outcome:
    ok: bool
    temporary: bool
    detail: str


def policy_of(cfg: OutboundConfig) -> RetryPolicy:
    return RetryPolicy(
        initial=dt.timedelta(seconds=cfg.retry_initial),
        maximum=dt.timedelta(seconds=cfg.retry_max),
        give_up_after=dt.timedelta(seconds=cfg.give_up_after),
    )


def lease_for(cfg: OutboundConfig) -> dt.timedelta:
    """How long a claim lasts: an attempt (connect, EHLO, STARTTLS, MAIL, RCPT, DATA) waits at most
    `timeout` per step; three of them and a margin cover a slow attempt without another worker
    stepping in, and a dead worker's rows wait at most this long."""
    return dt.timedelta(seconds=3 * cfg.timeout + 30)


def outcome_of_error(exc: Exception) -> Outcome:
    """4xx and connection trouble are temporary; 5xx are permanent."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        temporary = all(400 <= c < 500 for c in codes)
        detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        return Outcome(False, temporary, detail)
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return Outcome(False, 400 <= exc.code < 500, f"{exc.code} {exc.message}")
    return Outcome(False, True, f"{type(exc).__name__}: {exc}")


class OutboxWorker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        cfg: OutboundConfig,
        clock: Clock,
        helo: str = "localhost",
        on_attempt: Callable[[Outcome], None] | None = None,
    ) -> None:
        self._sessions = sessions
        self._cfg = cfg
        self._clock = clock
        self._helo = helo
        self._policy = policy_of(cfg)
        self._lease = lease_for(cfg)
        self._on_attempt = on_attempt
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self.delivered = 0
        self.failed = 0

    def wake(self) -> None:
        """Thread-safe: new rows were committed, look now instead of at the next poll."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def stop(self) -> None:
        self._stopping = True
        self.wake()

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self._cfg.smarthost is None:
            log.warning("outbound_disabled", reason="no [outbound] smarthost configured; mail stays queued")
        while not self._stopping:
            self._wake.clear()
            worked = 0
            if self._cfg.smarthost is not None:
                try:
                    worked = await self.run_once()
                except Exception as exc:  # store trouble: try again at the next poll
                    log.error("outbox_pass_failed", error=f"{type(exc).__name__}: {exc}"[:300])
            if worked:
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), self._cfg.poll_interval)
            except TimeoutError:
                pass

    async def run_once(self, limit: int = 50) -> int:
        now = self._clock.now()
        claim = await asyncio.to_thread(self._claim, now, limit)
        for delivery in claim.deliveries:
            if self._stopping:
                break  # unclaimed rows wait for their lease to end (or for our restart)
            if not await asyncio.to_thread(self._confirm, delivery.id, claim.until):
                log.info("claim_lost", outbox=delivery.id)
                continue
            outcome = await self.deliver(delivery)
            await asyncio.to_thread(self._record, delivery.id, outcome)
            if self._on_attempt is not None:
                self._on_attempt(outcome)
        return len(claim.deliveries)

    async def deliver(self, d: Delivery) -> Outcome:
        host = self._cfg.smarthost
        assert host is not None
        client = aiosmtplib.SMTP(
            hostname=host.host,
            port=host.port,
            local_hostname=self._helo,
            use_tls=self._cfg.tls == "ssl",
            start_tls=True if self._cfg.tls == "starttls" else False,
            username=self._cfg.username or None,
            password=self._cfg.password or None,
            timeout=self._cfg.timeout,
        )
        utf8 = needs_smtputf8(d)
        try:
            # The client rather than aiosmtplib.send: send() refuses an empty sender with raw
            # bytes, and acknowledgements must go out with a null reverse path (MAIL FROM:<>).
            # With SMTPUTF8 asked for, aiosmtplib checks the EHLO reply before MAIL FROM and
            # raises SMTPNotSupported when the extension is missing: nothing was sent.
            async with client:
                errors, reply = await client.sendmail(
                    d.envelope_from, list(d.rcpt_to), d.data, mail_options=["SMTPUTF8"] if utf8 else None
                )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            if utf8 and isinstance(exc, aiosmtplib.SMTPNotSupported) and "SMTPUTF8" in str(exc):
                log.warning("delivery_deferred", outbox=d.id, detail=LACKS_SMTPUTF8)
                return Outcome(False, True, LACKS_SMTPUTF8)
            outcome = outcome_of_error(exc)
            log.warning("delivery_failed", outbox=d.id, temporary=outcome.temporary, detail=outcome.detail[:300])
            return outcome
        if errors:
            # some recipients refused: we send one recipient per mail, so treat as a failure
            detail = "; ".join(f"{rcpt}: {resp.code} {resp.message}" for rcpt, resp in errors.items())
            temporary = all(400 <= resp.code < 500 for resp in errors.values())
            return Outcome(False, temporary, detail)
        log.info("delivered", outbox=d.id, reply=reply[:200])
        return Outcome(True, False, reply)

    def _claim(self, now: dt.datetime, limit: int) -> Claim:
        with self._sessions.begin() as session:
            return claim_due(session, now, self._lease, limit)

    def _confirm(self, outbox_id: int, held_until: dt.datetime) -> bool:
        """Our claim still holds: renew it from now, so a long queue before it costs nothing."""
        with self._sessions.begin() as session:
            return confirm_claim(session, outbox_id, held_until, self._clock.now(), self._lease)

    def _record(self, outbox_id: int, outcome: Outcome) -> None:
        now = self._clock.now()
        with self._sessions.begin() as session:
            if outcome.ok:
                record_sent(session, outbox_id, outcome.detail, now)
                release(session, outbox_id, now)  # a status move that waited for the mail to leave
                self.delivered += 1
            else:
                state = record_failure(session, outbox_id, outcome.temporary, outcome.detail, now, self._policy)
                if state == "failed":
                    self.failed += 1
