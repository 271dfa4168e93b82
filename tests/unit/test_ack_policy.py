"""Automatic acknowledgement policy: RFC 3834 rules, rate limit and loop breaker, with reasons."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from quotemaild.mail.ack_policy import LOOP_LIMIT, may_acknowledge
from quotemaild.mail.parse import parse_message

NOW = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def msg(*headers: str, sender: str = "Jan <jan@klant.example>") -> Any:
    head = "\r\n".join([f"From: {sender}", "To: starcomm-524@proposals.example.com",
                        "Subject: Offerte", "Message-ID: <a@klant.example>", *headers])
    return parse_message((head + "\r\n\r\nHallo\r\n").encode())


def decide(**kw: Any) -> Any:
    args: dict[str, Any] = dict(
        envelope_sender="jan@klant.example", message=msg(), kind="human", auto_reply_enabled=True,
        is_new_request=True, hard_bounced=False, acks_sent_to_sender=[], inbound_from_sender_recent=1,
        our_domains=["proposals.example.com"], now=NOW,
    )
    args.update(kw)
    return may_acknowledge(**args)


def test_plain_human_request_is_acknowledged() -> None:
    """A new request from a person, auto-reply on, no history: allowed, no reasons."""
    d = decide()
    assert d.allowed and d.reasons == () and not d.needs_note


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (dict(auto_reply_enabled=False), "auto-reply-off"),
        (dict(is_new_request=False), "not-a-new-request"),
        (dict(hard_bounced=True), "address-hard-bounced"),
        (dict(envelope_sender=""), "null-return-path"),
        (dict(envelope_sender="<>"), "null-return-path"),
        (dict(envelope_sender=None), "null-return-path"),
        (dict(kind="bounce"), "kind-bounce"),
        (dict(kind="auto_reply"), "kind-auto_reply"),
        (dict(kind="out_of_office"), "kind-out_of_office"),
        (dict(kind="bulk"), "kind-bulk"),
        (dict(kind="system"), "kind-system"),
        (dict(envelope_sender="MAILER-DAEMON@mx.klant.example"), "system-sender:mailer-daemon"),
        (dict(message=msg(sender="postmaster@klant.example")), "system-sender:postmaster"),
        (dict(message=msg(sender="No-Reply <no-reply@shop.example>")), "system-sender:no-reply"),
        (dict(message=msg(sender="noreply@shop.example")), "system-sender:noreply"),
        (dict(message=msg(sender="do-not-reply@shop.example")), "system-sender:do-not-reply"),
        (dict(message=msg(sender="donotreply@shop.example")), "system-sender:donotreply"),
        # the one no-reply rule (mail/no_reply.py): nl/fr forms and a prefixed no-reply
        (dict(message=msg(sender="geen-antwoord@gemeente.example")), "system-sender:geen-antwoord"),
        (dict(message=msg(sender="ne-pas-repondre@banque.example")), "system-sender:ne-pas-repondre"),
        (dict(message=msg(sender="orders-noreply@shop.example")), "system-sender:orders-noreply"),
        (dict(message=msg(sender="starcomm-524@proposals.example.com")), "our-own-domain"),
        (dict(envelope_sender="x@mx.proposals.example.com"), "our-own-domain"),
        (dict(message=msg("Auto-Submitted: auto-replied")), "auto-submitted"),
        (dict(message=msg("Auto-Submitted: auto-generated; owner-email=x@y")), "auto-submitted"),
        (dict(message=msg("Auto-Submitted: Auto-Replied (vacation)")), "auto-submitted"),
        (dict(message=msg("Auto-Submitted: (sieve) auto-notified")), "auto-submitted"),
        (dict(message=msg("X-Autoreply: yes")), "header-x-autoreply"),
        (dict(message=msg("X-Autorespond: yes")), "header-x-autorespond"),
        (dict(message=msg("X-Auto-Response-Suppress: All")), "header-x-auto-response-suppress"),
        (dict(message=msg("Precedence: bulk")), "precedence-bulk"),
        (dict(message=msg("Precedence: List")), "precedence-list"),
        (dict(message=msg("Precedence: junk")), "precedence-junk"),
        (dict(message=msg("Precedence: auto_reply")), "precedence-auto_reply"),
        (dict(message=msg("List-Id: <news.shop.example>")), "mailing-list"),
        (dict(message=msg("List-Unsubscribe: <mailto:u@shop.example>")), "mailing-list"),
        (dict(message=msg("X-Quotemaild-Loop: proposals.example.com")), "our-loop-header"),
        (dict(acks_sent_to_sender=[NOW - dt.timedelta(hours=23)]), "rate-limit-24h"),
        (dict(inbound_from_sender_recent=LOOP_LIMIT + 1), "loop-breaker"),
    ],
)
def test_each_rule_says_no_with_its_reason(change: dict[str, Any], reason: str) -> None:
    """Each 'never auto-reply when' rule alone refuses, and names itself."""
    d = decide(**change)
    assert not d.allowed
    assert reason in d.reasons


@pytest.mark.parametrize(
    "headers",
    [("Auto-Submitted: no",), ("Auto-Submitted: No (typed by a person)",), ("Precedence: first-class",),
     ("X-Mailer: Outlook",)],
)
def test_harmless_headers_allow(headers: tuple[str, ...]) -> None:
    """Auto-Submitted: no and ordinary headers do not block."""
    assert decide(message=msg(*headers)).allowed


@pytest.mark.parametrize(
    ("sent", "allowed"),
    [
        ([], True),
        ([NOW - dt.timedelta(hours=24)], True),  # exactly 24 h ago: the window is open again
        ([NOW - dt.timedelta(hours=25), NOW - dt.timedelta(days=3)], True),
        ([NOW - dt.timedelta(minutes=1)], False),
        ([NOW - dt.timedelta(hours=30), NOW - dt.timedelta(hours=2)], False),
        ([NOW + dt.timedelta(hours=1)], True),  # clock skew: a future stamp is not "in the last 24 h"
    ],
)
def test_rate_limit_window(sent: list[dt.datetime], allowed: bool) -> None:
    """At most one acknowledgement per sender per tenant per 24 h."""
    assert decide(acks_sent_to_sender=sent).allowed is allowed


@pytest.mark.parametrize(("count", "tripped"), [(LOOP_LIMIT, False), (LOOP_LIMIT + 1, True), (21000, True)])
def test_loop_breaker(count: int, tripped: bool) -> None:
    """More than 20 inbound mails from one sender in 120 min stops automatic mail and asks for a note."""
    d = decide(inbound_from_sender_recent=count)
    assert d.needs_note is tripped and d.allowed is not tripped


def test_several_reasons_are_all_listed() -> None:
    """Every rule that refuses is listed, once."""
    d = decide(envelope_sender="", kind="bounce", message=msg("Auto-Submitted: auto-replied",
                                                               sender="MAILER-DAEMON@x.example"))
    assert {"null-return-path", "kind-bounce", "auto-submitted", "system-sender:mailer-daemon"} <= set(d.reasons)
    assert len(d.reasons) == len(set(d.reasons))


def test_unparseable_from_refuses() -> None:
    """No usable From address means no acknowledgement."""
    d = decide(message=msg(sender="not an address"))
    assert "no-usable-from" in d.reasons
