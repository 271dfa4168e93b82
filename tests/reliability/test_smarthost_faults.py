"""Smarthost faults with Postfix's smtp-sink: temporary (-r) and permanent (-f) refusals at each
step, disconnects (-q) at each step, a hang (-w) -> the documented retry schedule (made short
with a test clock and config), needs-attention on a permanent failure or give-up, and at most
one extra copy after a crash between the smarthost's 250 and the record of it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from quotemaild.clock import FixedClock
from quotemaild.config import config_from_dict
from quotemaild.edges.outbound import OutboxWorker
from quotemaild.services.outbox import due, record_sent
from quotemaild.services.reply import reply_to_request
from quotemaild.store.models import OutboxMessage, QuoteRequest, TimelineEvent
from tests.conftest import config_dict
from tests.store.test_held_moves import _request
from tests.store.test_services_quotes import ACTOR, SETTINGS
from tests.support.postfix_tools import SmtpSink

SCHEDULE = {"retry_initial": 60, "retry_max": 240, "give_up_after": 1000, "timeout": 2}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC))


def worker_for(sink: SmtpSink, sessions, clock, tmp_path) -> OutboxWorker:
    cfg = config_from_dict(config_dict(tmp_path, outbound={"smarthost": f"127.0.0.1:{sink.port}", **SCHEDULE}))
    return OutboxWorker(sessions, cfg.outbound, clock)


def queue_reply(sessions, clock) -> tuple[int, int]:
    with sessions.begin() as s:
        req = _request(s, clock)
        queued = reply_to_request(s, SETTINGS, req.id, "De prijs volgt.", [], ACTOR, clock)
        return req.id, queued.outbox_id


def row(sessions, outbox_id: int) -> OutboxMessage:
    with sessions() as s:
        return s.get_one(OutboxMessage, outbox_id)


def flagged(sessions, request_id: int) -> tuple[bool, list[str]]:
    with sessions() as s:
        req = s.get_one(QuoteRequest, request_id)
        kinds = [e.kind for e in s.scalars(select(TimelineEvent).where(TimelineEvent.request_id == request_id))]
        return req.needs_attention, kinds


STEPS = ["ehlo,helo", "mail", "rcpt", "data", "."]  # "." is the end of data  # aiosmtplib falls back from EHLO to HELO


@pytest.mark.parametrize("option, step", [("-r", s) for s in STEPS] + [("-q", s) for s in STEPS] + [("-w", "60")])
async def test_temporary_fault_is_retried_on_the_schedule(option, step, sessions, clock, tmp_path, figure):
    """4xx at each step, a disconnect at each step, a hung DATA: the row stays queued, retried
    after retry_initial; nothing is flagged."""
    request_id, outbox_id = queue_reply(sessions, clock)
    opts = [option, step] if option != "-w" else ["-w", step]
    with SmtpSink(opts) as sink:
        worker = worker_for(sink, sessions, clock, tmp_path)
        assert await worker.run_once() == 1
    r = row(sessions, outbox_id)
    assert r.state == "queued" and r.attempts == 1, (r.state, r.last_error)
    assert r.next_attempt_at == clock.now() + dt.timedelta(seconds=SCHEDULE["retry_initial"])
    attention, kinds = flagged(sessions, request_id)
    assert not attention and "delivery_failed" not in kinds
    figure(f"smtp-sink {option} {step}: error recorded", (r.last_error or "")[:60], "")


@pytest.mark.parametrize("step", STEPS)
async def test_permanent_refusal_fails_and_flags_the_request(step, sessions, clock, tmp_path):
    """5xx at MAIL, RCPT, DATA or end of data: failed at once, needs_attention, delivery_failed."""
    request_id, outbox_id = queue_reply(sessions, clock)
    with SmtpSink(["-f", step]) as sink:
        assert await worker_for(sink, sessions, clock, tmp_path).run_once() == 1
    assert row(sessions, outbox_id).state == "failed"
    attention, kinds = flagged(sessions, request_id)
    assert attention and "delivery_failed" in kinds


async def test_retries_follow_the_schedule_then_give_up(sessions, clock, tmp_path, figure):
    """A smarthost that always answers 4xx: tries after 60, 120, 240, 240 ... s (doubling, capped),
    then give-up after give_up_after: failed, needs_attention."""
    request_id, outbox_id = queue_reply(sessions, clock)
    delays = []
    with SmtpSink(["-r", "rcpt"]) as sink:
        worker = worker_for(sink, sessions, clock, tmp_path)
        for _ in range(20):
            assert await worker.run_once() == 1
            r = row(sessions, outbox_id)
            if r.state != "queued":
                break
            delays.append(int((r.next_attempt_at - clock.now()).total_seconds()))
            clock.at = r.next_attempt_at  # the row is due again: the next run_once takes it
    assert r.state == "failed"
    assert delays[:4] == [60, 120, 240, 240]
    attention, kinds = flagged(sessions, request_id)
    assert attention and "delivery_failed" in kinds
    figure("attempts before give-up (give_up_after 1000 s, 60 s doubling to 240 s)", r.attempts, "")


async def test_crash_between_250_and_record_sends_at_most_one_extra_copy(sessions, clock, tmp_path, figure):
    """The smarthost took the mail, the process died before recording it: the next worker sends it
    once more (one extra copy, same Message-ID), then never again."""
    _, outbox_id = queue_reply(sessions, clock)
    with SmtpSink(dump=True) as sink:
        first = worker_for(sink, sessions, clock, tmp_path)
        with sessions() as s:
            (delivery,) = due(s, clock.now())
        outcome = await first.deliver(delivery)  # delivered ... and then the crash: no record
        assert outcome.ok
        second = worker_for(sink, sessions, clock, tmp_path)
        assert await second.run_once() == 1
        assert await second.run_once() == 0
        copies = sink.dumped()
    assert row(sessions, outbox_id).state == "sent"
    assert len(copies) == 2
    figure("copies received after a crash between 250 and record", len(copies), "")
    with sessions.begin() as s:  # recording twice changes nothing more
        record_sent(s, outbox_id, "250 again", clock.now())
